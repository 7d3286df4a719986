// One experiment from config to measured result: restarts (keeping the best loss), training, and every measure.
using DpsTorch.Measures;

namespace DpsTorch.Model;

/// <summary>The result of <see cref="Experiment.Run"/>.</summary>
public sealed record ExperimentResult(DpsConfig Config, DpsModel Model, TrainResult Training, MeasureSet Measures,
    int BestRestart, IReadOnlyList<double> RestartLosses, double Seconds);

/// <summary>Runs an experiment: builds, trains (with restarts), measures.</summary>
public static class Experiment
{
    /// <summary>
    /// Trains <c>training.restarts</c> models (seeds training.seed + r, inits per agents.init) and keeps the one with the
    /// lowest final loss, then computes all measures on it. Progress reports carry the restart's steps.
    /// </summary>
    public static ExperimentResult Run(DpsConfig config, IProgress<TrainProgress>? progress = null, CancellationToken cancel = default,
        bool measureRobustness = true)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        DpsModel? best = null;
        TrainResult? bestTrain = null;
        int bestRestart = 0;
        var losses = new List<double>();
        if (config.Agents.Homogeneous)
        {
            best = Baselines.Homogeneous(config, out var single);
            bestTrain = single;
            losses.Add(single.Loss);
        }
        for (int r = 0; r < config.Training.Restarts && !config.Agents.Homogeneous; r++)
        {
            if (cancel.IsCancellationRequested && best is not null) break;
            var model = SystemBuilder.Create(config, r);
            var result = Trainer.Train(model, config.Training, SystemMeasures.Quick, progress, cancel);
            losses.Add(result.Loss);
            if (best is null || result.Loss < bestTrain!.Loss) { best = model; bestTrain = result; bestRestart = r; }
        }
        var measures = SystemMeasures.Compute(best!, measureRobustness ? config.Measures : null, config.Objective.LambdaC, config.Training.Lr);
        return new ExperimentResult(config, best!, bestTrain!, measures, bestRestart, losses, clock.Elapsed.TotalSeconds);
    }
}
