// One experiment from config to measured result: restarts (keeping the best loss), training with optional
// checkpoints (resumable after any interruption), and every measure.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Measures;

namespace DpsTorch.Model;

/// <summary>The result of <see cref="Experiment.Run"/>. <see cref="Complete"/> is false when it was cancelled.</summary>
public sealed record ExperimentResult(DpsConfig Config, DpsModel Model, TrainResult Training, MeasureSet Measures,
    int BestRestart, IReadOnlyList<double> RestartLosses, double Seconds, bool Complete = true)
{
    /// <summary>Run id, start time, version, machine and command line (summary.json "run"); captured when the run starts.</summary>
    public RunMetadata? Run { get; init; }
}

/// <summary>Runs an experiment: builds, trains (with restarts), measures.</summary>
public static class Experiment
{
    /// <summary>Folder (inside a run folder) holding one checkpoint file per restart.</summary>
    public const string CheckpointFolder = "checkpoints";

    /// <summary>
    /// Trains <c>training.restarts</c> models (seeds Seeds.ForRestart(training.seed, r), inits per agents.init) and keeps the one with the
    /// lowest final loss, then computes all measures on it. With <paramref name="checkpointDir"/>, each restart's full
    /// training state is saved there every <c>training.checkpointEvery</c> steps and when cancelled, finished restarts
    /// are marked done, and a later call with the same config and folder continues where the last one stopped, with a
    /// bit-identical result. When <paramref name="cancel"/> fires during training, the best state so far is measured
    /// (without robustness) and returned with <c>Complete = false</c>; when it fires during the measures, training is
    /// complete and robustness and resilience are skipped (<see cref="MeasureSet.RobustnessSkipped"/>). <paramref name="run"/> is the run's
    /// metadata (default: captured when this call starts, with this process's command line).
    /// </summary>
    public static ExperimentResult Run(DpsConfig config, IProgress<TrainProgress>? progress = null, CancellationToken cancel = default,
        bool measureRobustness = true, string? checkpointDir = null, RunMetadata? run = null)
    {
        run ??= RunMetadata.Capture();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        DpsModel? best = null;
        TrainResult? bestTrain = null;
        int bestRestart = 0;
        var losses = new List<double>();
        bool complete = true;
        if (config.Agents.Homogeneous)
        {
            best = Baselines.Homogeneous(config, out var single);
            bestTrain = single;
            losses.Add(single.Loss);
        }
        var key = CheckpointKey.Of(config);
        if (checkpointDir is not null) Checkpoints.RemoveOrphans(checkpointDir);
        for (int r = 0; r < config.Training.Restarts && !config.Agents.Homogeneous; r++)
        {
            if (cancel.IsCancellationRequested && best is not null) { complete = false; break; }
            var model = SystemBuilder.Create(config, r);
            string? file = checkpointDir is null ? null : Path.Combine(checkpointDir, $"restart-{r}.json");
            TrainResult result;
            var saved = file is not null && File.Exists(file) ? Checkpoints.Load(file, model, key) : null;
            if (saved is { Done: true }) result = saved.Result!;
            else
            {
                Action<TrainerCheckpoint>? write = file is null ? null : state => Checkpoints.Save(file, model, key, r, state, null);
                var system = TrainingBackends.For(model, config.Training);
                result = Trainer.Train(system, config.Training, _ => SystemMeasures.Quick(model), progress, cancel, saved?.State, write);
                // The search moves run on the engine model (the torch backend keeps it in step with its tensors).
                result = Search.Polish.Run(model, config.Training, result, SystemMeasures.Quick);
                if (result.Reason != StopReason.Cancelled && Search.Swaps.Run(model, config.Training.Swaps) > 0)
                    result = Search.Polish.Run(model, config.Training, Search.Polish.Remeasure(model, config.Training, result), SystemMeasures.Quick);
                if (file is not null && result.Reason != StopReason.Cancelled)
                    Checkpoints.Save(file, model, key, r, new TrainerCheckpoint(result.Steps, [], [.. result.Trajectory], null, result.Seconds), result);
            }
            losses.Add(result.Loss);
            if (best is null || result.Loss < bestTrain!.Loss) { best = model; bestTrain = result; bestRestart = r; }
            if (result.Reason == StopReason.Cancelled) { complete = false; break; }
        }
        var measures = SystemMeasures.Compute(best!, measureRobustness && complete ? config.Measures : null, config.Objective.LambdaC, config.Training.Lr, cancel);
        return new ExperimentResult(config, best!, bestTrain!, measures, bestRestart, losses, clock.Elapsed.TotalSeconds, complete) { Run = run };
    }

