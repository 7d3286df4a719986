// `dps run CONFIG.json [--out DIR] [--set key=value ...]`: trains the system a config describes (flat, or nested when
// it has a `levels` block; the library's Runs/RunPipeline.cs does the work, this command parses and prints), with a progress bar
// (or plain lines when not on a terminal), and writes summary.json, trajectory.csv, model.json, report.html and the
// resolved config.json into DIR. DIR is locked for the whole run (a second process on it stops with exit 2 and the
// holder's pid); the results are written into a staging folder inside DIR and committed together (Staging.cs), so a
// failed run leaves DIR as it was and a killed one never mixes old and new files. Ctrl-C stops training, writes what
// is finished with "complete": false, and exits 130; SIGTERM does the same and exits 143. A signal during the
// measures (training done) skips what is left of robustness and resilience and writes the run as complete, with those
// two null. The training state goes to DIR/checkpoints/ (with the resolved config) every training.checkpointEvery
// steps, so `dps run --resume DIR` continues a run stopped in any way (SIGKILL included) and ends with the same result
// as an uninterrupted one (or, for a run whose measures were cut short, measures it again). Checkpoints are reused
// only while the config and the content of every data file it names are unchanged.
// Without --out a run goes to runs/<config name>/<run id>, a new folder every time. `--sweep key=a,b,c` runs a grid
// instead (as dps sweep).
using System.CommandLine;
using System.Globalization;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Model;
using DpsTorch.Nested;
using DpsTorch.Runs;
using Spectre.Console;

namespace DpsTorch.Cli;

