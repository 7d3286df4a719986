// The dps commands end to end on a tiny config: files written, numbers reproduced, and every bad-input path giving
// exit code 2 with one stderr line naming the key. The CLI tests share the "cli" collection because
// `dps sweep` sets the process-wide engine thread count while it runs (output is per invocation, see CliConsole).
using System.Text.Json.Nodes;
using DpsTorch.Runs;
using DpsTorch.Cli;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Model;

namespace DpsTorch.Cli.Tests;

[Collection("cli")]
public class CliTests : IDisposable
{
    private static readonly string[] RequiredSummaryFields =
    [
        "loss", "heterogeneity", "heterogeneityQ0", "heterogeneityQ2", "heterogeneityQInf", "specialisation", "productivity",
        "totalProduction", "coverage", "efficiency", "robustness", "resilience", "spatialScale", "steps", "seconds", "config",
    ];

    private readonly string _dir = Directory.CreateTempSubdirectory("dps-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string Tiny(string topology = "none") => Write($"tiny-{topology}.json", CliHarness.TinyConfig(topology));

    /// <summary>Runs the tiny config into a fresh folder and returns that folder.</summary>
    private string RunTiny(string topology = "none")
    {
        string outDir = Path.Combine(_dir, "run-" + topology);
        var r = CliHarness.Invoke("run", Tiny(topology), "--out", outDir);
        Assert.True(r.Code == ExitCode.Success, r.Error);
        return outDir;
    }

    private static JsonObject ReadJson(string path) => (JsonObject)JsonNode.Parse(File.ReadAllText(path))!;

    private void AssertNoTemporaryFiles()
    {
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetDirectories(_dir, "*.staging", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetDirectories(_dir, Staging.Prefix + "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void Run_WritesTheFourFiles_SummaryHasEveryRequiredField_AndPrintsTableAndPaths()
    {
        string outDir = Path.Combine(_dir, "out");
        var r = CliHarness.Invoke("run", Tiny(), "--out", outDir);

        Assert.True(r.Code == ExitCode.Success, r.Error);
        foreach (var f in new[] { RunFiles.Summary, RunFiles.Trajectory, RunFiles.Model, RunFiles.Report })
            Assert.True(File.Exists(Path.Combine(outDir, f)), $"{f} missing");
        var summary = ReadJson(Path.Combine(outDir, RunFiles.Summary));
        foreach (var field in RequiredSummaryFields) Assert.True(summary.ContainsKey(field), $"summary.json lacks {field}");
        Assert.Null(summary["spatialScale"]);   // no topology
        Assert.Null(summary["resilience"]);     // measures.resilienceSteps = 0
        Assert.NotNull(summary["robustness"]);
        Assert.Equal(20, (int)summary["steps"]!);
        Assert.True((bool)summary["complete"]!);
        Assert.Equal(32, (int)summary["config"]!["space"]!["m"]!);
        Assert.Equal(RunFiles.TrajectoryHeader, File.ReadLines(Path.Combine(outDir, RunFiles.Trajectory)).First());
        Assert.Contains("<html", File.ReadAllText(Path.Combine(outDir, RunFiles.Report)));
        // Plain progress lines and the paths written on stderr (output is not a terminal); the table on stdout.
        Assert.Contains("dps: step 20/20", r.Error);
        Assert.Contains("heterogeneity", r.Out);
        Assert.Contains($"dps: wrote {Path.Combine(outDir, RunFiles.Summary)}", r.Error);
        AssertNoTemporaryFiles();
    }

    [Fact]
    public void Run_WithRingTopology_ReportsASpatialScale_AndSetOverridesApply()
    {
        string outDir = Path.Combine(_dir, "ring");
        var r = CliHarness.Invoke("run", Tiny("ring"), "--out", outDir, "--set", "training.steps=10");
        Assert.True(r.Code == ExitCode.Success, r.Error);
        var summary = ReadJson(Path.Combine(outDir, RunFiles.Summary));
        Assert.NotNull(summary["spatialScale"]);
        Assert.Equal(10, (int)summary["steps"]!);
    }

    [Fact]
    public void Measure_Json_ReproducesTheSummaryNumbers_FromModelJson()
    {
        string outDir = RunTiny("ring");
        var summary = ReadJson(Path.Combine(outDir, RunFiles.Summary));

        var r = CliHarness.Invoke("measure", Path.Combine(outDir, RunFiles.Model), "--json");

        Assert.True(r.Code == ExitCode.Success, r.Error);
        var measured = (JsonObject)JsonNode.Parse(r.Out)!;
        foreach (var field in Output.ScalarMeasures)
            Assert.True(JsonNode.DeepEquals(summary[field], measured[field]), $"{field}: summary {summary[field]?.ToJsonString()}, measure {measured[field]?.ToJsonString()}");
        Assert.True(JsonNode.DeepEquals(summary["robustnessCurve"], measured["robustnessCurve"]));
        Assert.False(measured.ContainsKey("steps"));
    }

    [Fact]
    public void Measure_Table_ListsEveryScalarMeasure()
    {
        string outDir = RunTiny();
        var r = CliHarness.Invoke("measure", Path.Combine(outDir, RunFiles.Model));
        Assert.True(r.Code == ExitCode.Success, r.Error);
        foreach (var field in Output.ScalarMeasures) Assert.Contains(field, r.Out);
    }

    [Fact]
    public void Robustness_PrintsTheCurve_AndAreas_AndHonoursItsOptions()
    {
        string model = Path.Combine(RunTiny("ring"), RunFiles.Model);

        var table = CliHarness.Invoke("robustness", model, "--removal", "degree", "--resilience-steps", "3");
        Assert.True(table.Code == ExitCode.Success, table.Error);
        Assert.Contains("removal degree", table.Out);
        Assert.Contains("50 %", table.Out);
        Assert.Contains("resilience (3 steps)", table.Out);
        Assert.Contains("robustness (area)", table.Out);

        var json = CliHarness.Invoke("robustness", model, "--removal", "resource", "--json");
        Assert.True(json.Code == ExitCode.Success, json.Error);
        var o = (JsonObject)JsonNode.Parse(json.Out)!;
        Assert.Equal("resource", (string)o["removal"]!);
        Assert.Equal([0.0, 0.5, 1.0], o["robustnessCurve"]!["fractions"]!.AsArray().Select(v => (double)v!));
        var coverage = o["robustnessCurve"]!["coverage"]!.AsArray().Select(v => (double)v!).ToArray();
        Assert.True(coverage[0] > coverage[1] && coverage[2] == 0, string.Join(", ", coverage));
        Assert.InRange((double)o["robustness"]!, 0, 1);
        Assert.Null(o["resilience"]);
    }

    [Fact]
    public void Report_RebuildsThePage_FromSavedFiles()
    {
        string outDir = RunTiny();
        string page = Path.Combine(outDir, RunFiles.Report);
        File.Delete(page);

        var r = CliHarness.Invoke("report", outDir);

        Assert.True(r.Code == ExitCode.Success, r.Error);
        Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(page));
        Assert.Contains($"dps: wrote {page}", r.Error);
    }

    [Fact]
    public void Validate_PrintsTheResolvedConfig()
    {
        var r = CliHarness.Invoke("validate", Tiny());
        Assert.True(r.Code == ExitCode.Success, r.Error);
        Assert.Equal(4, (int)JsonNode.Parse(r.Out)!["agents"]!["count"]!);
        Assert.Contains("is valid", r.Error);
    }

    [Fact]
    public void Interrupted_Run_WritesTheUnfinishedRun_WithCompleteFalse_AndExits130()
    {
        string outDir = Path.Combine(_dir, "interrupted");
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        var r = CliHarness.Capture(() => RunCommand.Execute(Tiny(), outDir, [], cancel.Token));

        Assert.Equal(ExitCode.Interrupted, r.Code);
        var summary = ReadJson(Path.Combine(outDir, RunFiles.Summary));
        Assert.False((bool)summary["complete"]!);
        Assert.Equal("Cancelled", (string)summary["stopReason"]!);
        Assert.True(File.Exists(Path.Combine(outDir, RunFiles.Model)));
        Assert.Contains("interrupted", r.Error);
        AssertNoTemporaryFiles();
    }

    public static TheoryData<string, string, string> BadConfigs => new()
    {
        // file name (null content = missing), config text, key the message must name
        { "unknown-key", """{ "agents": { "cuont": 4 } }""", "agents.cuont" },
        { "wrong-type", """{ "agents": { "count": "four" } }""", "agents.count" },
        { "negative-count", """{ "agents": { "count": -3 } }""", "agents.count" },
        { "nan-string", """{ "training": { "lr": "NaN" } }""", "training.lr" },
        { "not-json", """{ "agents": { "count": 4 }""", "not-json.json" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void Run_BadConfig_Exits2_WithOneLineNamingTheKey_AndWritesNothing(string name, string text, string key)
    {
        string outDir = Path.Combine(_dir, "out-" + name);
        var r = CliHarness.Invoke("run", Write(name + ".json", text), "--out", outDir);
        AssertBadInput(r, key);
        Assert.False(Directory.Exists(outDir));
    }

    [Theory]
    [InlineData("training.lr=NaN", "training.lr")]
    [InlineData("agents.count=-1", "agents.count")]
    [InlineData("agents.colour=red", "agents.colour")]
    [InlineData("no-equals-sign", "--set")]
    public void Run_BadSetOverride_Exits2_NamingTheKey(string assignment, string key)
        => AssertBadInput(CliHarness.Invoke("run", Tiny(), "--out", Path.Combine(_dir, "x"), "--set", assignment), key);

    [Fact]
    public void Run_MissingConfigFile_Exits2_NamingTheFile()
    {
        string missing = Path.Combine(_dir, "missing.json");
        AssertBadInput(CliHarness.Invoke("run", missing), missing);
        AssertBadInput(CliHarness.Invoke("validate", missing), missing);
    }

    [Fact]
    public void Validate_UnknownKey_Exits2_NamingTheKey()
        => AssertBadInput(CliHarness.Invoke("validate", Write("u.json", """{ "measures": { "sedes": 3 } }""")), "measures.sedes");

    [Fact]
    public void Run_BadInputFoundLate_LeavesTheOldRunFolderUntouched_AndNoTemporaryFiles()
    {
        // A hierarchical topology needs agents.count to be a power of topology.modules: found only when the system is built.
        string config = Write("late.json", """
            { "space": { "m": 32 }, "agents": { "count": 4 }, "topology": { "kind": "hierarchical", "modules": 3 },
              "training": { "steps": 5, "restarts": 1 } }
            """);
        string outDir = Path.Combine(_dir, "late");
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, RunFiles.Summary), "old");

        var r = CliHarness.Invoke("run", config, "--out", outDir);

        AssertBadInput(r, "agents.count");
        Assert.Equal([Path.Combine(outDir, RunFiles.Summary)], Directory.GetFiles(outDir));
        Assert.Equal("old", File.ReadAllText(Path.Combine(outDir, RunFiles.Summary)));
        AssertNoTemporaryFiles();
    }

    [Fact]
    public void RunWrite_FailingHalfway_LeavesTheRunFolderUntouched_AndNoTemporaryFiles()
    {
        var config = ConfigLoader.Parse(CliHarness.TinyConfig()) with { Measures = new MeasuresConfig { ResilienceSteps = 0, Fractions = [0, 1] } };
        var result = Experiment.Run(config);
        result.Model.Mu[0] = double.NaN; // model.json refuses a non-finite state, after nothing else is written
        string outDir = Path.Combine(_dir, "halfway");
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, RunFiles.Trajectory), "old");

        Assert.Throws<InvalidOperationException>(() => RunOutput.Commit(outDir, result, complete: true, configJson: null));

        Assert.Equal([Path.Combine(outDir, RunFiles.Trajectory)], Directory.GetFiles(outDir));
        Assert.Equal("old", File.ReadAllText(Path.Combine(outDir, RunFiles.Trajectory)));
        AssertNoTemporaryFiles();
    }

    [Theory]
    [InlineData("--seeds", "-1", "--seeds")]
    [InlineData("--seeds", "0", "--seeds")]
    [InlineData("--removal", "alphabetical", "--removal")]
    [InlineData("--resilience-steps", "-5", "--resilience-steps")]
    public void Robustness_BadOption_Exits2_NamingTheOption(string option, string value, string key)
        => AssertBadInput(CliHarness.Invoke("robustness", Path.Combine(RunTiny(), RunFiles.Model), option, value), key);

    [Fact]
    public void Measure_MissingOrForeignModelFile_Exits2_NamingTheFile()
    {
        string missing = Path.Combine(_dir, "none.json");
        AssertBadInput(CliHarness.Invoke("measure", missing), missing);
        string notAModel = Write("notmodel.json", """{ "format": "something-else" }""");
        AssertBadInput(CliHarness.Invoke("measure", notAModel, "--json"), "format");
        AssertBadInput(CliHarness.Invoke("robustness", missing), missing);
    }

    [Fact]
    public void Report_MissingOrNonRunFolder_Exits2_NamingTheFolder()
    {
        string missing = Path.Combine(_dir, "nowhere");
        AssertBadInput(CliHarness.Invoke("report", missing), missing);
        AssertBadInput(CliHarness.Invoke("report", _dir), "no summary.json");
    }

    [Fact]
    public void Help_ListsEveryCommand()
    {
        var r = CliHarness.Invoke("--help");
        Assert.Equal(ExitCode.Success, r.Code);
        foreach (var c in new[] { "run", "measure", "robustness", "report", "validate" }) Assert.Contains(c, r.Out);
    }

    [Fact]
    public void ChildProcess_Run_UsesRunsSlashConfigNameSlashRunId_AChangedConfigMakesANewRun_BadInputExits2()
    {
        Write("proc.json", CliHarness.TinyConfig());

        var ok = CliHarness.Process(_dir, "run", "proc.json");
        Assert.True(ok.Code == ExitCode.Success, ok.Error);
        var first = Assert.Single(Directory.GetDirectories(Path.Combine(_dir, "runs", "tiny"))); // the config's "name"
        var summary = ReadJson(Path.Combine(first, RunFiles.Summary));
        Assert.Equal(Path.GetFileName(first), (string?)summary["run"]!["id"]);
        Assert.Equal("dps run proc.json", (string?)summary["run"]!["commandLine"]);
        Assert.Contains("dps: step", ok.Error); // redirected output: plain progress lines on stderr, no bar
        var changed = CliHarness.Process(_dir, "run", "proc.json", "--set", "training.steps=10");
        Assert.True(changed.Code == ExitCode.Success, changed.Error);
        Assert.Equal(2, Directory.GetDirectories(Path.Combine(_dir, "runs", "tiny")).Length);

        var bad = CliHarness.Process(_dir, "run", "proc.json", "--set", "training.lr=NaN");
        AssertBadInput(bad, "training.lr");

        var help = CliHarness.Process(_dir, "--help");
        Assert.Equal(ExitCode.Success, help.Code);
        Assert.Contains("Examples:", help.Out);
    }

    [Fact]
    public async Task ChildProcess_Sigint_SavesTheUnfinishedRun_AndExits130()
    {
        if (OperatingSystem.IsWindows()) return; // SIGINT is POSIX; Windows Ctrl-C goes through the same CancelKeyPress handler
        Write("long.json", CliHarness.TinyConfig());
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "dps.dll"), "run", "long.json", "--out", "long",
                     "--set", "training.steps=100000000", "--set", "training.tolerance=0", "--set", "training.logEvery=1000" })
            psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        Assert.StartsWith("dps: step 0/", p.StandardError.ReadLine()); // progress (stderr): training has started, the handler is registered
        using (var kill = System.Diagnostics.Process.Start("kill", ["-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), "dps did not stop after SIGINT");
        string rest = await stdout;

        Assert.Equal(ExitCode.Interrupted, p.ExitCode);
        var summary = ReadJson(Path.Combine(_dir, "long", RunFiles.Summary));
        Assert.False((bool)summary["complete"]!);
        Assert.True((int)summary["steps"]! < 100_000_000);
        Assert.Contains("Result (interrupted)", rest);
        Assert.Contains("interrupted at step", await stderr);
        AssertNoTemporaryFiles();
    }

    private static void AssertBadInput(CliResult r, string key)
    {
        Assert.True(r.Code == ExitCode.BadInput, $"exit {r.Code}; stderr: {r.Error}");
        var line = Assert.Single(r.ErrorLines);
        Assert.StartsWith("dps: error: ", line);
        Assert.Contains(key, line);
    }
}