    /// <summary>SHA-256 of the resolved config: a checkpoint only resumes the config that wrote it.</summary>
    public static string ConfigHash(DpsConfig config)
        => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(ConfigLoader.ToJson(config))))[..16];

    /// <summary>
    /// Why the checkpoints in <paramref name="checkpointDir"/> cannot be reused for <paramref name="config"/> (one
    /// clause naming the config or the changed data file), or null when there are none or all match.
    /// </summary>
    public static string? StaleCheckpoints(DpsConfig config, string checkpointDir)
    {
        if (!Directory.Exists(checkpointDir)) return null;
        var key = CheckpointKey.Of(config);
        foreach (var file in Directory.GetFiles(checkpointDir, "restart-*.json").Order(StringComparer.Ordinal))
        {
            IReadOnlyDictionary<string, string> meta;
            try { meta = ParameterState.Load(file).Metadata; }
            catch (InvalidDataException) { continue; } // unreadable: the load reports it with the file's name
            if (key.Mismatch(meta) is { } why) return why;
        }
        return null;
    }
}

/// <summary>What a checkpoint must match to be resumed: the config hash and the digest of each data file.</summary>
internal sealed record CheckpointKey(string ConfigHash, IReadOnlyDictionary<string, string> Data)
{
    private const string DataPrefix = "data:";

    public static CheckpointKey Of(DpsConfig config) => new(Experiment.ConfigHash(config), DataFiles.Digests(config));

    /// <summary>The metadata entries that record this key.</summary>
    public void WriteTo(IDictionary<string, string> meta)
    {
        meta["configHash"] = ConfigHash;
        foreach (var (k, v) in Data) meta[DataPrefix + k] = v;
    }

    /// <summary>Why checkpoint metadata <paramref name="meta"/> does not match this key, or null when it does.</summary>
    public string? Mismatch(IReadOnlyDictionary<string, string> meta)
    {
        if (!meta.TryGetValue("configHash", out var h) || h != ConfigHash) return "they were written by a different config";
        foreach (var (k, v) in Data)
            if (!meta.TryGetValue(DataPrefix + k, out var saved) || saved != v) return $"the file {k} names changed since they were written";
        foreach (var k in meta.Keys.Where(k => k.StartsWith(DataPrefix, StringComparison.Ordinal)))
            if (!Data.ContainsKey(k[DataPrefix.Length..])) return $"they were trained with a data file at {k[DataPrefix.Length..]} that this config does not name";
        return null;
    }
}

/// <summary>A restart's checkpoint as read back: training state to resume, or the finished result.</summary>
internal sealed record SavedRestart(bool Done, TrainerCheckpoint State, TrainResult? Result);

/// <summary>Restart checkpoints as <see cref="ParameterState"/> files: parameters, optimizer state, history and trajectory.</summary>
internal static class Checkpoints
{
    private const int TrajectoryColumns = 7;

    /// <summary>
    /// Deletes temporary files that a writer killed mid-checkpoint (SIGKILL, power loss) left behind; the checkpoints
    /// themselves are always whole, since each is renamed into place only once written.
    /// </summary>
    public static void RemoveOrphans(string dir)
    {
        if (!Directory.Exists(dir)) return;
        foreach (var tmp in Directory.GetFiles(dir, ".restart-*.tmp")) File.Delete(tmp);
    }

