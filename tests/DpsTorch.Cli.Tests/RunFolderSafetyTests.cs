// Issue 11, "data loss and writes outside --out": sweep merge with hostile run names, the input config and a failed
// run's folder left alone, checkpoints keyed by the data files too, staging inside --out with orphans of dead
// processes only removed, the lock between processes, and the commit record that makes report/measure refuse a folder
// left mixed by a kill. Every test checks that the folder around --out is as it was.
using System.Diagnostics;
using System.Text.Json.Nodes;
using DpsTorch.Cli;
using DpsTorch.IO;

namespace DpsTorch.Cli.Tests;

[Collection("cli")]
public class RunFolderSafetyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-safety-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Every path under <paramref name="root"/> with its content (files) or "dir", outside <paramref name="except"/>.</summary>
    private static SortedDictionary<string, string> Snapshot(string root, string? except = null)
    {
        var all = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in Directory.GetFileSystemEntries(root, "*", SearchOption.AllDirectories))
        {
            if (except is not null && (p == except || p.StartsWith(except + Path.DirectorySeparatorChar, StringComparison.Ordinal))) continue;
            all[p] = Directory.Exists(p) ? "dir" : Path.GetFileName(p) == RunLock.LockFile ? "lock" : File.ReadAllText(p);
        }
        return all;
    }

    private static void AssertOneLineError(CliResult r, int code, string mentions)
    {
        Assert.True(r.Code == code, $"exit {r.Code}, expected {code}: {r.Error}");
        Assert.Single(r.ErrorLines, l => l.StartsWith("dps: error:", StringComparison.Ordinal));
        Assert.True(r.Error.Contains(mentions, StringComparison.Ordinal), $"\"{mentions}\" not in: {r.Error}");
    }

    private const string SlowConfig = """
        { "name": "slow", "space": { "m": 32 }, "agents": { "count": 6 },
          "demand": { "peaks": 3, "width": 0.2 }, "topology": { "kind": "ring", "k": 1, "learned": true },
          "training": { "steps": 1500, "restarts": 1, "checkpointEvery": 25, "logEvery": 100, "tolerance": 0 },
          "measures": { "resilienceSteps": 0, "fractions": [0, 0.5, 1], "seeds": 2 } }
        """;

    // ---- dps sweep --merge ----

    [Theory]
    [InlineData("../victim")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    [InlineData("ABSOLUTE")]
    public void Merge_WithARunNameThatLeavesOut_Exits2_AndTouchesNothing(string name)
    {
        string victim = Path.Combine(_dir, "victim");
        Write("victim/summary.json", "precious");
        if (name == "ABSOLUTE") name = victim;
        string index = new JsonObject
        {
            ["format"] = SweepResultsFormat, ["keys"] = new JsonArray(), ["seedsSwept"] = false, ["base"] = new JsonObject(),
            ["runs"] = new JsonArray(new JsonObject { ["run"] = name, ["values"] = new JsonObject(), ["seed"] = 1 }),
        }.ToJsonString();
        Write("shard/runs.json", index);
        Write($"shard/{(name.Contains('/') || name.StartsWith('.') ? "run" : name)}/summary.json", "{}");
        string outDir = Path.Combine(_dir, "out");
        var before = Snapshot(_dir);

        var r = CliHarness.Invoke("sweep", "--merge", Path.Combine(_dir, "shard"), "--out", outDir);

        AssertOneLineError(r, 2, "run");
        Assert.Equal(before, Snapshot(_dir)); // out not even created; victim untouched
    }

    [Fact]
    public void Merge_IntoARunFolderThatIsALinkOutsideOut_Exits2_AndTouchesNothing()
    {
        string index = new JsonObject
        {
            ["format"] = SweepResultsFormat, ["keys"] = new JsonArray(), ["seedsSwept"] = false, ["base"] = new JsonObject(),
            ["runs"] = new JsonArray(new JsonObject { ["run"] = "run-0000", ["values"] = new JsonObject(), ["seed"] = 1 }),
        }.ToJsonString();
        Write("shard/runs.json", index);
        Write("shard/run-0000/summary.json", "{}");
        Write("victim/summary.json", "precious");
        Directory.CreateDirectory(Path.Combine(_dir, "out"));
        Directory.CreateSymbolicLink(Path.Combine(_dir, "out", "run-0000"), Path.Combine(_dir, "victim"));
        var before = Snapshot(_dir);

        var r = CliHarness.Invoke("sweep", "--merge", Path.Combine(_dir, "shard"), "--out", Path.Combine(_dir, "out"));

        AssertOneLineError(r, 2, "link");
        Assert.Equal(before, Snapshot(_dir));
    }

    private const string SweepResultsFormat = DpsTorch.Sweeps.SweepResults.Format;

    // ---- dps run: the input config and a failed run's folder ----

    [Fact]
    public void Run_IntoTheConfigsOwnFolder_KeepsTheInputConfig_AndResumeUsesTheResolvedOne()
    {
        string folder = Path.Combine(_dir, "exp");
        string text = "// my notes\n" + CliHarness.TinyConfig();
        string cfg = Write("exp/config.json", text);

        var r = CliHarness.Invoke("run", cfg, "--out", folder, "--set", "training.steps=12");

        Assert.True(r.Code == 0, r.Error);
        Assert.Equal(text, File.ReadAllText(cfg));                          // comments and all
        Assert.Contains("keeping", r.Error);
        // A plain rerun of the input (without the --set) is a different config: refused, not silently mixed.
        var plain = CliHarness.Invoke("run", cfg, "--out", folder);
        AssertOneLineError(plain, 2, "different config");
        // --resume takes the resolved config the run saved with its checkpoints.
        var resumed = CliHarness.Invoke("run", "--resume", folder);
        Assert.True(resumed.Code == 0, resumed.Error);
        Assert.Equal(12, (int)JsonNode.Parse(File.ReadAllText(Path.Combine(folder, RunFiles.Summary)))!["steps"]!);
        Assert.Equal(text, File.ReadAllText(cfg));
    }

    [Fact]
    public void Run_ThatFailsAfterStarting_LeavesANewFolderAbsent_AndAnExistingOneAsItWas()
    {
        // Budget and demand mass of 1e100 overflow in training: a failure after the folder was taken.
        string cfg = Write("huge.json", """
            { "space": { "m": 32 }, "agents": { "count": 4, "budget": 1e100 }, "demand": { "mass": 1e100 },
              "training": { "steps": 20, "restarts": 1, "checkpointEvery": 5 }, "measures": { "resilienceSteps": 0, "fractions": [0, 1], "seeds": 1 } }
            """);
        string fresh = Path.Combine(_dir, "fresh"), existing = Path.Combine(_dir, "existing");
        Write("existing/summary.json", "old");
        var before = Snapshot(_dir);

        var r1 = CliHarness.Invoke("run", cfg, "--out", fresh);
        var r2 = CliHarness.Invoke("run", cfg, "--out", existing);

        Assert.NotEqual(0, r1.Code);
        Assert.NotEqual(0, r2.Code);
        // The lock file may stay in a folder that existed (it is never deleted, see RunLock); nothing else changes.
        var after = Snapshot(_dir);
        after.Remove(Path.Combine(existing, RunLock.LockFile));
        Assert.Equal(before, after);
    }

    // ---- checkpoints and the data files a config names ----

    [Fact]
    public void Rerun_AfterEditingTheDemandFile_DoesNotReuseTheCheckpoints_AndEqualsAFreshRunOnTheNewData()
    {
        string csv = Write("demand.csv", "value\n" + string.Join('\n', Enumerable.Range(0, 32).Select(i => i < 16 ? "1" : "0.1")));
        string cfg = Write("hist.json", """
            { "space": { "m": 32 }, "agents": { "count": 4 }, "demand": { "kind": "histogram", "path": "demand.csv" },
              "training": { "steps": 30, "restarts": 1, "checkpointEvery": 10 }, "measures": { "resilienceSteps": 0, "fractions": [0, 1], "seeds": 1 } }
            """);
        string outDir = Path.Combine(_dir, "out");
        Assert.Equal(0, CliHarness.Invoke("run", cfg, "--out", outDir).Code);

        File.WriteAllText(csv, "value\n" + string.Join('\n', Enumerable.Range(0, 32).Select(i => i < 16 ? "0.1" : "1")));
        var rerun = CliHarness.Invoke("run", cfg, "--out", outDir);
        var fresh = CliHarness.Invoke("run", cfg, "--out", Path.Combine(_dir, "fresh"));

        Assert.True(rerun.Code == 0, rerun.Error);
        Assert.Contains("not reusing the checkpoints", rerun.Error);
        Assert.Contains("demand.path", rerun.Error);
        Assert.DoesNotContain("resuming", rerun.Error);
        Assert.Equal(0, fresh.Code);
        Assert.Equal(File.ReadAllText(Path.Combine(_dir, "fresh", RunFiles.Model)), File.ReadAllText(Path.Combine(outDir, RunFiles.Model)));
        // Unchanged data: the checkpoints are reused.
        Assert.Contains("resuming", CliHarness.Invoke("run", cfg, "--out", outDir).Error);
    }

    [Fact]
    public void SweepResume_AfterEditingItsDemandFile_IsRefused_NotAnsweredWithTheOldRuns()
    {
        string csv = Write("demand.csv", "value\n" + string.Join('\n', Enumerable.Range(0, 32).Select(i => i < 16 ? "1" : "0.1")));
        string cfg = Write("sweep.json", """
            { "space": { "m": 32 }, "agents": { "count": 4 }, "demand": { "kind": "histogram", "path": "demand.csv" },
              "training": { "steps": 10, "restarts": 1 }, "measures": { "resilienceSteps": 0, "fractions": [0, 1], "seeds": 1 },
              "sweep": { "grid": { "agents.count": [3, 4] }, "seeds": 1 } }
            """);
        string outDir = Path.Combine(_dir, "out");
        Assert.Equal(0, CliHarness.Invoke("sweep", cfg, "--out", outDir, "--jobs", "1").Code);
        File.WriteAllText(csv, "value\n" + string.Join('\n', Enumerable.Range(0, 32).Select(i => i < 16 ? "0.1" : "1")));
        var before = Snapshot(_dir);

        var again = CliHarness.Invoke("sweep", cfg, "--out", outDir, "--jobs", "1");

        AssertOneLineError(again, 2, "data file");
        Assert.Equal(before, Snapshot(_dir));
    }

    // ---- staging inside --out, orphans, writability ----

    [Fact]
    public void Run_StagesInsideOut_RemovesOnlyOrphansInsideIt_AndLeavesOtherStagingFoldersAlone()
    {
        string cfg = Write("tiny.json", CliHarness.TinyConfig());
        string outDir = Path.Combine(_dir, "out");
        Write("out/.staging-999999-dead/model.json", "orphan of a killed run");
        Write(".out.4242.0123.staging/model.json", "another process's (old-style) staging");
        Write("other/.staging-4242-live/model.json", "another folder's staging");
        var before = Snapshot(_dir, except: outDir);

        var r = CliHarness.Invoke("run", cfg, "--out", outDir);

        Assert.True(r.Code == 0, r.Error);
        Assert.Equal(before, Snapshot(_dir, except: outDir));       // nothing written or removed outside --out
        Assert.Empty(Directory.GetDirectories(outDir, Staging.Prefix + "*"));
    }

    [Fact]
    public void Run_IntoAFolderThatCannotBeCreated_Exits2_BeforeTraining()
    {
        string cfg = Write("tiny.json", CliHarness.TinyConfig());
        Write("blocker", "a file where a folder would go");
        var before = Snapshot(_dir);

        var r = CliHarness.Invoke("run", cfg, "--out", Path.Combine(_dir, "blocker", "out"));

        AssertOneLineError(r, 2, "--out");
        Assert.DoesNotContain("loss", r.Out + r.Error);
        Assert.Equal(before, Snapshot(_dir));
    }

    // ---- the lock between processes ----

    [Fact]
    public void Run_IntoAFolderAnotherHolderLocked_Exits2_NamingTheFolderAndPid_AndWritesNothing()
    {
        string cfg = Write("tiny.json", CliHarness.TinyConfig());
        string outDir = Path.Combine(_dir, "out");
        Assert.Equal(0, CliHarness.Invoke("run", cfg, "--out", outDir).Code);
        using (var held = RunLock.TryAcquire(outDir, "test", out _))
        {
            Assert.NotNull(held);
            var before = Snapshot(_dir);
            var r = CliHarness.Invoke("run", cfg, "--out", outDir);
            AssertOneLineError(r, 2, outDir);
            Assert.Contains($"pid {Environment.ProcessId}", r.Error);
            Assert.Equal(before, Snapshot(_dir));
            AssertOneLineError(CliHarness.Invoke("report", outDir), 2, "in use");
        }
        Assert.True(CliHarness.Invoke("run", cfg, "--out", outDir).Code == 0);
    }

    [Fact]
    public async Task TwoProcesses_OnOneRunFolder_TheSecondIsRefused_AndTheFirstFinishesUnharmed()
    {
        string cfg = Write("slow.json", SlowConfig);
        string outDir = Path.Combine(_dir, "out");
        using var first = CliChild.Start(_dir, "run", cfg, "--out", outDir);
        WaitFor(() => File.Exists(Path.Combine(outDir, "checkpoints", "restart-0.json")), first.Process);
        Signal("STOP", first.Process); // holds the folder (and its lock) while the others try, however slow the machine
        CliResult resume, other;
        try
        {
            var tasks = new[]
            {
                Task.Run(() => CliHarness.Process(_dir, "run", "--resume", outDir)),
                Task.Run(() => CliHarness.Process(_dir, "run", Write("tiny.json", CliHarness.TinyConfig()), "--out", outDir)),
            };
            var results = await Task.WhenAll(tasks);
            (resume, other) = (results[0], results[1]);
        }
        finally { Signal("CONT", first.Process); }

        AssertOneLineError(resume, 2, $"pid {first.Process.Id}");
        AssertOneLineError(other, 2, $"pid {first.Process.Id}");
        Assert.Contains(outDir, resume.Error);
        var done = first.Wait(TimeSpan.FromSeconds(120));
        Assert.True(done.Code == 0, done.Error);
        Assert.Equal(0, CliHarness.Invoke("report", outDir).Code);
        Assert.Equal(["out", "slow.json", "tiny.json"], Directory.GetFileSystemEntries(_dir).Select(p => Path.GetFileName(p)).Order().ToArray());
    }

    [Fact]
    public void TwoSweeps_OnOneFolder_RunEachRunOnce_AndTogetherFinishTheSweep()
    {
        string cfg = Write("sweep.json", """
            { "space": { "m": 32 }, "agents": { "count": 4 }, "training": { "steps": 300, "restarts": 1, "tolerance": 0 },
              "measures": { "resilienceSteps": 0, "fractions": [0, 1], "seeds": 1 },
              "sweep": { "grid": { "agents.count": [3, 4, 5, 6] }, "seeds": 1 } }
            """);
        string outDir = Path.Combine(_dir, "out");
        using var a = CliChild.Start(_dir, "sweep", cfg, "--out", outDir, "--jobs", "1");
        using var b = CliChild.Start(_dir, "sweep", cfg, "--out", outDir, "--jobs", "1");
        var (ra, rb) = (a.Wait(TimeSpan.FromSeconds(120)), b.Wait(TimeSpan.FromSeconds(120)));

        Assert.True(ra.Code == 0, ra.Error);
        Assert.True(rb.Code == 0, rb.Error);
        var executed = (ra.Error + rb.Error).Split('\n').Where(l => l.Contains("] run-", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf("] ", StringComparison.Ordinal) + 2)..].Split(' ')[0]).Order().ToArray();
        Assert.Equal(["run-0000", "run-0001", "run-0002", "run-0003"], executed);
        Assert.Equal(4, Directory.GetDirectories(outDir).Count(d => File.Exists(Path.Combine(d, RunFiles.Summary))));
        Assert.Equal(["out", "sweep.json"], Directory.GetFileSystemEntries(_dir).Select(p => Path.GetFileName(p)).Order().ToArray());
    }

    // ---- the final commit: readers refuse a mixed folder ----

    [Fact]
    public void Report_AndMeasure_RefuseAFolderWhoseCommitDidNotFinish_OrWhoseFilesWereSwapped()
    {
        string cfg = Write("tiny.json", CliHarness.TinyConfig());
        string a = Path.Combine(_dir, "a"), b = Path.Combine(_dir, "b");
        Assert.Equal(0, CliHarness.Invoke("run", cfg, "--out", a).Code);
        Assert.Equal(0, CliHarness.Invoke("run", cfg, "--out", b, "--set", "training.seed=7").Code);
        Assert.Equal(0, CliHarness.Invoke("report", a).Code);
        Assert.Equal(0, CliHarness.Invoke("measure", Path.Combine(a, RunFiles.Model), "--json").Code);

        // b's model.json with a's summary: what a kill between the final moves used to leave.
        File.Copy(Path.Combine(a, RunFiles.Model), Path.Combine(b, RunFiles.Model), overwrite: true);
        AssertOneLineError(CliHarness.Invoke("report", b), 2, "does not match");
        AssertOneLineError(CliHarness.Invoke("measure", Path.Combine(b, RunFiles.Model)), 2, "does not match");
        AssertOneLineError(CliHarness.Invoke("robustness", Path.Combine(b, RunFiles.Model)), 2, "does not match");

        // A commit record still saying "writing": the process died between its moves.
        string record = Path.Combine(a, ResultCommit.RecordFile);
        File.WriteAllText(record, File.ReadAllText(record).Replace("\"complete\"", "\"writing\""));
        AssertOneLineError(CliHarness.Invoke("report", a), 2, "incomplete");
        AssertOneLineError(CliHarness.Invoke("measure", Path.Combine(a, RunFiles.Model)), 2, "incomplete");
        Assert.Equal(0, CliHarness.Invoke("run", "--resume", a).Code);        // rerunning rewrites it whole
        Assert.Equal(0, CliHarness.Invoke("report", a).Code);
    }

    [Fact]
    public void Nested_WhoseCommitFailsBetweenTwoMoves_PutsTheFolderBack_AsItWas()
    {
        string cfg = Write("nested.json", TestConfigs.TinyNested);
        string outDir = Path.Combine(_dir, "out");
        Assert.Equal(0, CliHarness.Invoke("nested", cfg, "--out", outDir).Code);
        // dps nested is dps run, which refuses a folder holding another config's checkpoints: without them it takes a new run.
        Directory.Delete(Path.Combine(outDir, "checkpoints"), recursive: true);
        // model.json moves in first; report.html cannot (a folder is in its place), so the commit stops between two moves.
        File.Delete(Path.Combine(outDir, RunFiles.Report));
        Write("out/report.html/keep", "in the way");
        var before = Snapshot(_dir);

        var r = CliHarness.Invoke("nested", cfg, "--out", outDir, "--set", "training.seed=5");

        Assert.Equal(1, r.Code);
        Assert.Equal(before, Snapshot(_dir)); // the old model.json is back, the old commit record too
        ResultCommit.Check(outDir);           // and they still match
    }

    [Fact]
    public void Nested_KilledWhileWritingItsResults_LeavesAFolderThatReportEitherAcceptsWhole_OrRefuses()
    {
        string cfg = Write("nested.json", TestConfigs.TinyNested);
        string outDir = Path.Combine(_dir, "out");
        Assert.Equal(0, CliHarness.Invoke("nested", cfg, "--out", outDir).Code);
        string oldSummary = File.ReadAllText(Path.Combine(outDir, RunFiles.Summary));
        Directory.Delete(Path.Combine(outDir, "checkpoints"), recursive: true); // dps run keeps another config's checkpoints out

        using (var child = CliChild.Start(_dir, "nested", cfg, "--out", outDir, "--set", "training.seed=5"))
        {
            // Kill once the staging folder holds the new summary (or the commit has begun): late in the fill or during the moves (in
            // practice during the fill; the state between two moves is built by hand in the test above).
            WaitFor(() => Directory.GetDirectories(outDir, Staging.Prefix + "*").Any(d => File.Exists(Path.Combine(d, RunFiles.Summary)))
                || File.ReadAllText(Path.Combine(outDir, ResultCommit.RecordFile)).Contains("writing", StringComparison.Ordinal)
                || File.ReadAllText(Path.Combine(outDir, RunFiles.Summary)) != oldSummary, child.Process, pollMs: 0);
            child.Process.Kill(entireProcessTree: true); // SIGKILL
            child.Process.WaitForExit();
        }

        var report = CliHarness.Invoke("report", outDir);
        if (report.Code != 0) AssertOneLineError(report, 2, "incomplete");
        else
        {
            // Accepted: summary and model belong to the same run (both old, or both new).
            var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, RunFiles.Summary)))!;
            var model = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, RunFiles.Model)))!;
            Assert.Equal(summary["config"]!["training"]!["seed"]!.ToJsonString(), model["config"]!["training"]!["seed"]!.ToJsonString());
        }
        // The same command again cleans up the orphaned staging folder and leaves a whole folder.
        Assert.Equal(0, CliHarness.Invoke("nested", cfg, "--out", outDir, "--set", "training.seed=5").Code);
        Assert.Equal(0, CliHarness.Invoke("report", outDir).Code);
        Assert.Empty(Directory.GetDirectories(outDir, Staging.Prefix + "*"));
        Assert.Equal(["nested.json", "out"], Directory.GetFileSystemEntries(_dir).Select(p => Path.GetFileName(p)).Order().ToArray());
    }

    private static void Signal(string name, Process p)
    {
        using var kill = Process.Start("kill", [$"-{name}", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    private static void WaitFor(Func<bool> condition, Process p, int pollMs = 5)
    {
        var clock = Stopwatch.StartNew();
        while (!condition() && !p.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(pollMs);
        Assert.False(p.HasExited, "the child finished before the awaited moment; lengthen its training");
    }
}
