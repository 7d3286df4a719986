// Issue 8: a run killed with SIGKILL mid-training resumes from its last checkpoint and ends exactly like an
// uninterrupted run with the same seed.
using System.Diagnostics;

namespace DpsTorch.Cli.Tests;

[Collection("cli")]
public class KillResumeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-kill-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Config = """
        { "name": "kill", "space": { "m": 32 }, "agents": { "count": 6 },
          "demand": { "peaks": 3, "width": 0.2 }, "topology": { "kind": "ring", "k": 1, "learned": true },
          "training": { "steps": 6000, "restarts": 2, "checkpointEvery": 25, "logEvery": 50, "tolerance": 0 },
          "measures": { "resilienceSteps": 0, "fractions": [0, 0.5, 1], "seeds": 2 } }
        """;

    // The same system as three groups of two under a top level: a nested run checkpoints and resumes like a flat one.
    private const string NestedConfig = """
        { "name": "kill-nested", "space": { "m": 32 }, "agents": { "count": 6 }, "demand": { "peaks": 3, "width": 0.2 },
          "training": { "steps": 6000, "restarts": 2, "checkpointEvery": 25, "logEvery": 50, "tolerance": 0 },
          "measures": { "resilienceSteps": 0, "fractions": [0, 0.5, 1], "seeds": 2 },
          "levels": [ { "size": 2, "topology": { "kind": "complete", "learned": true }, "lambdaC": 0.01 },
                      { "size": 3, "topology": { "kind": "ring", "k": 1, "learned": true }, "lambdaC": 0.05 } ] }
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RunKilledWithSigkill_ResumesFromCheckpoint_AndEndsIdenticalToAnUninterruptedRun(bool nested)
    {
        string cfg = Path.Combine(_dir, "kill.json");
        File.WriteAllText(cfg, nested ? NestedConfig : Config);
        string killed = Path.Combine(_dir, "killed"), straight = Path.Combine(_dir, "straight");

        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "dps.dll"), "run", cfg, "--out", killed }) psi.ArgumentList.Add(a);
        using (var p = Process.Start(psi)!)
        {
            _ = p.StandardOutput.ReadToEndAsync();
            _ = p.StandardError.ReadToEndAsync();
            string ckpt = Path.Combine(killed, "checkpoints", "restart-0.json");
            var clock = Stopwatch.StartNew();
            while (!File.Exists(ckpt) && !p.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(5);
            Assert.False(p.HasExited, "the run finished before it could be killed; lengthen training.steps");
            p.Kill(entireProcessTree: true); // SIGKILL
            p.WaitForExit();
        }
        Assert.False(File.Exists(Path.Combine(killed, "summary.json")));

        var resumed = CliHarness.Invoke("run", "--resume", killed);
        Assert.True(resumed.Code == 0, resumed.Error);
        Assert.Contains("resuming", resumed.Error);
        var fresh = CliHarness.Invoke("run", cfg, "--out", straight);
        Assert.Equal(0, fresh.Code);

        Assert.Equal(File.ReadAllText(Path.Combine(straight, "model.json")), File.ReadAllText(Path.Combine(killed, "model.json")));
        if (nested) Assert.Contains("\"nested\"", File.ReadAllText(Path.Combine(killed, "summary.json")));
        static IEnumerable<string> WithoutSeconds(string path)
            => File.ReadAllLines(path).Select(l => l[..l.LastIndexOf(',')]);
        Assert.Equal(WithoutSeconds(Path.Combine(straight, "trajectory.csv")), WithoutSeconds(Path.Combine(killed, "trajectory.csv")));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Resume_OfAFolderWithoutConfig_IsBadInput()
    {
        var r = CliHarness.Invoke("run", "--resume", _dir);
        Assert.Equal(2, r.Code);
        Assert.StartsWith("dps: error: --resume", r.Error.Trim());
    }
}