    public static void Save(string path, DpsModel model, CheckpointKey key, int restart, TrainerCheckpoint state, TrainResult? finished)
    {
        var tensors = new List<(string, Tensor)>();
        var ps = model.Parameters();
        var names = model.ParameterNames();
        for (int k = 0; k < ps.Count; k++) tensors.Add((names[k], ps[k]));
        tensors.Add(("history", Tensor.FromArray(state.History, state.History.Length)));
        var t = new double[state.Trajectory.Length * TrajectoryColumns];
        for (int i = 0; i < state.Trajectory.Length; i++)
        {
            var p = state.Trajectory[i];
            new[] { p.Step, p.Loss, p.CoverageLoss, p.Heterogeneity, p.Coverage, p.Specialization, p.Seconds }.CopyTo(t, i * TrajectoryColumns);
        }
        tensors.Add(("trajectory", Tensor.FromArray(t, state.Trajectory.Length, TrajectoryColumns)));
        var meta = new Dictionary<string, string>
        {
            ["restart"] = restart.ToString(CultureInfo.InvariantCulture),
            ["step"] = state.Step.ToString(CultureInfo.InvariantCulture),
            ["seconds"] = state.Seconds.ToString("R", CultureInfo.InvariantCulture),
            ["done"] = finished is null ? "false" : "true",
            ["backoffScale"] = state.BackoffScale.ToString("R", CultureInfo.InvariantCulture),
        };
        key.WriteTo(meta);
        if (finished is not null)
        {
            meta["loss"] = finished.Loss.ToString("R", CultureInfo.InvariantCulture);
            meta["stopReason"] = finished.Reason.ToString();
            meta["gradientNorm"] = finished.GradientNorm.ToString("R", CultureInfo.InvariantCulture);
            meta["converged"] = finished.Converged ? "true" : "false";
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        ParameterState.Save(path, tensors, state.Optimizer, meta);
    }

    public static SavedRestart Load(string path, DpsModel model, CheckpointKey key)
    {
        ParameterStateFile file;
        try
        {
            var ps = model.Parameters();
            var names = model.ParameterNames();
            file = ParameterState.LoadInto(path, [.. names.Select((n, k) => (n, ps[k]))]);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or FileNotFoundException)
        {
            throw new ConfigException(path, $"cannot resume from this checkpoint: {e.Message}");
        }
        if (key.Mismatch(file.Metadata) is { } why)
            throw new ConfigException(path, $"cannot resume from this checkpoint: {why}; start a new output folder (or, for a changed data file, rerun: dps run then trains afresh).");
        var history = file.Parameters.First(p => p.Name == "history").Values;
        var traj = file.Parameters.First(p => p.Name == "trajectory").Values;
        var points = new TrajectoryPoint[traj.Length / TrajectoryColumns];
        for (int i = 0; i < points.Length; i++)
        {
            var v = traj.AsSpan(i * TrajectoryColumns, TrajectoryColumns);
            points[i] = new TrajectoryPoint((int)v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
        }
        int step = int.Parse(file.Metadata["step"], CultureInfo.InvariantCulture);
        double seconds = double.Parse(file.Metadata["seconds"], CultureInfo.InvariantCulture);
        double backoffScale = file.Metadata.TryGetValue("backoffScale", out var b) ? double.Parse(b, CultureInfo.InvariantCulture) : 1.0;
        var state = new TrainerCheckpoint(step, history, points, file.Optimizer, seconds, backoffScale);
        if (file.Metadata.GetValueOrDefault("done") != "true") return new SavedRestart(false, state, null);
        // "Converged" is the loss-change stop's name in checkpoints written before the gradient test existed.
        string reason = file.Metadata["stopReason"] == "Converged" ? nameof(StopReason.LossStalled) : file.Metadata["stopReason"];
        double gradient = file.Metadata.TryGetValue("gradientNorm", out var g) ? double.Parse(g, CultureInfo.InvariantCulture) : double.NaN;
        var result = new TrainResult(double.Parse(file.Metadata["loss"], CultureInfo.InvariantCulture), step,
            Enum.Parse<StopReason>(reason), seconds, points, null, gradient, file.Metadata.GetValueOrDefault("converged") == "true");
        return new SavedRestart(true, state, result);
    }
}
