// Running sweeps on tiny real systems: resume, shards (union == full sweep, no run twice), merge and results.csv (the
// `dps sweep` command end to end is in DpsTorch.Cli.Tests, Commands/SweepCommandTests).
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Sweeps;

namespace DpsTorch.Tests.Sweeps;

public class SweepRunnerTests
{
    private const string Config = """
        {
          "space": { "m": 32 },
          "agents": { "count": 3 },
          "training": { "steps": 10, "restarts": 1, "polish": 0 },
          "measures": { "resilienceSteps": 0 },
          "sweep": { "grid": { "agents.count": [3, 4] }, "seeds": 2 }
        }
        """;

    private static readonly SweepOptions Two = new() { Jobs = 2 };

    private static SweepPlan Plan() => SweepReader.Parse(Config);

    /// <summary>results.csv up to its wall-clock column: seconds and the run metadata after it (run id, start time,
    /// ...) are the only cells that differ between identical runs.</summary>
    private static string[] TableWithoutSeconds(string dir)
    {
        var lines = File.ReadAllLines(Path.Combine(dir, SweepResults.Results));
        int seconds = Array.IndexOf(lines[0].Split(','), "seconds");
        return [.. lines.Select(l => string.Join(',', l.Split(',')[..seconds]))];
    }

    [Fact]
    public void Run_WritesEveryRunFolder_AndOneResultsRowPerRun()
    {
        using var tmp = new TempDir();
        var outcome = SweepRunner.Run(Plan(), tmp.Path, Two);
        Assert.Equal((4, 0, 4, 0, 4), (outcome.InShard, outcome.Skipped, outcome.Executed, outcome.Failed.Count, outcome.Rows));
        var lines = File.ReadAllLines(tmp.File(SweepResults.Results));
        Assert.Equal("run,agents.count,seed,loss,heterogeneity,heterogeneityQ0,heterogeneityQ2,heterogeneityQInf,types,specialisation,"
            + "productivity,totalProduction,coverage,efficiency,communicationCost,robustness,resilience,spatialScale,converged,gradientNorm,bestReachedBy,stopReason,steps,seconds,"
            + "runId,startedUtc,dpsTorchVersion,gitCommit,os,cpu,simd,threads,commandLine,"
            + "resourceEfficiency,amplification,utilisation,communicationEfficiency,shapeCoverage", lines[0]);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith("run-0003,4,1,", lines[4]);
        var cells = lines[4].Split(',');
        Assert.True(double.Parse(cells[3], System.Globalization.CultureInfo.InvariantCulture) > 0, "loss is a number");
        Assert.Equal("", cells[16]); // resilience not measured (resilienceSteps 0)
        Assert.Equal("10", cells[22]); // steps, after converged, gradientNorm, bestReachedBy, stopReason
        Assert.Equal("StepLimit", cells[21]);
        Assert.Equal("1", cells[20]);
        Assert.Equal("false", cells[18]);
        foreach (var run in new[] { "run-0000", "run-0001", "run-0002", "run-0003" })
        {
            Assert.True(File.Exists(Path.Combine(tmp.Path, run, RunFiles.Summary)));
            Assert.True(File.Exists(Path.Combine(tmp.Path, run, RunFiles.Model)));
        }
        // A run folder is a normal run: its model reloads with the run's own config.
        Assert.Equal(4, ModelState.Load(Path.Combine(tmp.Path, "run-0003", RunFiles.Model)).Config.Agents.Count);
    }

    [Fact]
    public void HomogeneousRuns_WriteNoCheckpoints_AndStillFinishCleanly()
    {
        // A homogeneous fleet can finish without writing a checkpoint folder; the sweep must not fail on removing it
        // (experiments 05 and 06 exited 1 with error.txt in every homogeneous run).
        using var tmp = new TempDir();
        var plan = SweepReader.Parse(Config, sweeps: ["agents.homogeneous=false,true"]);
        var outcome = SweepRunner.Run(plan, tmp.Path, Two);
        Assert.Empty(outcome.Failed);
        Assert.Equal(outcome.InShard, outcome.Executed);
        foreach (var run in Directory.GetDirectories(tmp.Path))
        {
            Assert.False(File.Exists(Path.Combine(run, "error.txt")), run);
            Assert.True(File.Exists(Path.Combine(run, RunFiles.Summary)), run);
        }
    }

