// One experiment from config to measured result, the same for a flat system and a nested one (a config with a
// `levels` block): restarts keeping the best loss, each trained by the one Trainer with optional checkpoints
// (resumable after any interruption, bit-identically), the search moves (the same entry point for flat and nested
// systems), and every measure (per level where there are levels).
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Measures;
using DpsTorch.Model;
using DpsTorch.Model.Search;
using DpsTorch.Nested;

namespace DpsTorch.Runs;

/// <summary>
/// The result of <see cref="Experiment.Run"/>. <see cref="Complete"/> is false when it was cancelled. A flat run has
/// <see cref="FlatMeasures"/>; a nested run has <see cref="LevelMeasures"/> (and, when asked, the homogeneous fleet).
/// </summary>
/// <param name="Config">The resolved config.</param>
/// <param name="System">The best restart's system: a <see cref="DpsModel"/> or a <see cref="NestedSystem"/>.</param>
/// <param name="Training">The best restart's training.</param>
/// <param name="BestRestart">Which restart it was.</param>
/// <param name="RestartLosses">Every restart's final loss.</param>
/// <param name="Seconds">Wall time of the whole call.</param>
/// <param name="Complete">False when cancellation stopped training.</param>
public sealed record ExperimentResult(DpsConfig Config, ITrainableSystem System, TrainResult Training, int BestRestart,
    IReadOnlyList<double> RestartLosses, double Seconds, bool Complete = true)
{
    /// <summary>Run id, start time, version, machine and command line (summary.json "run"); captured when the run starts.</summary>
    public RunMetadata? Run { get; init; }
    /// <summary>The measures of a flat system (null for a nested one).</summary>
    public MeasureSet? FlatMeasures { get; init; }
    /// <summary>The per-level measures of a nested system (null for a flat one).</summary>
    public NestedMeasureSet? LevelMeasures { get; init; }
    /// <summary>The homogeneous fleet of the same budget and network (nested runs with a baseline), else null.</summary>
    public NestedOutcome? Homogeneous { get; init; }

    /// <summary>Whether the system has levels.</summary>
    public bool IsNested => LevelMeasures is not null;

    /// <summary>The flat system; a nested run has none (read <see cref="System"/> or <see cref="NestedOutcome"/>).</summary>
    public DpsModel Model => System as DpsModel ?? throw new InvalidOperationException("A nested run has no flat model: read ExperimentResult.System or NestedOutcome.");

    /// <summary>The flat measures; a nested run has per-level ones (<see cref="LevelMeasures"/>).</summary>
    public MeasureSet Measures => FlatMeasures ?? throw new InvalidOperationException("A nested run has per-level measures: read ExperimentResult.LevelMeasures.");

    /// <summary>The measured loss of the trained system (flat or nested).</summary>
    public double Loss => FlatMeasures?.Loss ?? LevelMeasures!.Loss;

    /// <summary>Heterogeneity (q = 1) of the agents, the leaves' for a nested system.</summary>
    public double Heterogeneity => FlatMeasures?.Heterogeneity.Q1 ?? LevelMeasures!.Tiers[0].Among;

    /// <summary>Whether a signal during the measures skipped robustness and resilience (training was complete).</summary>
    public bool RobustnessSkipped => FlatMeasures?.RobustnessSkipped == true;

    /// <summary>A nested run's trained design with its measures (what the nested files hold).</summary>
    public NestedOutcome NestedOutcome => new((NestedSystem)System, Training, BestRestart, RestartLosses,
        LevelMeasures ?? throw new InvalidOperationException("A flat run has no levels."));
}

/// <summary>Runs an experiment: builds, trains (with restarts), measures.</summary>
public static class Experiment
{
    /// <summary>Prefix of the checkpoints of the homogeneous fleet that a nested run with a baseline also trains.</summary>
    private const string BaselinePrefix = "restart-baseline";

