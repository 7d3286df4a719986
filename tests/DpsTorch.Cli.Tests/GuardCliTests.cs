// Issue 11: run, sweep and nested end a broken run the same way (one line naming the step, the quantity and the
// value; a sweep lists the run as failed and exits 1); duplicate keys are refused by every command with the key path;
// errors about a file a config names quote its position, never its text.
using DpsTorch.Cli;
using DpsTorch.Sweeps;

namespace DpsTorch.Cli.Tests;

[Collection("cli")]
public class GuardCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-guard-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string WithSweep(string config, string sweep) => config.TrimEnd()[..^1] + $", \"sweep\": {sweep} }}";

    [Fact]
    public void BrokenTraining_EndsTheSameWay_InRunAndSweep()
    {
        string cfg = Write("soft.json", TestConfigs.SoftCollapse);
        var run = CliHarness.Invoke("run", cfg, "--out", Path.Combine(_dir, "run"), "--quiet"); // stderr: the error alone
        Assert.Equal(ExitCode.Failure, run.Code);
        string line = Assert.Single(run.ErrorLines);
        Assert.Matches(@"^dps: error: training step \d+: the resources a = softplus\(alpha\) sum to 0 after the update", line);
        Assert.False(File.Exists(Path.Combine(_dir, "run", "summary.json")));

        string sweepCfg = Write("soft-sweep.json", WithSweep(TestConfigs.SoftCollapse, """{ "seeds": 1 }"""));
        string sweepDir = Path.Combine(_dir, "sweep");
        var sweep = CliHarness.Invoke("sweep", sweepCfg, "--out", sweepDir, "--jobs", "1");
        Assert.Equal(ExitCode.Failure, sweep.Code);
        Assert.Contains(sweep.ErrorLines, l => l.Contains("FAILED: training step") && l.Contains("softplus(alpha) sum to 0"));
        Assert.Contains(sweep.ErrorLines, l => l.StartsWith("dps: error: run-0000: training step", StringComparison.Ordinal));
        Assert.Contains("0 of 1 rows", sweep.Error);
        Assert.True(File.Exists(Path.Combine(sweepDir, "run-0000", SweepRunner.ErrorFile)));
        Assert.Single(File.ReadAllLines(Path.Combine(sweepDir, SweepResults.Results))); // the header only
    }

    [Fact]
    public void BrokenNestedTraining_NamesTheStepAndTheQuantity()
    {
        string cfg = Write("soft-nested.json", TestConfigs.TinyNested);
        var r = CliHarness.Invoke("nested", cfg, "--set", "agents.resources=soft", "--set", "objective.lambdaR=1e12",
            "--set", "training.lr=1000", "--out", Path.Combine(_dir, "n"), "--quiet");
        Assert.Equal(ExitCode.Failure, r.Code);
        Assert.Matches(@"^dps: error: training step \d+: the resources a = softplus\(alpha\) sum to 0", Assert.Single(r.ErrorLines));
        Assert.False(Directory.Exists(Path.Combine(_dir, "n")));
    }

    [Theory]
    [InlineData("validate")]
    [InlineData("run")]
    [InlineData("sweep")]
    public void ScaleThatOverflowsTheOptimizer_IsRefusedUpFront_ByEveryCommand(string command)
    {
        string cfg = Write("huge.json", WithSweep(CliHarness.TinyConfig(), """{ "grid": { "agents.budget": [1, 1e100] }, "seeds": 1 }"""));
        var r = command == "validate" ? CliHarness.Invoke("validate", cfg)
            : command == "run" ? CliHarness.Invoke("run", Write("huge-run.json", CliHarness.TinyConfig()), "--set", "agents.budget=1e100", "--out", Path.Combine(_dir, "o"))
            : CliHarness.Invoke("sweep", cfg, "--out", Path.Combine(_dir, "s"));
        Assert.Equal(ExitCode.BadInput, r.Code);
        string line = Assert.Single(r.ErrorLines);
        Assert.Contains("agents.budget", line);
        Assert.Contains("1E+100", line, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("1E+60", line, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("""{ "space": { "m": 16 }, "space": { "m": 32 } }""", "space")]
    [InlineData("""{ "agents": { "count": 3, "count": 4 } }""", "agents.count")]
    [InlineData("""{ "agents": { "count": 8 }, "levels": [ { "size": 2 }, { "size": 2, "lambdaC": 1, "lambdaC": 2 } ] }""", "levels[1].lambdaC")]
    [InlineData("""{ "agents": { "count": 3 }, "sweep": { "seeds": 1, "seeds": 2 } }""", "sweep.seeds")]
    public void DuplicateKeys_AreRefusedWithTheKeyPath_ByValidateRunSweepAndNested(string json, string key)
    {
        string cfg = Write("dup.json", json);
        bool nested = key.StartsWith("levels", StringComparison.Ordinal);
        foreach (var args in new[]
        {
            new[] { "validate", cfg },
            nested ? ["nested", cfg, "--out", Path.Combine(_dir, "n")] : ["run", cfg, "--out", Path.Combine(_dir, "o")],
            ["sweep", cfg, "--out", Path.Combine(_dir, "s")],
            ["run", cfg, "--set", "training.steps=2", "--out", Path.Combine(_dir, "o2")], // overrides take the same path
        })
        {
            var r = CliHarness.Invoke(args);
            Assert.True(r.Code == ExitCode.BadInput, $"dps {args[0]}: exit {r.Code}: {r.Error}");
            string line = Assert.Single(r.ErrorLines);
            Assert.StartsWith($"dps: error: {key}: this key appears twice", line);
        }
        Assert.Empty(Directory.GetDirectories(_dir));
    }

    [Theory]
    [InlineData("demand", """{ "kind": "histogram", "path": "secret.txt" }""")]
    [InlineData("topology", """{ "kind": "file", "path": "secret.txt" }""")]
    public void AFileTheConfigNames_IsQuotedByPosition_NeverByContent(string section, string block)
    {
        Write("secret.txt", "# a system file\nx,y\nroot:x:0:0:hunter2:/root:/bin/bash\n"); // the header line is skipped, line 3 fails
        string cfg = Write("leak.json", $$"""{ "agents": { "count": 4 }, "{{section}}": {{block}}, "training": { "steps": 2 } }""");
        foreach (var command in new[] { "validate", "run" })
        {
            var r = command == "run" ? CliHarness.Invoke("run", cfg, "--out", Path.Combine(_dir, "o")) : CliHarness.Invoke("validate", cfg);
            Assert.Equal(ExitCode.BadInput, r.Code);
            string line = Assert.Single(r.ErrorLines);
            Assert.Contains("secret.txt line ", line);
            Assert.DoesNotContain("hunter2", line);
            Assert.DoesNotContain("root:x", line);
        }
    }
}
