// Output isolation of in-process invocations: each one prints only to its own writers, from its own thread and from
// the workers it starts, so tests that run dps concurrently never see each other's lines.
using System.Text.RegularExpressions;
using DpsTorch.Cli;

namespace DpsTorch.Cli.Tests;

public class CliConsoleTests
{
    private static string SweepConfig(int a, int b) => $$"""
        { "space": { "m": 32 }, "agents": { "count": 3 },
          "training": { "steps": 10, "restarts": 1 }, "measures": { "resilienceSteps": 0 },
          "sweep": { "grid": { "agents.count": [{{a}}, {{b}}] }, "seeds": 2 } }
        """;

    [Fact]
    public async Task TwoConcurrentSweeps_EachCaptureHoldsOnlyItsOwnLines()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("a.json"), SweepConfig(3, 4));
        File.WriteAllText(tmp.File("b.json"), SweepConfig(5, 6));
        using var start = new Barrier(2);
        CliResult Sweep(string name)
        {
            start.SignalAndWait();
            return CliHarness.Invoke("sweep", tmp.File(name + ".json"), "--out", tmp.File(name), "--jobs", "2");
        }

        var results = await Task.WhenAll(Task.Run(() => Sweep("a")), Task.Run(() => Sweep("b")));
        var (a, b) = (results[0], results[1]);

        Assert.True(a.Code == ExitCode.Success, a.Error);
        Assert.True(b.Code == ExitCode.Success, b.Error);
        AssertOnlyOwnLines(a, tmp.File("a"), tmp.File("b"), ["3", "4"]);
        AssertOnlyOwnLines(b, tmp.File("b"), tmp.File("a"), ["5", "6"]);
    }

    private static void AssertOnlyOwnLines(CliResult r, string ownDir, string otherDir, string[] ownCounts)
    {
        Assert.Contains($"into {ownDir}", r.Error);
        Assert.DoesNotContain(otherDir + Path.DirectorySeparatorChar, r.Error + Path.DirectorySeparatorChar);
        var progress = r.ErrorLines.Where(l => l.StartsWith("dps: [", StringComparison.Ordinal)).ToArray();
        Assert.Equal(4, progress.Length); // two counts x two seeds, each reported once
        foreach (var line in progress)
            Assert.Contains(Regex.Match(line, @"agents\.count=(\d+)").Groups[1].Value, ownCounts);
        // The sweep's first and last line, the note that two seeds make weak intervals, and the statistics.csv and
        // report.html it wrote into its own folder.
        Assert.Equal(5, r.ErrorLines.Length - progress.Length);
        Assert.Equal(2, r.ErrorLines.Count(l => l.StartsWith($"dps: wrote {ownDir}{Path.DirectorySeparatorChar}", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Writers_FlowIntoTasksAndParallelWorkers_AndAreRestoredAfterwards()
    {
        var (o, e) = (new StringWriter(), new StringWriter());
        using (CliConsole.Use(o, e))
        {
            Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => CliConsole.Out.WriteLine($"out {i}"));
            await Task.Run(() => CliConsole.Error.WriteLine("err task"));
        }
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"out {i}").Order(), o.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order());
        Assert.Equal("err task", e.ToString().Trim());
        Assert.Same(Console.Out, CliConsole.Out);
        Assert.Same(Console.Error, CliConsole.Error);
    }
}
