// `dps report DIR`: rebuilds DIR/report.html from the run's saved files (a dps run folder, or a dps nested folder,
// told apart by the format of its model.json), or, for a dps sweep folder (runs.json), the sweep report. A folder whose last commit did not finish, or whose files do not
// match it (IO/ResultCommit.cs), is refused; so is one that a running dps process holds.
using System.CommandLine;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Reports;

namespace DpsTorch.Cli;

internal static class ReportCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "A run folder (written by dps run or dps nested), or a sweep folder (written by dps sweep)." };
        var cmd = new Command("report", "Rebuild report.html from a run folder's summary.json, trajectory.csv and model.json (or a nested run's summary.json and model.json), or a sweep folder's report from its runs.") { dir };
        cmd.SetAction(r => Cli.Guard(() =>
        {
            string d = r.GetValue(dir)!;
            if (!Directory.Exists(d)) throw new ConfigException(d, "run folder not found.");
            if (!File.Exists(Path.Combine(d, RunFiles.Summary)) && File.Exists(Path.Combine(d, DpsTorch.Sweeps.SweepResults.Index)))
            {
                DpsTorch.Sweeps.SweepReport.Write(d); // a sweep folder: its report, and the missing reports of its runs
                string sweepReport = Path.Combine(d, RunFiles.Report);
                if (CliConsole.Json) Output.PrintJson(new System.Text.Json.Nodes.JsonObject { ["report"] = sweepReport });
                Output.Wrote([sweepReport]);
                return ExitCode.Success;
            }
            if (!File.Exists(Path.Combine(d, RunFiles.Summary))) throw new ConfigException(d, $"not a run folder: it has no {RunFiles.Summary}.");
            using var held = RunLock.TryAcquire(d, "dps report", out string holder)
                ?? throw new ConfigException(d, $"is in use by another dps process ({holder}); run dps report when it has finished.");
            ResultCommit.Check(d);
            ReportPage.Write(d);
            string report = Path.Combine(d, RunFiles.Report);
            if (CliConsole.Json) Output.PrintJson(new System.Text.Json.Nodes.JsonObject { ["report"] = report });
            Output.Wrote([report]);
            return ExitCode.Success;
        }));
        return cmd;
    }
}
