// dps nested end to end on a tiny three-level config: the three files, no temporary files, --set into the levels
// array, and dps report rebuilding a nested folder's page.
using DpsTorch.IO;
using System.Text.Json.Nodes;
using DpsTorch.Nested;

namespace DpsTorch.Cli.Tests;

[Collection("cli")]
public class NestedCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-cli-nested-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Nested_WritesSummaryModelAndReport_LeavesNoTemporaryFiles_AndSetReachesIntoLevels()
    {
        string config = Path.Combine(_dir, "tiny.json");
        File.WriteAllText(config, TestConfigs.TinyNested);
        string run = Path.Combine(_dir, "out");
        var r = CliHarness.Invoke("nested", config, "--baseline", "--set", "levels.1.lambdaC=2", "--set", "levels.0.topology.initWeight=0.2", "--out", run);
        Assert.True(r.Code == 0, r.Error);
        // dps nested is dps run: the same five files, and the checkpoints that --resume reads.
        Assert.Equal(["config.json", "model.json", "report.html", "summary.json", "trajectory.csv"], Directory.GetFiles(run).Select(p => Path.GetFileName(p)).Where(n => !n.StartsWith('.')).Order().ToArray());
        Assert.Equal([run], Directory.GetFileSystemEntries(_dir).Where(p => p != config).ToArray());   // no staging folder or .tmp left

        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(run, RunFiles.Summary)))!;
        Assert.Equal(2.0, summary["config"]!["levels"]![1]!["lambdaC"]!.GetValue<double>());
        Assert.Equal(0.2, summary["config"]!["levels"]![0]!["topology"]!["initWeight"]!.GetValue<double>());
        Assert.NotNull(summary["homogeneous"]);
        Assert.Equal(2.0, NestedState.Load(Path.Combine(run, RunFiles.Model)).Config.Levels![1].LambdaC);

        // dps report tells the nested folder apart by its model.json and rebuilds the nested page.
        File.Delete(Path.Combine(run, RunFiles.Report));
        var report = CliHarness.Invoke("report", run);
        Assert.True(report.Code == 0, report.Error);
        Assert.Contains("Where the heterogeneity sits", File.ReadAllText(Path.Combine(run, RunFiles.Report)));
    }

    [Fact]
    public void Nested_SetWithAnIndexOutOfRange_Exits2_NamingTheKey_AndWritesNothing()
    {
        string config = Path.Combine(_dir, "tiny.json");
        File.WriteAllText(config, TestConfigs.TinyNested);
        var r = CliHarness.Invoke("nested", config, "--set", "levels.3.lambdaC=2", "--out", Path.Combine(_dir, "out"));
        Assert.Equal(2, r.Code);
        Assert.Contains("levels.3", r.Error);
        Assert.Contains("0 to 2", r.Error);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
    }
}
