// Trains a DpsModel (MODEL.md section 2, "Optimisation"): Adam / SGD / L-BFGS, a demand continuation schedule,
// early stopping on convergence, a guard that names the step and parameter of the first non-finite value,
// and a per-step trajectory of the loss and the measures.
using System.Diagnostics;
using DpsTorch.Config;
using DpsTorch.Optim;

namespace DpsTorch.Model;

/// <summary>One logged point of a training run.</summary>
public sealed record TrajectoryPoint(int Step, double Loss, double CoverageLoss, double Heterogeneity, double Coverage,
    double Specialization, double Seconds);

/// <summary>Why training stopped.</summary>
public enum StopReason
{
    /// <summary>The relative loss change over the patience window fell below training.tolerance (the gradient may still be large).</summary>
    LossStalled,
    /// <summary>The RMS gradient fell to training.gradTolerance or below (Model/Convergence.cs).</summary>
    Gradient,
    /// <summary>The step limit was reached.</summary>
    StepLimit,
    /// <summary>Cancelled by the caller (Ctrl-C).</summary>
    Cancelled,
}

/// <summary>
/// Everything needed to continue training bit-identically: the next step, the convergence window, the trajectory so
/// far, the optimizer's state and the seconds already spent. The parameters themselves live in the model.
/// </summary>
public sealed record TrainerCheckpoint(int Step, double[] History, TrajectoryPoint[] Trajectory, OptimizerState? Optimizer, double Seconds,
    double BackoffScale = 1.0);

/// <summary>
/// The outcome of <see cref="Trainer.Train"/>; Warnings lists the learning-rate back-offs taken (training.backoff).
/// GradientNorm is the RMS gradient of the full loss at the final parameters, and Converged says whether it passed
/// training.gradTolerance (Model/Convergence.cs), whatever stopped the run.
/// </summary>
public sealed record TrainResult(double Loss, int Steps, StopReason Reason, double Seconds, IReadOnlyList<TrajectoryPoint> Trajectory,
    IReadOnlyList<string>? Warnings = null, double GradientNorm = double.NaN, bool Converged = false);

/// <summary>Progress reported while training.</summary>
public readonly record struct TrainProgress(int Step, int TotalSteps, double Loss, double Heterogeneity, double Coverage);

/// <summary>Trains a model's parameters in place.</summary>
public static class Trainer
{
    private const string Label = "training";

    /// <summary>How the resources follow from α, for messages.</summary>
    public static string ResourcesFormula(bool softBudget) => softBudget ? "softplus(alpha)" : "budget * softmax(alpha)";

