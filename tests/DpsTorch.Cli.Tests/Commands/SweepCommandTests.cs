// The `dps sweep` command end to end: a full sweep, two shards and their merge give the same table; bad input runs
// nothing.
using DpsTorch.Sweeps;

namespace DpsTorch.Cli.Tests;

// In the "cli" collection: in-process sweeps set the process-wide thread count, which this test checks is restored.
[Collection("cli")]
public class SweepCommandTests
{
    private const string Config = """
        {
          "space": { "m": 32 },
          "agents": { "count": 3 },
          "training": { "steps": 10, "restarts": 1 },
          "measures": { "resilienceSteps": 0 },
          "sweep": { "grid": { "agents.count": [3, 4] }, "seeds": 2 }
        }
        """;

    [Fact]
    public void Command_RunsSweep_ShardsAndMerges_EndToEnd()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("cfg.json"), Config);
        int threadsBefore = TensorEngine.NumThreads;

        Assert.Equal(ExitCode.Success, CliHarness.Invoke(["sweep", tmp.File("cfg.json"), "--out", tmp.File("full"), "--jobs", "2"]).Code);
        Assert.Equal(ExitCode.Success, CliHarness.Invoke(["sweep", tmp.File("cfg.json"), "--out", tmp.File("s0"), "--shard", "0/2"]).Code);
        Assert.Equal(ExitCode.Success, CliHarness.Invoke(["sweep", tmp.File("cfg.json"), "--out", tmp.File("s1"), "--shard", "1/2", "-j", "1"]).Code);
        var merged = CliHarness.Invoke(["sweep", "--merge", tmp.File("s0"), tmp.File("s1"), "--out", tmp.File("all"), "--json"]);
        Assert.Equal(ExitCode.Success, merged.Code);
        Assert.Equal(4, (int)System.Text.Json.Nodes.JsonNode.Parse(merged.Out)!["finished"]!);
        Assert.Equal(5, File.ReadAllLines(Path.Combine(tmp.File("full"), SweepResults.Results)).Length);
        Assert.Equal(SlurmSweepTests.TableWithoutSeconds(tmp.File("full")), SlurmSweepTests.TableWithoutSeconds(tmp.File("all")));
        Assert.Equal(threadsBefore, TensorEngine.NumThreads); // the sweep's one-thread setting is undone

        Assert.Equal(ExitCode.BadInput, CliHarness.Invoke(["sweep", tmp.File("cfg.json"), "--out", tmp.File("x"), "--shard", "2/2"]).Code);
        Assert.Equal(ExitCode.BadInput, CliHarness.Invoke(["sweep", tmp.File("cfg.json"), "--out", tmp.File("x"), "--set", "sweep.grid.agents.count=[0]"]).Code);
        Assert.Equal(ExitCode.BadInput, CliHarness.Invoke(["sweep", tmp.File("cfg.json"), tmp.File("cfg.json"), "--out", tmp.File("x")]).Code);
        Assert.False(Directory.Exists(tmp.File("x")), "bad input runs nothing");
    }

    [Fact]
    public void Command_PrintsMeanAndIntervalPerPoint_WritesStatisticsAndReport_AndDpsReportRebuildsIt()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("cfg.json"), Config);
        var r = CliHarness.Invoke(["sweep", tmp.File("cfg.json"), "--out", tmp.File("out"), "--jobs", "2"]);
        Assert.True(r.Code == ExitCode.Success, r.Error);
        var stats = SweepResults.Statistics(tmp.File("out"));
        Assert.Equal(2, stats.Points.Count);
        // The table on standard output: one row per point with n and mean ± half-width of the loss.
        var loss = stats.Points[0].Measures["loss"];
        Assert.Contains("loss (mean ± 95% CI)", r.Out);
        Assert.Contains($"{loss.Mean.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)} ± {loss.HalfWidth.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)}", r.Out);
        Assert.Contains("as few as 2 seed(s) per point", r.Error);
        Assert.True(File.Exists(tmp.File("out/" + SweepStatistics.File)));
        Assert.True(File.Exists(tmp.File("out/report.html")));

        // --json gives every measure of every point; resuming runs nothing and prints the same numbers.
        var json = CliHarness.Invoke(["sweep", tmp.File("cfg.json"), "--out", tmp.File("out"), "--json"]);
        Assert.True(json.Code == ExitCode.Success, json.Error);
        var o = System.Text.Json.Nodes.JsonNode.Parse(json.Out)!;
        Assert.Equal(0, (int)o["executed"]!);
        Assert.Equal(loss.HalfWidth, (double)o["points"]![0]!["measures"]!["loss"]!["halfWidth"]!, 12);
        Assert.Equal(2, (int)o["points"]![0]!["measures"]!["loss"]!["n"]!);

        File.Delete(tmp.File("out/report.html"));
        var report = CliHarness.Invoke(["report", tmp.File("out")]);
        Assert.True(report.Code == ExitCode.Success, report.Error);
        Assert.Contains("<h2>loss against agents.count</h2>", File.ReadAllText(tmp.File("out/report.html")));
    }
}
