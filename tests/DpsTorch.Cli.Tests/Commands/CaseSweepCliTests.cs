// `dps sweep` on a case study (case.kind ricardo, tiny): one replicate per run (case.seeds 1, case.seed the run's seed),
// the sweep's folder layout, results.csv and statistics.csv with the case's measures (case.NAME), the sweep report,
// resume (finished replicates skipped), shards merged into the same table, and one-line errors for keys a case does not read.
using System.Text.Json.Nodes;
using DpsTorch.IO;
using DpsTorch.Sweeps;

namespace DpsTorch.Cli.Tests;

// In the "cli" collection: in-process sweeps set the process-wide thread count.
[Collection("cli")]
public class CaseSweepCliTests
{
    private const string Config = """
        {
          "name": "ricardo-sweep",
          "space": { "m": 16 },
          "demand": { "kind": "uniform" },
          "case": { "kind": "ricardo", "seeds": 2, "seed": 3, "labour": [1, 2], "tradeCosts": [0] },
          "sweep": { "grid": { "case.tradeCosts": [[0], [0.5]] } }
        }
        """;

    private const string Wage = "case.tradeCosts[0].relativeWage";

    [Fact]
    public void CaseSweep_RunsOneReplicatePerRun_ResumesAndMerges()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("cfg.json"), Config);
        string full = tmp.File("full");
        var r = CliHarness.Invoke(["sweep", tmp.File("cfg.json"), "--out", full, "--jobs", "2"]);
        Assert.True(r.Code == ExitCode.Success, r.Error);

        // Two trade costs x the case's own two replicates (seeds 3 and 4): four runs, each one replicate of the case.
        Assert.True(File.Exists(Path.Combine(full, SweepResults.Index)));
        var runs = Directory.GetDirectories(full, "run-*").Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["run-0000", "run-0001", "run-0002", "run-0003"], runs);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(full, "run-0001", RunFiles.Config)))!["case"]!;
        Assert.Equal(1, (int)config["seeds"]!);
        Assert.Equal(4, (int)config["seed"]!);
        Assert.Equal(0.5, (double)JsonNode.Parse(File.ReadAllText(Path.Combine(full, "run-0002", RunFiles.Config)))!["case"]!["tradeCosts"]![0]!);
        foreach (var run in runs)
        {
            var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(full, run!, RunFiles.Summary)))!;
            Assert.Equal("ricardo", (string?)summary["kind"]);
            Assert.True((double)summary["case"]!["tradeCosts[0].relativeWage"]! > 1, run);
        }

        var table = File.ReadAllLines(Path.Combine(full, SweepResults.Results));
        Assert.Equal(5, table.Length);
        var header = table[0].Split(',');
        int wage = Array.IndexOf(header, Wage);
        Assert.True(wage > 0, table[0]);
        Assert.All(table.Skip(1), row => Assert.True(double.Parse(row.Split(',')[wage], System.Globalization.CultureInfo.InvariantCulture) > 1, row));
        var statistics = File.ReadAllLines(Path.Combine(full, SweepStatistics.File));
        var wageRows = statistics.Where(l => l.Contains($",{Wage},", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, wageRows.Count); // one per trade cost, over its two replicates
        Assert.All(wageRows, l => Assert.Contains($"{Wage},2,", l));
        string report = File.ReadAllText(Path.Combine(full, RunFiles.Report));
        Assert.Contains(Wage, report);

        // Resume: nothing left to run.
        var again = CliHarness.Invoke(["sweep", tmp.File("cfg.json"), "--out", full, "--json"]);
        Assert.True(again.Code == ExitCode.Success, again.Error);
        var outcome = JsonNode.Parse(again.Out)!;
        Assert.Equal(4, (int)outcome["skipped"]!);
        Assert.Equal(0, (int)outcome["executed"]!);

        // Two shards merged give the same runs and the same case measures.
        Assert.Equal(ExitCode.Success, CliHarness.Invoke(["sweep", tmp.File("cfg.json"), "--out", tmp.File("s0"), "--shard", "0/2"]).Code);
        Assert.Equal(ExitCode.Success, CliHarness.Invoke(["sweep", tmp.File("cfg.json"), "--out", tmp.File("s1"), "--shard", "1/2"]).Code);
        var merged = CliHarness.Invoke(["sweep", "--merge", tmp.File("s0"), tmp.File("s1"), "--out", tmp.File("all"), "--json"]);
        Assert.True(merged.Code == ExitCode.Success, merged.Error);
        Assert.Equal(4, (int)JsonNode.Parse(merged.Out)!["finished"]!);
        Assert.Equal(CaseColumns(full), CaseColumns(tmp.File("all")));
    }

    /// <summary>results.csv without the run metadata: run, swept keys, seed and the case.NAME measures.</summary>
    private static string[] CaseColumns(string dir)
    {
        var lines = File.ReadAllLines(Path.Combine(dir, SweepResults.Results)).Select(l => l.Split(',')).ToArray();
        var keep = Enumerable.Range(0, lines[0].Length).Where(i => i <= Array.IndexOf(lines[0], "seed") || lines[0][i].StartsWith("case.", StringComparison.Ordinal)).ToArray();
        return [.. lines.Select(l => string.Join(',', keep.Select(i => l[i])))];
    }

    [Theory]
    [InlineData("training.steps=5,10", "sweep.grid.training.steps")]
    [InlineData("agents.count=2,3", "sweep.grid.agents.count")]
    [InlineData("case.seeds=1,2", "sweep.grid.case.seeds")]
    [InlineData("case.kind=portfolio", "sweep.grid.case.kind")]
    public void CaseSweep_KeyTheCaseDoesNotRead_GetsOneLineError(string sweep, string key)
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("cfg.json"), Config);
        var r = CliHarness.Invoke(["sweep", tmp.File("cfg.json"), "--out", tmp.File("x"), "--sweep", sweep]);
        Assert.Equal(ExitCode.BadInput, r.Code);
        var line = Assert.Single(r.ErrorLines);
        Assert.Contains(key, line);
        Assert.Contains("case.*", line);
        Assert.False(Directory.Exists(tmp.File("x")), "bad input runs nothing");
    }
}
