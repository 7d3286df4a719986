// Issue 11: Ctrl-C (SIGINT) and SIGTERM sent to real dps child processes. run, sweep and nested stop at the next safe
// point, save what is finished and exit 130 / 143; a signal during the measures leaves a complete run.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using DpsTorch.Cli;
using DpsTorch.IO;
using DpsTorch.Nested;
using DpsTorch.Sweeps;

namespace DpsTorch.Cli.Tests;

// Child processes only (no captured console), so this class runs beside the in-process "cli" collection.
public class SignalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-signal-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Sends <paramref name="signal"/> and waits (at most 60 s) for the exit.</summary>
    private static CliResult Stop(CliChild child, string signal)
    {
        child.Signal(signal);
        return child.Wait(TimeSpan.FromSeconds(60));
    }

    private static int ExpectedCode(string signal) => signal == "TERM" ? ExitCode.Terminated : ExitCode.Interrupted;

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [SkippableFact]
    public void Sweep_Sigterm_StopsStartingRuns_WritesResultsForTheFinishedOnes_AndSaysHowToResume()
    {
        const string signal = "TERM";
        Skip.If(OperatingSystem.IsWindows(), "POSIX signals");
        // Run 0 finishes in 20 steps; run 1 would take 10^8, so the signal always arrives while it trains.
        Write("sweep.json", """
            { "space": { "m": 16 }, "agents": { "count": 3 },
              "training": { "restarts": 1, "logEvery": 1000, "tolerance": 0, "checkpointEvery": 50 },
              "measures": { "resilienceSteps": 0, "fractions": [0, 1], "seeds": 1 },
              "sweep": { "grid": { "training.steps": [20, 100000000] }, "seeds": 1 } }
            """);
        string outDir = Path.Combine(_dir, "s");
        using var child = CliChild.Start(_dir, "sweep", "sweep.json", "--out", "s", "--jobs", "1");
        string checkpoint = Path.Combine(outDir, "run-0001", "checkpoints", "restart-0.json");
        child.WaitUntil(() => File.Exists(checkpoint), "run 1 wrote its first checkpoint");

        var stopped = Stop(child, signal);
        Assert.True(stopped.Code == ExpectedCode(signal), $"exit {stopped.Code}: {stopped.Error}");
        var rows = File.ReadAllLines(Path.Combine(outDir, SweepResults.Results));
        Assert.Equal(2, rows.Length); // header + the finished run
        Assert.StartsWith("run-0000,", rows[1]);
        Assert.True(File.Exists(Path.Combine(outDir, "run-0000", RunFiles.Summary)));
        Assert.False(Directory.Exists(Path.Combine(outDir, "run-0000", "checkpoints"))); // a finished run keeps only its files
        Assert.False(File.Exists(Path.Combine(outDir, "run-0001", RunFiles.Summary)));
        Assert.True(File.Exists(checkpoint)); // the interrupted run resumes from here
        Assert.Contains("run the same command again to resume", stopped.Error);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories));
    }

    [SkippableFact]
    public void Run_Sigterm_SavesTheUnfinishedRun_AndExits143()
    {
        Skip.If(OperatingSystem.IsWindows(), "POSIX signals");
        Write("long.json", CliHarness.TinyConfig());
        using var child = CliChild.Start(_dir, "run", "long.json", "--out", "long",
            "--set", "training.steps=100000000", "--set", "training.tolerance=0", "--set", "training.logEvery=1000");
        child.WaitUntil(() => child.Error.Contains("dps: step 0/"), "training started");
        var stopped = Stop(child, "TERM");
        Assert.True(stopped.Code == ExitCode.Terminated, $"exit {stopped.Code}: {stopped.Error}");
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "long", RunFiles.Summary)))!;
        Assert.False((bool)summary["complete"]!);
        Assert.Contains("--resume", stopped.Error);
    }

    [SkippableFact]
    public void Run_SigintDuringTheMeasures_KeepsTheTrainedRunComplete_WithRobustnessSkipped()
    {
        Skip.If(OperatingSystem.IsWindows(), "POSIX signals");
        // 20 training steps, then resilience curves of 10^6 re-optimisation steps per point: the signal lands in them.
        Write("measured.json", """
            { "space": { "m": 32 }, "agents": { "count": 4 }, "training": { "steps": 20, "restarts": 1, "logEvery": 5, "polish": 0 },
              "measures": { "resilienceSteps": 1000000, "fractions": [0, 0.5, 1], "seeds": 2 } }
            """);
        using var child = CliChild.Start(_dir, "run", "measured.json", "--out", "m");
        child.WaitUntil(() => child.Error.Contains("dps: step 20/20"), "training finished");
        var clock = Stopwatch.StartNew();
        var stopped = Stop(child, "INT");
        Assert.True(stopped.Code == ExitCode.Interrupted, $"exit {stopped.Code}: {stopped.Error}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the measures took {clock.Elapsed.TotalSeconds:F1} s to stop");

        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "m", RunFiles.Summary)))!;
        Assert.True((bool)summary["complete"]!);
        Assert.Equal(20, (int)summary["steps"]!);
        Assert.Null(summary["robustness"]);
        Assert.Null(summary["resilience"]);
        Assert.NotNull(summary["coverage"]);
        Assert.Contains("interrupted while measuring", stopped.Error);
        Assert.Contains("robustness and resilience were skipped", stopped.Error);
    }

    [SkippableFact]
    public void Nested_Sigint_StopsAfterTheStep_WritesTheUnfinishedRun_AndExits130()
    {
        const string signal = "INT";
        Skip.If(OperatingSystem.IsWindows(), "POSIX signals");
        Write("nested.json", TestConfigs.TinyNested);
        using var child = CliChild.Start(_dir, "nested", "nested.json", "--out", "n", "--baseline",
            "--set", "training.steps=100000000", "--set", "training.tolerance=0", "--set", "training.gradTolerance=0");
        child.WaitUntil(() => child.Error.Contains("dps: step 0/"), "training started");
        Thread.Sleep(200); // some steps

        var stopped = Stop(child, signal);
        Assert.True(stopped.Code == ExpectedCode(signal), $"exit {stopped.Code}: {stopped.Error}");
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "n", RunFiles.Summary)))!;
        Assert.False((bool)summary["complete"]!);
        Assert.Equal("Cancelled", (string)summary["nested"]!["stopReason"]!);
        Assert.Null(summary["homogeneous"]); // the baseline was not started
        Assert.True(File.Exists(Path.Combine(_dir, "n", RunFiles.Model)));
        Assert.Contains("interrupted at step", stopped.Error);
        Assert.Equal(["n", "nested.json"], Directory.GetFileSystemEntries(_dir).Select(p => Path.GetFileName(p)!).Order().ToArray()); // no staging left
        Assert.True(File.Exists(Path.Combine(_dir, "n", "checkpoints", "restart-0.json"))); // like a flat run, resumable
    }
}