    /// <summary>
    /// Trains <c>training.restarts</c> systems (seeds Seeds.ForRestart(training.seed, r), inits per agents.init), flat or
    /// nested as the config says, keeps the one with the lowest final loss, then computes all measures on it. With
    /// <paramref name="checkpointDir"/>, each restart's full training state is saved there every
    /// <c>training.checkpointEvery</c> steps and when cancelled, finished restarts are marked done, and a later call with
    /// the same config and folder continues where the last one stopped, with a bit-identical result. When
    /// <paramref name="cancel"/> fires during training, the best state so far is measured (without robustness) and
    /// returned with <c>Complete = false</c>; when it fires during a flat system's measures, training is complete and
    /// robustness and resilience are skipped (<see cref="MeasureSet.RobustnessSkipped"/>). <paramref name="baseline"/>
    /// (nested configs only) also trains the homogeneous fleet of the same budget and network. <paramref name="run"/> is
    /// the run's metadata (default: captured when this call starts, with this process's command line).
    /// </summary>
    public static ExperimentResult Run(DpsConfig config, IProgress<TrainProgress>? progress = null, CancellationToken cancel = default,
        bool measureRobustness = true, string? checkpointDir = null, RunMetadata? run = null, bool baseline = false)
    {
        run ??= RunMetadata.Capture();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (checkpointDir is not null) Checkpoints.RemoveOrphans(checkpointDir);
        if (config.Levels is not null) return RunNested(config, progress, cancel, measureRobustness, checkpointDir, run, baseline, clock);
        if (baseline) throw new ConfigException("--baseline", "needs a config with a levels block (a flat system's baseline is agents.homogeneous).");

        Restarted<DpsModel> trained;
        if (config.Agents.Homogeneous)
        {
            var model = Baselines.Homogeneous(config, out var single);
            trained = new Restarted<DpsModel>(model, single, 0, [single.Loss], true);
        }
        else trained = Restarts(config, r => SystemBuilder.Create(config, r), SystemMeasures.Quick, (m, result) => SearchMoves(m, config.Training, result, SystemMeasures.Quick),
            progress, cancel, checkpointDir, "restart",
            config.Space.Dimensions == 1 && BatchedTraining.Applies(config.Training, config.Objective.Kind, config.Agents.Count, config.Objective.Mismatch) ? starts => BatchedTraining.Train(starts, config.Training, SystemMeasures.Quick, progress, cancel) : null);
        var measures = SystemMeasures.Compute(trained.Best, measureRobustness && trained.Complete ? config.Measures : null, config.Objective.LambdaC, config.Training.Lr, cancel);
        return new ExperimentResult(config, trained.Best, trained.Training, trained.BestRestart, trained.Losses, clock.Elapsed.TotalSeconds, trained.Complete)
        {
            Run = run,
            FlatMeasures = measures,
        };
    }

    private static ExperimentResult RunNested(DpsConfig config, IProgress<TrainProgress>? progress, CancellationToken cancel, bool measureRobustness,
        string? checkpointDir, RunMetadata run, bool baseline, System.Diagnostics.Stopwatch clock)
    {
        var nested = Restarts(config, r => NestedBuilder.Create(config, r), NestedMeasures.Quick, (s, result) => SearchMoves(s, config.Training, result, NestedMeasures.Quick),
            progress, cancel, checkpointDir, "restart");
        var measures = NestedMeasures.Compute(nested.Best, measureRobustness && nested.Complete ? config.Measures : null);
        NestedOutcome? homogeneous = null;
        bool complete = nested.Complete;
        if (baseline && complete)
        {
            var fleet = Restarts(config, r => NestedBuilder.Create(config, r, homogeneous: true), NestedMeasures.Quick,
                (s, result) => SearchMoves(s, config.Training, result, NestedMeasures.Quick), progress, cancel, checkpointDir, BaselinePrefix);
            homogeneous = new NestedOutcome(fleet.Best, fleet.Training, fleet.BestRestart, fleet.Losses,
                NestedMeasures.Compute(fleet.Best, measureRobustness && fleet.Complete ? config.Measures : null));
            complete = fleet.Complete;
        }
        else if (baseline) complete = false;
        return new ExperimentResult(config, nested.Best, nested.Training, nested.BestRestart, nested.Losses, clock.Elapsed.TotalSeconds, complete)
        {
            Run = run,
            LevelMeasures = measures,
            Homogeneous = homogeneous,
        };
    }

