// `dps nested CONFIG.json --out DIR`: trains a nested system (config with a `levels` block), optionally also the
// homogeneous fleet of the same budget and network, prints the per-tier measures and writes summary.json, model.json
// and report.html into DIR. DIR is locked from before training to the end, and the files are committed together from a
// staging folder inside DIR (Staging.cs), so DIR never holds a half-written or mixed run and a failed run leaves it as
// it was. Ctrl-C / SIGTERM stops training after the current step, skips the baseline, writes the unfinished run with
// "complete": false and exits 130 / 143 (nested runs keep no checkpoints: a new run starts again from step 0).
using System.CommandLine;
using System.Globalization;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Model;
using DpsTorch.Nested;
using DpsTorch.Reports;

namespace DpsTorch.Cli;

internal static class NestedCommand
{
    /// <summary>The files a nested run folder receives, in the order they are moved in (summary last).</summary>
    public static readonly string[] Files = [NestedRunFiles.Model, NestedRunFiles.Report, NestedRunFiles.Summary];

    /// <summary>The files whose digests the commit record lists (report.html is rebuilt by dps report).</summary>
    private static readonly string[] Hashed = [NestedRunFiles.Model, NestedRunFiles.Summary];

    public static Command Create()
    {
        var config = new Argument<string>("config") { Description = "Experiment config (JSON) with a levels block." };
        var set = new Option<string[]>("--set") { Description = "Override a key: --set training.steps=500 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var output = new Option<string?>("--out") { Description = "Folder for summary.json, model.json and report.html." };
        var baseline = new Option<bool>("--baseline") { Description = "Also train the homogeneous fleet of the same budget and network, and compare." };
        var cmd = new Command("nested", "Train and measure a nested (multi-level) system.") { config, set, output, baseline };
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var run = RunMetadata.Capture(CliConsole.CommandLine);
            var c = ConfigLoader.Load(r.GetValue(config)!, r.GetValue(set) ?? []);
            MemoryLimit.Check(c);
            if (c.Levels is null) throw new ConfigException("levels", "the config has no levels block; use `dps run` for a flat system.");
            string? dir = r.GetValue(output);
            if (dir is not null && File.Exists(dir)) throw ConfigException.Invalid("--out", dir, "a folder, not an existing file");
            using var folder = dir is null ? null : OutputFolder.Open(dir, "dps nested");
            // First Ctrl-C / SIGTERM: stop after the current step, skip the baseline, save what is finished.
            using var interrupt = new Interrupt(CliConsole.Note, "stopping after this step and saving what is finished");
            CliConsole.Note.WriteLine($"dps: training the nested system ({c.Agents.Count} leaves, {c.Levels.Count} levels, up to {c.Training.Steps} steps"
                + $" x {c.Training.Restarts} restart(s){(r.GetValue(baseline) ? ", then the homogeneous fleet" : "")}); Ctrl-C stops and saves.");
            var nested = Train(c, homogeneous: false, interrupt.Token);
            if (!CliConsole.Json) Print("nested", nested);
            NestedOutcome? homogeneous = null;
            if (r.GetValue(baseline) && nested.Run.Complete)
            {
                homogeneous = Train(c, homogeneous: true, interrupt.Token);
                if (!CliConsole.Json) Print("homogeneous fleet", homogeneous);
            }
            bool complete = nested.Run.Complete && (homogeneous?.Run.Complete ?? !r.GetValue(baseline));
            if (dir is not null)
            {
                Staging.Write(dir, Files, Hashed, staging =>
                {
                    NestedRunFiles.Write(staging, c, nested, homogeneous, complete, run);
                    NestedReportPage.Write(staging);
                });
                folder!.Succeeded();
                Output.Wrote(Files.Select(name => Path.Combine(dir, name)));
            }
            if (CliConsole.Json) Output.PrintJson(NestedRunFiles.SummaryJson(c, nested, homogeneous, complete, run));
            if (complete) return ExitCode.Success;
            CliConsole.Error.WriteLine($"dps: interrupted at step {(homogeneous ?? nested).Run.Training.Steps} of the {(homogeneous is null ? "nested" : "homogeneous")} training; "
                + (dir is null ? "nothing written (no --out)." : $"wrote the unfinished run (\"complete\": false) to {dir}."));
            return interrupt.ExitCode;
        }));
        return cmd;
    }

    private static NestedOutcome Train(DpsConfig c, bool homogeneous, CancellationToken cancel)
    {
        var run = NestedTrainer.Run(c, homogeneous, cancel);
        return new NestedOutcome(run, NestedMeasures.Compute(run.System, c.Measures));
    }

    private static void Print(string title, NestedOutcome o)
    {
        var m = o.Measures;
        var inv = CultureInfo.InvariantCulture;
        CliConsole.Out.WriteLine(string.Format(inv, "{0}: loss {1:G5}, coverage {2:F4}, shape coverage {3:F4}, efficiency {4:F4}, robustness area {5:F4}, shape robustness area {6:F4} ({7} steps, {8:F1} s)",
            title, m.Loss, m.Coverage, m.ShapeCoverage, m.Efficiency, m.Robustness?.Area ?? double.NaN, m.ShapeRobustness?.Area ?? double.NaN, o.Run.Training.Steps, o.Run.Training.Seconds));
        CliConsole.Out.WriteLine("  tier  level         agents  among   within  selfCov groupSelfCov  spec    comm     meanQ");
        foreach (var t in m.Tiers)
            CliConsole.Out.WriteLine(string.Format(inv, "  {0,-5} {1,-13} {2,6}  {3,6:F3}  {4,6:F3}  {5,6:F3}  {6,11:F3}  {7,6:F3}  {8,7:F3}  {9,6:F3}",
                t.Tier, t.Level, t.Agents, t.Among, t.MeanWithin, t.SelfCoverage, t.GroupSelfCoverage, t.Specialisation, t.CommunicationCost, t.MeanEdgeWeight));
    }
}