internal static class RunCommand
{
    public static Command Create()
    {
        var config = new Argument<string?>("config") { Description = "Experiment config (JSON), with or without a levels block; see docs/CONFIG.md. Omit with --resume.", Arity = ArgumentArity.ZeroOrOne };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in this folder from its checkpoints (uses its config.json)." };
        var outDir = new Option<string>("--out") { Description = "Output folder (default: runs/<config name>/<run id>, new for every run)." };
        var sweep = SweepCommand.SweepOption();
        var set = new Option<string[]>("--set") { Description = "Override a key: --set agents.count=24 or --set levels.1.lambdaC=2 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var baseline = BaselineOption();
        var cmd = new Command("run", "Train the system a config describes (flat or nested); write summary.json, trajectory.csv, model.json and report.html.")
        {
            config, outDir, set, sweep, resume, baseline,
        };
        cmd.SetAction(r => Cli.Guard(() =>
        {
            string? resumeDir = r.GetValue(resume), configPath = r.GetValue(config);
            if (resumeDir is not null)
            {
                if (configPath is not null || r.GetValue(outDir) is not null || (r.GetValue(set) ?? []).Length > 0 || (r.GetValue(sweep) ?? []).Length > 0)
                    throw ConfigException.Invalid("--resume", resumeDir, "alone: the folder's config.json fixes the config and the output folder");
                return Run(RunPipeline.ResumeConfig(resumeDir), resumeDir, [], ResumeBaseline(resumeDir, r.GetValue(baseline)));
            }
            if (configPath is null) throw ConfigException.Invalid("config", null, "a config file path (or --resume DIR)");
            if ((r.GetValue(sweep) ?? []) is { Length: > 0 } sweeps)
            {
                var plan = DpsTorch.Sweeps.SweepReader.Load(configPath, r.GetValue(set) ?? [], sweeps);
                string sweepDir = r.GetValue(outDir) ?? RunPipeline.DefaultFolder(plan.ConfigFor(plan.Points[0]).Name, configPath, RunMetadata.Capture().RunId);
                return SweepCommand.Run(plan, sweepDir, new DpsTorch.Sweeps.SweepOptions(), threads: 1);
            }
            return Run(configPath, r.GetValue(outDir), r.GetValue(set) ?? [], r.GetValue(baseline));
        }));
        return cmd;
    }

    /// <summary>--baseline: also train a nested config's homogeneous fleet of the same budget and network.</summary>
    internal static Option<bool> BaselineOption() => new("--baseline") { Description = "Nested configs: also train the homogeneous fleet of the same budget and network, and compare." };

    /// <summary>A resumed nested run keeps its baseline when the stopped run had one (its checkpoints say so).</summary>
    private static bool ResumeBaseline(string dir, bool asked)
        => asked || (Directory.Exists(Path.Combine(dir, Checkpoints.Folder)) && Directory.GetFiles(Path.Combine(dir, Checkpoints.Folder), "restart-baseline-*.json").Length > 0);

    /// <summary>Runs one config into a folder with Ctrl-C / SIGTERM handling, progress and printing; returns the exit code.</summary>
    internal static int Run(string configPath, string? outDir, string[] overrides, bool baseline = false)
    {
        if (ConfigLoader.Load(configPath, overrides) is { Case.Kind: not CaseKind.None } study)
            return CaseRun.Execute(study, configPath, outDir, baseline);
        // First Ctrl-C / SIGTERM: stop after the current step (or skip what is left of robustness) and save.
        using var interrupt = new Interrupt(CliConsole.Note, "stopping after this step (or skipping the remaining robustness measures) and saving what is finished");
        int code = Execute(configPath, outDir, overrides, interrupt.Token, baseline);
        return code == ExitCode.Interrupted ? interrupt.ExitCode : code;
    }

    /// <summary>The whole command after parsing: run the pipeline, print. Returns the exit code.</summary>
    internal static int Execute(string configPath, string? outDir, string[] overrides, CancellationToken cancel, bool baseline = false)
    {
        var folder = RunPipeline.Execute(configPath, outDir, overrides, RunMetadata.Capture(CliConsole.CommandLine), CliConsole.Note,
            (config, train) => RunProgress.Interactive ? RunProgress.WithBar(config, p => train(p)) : train(RunProgress.Lines(config, CliConsole.Note)),
            cancel, baseline);
        var result = folder.Result;
        string dir = folder.Dir;
        bool complete = folder.Complete;
        if (result.IsNested) PrintNested(dir, result, complete, folder.Files);
        else
        {
            var measures = Output.MeasuresJson(result.Measures, result.Config);
            if (CliConsole.Json) PrintJson(dir, result, complete, measures, folder.Files);
            else PrintTable(result, complete, measures);
        }
        Output.Wrote(folder.Files);
        if (complete && Convergence.Warning(result.Training, result.Config.Training) is { } warning) CliConsole.Note.WriteLine($"dps: {warning}");
        if (!complete)
            CliConsole.Error.WriteLine($"dps: interrupted at step {(result.Homogeneous?.Training ?? result.Training).Steps}; wrote the unfinished run (\"complete\": false) to {dir}; `dps run --resume {dir}` continues it.");
        else if (result.RobustnessSkipped)
            CliConsole.Error.WriteLine($"dps: interrupted while measuring: training finished, so {dir} holds the complete run, but robustness and resilience were skipped (null in summary.json); `dps run --resume {dir}` measures them.");
        else return ExitCode.Success;
        return ExitCode.Interrupted;
    }

    private static System.Text.Json.Nodes.JsonObject Header(string dir, ExperimentResult result, bool complete, IReadOnlyList<string> files) => new()
    {
        ["dir"] = dir,
        ["runId"] = result.Run?.RunId,
        ["complete"] = complete,
        ["steps"] = result.Training.Steps,
        ["stopReason"] = result.Training.Reason.ToString(),
        ["converged"] = result.Training.Converged,
        ["gradientNorm"] = result.Training.GradientNorm,
        ["seconds"] = result.Seconds,
        ["files"] = new System.Text.Json.Nodes.JsonArray([.. files.Select(f => (System.Text.Json.Nodes.JsonNode?)f)]),
    };

    private static void PrintJson(string dir, ExperimentResult result, bool complete, System.Text.Json.Nodes.JsonObject measures, IReadOnlyList<string> files)
    {
        var o = Header(dir, result, complete, files);
        foreach (var (k, v) in measures) o[k] = v?.DeepClone();
        Output.PrintJson(o);
    }

    private static void PrintTable(ExperimentResult result, bool complete, System.Text.Json.Nodes.JsonObject measures)
    {
        var console = Output.Console();
        var table = Output.ScalarTable(measures, complete ? "Result" : "Result (interrupted)", ["loss", "heterogeneity", "types", "specialisation",
            "coverage", "efficiency", "productivity", "robustness", "resilience", "spatialScale"]);
        table.AddRow("steps", $"{result.Training.Steps} ({result.Training.Reason})");
        table.AddRow("converged", $"{(result.Training.Converged ? "yes" : "no")} (RMS gradient {Output.Num(result.Training.GradientNorm)})");
        if (result.RestartLosses.Count > 1)
            table.AddRow("restarts", $"best loss reached by {Convergence.ReachedBest(result.RestartLosses)} of {result.RestartLosses.Count}");
        table.AddRow("seconds", Output.Num(result.Seconds));
        console.Write(table);
    }

    /// <summary>A nested run: the summary as JSON (with --json), else the per-tier table of the design and of its baseline.</summary>
    private static void PrintNested(string dir, ExperimentResult result, bool complete, IReadOnlyList<string> files)
    {
        if (CliConsole.Json)
        {
            var o = Header(dir, result, complete, files);
            foreach (var (k, v) in NestedRunFiles.SummaryJson(result.Config, result.NestedOutcome, result.Homogeneous, complete, result.Run)) o[k] ??= v?.DeepClone();
            Output.PrintJson(o);
            return;
        }
        PrintTiers("nested", result.NestedOutcome);
        if (result.Homogeneous is { } h) PrintTiers("homogeneous fleet", h);
    }

    private static void PrintTiers(string title, NestedOutcome o)
    {
        var m = o.Measures;
        var inv = CultureInfo.InvariantCulture;
        CliConsole.Out.WriteLine(string.Format(inv, "{0}: loss {1:G5}, coverage {2:F4}, shape coverage {3:F4}, efficiency {4:F4}, robustness area {5:F4}, shape robustness area {6:F4} ({7} steps, {8:F1} s)",
            title, m.Loss, m.Coverage, m.ShapeCoverage, m.Efficiency, m.Robustness?.Area ?? double.NaN, m.ShapeRobustness?.Area ?? double.NaN, o.Training.Steps, o.Training.Seconds));
        CliConsole.Out.WriteLine(string.Format(inv, "  converged: {0} (RMS gradient {1:G3}, stopped by {2}){3}", o.Training.Converged ? "yes" : "no",
            o.Training.GradientNorm, Convergence.Describe(o.Training.Reason),
            o.RestartLosses.Count > 1 ? $"; best loss reached by {Convergence.ReachedBest(o.RestartLosses)} of {o.RestartLosses.Count}" : ""));
        CliConsole.Out.WriteLine("  tier  level         agents  among   types   within  selfCov groupSelfCov  spec    comm     meanQ");
        foreach (var t in m.Tiers)
            CliConsole.Out.WriteLine(string.Format(inv, "  {0,-5} {1,-13} {2,6}  {3,6:F3}  {4,6:F3}  {5,6:F3}  {6,6:F3}  {7,11:F3}  {8,6:F3}  {9,7:F3}  {10,6:F3}",
                t.Tier, t.Level, t.Agents, t.Among, t.Types, t.MeanWithin, t.SelfCoverage, t.GroupSelfCoverage, t.Specialisation, t.CommunicationCost, t.MeanEdgeWeight));
    }
}
