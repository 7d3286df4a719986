// Trains a NestedSystem: the config's optimiser over every level's parameters at once, demand continuation, early
// stopping on convergence, a non-finite guard, and restarts keeping the best final loss.
using System.Diagnostics;
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Optim;

namespace DpsTorch.Nested;

/// <summary>One logged point of a nested training run.</summary>
public sealed record NestedTrajectoryPoint(int Step, double Loss, double CoverageLoss, double Seconds);

/// <summary>The outcome of <see cref="NestedTrainer.Train"/>.</summary>
public sealed record NestedTrainResult(double Loss, int Steps, StopReason Reason, double Seconds, IReadOnlyList<NestedTrajectoryPoint> Trajectory);

/// <summary>The best of several restarts; <see cref="Complete"/> is false when cancellation stopped a restart or skipped some.</summary>
public sealed record NestedRunResult(NestedSystem System, NestedTrainResult Training, int BestRestart, IReadOnlyList<double> RestartLosses,
    bool Complete = true);

/// <summary>Trains nested systems.</summary>
public static class NestedTrainer
{
    private const string Label = "nested training";

    /// <summary>
    /// Up to training.Steps steps of training.optimizer on all parameters of <paramref name="system"/>, in place.
    /// Throws <see cref="NonFiniteException"/> naming the step and parameter when the loss or a gradient stops being
    /// finite (the parameters then hold the last finite state).
    /// </summary>
    public static NestedTrainResult Train(NestedSystem system, TrainingConfig training, CancellationToken cancel = default)
    {
        var ps = system.Parameters();
        var names = system.ParameterNames();
        var optimizer = Trainer.MakeOptimizer(training, ps);
        var clock = Stopwatch.StartNew();
        var trajectory = new List<NestedTrajectoryPoint>();
        var lastGood = ps.Select(p => p.ToArray()).ToArray();
        var history = new List<double>();
        int continuationSteps = (int)Math.Round(training.Continuation * training.Steps);
        double loss = double.NaN, coverageLoss = double.NaN;
        var reason = StopReason.StepLimit;
        int step = 0;
        for (; step < training.Steps; step++)
        {
            if (cancel.IsCancellationRequested) { reason = StopReason.Cancelled; break; }
            var frames = continuationSteps > 0 && step < continuationSteps
                ? Continuation.Smooth(system.Space, system.DemandFrames, training.ContinuationWidth * (1.0 - (double)step / continuationSteps))
                : system.DemandFrames;
            double Evaluate()
            {
                optimizer.ZeroGrad();
                var parts = system.Loss(frames);
                parts.Total.Backward();
                coverageLoss = parts.Coverage.Item();
                return parts.Total.Item();
            }
            try
            {
                if (optimizer is Lbfgs lbfgs) { loss = lbfgs.Step(Evaluate); NonFiniteGuard.CheckLoss(Label, step, loss); }
                else
                {
                    loss = Evaluate();
                    NonFiniteGuard.CheckLoss(Label, step, loss);
                    NonFiniteGuard.CheckGradients(Label, step, ps, names);
                    optimizer.Step();
                }
                NonFiniteGuard.CheckState(Label, step, ps, names, optimizer, system.Sigma, system.Resources, Trainer.ResourcesFormula(system.SoftBudget));
            }
            catch (NonFiniteException e)
            {
                for (int k = 0; k < ps.Count; k++) Array.Copy(lastGood[k], ps[k].Data, lastGood[k].Length);
                throw new NonFiniteException($"{e.Message}; parameters restored to the last finite state ({NonFiniteGuard.Hint}).");
            }
            for (int k = 0; k < ps.Count; k++) Array.Copy(ps[k].Data, lastGood[k], lastGood[k].Length);

            if (step % training.LogEvery == 0) trajectory.Add(new NestedTrajectoryPoint(step, loss, coverageLoss, clock.Elapsed.TotalSeconds));
            if (step < continuationSteps) continue;
            history.Add(loss);
            if (history.Count > training.Patience)
            {
                double old = history[^(training.Patience + 1)];
                if (Math.Abs(old - loss) <= training.Tolerance * Math.Max(Math.Abs(old), 1e-300)) { step++; reason = StopReason.LossStalled; break; }
            }
        }
        using (Torch.NoGrad())
        {
            var parts = system.Loss();
            loss = parts.Total.Item();
            coverageLoss = parts.Coverage.Item();
        }
        if (trajectory.Count > 0 && trajectory[^1].Step == step) trajectory.RemoveAt(trajectory.Count - 1);
        trajectory.Add(new NestedTrajectoryPoint(step, loss, coverageLoss, clock.Elapsed.TotalSeconds));
        return new NestedTrainResult(loss, step, reason, clock.Elapsed.TotalSeconds, trajectory);
    }

    /// <summary>
    /// Trains training.restarts systems (seeds Seeds.ForRestart(training.seed, r), inits per agents.init) and keeps the lowest final loss.
    /// <paramref name="homogeneous"/> trains the homogeneous fleet of the same budget and network instead.
    /// </summary>
    public static NestedRunResult Run(DpsConfig config, bool homogeneous = false, CancellationToken cancel = default)
    {
        if (config.Training.Backend != TrainingBackend.Managed)
            throw ConfigException.Invalid("training.backend", Choices.Name(config.Training.Backend),
                "\"managed\" for nested systems here (a nested system trains on libtorch through the C# API: DpsTorch.TorchSharp.NestedModule)");
        NestedSystem? best = null;
        NestedTrainResult? bestTrain = null;
        int bestRestart = 0;
        var losses = new List<double>();
        bool complete = true;
        for (int r = 0; r < config.Training.Restarts; r++)
        {
            if (cancel.IsCancellationRequested && best is not null) { complete = false; break; }
            var system = NestedBuilder.Create(config, r, homogeneous);
            var result = Train(system, config.Training, cancel);
            losses.Add(result.Loss);
            if (best is null || result.Loss < bestTrain!.Loss) { best = system; bestTrain = result; bestRestart = r; }
            if (result.Reason == StopReason.Cancelled) { complete = false; break; }
        }
        return new NestedRunResult(best!, bestTrain!, bestRestart, losses, complete);
    }
}
