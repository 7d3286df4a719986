// `dps run CONFIG.json [--out DIR] [--set key=value ...]`: trains the system a config describes, with a progress bar
// (or plain lines when output is not a terminal), and writes summary.json, trajectory.csv, model.json and
// report.html into DIR. The files are first written into a staging folder beside DIR and moved in only when all
// four exist, so a failed run leaves DIR as it was. Ctrl-C stops training, writes what is finished with
// "complete": false, and exits 130.
using System.CommandLine;
using DpsTorch.IO;
using DpsTorch.Model;
using DpsTorch.Reports;
using Spectre.Console;

namespace DpsTorch.Cli;

internal static class RunCommand
{
    /// <summary>The files a run folder receives, in the order they are moved in (summary last).</summary>
    public static readonly string[] Files = [RunFiles.Model, RunFiles.Trajectory, RunFiles.Report, RunFiles.Summary];

    public static Command Create()
    {
        var config = new Argument<string>("config") { Description = "Experiment config (JSON); see docs/CONFIG.md." };
        var outDir = new Option<string>("--out") { Description = "Output folder (default: runs/<config file name>)." };
        var set = new Option<string[]>("--set") { Description = "Override a key: --set agents.count=24 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var cmd = new Command("run", "Train the system a config describes; write summary.json, trajectory.csv, model.json and report.html.")
        {
            config, outDir, set,
        };
        cmd.SetAction(r => Cli.Guard(() =>
        {
            using var cancel = new CancellationTokenSource();
            // First Ctrl-C: stop after the current step and save; a second one ends the process at once.
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                if (cancel.IsCancellationRequested) return;
                e.Cancel = true;
                Console.Error.WriteLine("dps: stopping after this step and saving what is finished (Ctrl-C again to abort)...");
                cancel.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            try { return Execute(r.GetValue(config)!, r.GetValue(outDir), r.GetValue(set) ?? [], cancel.Token); }
            finally { Console.CancelKeyPress -= onCancel; }
        }));
        return cmd;
    }

    /// <summary>The whole command after parsing: load, train, write, print. Returns the exit code.</summary>
    internal static int Execute(string configPath, string? outDir, string[] overrides, CancellationToken cancel)
    {
        var config = ConfigLoader.Load(configPath, overrides);
        string dir = outDir ?? Path.Combine("runs", Path.GetFileNameWithoutExtension(configPath));
        if (File.Exists(dir)) throw ConfigException.Invalid("--out", dir, "a folder, not an existing file");

        var result = RunProgress.Interactive
            ? RunProgress.WithBar(config, progress => Experiment.Run(config, progress, cancel))
            : Experiment.Run(config, RunProgress.Lines(config, Console.Out), cancel);
        bool complete = !cancel.IsCancellationRequested;
        Write(dir, result, complete);

        var console = Output.Console();
        var measures = Output.MeasuresJson(result.Measures, config);
        var table = Output.ScalarTable(measures, complete ? "Result" : "Result (interrupted)", ["loss", "heterogeneity", "specialisation",
            "coverage", "efficiency", "productivity", "robustness", "resilience", "spatialScale"]);
        table.AddRow("steps", $"{result.Training.Steps} ({result.Training.Reason})");
        table.AddRow("seconds", Output.Num(result.Seconds));
        console.Write(table);
        foreach (var name in Files) console.WriteLine(Path.Combine(dir, name), Style.Plain);
        if (complete) return ExitCode.Success;
        Console.Error.WriteLine($"dps: interrupted at step {result.Training.Steps}; wrote the unfinished run (\"complete\": false) to {dir}.");
        return ExitCode.Interrupted;
    }

    /// <summary>Writes the four files into a staging folder beside <paramref name="dir"/>, then moves them in.</summary>
    internal static void Write(string dir, ExperimentResult result, bool complete)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir));
        string parent = Path.GetDirectoryName(full) ?? full;
        string staging = Path.Combine(parent, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.staging");
        try
        {
            RunFiles.Write(staging, result, complete);
            ReportPage.Write(staging);
            Directory.CreateDirectory(full);
            foreach (var name in Files) File.Move(Path.Combine(staging, name), Path.Combine(full, name), overwrite: true);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }
}
