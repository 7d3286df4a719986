// docs/CONFIG.md stays accurate: every example in it loads and builds, and every config key is documented.
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DpsTorch.IO;
using DpsTorch.Model;

namespace DpsTorch.Tests.Cli;

public partial class ConfigDocsTests
{
    private static string Docs()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string path = Path.Combine(dir.FullName, "docs", "CONFIG.md");
            if (File.Exists(path)) return File.ReadAllText(path);
        }
        throw new FileNotFoundException("docs/CONFIG.md not found above the test output folder.");
    }

    [GeneratedRegex("```json\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    [Fact]
    public void EveryExample_InConfigDocs_LoadsAndBuilds()
    {
        var dir = Directory.CreateTempSubdirectory("dps-docs-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "demand.csv"), "x,value\n0,1\n2,3\n4,0.5\n");
            File.WriteAllText(Path.Combine(dir, "edges.txt"), string.Join('\n', Enumerable.Range(0, 16).Select(i => $"{i} {(i + 1) % 16}")));
            var blocks = JsonBlock().Matches(Docs());
            Assert.True(blocks.Count >= 6 + 11 + 4, $"only {blocks.Count} examples");
            foreach (Match block in blocks)
            {
                // Small grid and one step keep this fast; the example's own keys are what is checked.
                var c = ConfigLoader.Parse(block.Groups[1].Value, dir, ["space.m=32", "training.steps=1"]);
                Assert.NotNull(SystemBuilder.Create(c));
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void EveryConfigKey_IsDocumented()
    {
        string docs = Docs();
        var defaults = (JsonObject)ConfigLoader.ToJsonNode(new DpsConfig());
        foreach (var (section, node) in defaults)
            if (node is JsonObject keys)
                foreach (var (key, _) in keys) Assert.Contains($"`{section}.{key}`", docs);
        foreach (var optional in new[] { "agents.budget", "agents.sigmaMin", "agents.initSigma", "demand.centers", "demand.widths",
                     "demand.weights", "demand.mass", "demand.path", "topology.rows", "topology.path" })
            Assert.Contains($"`{optional}`", docs);
    }
}
