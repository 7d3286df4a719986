// The command-line conventions every command follows: results on stdout and diagnostics on stderr, --quiet and
// --json, run folders accepted as model paths, "did you mean", --sweep on the command line, run metadata in every
// summary and results row, the default run folder, dps runs, and no raw .NET exception text.
using System.Text.Json.Nodes;
using DpsTorch.Runs;
using DpsTorch.Cli;
using DpsTorch.IO;
using DpsTorch.Sweeps;

namespace DpsTorch.Cli.Tests;

[Collection("cli")]
public class ConventionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-conv-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Tiny()
    {
        string path = Path.Combine(_dir, "tiny.json");
        File.WriteAllText(path, CliHarness.TinyConfig());
        return path;
    }

    private string RunTiny(string name, params string[] extra)
    {
        string outDir = Path.Combine(_dir, name);
        var r = CliHarness.Invoke(["run", Tiny(), "--out", outDir, "--quiet", .. extra]);
        Assert.True(r.Code == ExitCode.Success, r.Error);
        return outDir;
    }

    [Fact]
    public void Run_Json_PrintsOnlyJsonOnStdout_AndQuietLeavesStderrEmpty()
    {
        string outDir = Path.Combine(_dir, "j");
        var r = CliHarness.Invoke("run", Tiny(), "--out", outDir, "--json", "--quiet");
        Assert.Equal(ExitCode.Success, r.Code);
        Assert.Equal("", r.Error);
        var o = JsonNode.Parse(r.Out)!.AsObject();
        Assert.Equal(outDir, (string?)o["dir"]);
        Assert.True((double)o["loss"]! > 0);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, RunFiles.Summary)))!;
        Assert.Equal((string?)o["runId"], (string?)summary["run"]!["id"]);
        Assert.StartsWith("dps run ", (string?)summary["run"]!["commandLine"]);
        Assert.Contains("--json", (string?)summary["run"]!["commandLine"]);
        Assert.Equal(DpsTorch.Tensors.Simd.Path, (string?)summary["run"]!["simd"]);
    }

    [Fact]
    public void Run_WithoutQuiet_PutsProgressAndWroteLinesOnStderr_AndTheTableOnStdout()
    {
        string outDir = Path.Combine(_dir, "t");
        var r = CliHarness.Invoke("run", Tiny(), "--out", outDir);
        Assert.Equal(ExitCode.Success, r.Code);
        Assert.Contains("loss", r.Out);
        Assert.DoesNotContain("dps:", r.Out);
        Assert.Contains($"dps: wrote {Path.Combine(outDir, RunFiles.Summary)}", r.Error);
        Assert.Contains("dps: step ", r.Error);
    }

    [Fact]
    public void DefaultFolder_IsConfigNameThenRunId()
    {
        Assert.Equal(Path.Combine("runs", "tiny", "ID"), RunPipeline.DefaultFolder("tiny", "x/whatever.json", "ID"));
        Assert.Equal(Path.Combine("runs", "04-learned", "ID"), RunPipeline.DefaultFolder(null, "experiments/04-learned/config.json", "ID"));
        Assert.Equal(Path.Combine("runs", "study", "ID"), RunPipeline.DefaultFolder(null, "x/study.json", "ID"));
        Assert.Equal(Path.Combine("runs", "a-b-c", "ID"), RunPipeline.DefaultFolder("a b/c", "x.json", "ID"));
    }

    [Fact]
    public void MeasureAndRobustness_TakeARunFolder_AndRefuseASummaryWithAHint()
    {
        string run = RunTiny("m");
        var folder = CliHarness.Invoke("measure", run, "--json");
        Assert.True(folder.Code == ExitCode.Success, folder.Error);
        var file = CliHarness.Invoke("measure", Path.Combine(run, RunFiles.Model), "--json");
        Assert.Equal(file.Out, folder.Out);
        Assert.Equal(ExitCode.Success, CliHarness.Invoke("robustness", run, "--json").Code);
        var summary = CliHarness.Invoke("measure", Path.Combine(run, RunFiles.Summary));
        Assert.Equal(ExitCode.BadInput, summary.Code);
        Assert.Contains("not a model state; give the run folder or its model.json", summary.Error);
        var empty = CliHarness.Invoke("measure", _dir);
        Assert.Equal(ExitCode.BadInput, empty.Code);
        Assert.Contains("has no model.json", empty.Error);
    }

    [Theory]
    [InlineData(new[] { "rnu", "x.json" }, "Did you mean 'run'?")]
    [InlineData(new[] { "measure", "--josn", "m.json" }, "Did you mean '--json'?")]
    [InlineData(new[] { "run", "x.json", "--ot", "d" }, "Did you mean '--out'?")]
    public void UnknownCommandOrOption_SuggestsTheClosest(string[] args, string hint)
    {
        var r = CliHarness.Invoke(args);
        Assert.Equal(ExitCode.BadInput, r.Code);
        Assert.Contains(hint, r.Error);
    }

    [Fact]
    public void UnknownSetKey_SuggestsTheClosest()
    {
        var r = CliHarness.Invoke("validate", Tiny(), "--set", "agents.cuont=3");
        Assert.Equal(ExitCode.BadInput, r.Code);
        Assert.Contains("did you mean 'count'?", r.Error);
    }

    [Fact]
    public void Validate_Quiet_PrintsTheConfigAndNothingElse()
    {
        var r = CliHarness.Invoke("validate", Tiny(), "--quiet");
        Assert.Equal(ExitCode.Success, r.Code);
        Assert.Equal("", r.Error);
        Assert.Equal(4, (int)JsonNode.Parse(r.Out)!["agents"]!["count"]!);
    }

    [Fact]
    public void Sweep_OnTheCommandLine_RunsTheGrid_WithMetadataInEveryRow()
    {
        string outDir = Path.Combine(_dir, "s");
        var r = CliHarness.Invoke("run", Tiny(), "--sweep", "agents.count=3,4", "--sweep", "seeds=2", "--out", outDir, "--quiet", "--json");
        Assert.True(r.Code == ExitCode.Success, r.Error);
        Assert.Equal("", r.Error);
        Assert.Equal(4, (int)JsonNode.Parse(r.Out)!["rows"]!);
        var table = DpsTorch.Fitting.FitTable.ReadCsv(Path.Combine(outDir, SweepResults.Results));
        Assert.Equal([3, 3, 4, 4], table.Numbers("agents.count"));
        foreach (var column in RunMetadata.Columns) Assert.Contains(column, table.Columns);
        Assert.Equal(4, table.Text("runId").Distinct().Count());
        Assert.All(table.Text("simd"), v => Assert.Equal(DpsTorch.Tensors.Simd.Path, v));
        Assert.All(table.Text("commandLine"), v => Assert.StartsWith("dps run ", v));
        Assert.All(table.Text("dpsTorchVersion"), v => Assert.Equal(RunMetadata.Version, v));
    }

    [Fact]
    public void Runs_ListsEveryRun_AndNamesTheConfigKeysThatDiffer()
    {
        RunTiny("a");
        RunTiny("b", "--set", "training.steps=10");
        var r = CliHarness.Invoke("runs", _dir, "--json");
        Assert.True(r.Code == ExitCode.Success, r.Error);
        var o = JsonNode.Parse(r.Out)!;
        Assert.Equal(["training.steps"], o["differingKeys"]!.AsArray().Select(k => (string)k!));
        var runs = o["runs"]!.AsArray();
        Assert.Equal(2, runs.Count);
        Assert.Equal([20.0, 10.0], runs.Select(x => (double)x!["steps"]!).Order().Reverse());
        Assert.All(runs, x => Assert.Matches(@"^\d{8}-\d{6}-[0-9a-f]{4}$", (string)x!["runId"]!));
        var table = CliHarness.Invoke("runs", _dir);
        Assert.Equal(ExitCode.Success, table.Code);
        Assert.Contains("training.steps", table.Out);
        Assert.Equal(ExitCode.BadInput, CliHarness.Invoke("runs", Path.Combine(_dir, "missing")).Code);
    }

    [Fact]
    public void Errors_CarryNoDotNetParameterSuffix()
    {
        var e = new ArgumentException("column 'x' is not in the table.", "column");
        Assert.Equal("column 'x' is not in the table.", DpsTorch.Cli.Cli.WithoutParameterName(e));
        var r = CliHarness.Capture(() => DpsTorch.Cli.Cli.Guard(() => throw e));
        Assert.Equal(ExitCode.BadInput, r.Code);
        Assert.Equal("dps: error: column 'x' is not in the table.", r.Error.Trim());
        var internalError = CliHarness.Capture(() => DpsTorch.Cli.Cli.Guard(() => throw new InvalidOperationException("Sequence contains no elements")));
        Assert.DoesNotContain("InvalidOperationException", internalError.Error);
    }
}
