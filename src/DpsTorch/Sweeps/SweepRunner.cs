// Runs a sweep plan into a folder: one run per worker (Parallel.ForEach, at most Jobs at once), runs already finished
// there skipped (resume), results.csv rebuilt from the run folders at the end. A run's folder holds the files of
// IO/RunFiles.cs; RunFiles.Write writes summary.json last, so its presence means the run finished. Each run holds its
// folder's lock (IO/RunLock.cs) while it runs, so two sweeps on one folder run each run once: a run another process
// holds is skipped and reported, and one found finished once locked is not run again. A case study's run is one
// replicate of the case (Runs/CaseStudies.cs), written into its folder like `dps run` writes it.
using System.Collections.Concurrent;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Model;
using DpsTorch.Runs;

namespace DpsTorch.Sweeps;

/// <summary>Settings of <see cref="SweepRunner.Run"/>.</summary>
public sealed record SweepOptions
{
    /// <summary>Runs at once (default: the processor count). Each run uses <see cref="TensorEngine.NumThreads"/> threads, which
    /// the caller sets once for the process (the command sets 1).</summary>
    public int Jobs { get; init; } = Environment.ProcessorCount;
    /// <summary>The slice of the grid to run (default: all).</summary>
    public Shard Shard { get; init; } = Shard.All;
    /// <summary>Measure robustness (and resilience per measures.resilienceSteps) in every run (default true).</summary>
    public bool MeasureRobustness { get; init; } = true;
    /// <summary>The command line every run's metadata records (default: this process's arguments).</summary>
    public string? CommandLine { get; init; }
}

/// <summary>A run that finished (or failed), reported as it happens.</summary>
/// <param name="Point">The run.</param>
/// <param name="Result">Its result; null when it failed, and for a case study (its files are in the run folder).</param>
/// <param name="Error">The failure; null when it succeeded.</param>
/// <param name="Done">Runs of this call finished so far, this one included.</param>
/// <param name="Total">Runs this call executes.</param>
public sealed record SweepRunReport(SweepPoint Point, ExperimentResult? Result, Exception? Error, int Done, int Total);

/// <summary>What <see cref="SweepRunner.Run"/> did.</summary>
/// <param name="InShard">Runs in the requested slice.</param>
/// <param name="Skipped">Of those, runs already finished in the folder (not run again).</param>
/// <param name="Executed">Runs executed and written by this call.</param>
/// <param name="Failed">Runs that threw (folder name and message); they hold error.txt and no summary.json, so a resume retries them.</param>
/// <param name="Interrupted">Whether cancellation stopped the sweep before every run finished.</param>
/// <param name="Rows">Rows of results.csv (every finished run in the folder, whichever shard ran it).</param>
/// <param name="Busy">Runs skipped because another process was running them (folder name and the holder).</param>
public sealed record SweepOutcome(int InShard, int Skipped, int Executed, IReadOnlyList<(string Run, string Message)> Failed, bool Interrupted, int Rows,
    IReadOnlyList<(string Run, string Holder)> Busy);

/// <summary>Runs sweeps.</summary>
public static class SweepRunner
{
    /// <summary>Written into a run folder whose run threw.</summary>
    public const string ErrorFile = "error.txt";