    [Fact]
    public void Resume_SkipsFinishedRuns_AndRerunsUnfinishedOnes()
    {
        using var tmp = new TempDir();
        Assert.Equal(4, SweepRunner.Run(Plan(), tmp.Path, Two).Executed);
        var before = TableWithoutSeconds(tmp.Path);

        var again = SweepRunner.Run(Plan(), tmp.Path, Two);
        Assert.Equal((0, 4), (again.Executed, again.Skipped));

        // A run cut off before summary.json (written last) counts as unfinished.
        File.Delete(Path.Combine(tmp.Path, "run-0002", RunFiles.Summary));
        var ran = new List<string>();
        var resumed = SweepRunner.Run(Plan(), tmp.Path, Two, r => ran.Add(r.Point.Run));
        Assert.Equal((1, 3), (resumed.Executed, resumed.Skipped));
        Assert.Equal(["run-0002"], ran);
        Assert.Equal(before, TableWithoutSeconds(tmp.Path));
    }

    [Fact]
    public void Resume_RefusesAFolderOfADifferentSweep()
    {
        using var tmp = new TempDir();
        SweepRunner.Run(Plan(), tmp.Path, new SweepOptions { Jobs = 2, Shard = new Shard(0, 4) });
        var other = SweepReader.Parse(Config, overrides: ["training.steps=11"]);
        var e = Assert.Throws<ConfigException>(() => SweepRunner.Run(other, tmp.Path, Two));
        Assert.Contains("different sweep", e.Message);
    }

    [Fact]
    public void Shards_UnionEqualsFullSweep_NoRunTwice_AndMergeEqualsFullResults()
    {
        using var tmp = new TempDir();
        string full = tmp.File("full"), merged = tmp.File("merged");
        SweepRunner.Run(Plan(), full, Two);

        const int n = 3; // 4 runs over 3 shards: sizes 2, 1, 1
        var shardDirs = new List<string>();
        var executedBy = new Dictionary<string, int>();
        for (int k = 0; k < n; k++)
        {
            string dir = tmp.File($"shard{k}");
            shardDirs.Add(dir);
            var outcome = SweepRunner.Run(Plan(), dir, new SweepOptions { Jobs = 2, Shard = new Shard(k, n) },
                r => executedBy[r.Point.Run] = executedBy.GetValueOrDefault(r.Point.Run) + 1);
            Assert.Equal(outcome.InShard, outcome.Executed);
            Assert.Equal(outcome.Executed, outcome.Rows);
        }
        Assert.Equal(Plan().Points.Select(p => p.Run).Order(), executedBy.Keys.Order());
        Assert.All(executedBy.Values, c => Assert.Equal(1, c));

        var m = SweepMerge.Merge(shardDirs, merged);
        Assert.Equal((4, 4, 0), (m.Runs, m.Finished, m.Duplicates));
        Assert.Empty(m.Missing);
        Assert.Equal(TableWithoutSeconds(full), TableWithoutSeconds(merged));
        Assert.Equal(File.ReadAllText(Path.Combine(full, SweepResults.Index)), File.ReadAllText(Path.Combine(merged, SweepResults.Index)));
    }

    [Fact]
    public void Merge_ReportsMissingRuns_AndRefusesShardsOfDifferentSweeps()
    {
        using var tmp = new TempDir();
        SweepRunner.Run(Plan(), tmp.File("a"), new SweepOptions { Jobs = 2, Shard = new Shard(0, 2) });
        var m = SweepMerge.Merge([tmp.File("a")], tmp.File("a")); // merging into a shard's own folder works too
        Assert.Equal((2, 0), (m.Finished, m.Copied));
        Assert.Equal(["run-0001", "run-0003"], m.Missing);

        SweepRunner.Run(SweepReader.Parse(Config, overrides: ["sweep.seeds=3"]), tmp.File("b"), new SweepOptions { Jobs = 2, Shard = new Shard(1, 8) });
        var e = Assert.Throws<ConfigException>(() => SweepMerge.Merge([tmp.File("a"), tmp.File("b")], tmp.File("c")));
        Assert.Equal(tmp.File("b"), e.Key);
    }
}
