// The restarts' first-order phase as one computation (issue 13 part 2, on issue 18's BatchedStarts): R starts of a
// flat system stacked into one block-diagonal system, one Adam (or SGD) step for all of them per iteration, and each
// start stopped by the rules the Trainer applies to it alone (gradient test, loss stall, step limit), frozen from
// then on. An element-wise optimizer gives each start the step it would take alone, so the per-start results match
// the one-at-a-time path to rounding (tests/DpsTorch.Tests/Model/Search/BatchedTrainingTests.cs).
using System.Diagnostics;
using DpsTorch.Config;
using DpsTorch.Ops;
using DpsTorch.Optim;

namespace DpsTorch.Model.Search;

/// <summary>Trains several starts of one flat system as one <see cref="BatchedStarts"/>.</summary>
public static class BatchedTraining
{
    /// <summary>Largest number of agents per start batched (larger systems gain nothing: the work, not the per-op overhead, dominates; bench/README.md).</summary>
    public const int MaxAgents = 64;

    /// <summary>
    /// Whether the restarts of <paramref name="training"/> may be batched for a flat system of <paramref name="agents"/>
    /// agents: training.batched, the system objective, or the local objective with the squared <paramref name="mismatch"/>
    /// (its batch takes the Fourier-space path, <see cref="BatchedStarts.Spectral"/>; on the grid a batched local step of
    /// four starts cost about six one-start steps, bench/optima/README.md), at least two restarts, at most
    /// <see cref="MaxAgents"/> agents, the managed backend, an
    /// element-wise optimizer (Adam or SGD; L-BFGS couples the starts through its line search) and no back-off (a
    /// non-finite step sends the batch back to the one-at-a-time path, which reports or backs off as configured).
    /// </summary>
    public static bool Applies(TrainingConfig training, ObjectiveKind objective, int agents, MismatchKind mismatch = MismatchKind.Squared)
        => training.Batched && (objective == ObjectiveKind.System || (objective == ObjectiveKind.Local && mismatch == MismatchKind.Squared))
           && training.Restarts >= 2 && agents <= MaxAgents
           && training.Backend == TrainingBackend.Managed && training.Optimizer is OptimizerKind.Adam or OptimizerKind.Sgd && training.Backoff == 0;

