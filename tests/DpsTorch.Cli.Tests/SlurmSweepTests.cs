// Issue 18: the README's cluster recipe (scripts/slurm-sweep.sh) run on a real Slurm: the array of shards and the merge
// job go through sbatch, and the merged folder holds the same runs with the same numbers, bit for bit, as a local
// sweep of the same config. Needs a Slurm controller that answers (`.ci/run` starts a single-node one with
// scripts/ci-slurm-up.sh); without one the test reports Skipped.
using System.ComponentModel;
using System.Diagnostics;
using DpsTorch.IO;
using DpsTorch.Sweeps;
using Xunit.Abstractions;

namespace DpsTorch.Cli.Tests;

public class SlurmSweepTests(ITestOutputHelper output)
{
    // 4 runs of a 4-agent, 20-step system, so the whole array takes seconds.
    private const string Config = """
        { "name": "slurm", "space": { "m": 32 }, "agents": { "count": 4 }, "topology": { "kind": "ring", "k": 1 },
          "training": { "steps": 20, "restarts": 1, "logEvery": 5 },
          "measures": { "resilienceSteps": 0, "fractions": [0, 0.5, 1], "seeds": 2 },
          "sweep": { "grid": { "demand.peaks": [2, 3] }, "seeds": 2 } }
        """;

    [SkippableFact]
    public void SbatchArraySweep_MergedShards_EqualALocalSweep_BitForBit()
    {
        string? why = NoController();
        Skip.If(why is not null, why);

        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("cfg.json"), Config);
        string dps = $"dotnet {Path.Combine(AppContext.BaseDirectory, "dps.dll")}";
        var (code, text) = Run("bash", TimeSpan.FromMinutes(6), Path.Combine(TestUtil.RepoRoot(), "scripts", "slurm-sweep.sh"),
            "--shards", "3", "--wait", "300", "--dps", dps, tmp.File("cfg.json"), tmp.File("cluster"));
        output.WriteLine(text);
        Assert.True(code == 0, $"slurm-sweep.sh exited {code}: {text}");
        Assert.Matches(@"(?m)^array \d+$", text);

        string cluster = tmp.File("cluster");
        for (int k = 0; k < 3; k++) Assert.True(File.Exists(Path.Combine(cluster, $"shard-{k}", SweepResults.Results)), $"shard {k} ran");
        var local = CliHarness.Invoke("sweep", tmp.File("cfg.json"), "--out", tmp.File("local"), "--jobs", "2");
        Assert.True(local.Code == 0, local.Error);

        string merged = Path.Combine(cluster, "all"), full = tmp.File("local");
        Assert.Equal(5, File.ReadAllLines(Path.Combine(full, SweepResults.Results)).Length);
        Assert.Equal(TableWithoutSeconds(full), TableWithoutSeconds(merged));
        Assert.Equal(File.ReadAllText(Path.Combine(full, SweepResults.Index)), File.ReadAllText(Path.Combine(merged, SweepResults.Index)));
        foreach (var run in Directory.GetDirectories(full, "run-*").Select(Path.GetFileName))
            Assert.Equal(File.ReadAllText(Path.Combine(full, run!, RunFiles.Model)), File.ReadAllText(Path.Combine(merged, run!, RunFiles.Model)));
    }

    /// <summary>
    /// results.csv up to (not including) its wall-clock column "seconds": what follows it is the run metadata (run id,
    /// start time, command line, ...), which differs between identical runs by design.
    /// </summary>
    internal static string[] TableWithoutSeconds(string dir)
    {
        var lines = File.ReadAllLines(Path.Combine(dir, SweepResults.Results));
        int seconds = Array.IndexOf(lines[0].Split(','), "seconds");
        Assert.True(seconds > 0, "results.csv has a seconds column");
        return [.. lines.Select(l => string.Join(',', l.Split(',').Take(seconds)))];
    }

    /// <summary>Why no Slurm can run the test (no sinfo, sbatch or bash, or no controller answering), or null.</summary>
    private static string? NoController()
    {
        try
        {
            var (code, text) = Run("sinfo", TimeSpan.FromSeconds(30), "-h", "-o", "%n %t");
            if (code != 0 || text.Trim().Length == 0)
                return $"no Slurm controller answers (sinfo exited {code}: {text.Trim()}); start one with scripts/ci-slurm-up.sh (as root).";
            var (sb, _) = Run("sbatch", TimeSpan.FromSeconds(30), "--version");
            var (sh, _) = Run("bash", TimeSpan.FromSeconds(30), "--version");
            return sb == 0 && sh == 0 ? null : "sbatch or bash does not run on this machine.";
        }
        catch (Win32Exception e)
        {
            return $"Slurm is not installed ({e.Message}); apt-get install -y slurm-wlm munge and run scripts/ci-slurm-up.sh (as root).";
        }
    }

    /// <summary>Runs a program to its end (killed after <paramref name="limit"/>); returns its exit code and its output.</summary>
    private static (int Code, string Text) Run(string program, TimeSpan limit, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return (-1, $"{program} ran past {limit.TotalSeconds} s: {stdout.Result}{stderr.Result}");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
