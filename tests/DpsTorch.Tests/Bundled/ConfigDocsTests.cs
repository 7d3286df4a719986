// docs/CONFIG.md stays accurate: every example in it loads and builds, the examples do what the text says they do,
// and every config key is documented.
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DpsTorch.Runs;
using DpsTorch.IO;
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Nested;
using DpsTorch.Sweeps;

namespace DpsTorch.Tests.Bundled;

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
                // Small grid and one step keep this fast; the example's own keys are what is checked. A sweep is
                // checked run by run; a nested system is built level by level.
                var plan = SweepReader.Parse(block.Groups[1].Value, dir, ["space.m=32", "training.steps=1"]);
                plan.Validate();
                foreach (var point in plan.Points)
                {
                    var c = plan.ConfigFor(point);
                    if (c.Levels is null) Assert.NotNull(SystemBuilder.Create(c));
                    else Assert.NotNull(NestedBuilder.Create(c));
                }
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>The first JSON example after the heading that starts with <paramref name="heading"/>.</summary>
    private static string Example(string heading)
    {
        string docs = Docs();
        int at = docs.IndexOf("\n## " + heading, StringComparison.Ordinal);
        Assert.True(at >= 0, $"docs/CONFIG.md has no section \"{heading}\"");
        return JsonBlock().Match(docs, at).Groups[1].Value;
    }

    [Fact]
    public void CompleteExample_MeetsItsDemand_WithThreeTypes_AsTheDocsSay()
    {
        // The docs report the full run (two restarts); the winning restart is restart 0 (the spread start), which is
        // all this runs, without the robustness measures, to stay fast. Same seed, same result.
        var c = ConfigLoader.Parse(Example("A complete example"), ".", ["training.restarts=1"]);
        var r = Experiment.Run(c, measureRobustness: false);
        var m = r.Measures;
        string docs = Regex.Replace(Docs(), @"\s+", " ");
        string F(double v, string format) => v.ToString(format, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(m.Loss, 0, 0.005);                       // "a loss of 0.0026"
        Assert.Contains($"a loss of {F(m.Loss, "0.0000")}, coverage {F(m.Coverage, "0.000")}, heterogeneity ¹D = {F(m.Heterogeneity.Q1, "0.00")}", docs);
        Assert.InRange(m.Coverage, 0.995, 1);                    // "coverage 0.998"
        Assert.InRange(m.Heterogeneity.Q1, 2.9, 3.1);            // "three types of agents, one per peak"
        Assert.Equal(24, m.TotalProduction, 6);                  // "total production 24": no over-production
        Assert.Equal(2 * m.Coverage, m.Efficiency, 9);           // "efficiency 2.0": (1 + 2 · 0.5) · coverage
    }

    [Fact]
    public void CompleteExample_WithTheDefaultMass_OverProducesThreefold_YetCoverageAndEfficiencyAreOne()
    {
        // The paragraph after the complete example: unit edge weights and the default demand mass R = 12.
        var c = ConfigLoader.Parse(Example("A complete example"), ".", ["training.restarts=1", "training.polish=0", "demand.mass=12", "topology.weight=1"]);
        var m = Experiment.Run(c, measureRobustness: false).Measures;
        Assert.Equal(36, m.TotalProduction, 6);
        Assert.Equal(24 * 24 / (2 * Math.PI), m.Loss, 0.05);     // "24²/2π = 91.7": the surplus spread evenly
        Assert.Equal(1, m.Coverage, 6);
        Assert.Equal(1, m.Efficiency, 6);
        Assert.InRange(m.Heterogeneity.Q1, 6, 8);                // "heterogeneity 6.9"
    }

    [Fact]
    public void SweepExample_ExpandsToTheTwelveRunsTheDocsCount()
    {
        var plan = SweepReader.Parse(Example("`sweep`"));
        Assert.Equal(12, plan.Points.Count);
        Assert.Equal(["agents.count", "topology.kind", "topology.k"], plan.Keys);
        Assert.Equal([4, 8, 16], plan.Points.Select(p => plan.ConfigFor(p).Agents.Count).Distinct());
        Assert.Equal([0, 1], plan.Points.Select(p => plan.ConfigFor(p).Training.Seed).Distinct().Order());
        Assert.Equal(6, plan.Points.Count(p => plan.ConfigFor(p).Topology.Kind == TopologyKind.Ring));
    }

    [Fact]
    public void LevelsExample_BuildsFourNodesOfFour_InOneRack()
    {
        var c = ConfigLoader.Parse(Example("`levels`"), ".", ["space.m=32"]);
        var system = NestedBuilder.Create(c);
        Assert.Equal(["node", "rack"], system.Levels.Select(l => l.Name));
        Assert.Equal([4, 1], system.Levels.Select(l => l.Groups));
        Assert.Equal([4, 4], system.Levels.Select(l => l.Size));
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
