// The files of one run, flat or nested, written by one writer: trajectory.csv first, then model.json and summary.json
// last (its presence means the run finished). A nested run's model.json is a NestedState and its summary.json keeps
// the nested layout (IO/NestedRunFiles.cs) with the headline numbers also at the top level, as a flat summary has them.
using DpsTorch.IO;
using DpsTorch.Reports;

namespace DpsTorch.Runs;

/// <summary>Writes a run's files.</summary>
public static class RunOutput
{
    /// <summary>The files a run folder receives, in the order they are moved in (summary last), flat or nested alike.</summary>
    public static readonly IReadOnlyList<string> Files = [RunFiles.Model, RunFiles.Trajectory, RunFiles.Report, RunFiles.Config, RunFiles.Summary];

    /// <summary>The files whose digests the commit record lists (report.html is rebuilt by dps report).</summary>
    public static readonly IReadOnlyList<string> Hashed = [RunFiles.Model, RunFiles.Trajectory, RunFiles.Config, RunFiles.Summary];

    /// <summary>Writes trajectory.csv, model.json and summary.json for a finished (or interrupted) run into <paramref name="dir"/>.</summary>
    public static void Write(string dir, ExperimentResult r, bool complete = true)
    {
        Directory.CreateDirectory(dir);
        RunFiles.WriteTrajectory(Path.Combine(dir, RunFiles.Trajectory), r.Training.Trajectory);
        var run = r.Run ?? RunMetadata.Capture();
        if (r.IsNested)
        {
            NestedRunFiles.Write(dir, r.Config, r.NestedOutcome, r.Homogeneous, complete, run);
            return;
        }
        ModelState.From(r.Model, r.Config).Save(Path.Combine(dir, RunFiles.Model));
        AtomicFile.WriteAllText(Path.Combine(dir, RunFiles.Summary), RunFiles.SummaryJson(r.Measures, r.Config, r.Training.Steps, r.Seconds, complete,
            r.Training.Reason.ToString(), r.BestRestart, r.RestartLosses, r.Training.Converged, r.Training.GradientNorm, run).ToJsonString(RunFiles.Indented));
    }

    /// <summary>The report page of the run in <paramref name="dir"/>, flat or nested (with the per-level parts where there are levels).</summary>
    public static void WriteReport(string dir) => ReportPage.Write(dir);

    /// <summary>
    /// Writes the run's files (and <paramref name="configJson"/> as config.json unless null) into a staging folder inside
    /// <paramref name="dir"/>, then commits them together (<see cref="Staging.Write"/>). The caller holds the folder.
    /// </summary>
    public static void Commit(string dir, ExperimentResult result, bool complete, string? configJson)
        => Staging.Write(dir, configJson is null ? [.. Files.Where(f => f != RunFiles.Config)] : Files, [.. Hashed], staging =>
        {
            Write(staging, result, complete);
            WriteReport(staging);
            if (configJson is not null) AtomicFile.WriteAllText(Path.Combine(staging, RunFiles.Config), configJson);
        });
}