    private sealed record Restarted<TSystem>(TSystem Best, TrainResult Training, int BestRestart, List<double> Losses, bool Complete);

    /// <summary>
    /// The restart loop of every run: builds restart r, resumes it from its checkpoint (or takes its finished result),
    /// trains it with the one <see cref="Trainer"/> (through training.backend for flat systems), applies
    /// <paramref name="search"/>, and keeps the lowest final loss. With <paramref name="trainAll"/> (batched starts,
    /// <see cref="BatchedTraining"/>) and no checkpoint folder, the first-order phase of every restart runs as one
    /// computation first (a run with checkpoints trains one restart at a time, so that a cancelled run resumes
    /// bit-identically); a null answer (a non-finite step) falls back to the one-at-a-time path.
    /// </summary>
    private static Restarted<TSystem> Restarts<TSystem>(DpsConfig config, Func<int, TSystem> build, Func<TSystem, (double, double, double)> measure,
        Func<TSystem, TrainResult, TrainResult> search, IProgress<TrainProgress>? progress, CancellationToken cancel, string? checkpointDir, string prefix,
        Func<IReadOnlyList<TSystem>, TrainResult[]?>? trainAll = null)
        where TSystem : class, ITrainableSystem
    {
        var key = CheckpointKey.Of(config);
        TSystem? best = null;
        TrainResult? bestTrain = null;
        int bestRestart = 0;
        var losses = new List<double>();
        bool complete = true;
        int restarts = config.Training.Restarts;
        TSystem[]? built = null;
        TrainResult[]? batched = null;
        if (trainAll is not null && checkpointDir is null)
        {
            built = [.. Enumerable.Range(0, restarts).Select(build)];
            batched = trainAll(built);
            if (batched is null) built = null;
        }
        for (int r = 0; r < restarts; r++)
        {
            if (cancel.IsCancellationRequested && best is not null) { complete = false; break; }
            var system = built?[r] ?? build(r);
            string? file = checkpointDir is null ? null : Path.Combine(checkpointDir, $"{prefix}-{r}.json");
            var saved = batched is null && file is not null && File.Exists(file) ? Checkpoints.Load(file, system, key) : null;
            TrainResult result;
            if (saved is { Done: true }) result = saved.Result!;
            else if (batched is not null)
            {
                result = batched[r];
                if (result.Reason != StopReason.Cancelled)
                {
                    result = search(system, result);
                    if (file is not null) Checkpoints.Save(file, system, key, r, new TrainerCheckpoint(result.Steps, [], [.. result.Trajectory], null, result.Seconds), result);
                }
            }
            else
            {
                int restart = r;
                Action<TrainerCheckpoint>? write = file is null ? null : state => Checkpoints.Save(file, system, key, restart, state, null);
                ITrainableSystem trainable = system is DpsModel model ? TrainingBackends.For(model, config.Training) : system;
                result = Trainer.Train(trainable, config.Training, _ => measure(system), progress, cancel, saved?.State, write);
                result = search(system, result);
                if (file is not null && result.Reason != StopReason.Cancelled)
                    Checkpoints.Save(file, system, key, r, new TrainerCheckpoint(result.Steps, [], [.. result.Trajectory], null, result.Seconds), result);
            }
            losses.Add(result.Loss);
            if (best is null || result.Loss < bestTrain!.Loss) { best = system; bestTrain = result; bestRestart = r; }
            if (result.Reason == StopReason.Cancelled) { complete = false; break; }
        }
        return new Restarted<TSystem>(best!, bestTrain!, bestRestart, losses, complete);
    }

    /// <summary>
    /// The search moves after training (issue 13), through the search's one entry point (<see cref="Refinement.Run"/>),
    /// for a flat or a nested system alike.
    /// </summary>
    private static TrainResult SearchMoves<TSystem>(TSystem system, TrainingConfig training, TrainResult result, Func<TSystem, (double, double, double)> measure)
        where TSystem : AgentSystem
        // The search moves run on the engine model (the torch backend keeps it in step with its tensors).
        => Refinement.Run(system, training, result, measure);
}