    /// <summary>
    /// Runs up to <c>training.Steps</c> optimisation steps on <paramref name="model"/>. Every
    /// <c>training.LogEvery</c> steps (and at the end) a trajectory point is recorded with the measures computed by
    /// <paramref name="measure"/> (heterogeneity, coverage, specialisation). Throws <see cref="NonFiniteException"/>
    /// naming the step, the parameter and the value when a loss or gradient stops being finite; the parameters then
    /// hold the last finite state.
    /// <para>
    /// Checkpoints: when <paramref name="checkpoint"/> is given it receives the full training state every
    /// <c>training.CheckpointEvery</c> steps and when cancelled; <paramref name="resume"/> continues from such a state
    /// (the model's parameters must already hold the checkpoint's values). A resumed run takes bit-identical steps to
    /// an uninterrupted one.
    /// </para>
    /// </summary>
    /// <remarks>
    /// <typeparamref name="TSystem"/> is <see cref="DpsModel"/> itself, or a wrapper that computes the loss and gradients
    /// with another backend (<see cref="TrainingBackends"/>); the optimizer, schedule, checkpoints and guard always work
    /// on the engine tensors of <see cref="ITrainableSystem.Parameters"/>.
    /// </remarks>
    public static TrainResult Train<TSystem>(TSystem model, TrainingConfig training, Func<TSystem, (double het, double cov, double spec)> measure,
        IProgress<TrainProgress>? progress = null, CancellationToken cancel = default,
        TrainerCheckpoint? resume = null, Action<TrainerCheckpoint>? checkpoint = null)
        where TSystem : ITrainableSystem
    {
        var ps = model.Parameters();
        var names = model.ParameterNames();
        var optimizer = MakeOptimizer(training, ps);
        if (resume?.Optimizer is { } saved) optimizer.LoadState(saved);
        var schedule = MakeSchedule(training);
        double backoffScale = resume?.BackoffScale ?? 1.0;
        var clock = Stopwatch.StartNew();
        double secondsBefore = resume?.Seconds ?? 0;
        var trajectory = new List<TrajectoryPoint>(resume?.Trajectory ?? []);
        (double[][] values, OptimizerState optimizer, int step) lastGood = (Snapshot(ps), optimizer.GetState(), -1);
        var history = new List<double>(resume?.History ?? []);
        int continuationSteps = (int)Math.Round(training.Continuation * training.Steps);
        double loss = double.NaN, coverageLoss = double.NaN, gradientNorm = double.NaN;
        int step = resume?.Step ?? 0;
        var reason = StopReason.StepLimit;
        int backoffs = 0;
        var warnings = new List<string>();
        double Seconds() => secondsBefore + clock.Elapsed.TotalSeconds;
        TrainerCheckpoint State() => new(step, [.. history], [.. trajectory], optimizer.GetState(), Seconds(), backoffScale);

        for (; step < training.Steps; step++)
        {
            if (cancel.IsCancellationRequested) { reason = StopReason.Cancelled; break; }
            if (checkpoint is not null && step > (resume?.Step ?? 0) && step % training.CheckpointEvery == 0) checkpoint(State());
            optimizer.LearningRate = schedule.LearningRate(step) * backoffScale;
            var frames = continuationSteps > 0 && step < continuationSteps
                ? Continuation.Smooth(model.Space, model.DemandFrames, training.ContinuationWidth * (1.0 - (double)step / continuationSteps))
                : model.DemandFrames;

            // The state before this step's update: the last one whose loss was finite once this step's loss checks out.
            var before = (Snapshot(ps), optimizer.GetState(), step);
            try
            {
                if (optimizer is Lbfgs lbfgs)
                {
                    loss = lbfgs.Step(() =>
                    {
                        optimizer.ZeroGrad();
                        (double total, coverageLoss) = model.Evaluate(frames, backward: true);
                        return total;
                    });
                    NonFiniteGuard.CheckLoss(Label, step, loss);
                    gradientNorm = Convergence.GradientNorm(ps);
                }
                else
                {
                    optimizer.ZeroGrad();
                    (loss, coverageLoss) = model.Evaluate(frames, backward: true);
                    NonFiniteGuard.CheckLoss(Label, step, loss);
                    NonFiniteGuard.CheckGradients(Label, step, ps, names);
                    gradientNorm = Convergence.GradientNorm(ps);
                    optimizer.Step();
                }
                NonFiniteGuard.CheckState(Label, step, ps, names, optimizer, model.Sigma, model.Resources, ResourcesFormula(model.SoftBudget));
                TensorEngine.EndStep();
            }
            catch (NonFiniteException e)
            {
                // A non-finite loss at this step was caused by the previous update; anything else by this one.
                var (good, goodOptimizer, goodStep) = e.CausedByPreviousUpdate && lastGood.step >= 0 ? lastGood : before;
                Restore(ps, good);
                optimizer.LoadState(goodOptimizer);
                if (!(training.Backoff > 0 && backoffs < training.MaxBackoffs))
                    throw new NonFiniteException($"{e.Message}; parameters restored to their finite state before step {goodStep}'s update ({NonFiniteGuard.Hint}).");
                backoffs++;
                backoffScale *= training.Backoff;
                optimizer.LearningRate = schedule.LearningRate(goodStep) * backoffScale;
                warnings.Add($"{e.Message}; redoing step {goodStep} with the learning rate backed off to {optimizer.LearningRate:G4}.");
                if (history.Count > 0 && goodStep < step) history.RemoveAt(history.Count - 1);
                step = goodStep - 1;
                continue;
            }
            lastGood = before;

            if (step % training.LogEvery == 0) Log(step);
            if (step >= continuationSteps)
            {
                if (Convergence.Stops(gradientNorm, training)) { step++; reason = StopReason.Gradient; break; }
                history.Add(loss);
                if (history.Count > training.Patience)
                {
                    history.RemoveAt(0);
                    double old = history[0];
                    if (Math.Abs(old - loss) <= training.Tolerance * Math.Max(Math.Abs(old), 1e-300)) { step++; reason = StopReason.LossStalled; break; }
                }
            }
        }
        if (reason == StopReason.Cancelled) checkpoint?.Invoke(State());
        // Final loss at the final parameters.
        (loss, coverageLoss, double finalGradient) = Convergence.FinalEvaluation(model);
        Log(step);
        return new TrainResult(loss, step, reason, Seconds(), trajectory, warnings, finalGradient, Convergence.Passes(finalGradient, training));

        void Log(int s)
        {
            var (het, cov, spec) = measure(model);
            if (trajectory.Count > 0 && trajectory[^1].Step == s) trajectory.RemoveAt(trajectory.Count - 1);
            trajectory.Add(new TrajectoryPoint(s, loss, coverageLoss, het, cov, spec, Seconds()));
            progress?.Report(new TrainProgress(s, training.Steps, loss, het, cov));
        }
    }

