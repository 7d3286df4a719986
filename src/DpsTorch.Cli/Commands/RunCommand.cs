// `dps run CONFIG.json [--out DIR] [--set key=value ...]`: trains the system a config describes, with a progress bar
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
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Model;
using DpsTorch.Reports;
using Spectre.Console;

namespace DpsTorch.Cli;

internal static class RunCommand
{
    /// <summary>The resolved config a run folder keeps (in DIR once finished, in DIR/checkpoints/ from the start, for --resume).</summary>
    public const string ConfigFile = "config.json";

    /// <summary>The files a run folder receives, in the order they are moved in (summary last).</summary>
    public static readonly string[] Files = [RunFiles.Model, RunFiles.Trajectory, RunFiles.Report, ConfigFile, RunFiles.Summary];

    /// <summary>The files whose digests the commit record lists (report.html is rebuilt by dps report).</summary>
    private static readonly string[] Hashed = [RunFiles.Model, RunFiles.Trajectory, ConfigFile, RunFiles.Summary];

    public static Command Create()
    {
        var config = new Argument<string?>("config") { Description = "Experiment config (JSON); see docs/CONFIG.md. Omit with --resume.", Arity = ArgumentArity.ZeroOrOne };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in this folder from its checkpoints (uses its config.json)." };
        var outDir = new Option<string>("--out") { Description = "Output folder (default: runs/<config name>/<run id>, new for every run)." };
        var sweep = SweepCommand.SweepOption();
        var set = new Option<string[]>("--set") { Description = "Override a key: --set agents.count=24 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var cmd = new Command("run", "Train the system a config describes; write summary.json, trajectory.csv, model.json and report.html.")
        {
            config, outDir, set, sweep, resume,
        };
        cmd.SetAction(r => Cli.Guard(() =>
        {
            // First Ctrl-C / SIGTERM: stop after the current step (or skip what is left of robustness) and save.
            using var interrupt = new Interrupt(CliConsole.Note, "stopping after this step (or skipping the remaining robustness measures) and saving what is finished");
            var cancel = interrupt.Token;
            string? resumeDir = r.GetValue(resume), configPath = r.GetValue(config);
            if (resumeDir is not null)
            {
                if (configPath is not null || r.GetValue(outDir) is not null || (r.GetValue(set) ?? []).Length > 0 || (r.GetValue(sweep) ?? []).Length > 0)
                    throw ConfigException.Invalid("--resume", resumeDir, "alone: the folder's config.json fixes the config and the output folder");
                string? saved = new[] { Path.Combine(resumeDir, Experiment.CheckpointFolder, ConfigFile), Path.Combine(resumeDir, ConfigFile) }.FirstOrDefault(File.Exists)
                    ?? throw new ConfigException("--resume", $"\"{resumeDir}\" has no {ConfigFile}; it is not a run folder that can be resumed.");
                return Signalled(interrupt, Execute(saved, resumeDir, [], cancel));
            }
            if (configPath is null) throw ConfigException.Invalid("config", null, "a config file path (or --resume DIR)");
            if ((r.GetValue(sweep) ?? []) is { Length: > 0 } sweeps)
            {
                interrupt.Dispose(); // the sweep installs its own handlers
                var plan = DpsTorch.Sweeps.SweepReader.Load(configPath, r.GetValue(set) ?? [], sweeps);
                string sweepDir = r.GetValue(outDir) ?? DefaultFolder(plan.ConfigFor(plan.Points[0]).Name, configPath, RunMetadata.Capture().RunId);
                return SweepCommand.Run(plan, sweepDir, new DpsTorch.Sweeps.SweepOptions(), threads: 1);
            }
            return Signalled(interrupt, Execute(configPath, r.GetValue(outDir), r.GetValue(set) ?? [], cancel));
        }));
        return cmd;
    }

    /// <summary>The exit code for the signal that interrupted the run (130 Ctrl-C, 143 SIGTERM), else <paramref name="code"/>.</summary>
    internal static int Signalled(Interrupt interrupt, int code) => code == ExitCode.Interrupted ? interrupt.ExitCode : code;

    /// <summary>The whole command after parsing: load, train, write, print. Returns the exit code.</summary>
    internal static int Execute(string configPath, string? outDir, string[] overrides, CancellationToken cancel)
    {
        var config = ConfigLoader.Load(configPath, overrides);
        MemoryLimit.Check(config);
        var run = RunMetadata.Capture(CliConsole.CommandLine);
        string dir = outDir ?? DefaultFolder(config.Name, configPath, run.RunId);
        if (File.Exists(dir)) throw ConfigException.Invalid("--out", dir, "a folder, not an existing file");
        SystemBuilder.Create(config); // input problems found while building the system surface before DIR is touched
        TrainingBackends.Check(config.Training); // so does a backend or device this machine cannot run
        string checkpoints = Path.Combine(dir, Experiment.CheckpointFolder);
        string configJson = ConfigLoader.ToJson(config);

        using var folder = OutputFolder.Open(dir, "dps run"); // first, so a busy folder is reported as such
        CheckCheckpoints(dir, checkpoints, configJson);
        folder.CreatedByThisRun(checkpoints);
        ReuseOrDiscardCheckpoints(config, checkpoints);
        AtomicFile.WriteAllText(Path.Combine(checkpoints, ConfigFile), configJson); // what --resume reads, and a writability check before training
        // Never replace a config.json dps did not write (with --out the config's own folder, it is the user's input).
        string dirConfig = Path.Combine(dir, ConfigFile);
        bool writeConfig = !File.Exists(dirConfig) || ResultCommit.Lists(dir, ConfigFile) || File.ReadAllText(dirConfig) == configJson;
        if (!writeConfig) CliConsole.Note.WriteLine($"dps: keeping {dirConfig} (not written by dps: the input config?); the resolved config is in {Path.Combine(checkpoints, ConfigFile)} and summary.json.");

        var result = RunProgress.Interactive
            ? RunProgress.WithBar(config, progress => Experiment.Run(config, progress, cancel, checkpointDir: checkpoints, run: run))
            : Experiment.Run(config, RunProgress.Lines(config, CliConsole.Note), cancel, checkpointDir: checkpoints, run: run);
        // A run whose training finished is complete even when Ctrl-C came during the measures (robustness then skipped).
        bool complete = result.Complete;
        Write(dir, result, complete, writeConfig ? configJson : null);
        folder.Succeeded();

        var measures = Output.MeasuresJson(result.Measures, config);
        if (CliConsole.Json) PrintJson(dir, result, complete, measures);
        else PrintTable(result, complete, measures);
        Output.Wrote(Files.Select(name => Path.Combine(dir, name)));
        if (complete && Convergence.Warning(result.Training, config.Training) is { } warning) CliConsole.Note.WriteLine($"dps: {warning}");
        if (!complete)
            CliConsole.Error.WriteLine($"dps: interrupted at step {result.Training.Steps}; wrote the unfinished run (\"complete\": false) to {dir}; `dps run --resume {dir}` continues it.");
        else if (result.Measures.RobustnessSkipped)
            CliConsole.Error.WriteLine($"dps: interrupted while measuring: training finished, so {dir} holds the complete run, but robustness and resilience were skipped (null in summary.json); `dps run --resume {dir}` measures them.");
        else return ExitCode.Success;
        return ExitCode.Interrupted;
    }

    /// <summary>
    /// runs/&lt;config name&gt;/&lt;run id&gt;: the config's "name", else the name of the folder of a file called
    /// config.json (experiments/04-x/config.json → 04-x), else the file's name; characters other than letters, digits,
    /// '.', '_' and '-' become '-'.
    /// </summary>
    internal static string DefaultFolder(string? configName, string configPath, string runId)
    {
        string name = configName is { Length: > 0 } ? configName
            : Path.GetFileName(configPath) == ConfigFile ? Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(configPath))) ?? "config"
            : Path.GetFileNameWithoutExtension(configPath);
        var safe = new string([.. name.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' or '-' ? ch : '-')]).Trim('.');
        return Path.Combine("runs", safe.Length > 0 ? safe : "config", runId);
    }

    private static void PrintJson(string dir, ExperimentResult result, bool complete, System.Text.Json.Nodes.JsonObject measures)
    {
        var o = new System.Text.Json.Nodes.JsonObject
        {
            ["dir"] = dir,
            ["runId"] = result.Run?.RunId,
            ["complete"] = complete,
            ["steps"] = result.Training.Steps,
            ["stopReason"] = result.Training.Reason.ToString(),
            ["converged"] = result.Training.Converged,
            ["gradientNorm"] = result.Training.GradientNorm,
            ["seconds"] = result.Seconds,
            ["files"] = new System.Text.Json.Nodes.JsonArray([.. Files.Select(f => (System.Text.Json.Nodes.JsonNode?)Path.Combine(dir, f))]),
        };
        foreach (var (k, v) in measures) o[k] = v?.DeepClone();
        Output.PrintJson(o);
    }

    private static void PrintTable(ExperimentResult result, bool complete, System.Text.Json.Nodes.JsonObject measures)
    {
        var console = Output.Console();
        var table = Output.ScalarTable(measures, complete ? "Result" : "Result (interrupted)", ["loss", "heterogeneity", "specialisation",
            "coverage", "efficiency", "productivity", "robustness", "resilience", "spatialScale"]);
        table.AddRow("steps", $"{result.Training.Steps} ({result.Training.Reason})");
        table.AddRow("converged", $"{(result.Training.Converged ? "yes" : "no")} (RMS gradient {Output.Num(result.Training.GradientNorm)})");
        if (result.RestartLosses.Count > 1)
            table.AddRow("restarts", $"best loss reached by {Convergence.ReachedBest(result.RestartLosses)} of {result.RestartLosses.Count}");
        table.AddRow("seconds", Output.Num(result.Seconds));
        console.Write(table);
    }

    /// <summary>Refuses a folder whose checkpoints belong to another config (nothing in it is changed first).</summary>
    private static void CheckCheckpoints(string dir, string checkpoints, string configJson)
    {
        if (!Directory.Exists(checkpoints) || Directory.GetFiles(checkpoints, "restart-*.json").Length == 0) return;
        // The checkpoints' own copy first; DIR/config.json for folders written before it existed.
        string? saved = new[] { Path.Combine(checkpoints, ConfigFile), Path.Combine(dir, ConfigFile) }.FirstOrDefault(File.Exists);
        if (saved is not null && ConfigLoader.ToJson(ConfigLoader.Load(saved)) != configJson)
            throw ConfigException.Invalid("--out", dir, "a new folder: this one holds checkpoints of a different config (use --resume DIR to continue it)");
    }

    /// <summary>Resumes from checkpoints that match the config and its data files; discards (and says so) ones that do not.</summary>
    private static void ReuseOrDiscardCheckpoints(DpsConfig config, string checkpoints)
    {
        var files = Directory.Exists(checkpoints) ? Directory.GetFiles(checkpoints, "restart-*.json") : [];
        if (files.Length == 0) return;
        if (Experiment.StaleCheckpoints(config, checkpoints) is { } why)
        {
            CliConsole.Note.WriteLine($"dps: not reusing the checkpoints in {checkpoints}: {why}; training starts from step 0.");
            foreach (var f in files) File.Delete(f);
            return;
        }
        CliConsole.Note.WriteLine($"dps: resuming from the checkpoints in {checkpoints}.");
    }

    /// <summary>Writes the run's files into a staging folder inside <paramref name="dir"/>, then commits them.</summary>
    internal static void Write(string dir, ExperimentResult result, bool complete, string? configJson)
        => Staging.Write(dir, configJson is null ? [.. Files.Where(f => f != ConfigFile)] : Files, Hashed, staging =>
        {
            RunFiles.Write(staging, result, complete);
            ReportPage.Write(staging);
            if (configJson is not null) AtomicFile.WriteAllText(Path.Combine(staging, ConfigFile), configJson);
        });
}