    /// <summary>
    /// Runs the plan's runs in <paramref name="options"/>.Shard that are not finished in <paramref name="outDir"/>
    /// (each with <see cref="Experiment.Run"/> and <see cref="RunOutput.Write"/> into outDir/run-NNNN), then rebuilds
    /// outDir/results.csv. Writes or checks outDir/runs.json first. <paramref name="onRunDone"/> is called under a lock.
    /// Each run checkpoints into its folder's checkpoints/ while it trains (removed once its files are written). When
    /// <paramref name="cancel"/> fires no further run starts, running ones stop after their current step (or skip what
    /// is left of their robustness measures) and write no summary, results.csv is still rebuilt from the finished
    /// runs, and a later call continues the interrupted runs from their checkpoints.
    /// </summary>
    public static SweepOutcome Run(SweepPlan plan, string outDir, SweepOptions? options = null,
        Action<SweepRunReport>? onRunDone = null, CancellationToken cancel = default)
    {
        options ??= new SweepOptions();
        if (options.Jobs < 1) throw ConfigException.Invalid("--jobs", options.Jobs, "an integer >= 1");
        var pending = new List<SweepPoint>();
        int inShard = 0, skipped = 0;
        foreach (var p in plan.Points)
        {
            if (!options.Shard.Contains(p.Index)) continue;
            inShard++;
            if (SweepResults.IsFinished(Path.Combine(outDir, p.Run))) skipped++;
            else pending.Add(p);
        }
        // Memory for the largest pending run times the runs that can be in memory at once, before anything is written.
        // A run too large on its own is refused here too; a run with another config error fails alone (error.txt).
        MemoryEstimate? largest = null;
        foreach (var p in pending)
        {
            DpsConfig config;
            try { config = plan.ConfigFor(p); }
            catch (ConfigException e) when (e.Key != "memory") { continue; }
            var estimate = MemoryEstimate.For(config);
            if (largest is null || estimate.Total > largest.Total) largest = estimate;
        }
        if (largest is not null) MemoryLimit.Check(largest, Math.Min(options.Jobs, pending.Count));
        Directory.CreateDirectory(outDir);
        SweepResults.WriteOrCheckIndex(outDir, plan);

        int skippedAtStart = skipped;
        var failed = new ConcurrentBag<(string, string)>();
        var busy = new ConcurrentBag<(string, string)>();
        int executed = 0, done = 0;
        var gate = new object();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Jobs };
        // NoBuffering: each worker takes the next run when it is free, in grid order.
        var source = System.Collections.Concurrent.Partitioner.Create(pending, EnumerablePartitionerOptions.NoBuffering);
        Parallel.ForEach(source, parallel, (point, state) =>
        {
            if (cancel.IsCancellationRequested) { state.Stop(); return; }
            string runDir = Path.Combine(outDir, point.Run);
            ExperimentResult? result = null;
            Exception? error = null;
            Directory.CreateDirectory(runDir);
            using var held = RunLock.TryAcquire(runDir, "dps sweep", out string holder);
            if (held is null) { busy.Add((point.Run, holder)); return; }
            if (SweepResults.IsFinished(runDir)) { Interlocked.Increment(ref skipped); return; } // finished by another process meanwhile
            try
            {
                var config = plan.ConfigFor(point);
                if (config.Case is { Kind: not CaseKind.None })
                {
                    // A case study: one replicate, its folder written in one commit (no checkpoints: an interrupted
                    // replicate writes nothing and runs again on resume).
                    try { CaseStudies.Write(config, runDir, RunMetadata.Capture(options.CommandLine), cancel); }
                    catch (OperationCanceledException) when (cancel.IsCancellationRequested) { return; }
                    File.Delete(Path.Combine(runDir, ErrorFile));
                    Interlocked.Increment(ref executed);
                    lock (gate) onRunDone?.Invoke(new SweepRunReport(point, null, null, ++done, pending.Count));
                    return;
                }
                string checkpoints = Path.Combine(runDir, Checkpoints.Folder);
                result = Experiment.Run(config, null, cancel, options.MeasureRobustness, checkpointDir: checkpoints, run: RunMetadata.Capture(options.CommandLine));
                // Interrupted in training or in the measures: no summary, so a resume runs it again from its checkpoints.
                if (!result.Complete || result.RobustnessSkipped) return;
                RunOutput.Write(runDir, result);
                File.Delete(Path.Combine(runDir, ErrorFile));
                if (Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true); // the finished run's files replace them (a run that wrote none has none)
                Interlocked.Increment(ref executed);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                error = e;
                failed.Add((point.Run, e.Message));
                try { AtomicFile.WriteAllText(Path.Combine(runDir, ErrorFile), $"{point.Describe()}\n{e}\n"); }
                catch (Exception w) when (w is IOException or UnauthorizedAccessException) { /* reported in the outcome either way */ }
            }
            lock (gate) onRunDone?.Invoke(new SweepRunReport(point, result, error, ++done, pending.Count));
        });

        int rows = SweepResults.WriteTable(outDir);
        var failures = failed.OrderBy(f => f.Item1, StringComparer.Ordinal).ToList();
        int notRun = pending.Count - executed - failures.Count - busy.Count - (skipped - skippedAtStart);
        return new SweepOutcome(inShard, skipped, executed, failures, cancel.IsCancellationRequested && notRun > 0, rows,
            [.. busy.OrderBy(b => b.Item1, StringComparer.Ordinal)]);
    }
}