    /// <summary>The learning-rate schedule named by the config (it depends on the step alone, so resumed runs match).</summary>
    public static LearningRateSchedule MakeSchedule(TrainingConfig t) => t.Schedule switch
    {
        ScheduleKind.Constant => new ConstantSchedule(t.Lr),
        ScheduleKind.Step => new StepSchedule(t.Lr, Math.Max(1, t.Steps / 4), 0.5),
        ScheduleKind.Cosine => t.Steps > 1 ? new CosineSchedule(t.Lr, t.Steps, t.Lr * t.MinLrFraction) : new ConstantSchedule(t.Lr),
        _ => throw Choices.Unknown("training.schedule", t.Schedule),
    };

    /// <summary>The optimizer named by the config.</summary>
    public static Optimizer MakeOptimizer(TrainingConfig t, IReadOnlyList<Tensor> ps) => t.Optimizer switch
    {
        OptimizerKind.Adam => new Adam(ps, lr: t.Lr),
        OptimizerKind.Sgd => new Sgd(ps, t.Lr, momentum: t.Momentum),
        OptimizerKind.Lbfgs => new Lbfgs(ps, lr: t.Lr),
        _ => throw Choices.Unknown("training.optimizer", t.Optimizer),
    };

    /// <summary>A copy of every parameter's values (what <see cref="Restore"/> puts back; the search moves use it too).</summary>
    internal static double[][] Snapshot(IReadOnlyList<Tensor> ps) => ps.Select(p => p.ToArray()).ToArray();

    /// <summary>Writes a <see cref="Snapshot"/> back into the parameters (no-grad, in place).</summary>
    internal static void Restore(IReadOnlyList<Tensor> ps, double[][] from)
    {
        for (int k = 0; k < ps.Count; k++) ps[k].Copy_(from[k]);
    }
}

/// <summary>Demand continuation: the demand convolved with a wrapped normal of shrinking width.</summary>
public static class Continuation
{
    /// <summary>A frame on T^d convolved with the product kernel Π_k WN(0, width): the circle's convolution along each axis in turn.</summary>
    private static double[] SmoothAxes(Space space, double[] frame, double width)
    {
        int m = space.M, points = space.Points;
        var kernel = new double[m];
        for (int k = 0; k < m; k++) kernel[k] = WrappedNormal.Density(space.Grid[k], 0.0, width) * space.Spacing;
        var current = (double[])frame.Clone();
        var next = new double[points];
        for (int axis = 0, stride = points / m; axis < space.Dimensions; axis++, stride /= m)
        {
            for (int p = 0; p < points; p++)
            {
                int c = p / stride % m, origin = p - c * stride;
                double s = 0;
                for (int j = 0; j < m; j++) s += current[origin + j * stride] * kernel[(c - j + m) % m];
                next[p] = s;
            }
            (current, next) = (next, current);
        }
        return current;
    }

    /// <summary>Widths below this fraction of a grid spacing leave the demand unchanged.</summary>
    public const double NegligibleWidthInSpacings = 0.25;

    /// <summary>Each frame convolved on the circle with WN(0, width): (D * k)(x_m) = Δ Σ_n D(x_n) WN(x_m − x_n; 0, width).</summary>
    public static IReadOnlyList<double[]> Smooth(Space space, IReadOnlyList<double[]> frames, double width)
    {
        if (width < NegligibleWidthInSpacings * space.Spacing) return frames;
        if (space.Dimensions > 1) return [.. frames.Select(f => SmoothAxes(space, f, width))];
        int m = space.M;
        var kernel = new double[m];
        for (int k = 0; k < m; k++) kernel[k] = WrappedNormal.Density(space.Grid[k], 0.0, width) * space.Delta;
        var result = new double[frames.Count][];
        for (int f = 0; f < frames.Count; f++)
        {
            var d = frames[f];
            var o = new double[m];
            for (int i = 0; i < m; i++)
            {
                double s = 0;
                for (int j = 0; j < m; j++) s += d[j] * kernel[(i - j + m) % m];
                o[i] = s;
            }
            result[f] = o;
        }
        return result;
    }
}