    /// <summary>
    /// Trains <paramref name="starts"/> (built from one config) together for at most training.steps steps, each start
    /// with its own stop rules, and leaves each start's final parameters in its model. Returns one result per start as
    /// <see cref="Trainer.Train"/> would give it (loss, steps, stop reason, trajectory with <paramref name="measure"/>
    /// every training.logEvery steps, final gradient norm and verdict; seconds are the batch's wall time shared among
    /// the starts still running at each step), or null when a loss, gradient or parameter stopped being finite (the
    /// models are then as they were built, for the one-at-a-time path). A cancelled batch returns every unfinished start
    /// with <see cref="StopReason.Cancelled"/>.
    /// </summary>
    public static TrainResult[]? Train(IReadOnlyList<DpsModel> starts, TrainingConfig training,
        Func<DpsModel, (double het, double cov, double spec)> measure, IProgress<TrainProgress>? progress = null, CancellationToken cancel = default)
    {
        // The Fourier-space path where it applies (equal to the lone starts' to rounding), else the lone starts' bits.
        var batch = new BatchedStarts(starts) { MixtureMethod = WrappedNormalMethod.Images };
        int count = starts.Count;
        var ps = batch.Parameters();
        var initial = starts.Select(m => Trainer.Snapshot(m.Parameters())).ToArray();
        var optimizer = Trainer.MakeOptimizer(training, ps);
        var schedule = Trainer.MakeSchedule(training);
        int continuationSteps = (int)Math.Round(training.Continuation * training.Steps);
        var clock = Stopwatch.StartNew();
        var seconds = new double[count];
        var steps = new int[count];
        var reasons = Enumerable.Repeat(StopReason.StepLimit, count).ToArray();
        var active = Enumerable.Repeat(true, count).ToArray();
        var frozen = new double[count][][];
        var histories = Enumerable.Range(0, count).Select(_ => new List<double>()).ToArray();
        var trajectories = Enumerable.Range(0, count).Select(_ => new List<TrajectoryPoint>()).ToArray();
        var losses = new double[count];
        var coverages = new double[count];
        double last = 0;
        int step = 0;
        for (; step < training.Steps && active.Contains(true); step++)
        {
            if (cancel.IsCancellationRequested)
            {
                for (int r = 0; r < count; r++) if (active[r]) { reasons[r] = StopReason.Cancelled; steps[r] = step; }
                break;
            }
            optimizer.LearningRate = schedule.LearningRate(step);
            var frames = continuationSteps > 0 && step < continuationSteps
                ? Continuation.Smooth(batch.Space, batch.DemandFrames, training.ContinuationWidth * (1.0 - (double)step / continuationSteps))
                : batch.DemandFrames;
            optimizer.ZeroGrad();
            batch.Evaluate(frames, backward: true);
            for (int r = 0; r < count; r++) (losses[r], coverages[r]) = (batch.StartLosses[r], batch.StartCoverages[r]);
            var norms = batch.StartGradientNorms();
            if (!losses.All(double.IsFinite) || !norms.All(double.IsFinite)) return Abandon();
            optimizer.Step();
            for (int r = 0; r < count; r++) if (!active[r]) RestoreStart(ps, r, count, frozen[r]);
            if (ps.Any(p => !Polish.AllFinite(p.Data))) return Abandon();
            TensorEngine.EndStep();
            double now = clock.Elapsed.TotalSeconds;
            int running = active.Count(a => a);
            for (int r = 0; r < count; r++) if (active[r]) seconds[r] += (now - last) / running;
            last = now;
            for (int r = 0; r < count; r++)
            {
                if (!active[r]) continue;
                if (step % training.LogEvery == 0) Log(r, step);
                if (step < continuationSteps) continue;
                bool stop = false;
                if (Convergence.Stops(norms[r], training)) { reasons[r] = StopReason.Gradient; stop = true; }
                else
                {
                    var history = histories[r];
                    history.Add(losses[r]);
                    if (history.Count > training.Patience)
                    {
                        history.RemoveAt(0);
                        double old = history[0];
                        if (Math.Abs(old - losses[r]) <= training.Tolerance * Math.Max(Math.Abs(old), 1e-300)) { reasons[r] = StopReason.LossStalled; stop = true; }
                    }
                }
                if (!stop) continue;
                active[r] = false;
                steps[r] = step + 1;
                frozen[r] = StartSlices(ps, r, count);
            }
        }
        for (int r = 0; r < count; r++) if (active[r] && reasons[r] != StopReason.Cancelled) steps[r] = step;
        var results = new TrainResult[count];
        for (int r = 0; r < count; r++)
        {
            var model = starts[r];
            batch.CopyTo(r, model);
            var (loss, coverage, gradient) = Convergence.FinalEvaluation(model);
            losses[r] = loss;
            coverages[r] = coverage;
            Log(r, steps[r]);
            results[r] = new TrainResult(loss, steps[r], reasons[r], seconds[r], trajectories[r], [], gradient, Convergence.Passes(gradient, training));
        }
        return results;

        void Log(int r, int s)
        {
            var model = starts[r];
            batch.CopyTo(r, model);
            var (het, cov, spec) = measure(model);
            var trajectory = trajectories[r];
            if (trajectory.Count > 0 && trajectory[^1].Step == s) trajectory.RemoveAt(trajectory.Count - 1);
            trajectory.Add(new TrajectoryPoint(s, losses[r], coverages[r], het, cov, spec, seconds[r]));
            if (r == 0) progress?.Report(new TrainProgress(s, training.Steps, losses[r], het, cov));
        }

        TrainResult[]? Abandon()
        {
            for (int r = 0; r < count; r++) Trainer.Restore(starts[r].Parameters(), initial[r]);
            TensorEngine.EndStep();
            return null;
        }
    }

    /// <summary>Start r's slice of every stacked parameter (each parameter holds the R starts' values one after another).</summary>
    private static double[][] StartSlices(IReadOnlyList<Tensor> ps, int r, int count)
        => [.. ps.Select(p => p.Data.Slice(r * (p.Numel / count), p.Numel / count).ToArray())];

    private static void RestoreStart(IReadOnlyList<Tensor> ps, int r, int count, double[][] values)
    {
        for (int k = 0; k < ps.Count; k++)
        {
            int len = ps[k].Numel / count;
            var all = ps[k].ToArray();
            values[k].CopyTo(all, r * len);
            ps[k].Copy_(all);
        }
    }
}
