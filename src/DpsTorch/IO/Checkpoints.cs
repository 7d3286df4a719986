// Restart checkpoints: the full training state of one restart of a flat or nested system, written every
// training.checkpointEvery steps and when cancelled, so a run resumes bit-identically after any interruption.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DpsTorch.Model;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Measures;

namespace DpsTorch.IO;

/// <summary>What a checkpoint must match to be resumed: the config hash and the digest of each data file.</summary>
internal sealed record CheckpointKey(string ConfigHash, IReadOnlyDictionary<string, string> Data)
{
    private const string DataPrefix = "data:";

    public static CheckpointKey Of(DpsConfig config) => new(Checkpoints.ConfigHash(config), DataFiles.Digests(config));

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

/// <summary>
/// Restart checkpoints as <see cref="ParameterState"/> files (one per restart, restart-R.json in a run folder's
/// checkpoints/): the system's parameters by name, optimizer state, convergence history and trajectory, and the key of
/// the config and data files that wrote them. Flat and nested systems use the same format.
/// </summary>
public static class Checkpoints
{
    private const int TrajectoryColumns = 7;

    /// <summary>Folder (inside a run folder) holding one checkpoint file per restart.</summary>
    public const string Folder = "checkpoints";

    /// <summary>SHA-256 of the resolved config: a checkpoint only resumes the config that wrote it.</summary>
    public static string ConfigHash(DpsConfig config)
        => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(ConfigLoader.ToJson(config))))[..16];

    /// <summary>
    /// Why the checkpoints in <paramref name="checkpointDir"/> cannot be reused for <paramref name="config"/> (one
    /// clause naming the config or the changed data file), or null when there are none or all match.
    /// </summary>
    public static string? Stale(DpsConfig config, string checkpointDir)
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

    /// <summary>
    /// Deletes temporary files that a writer killed mid-checkpoint (SIGKILL, power loss) left behind; the checkpoints
    /// themselves are always whole, since each is renamed into place only once written.
    /// </summary>
    internal static void RemoveOrphans(string dir)
    {
        if (!Directory.Exists(dir)) return;
        foreach (var tmp in Directory.GetFiles(dir, ".restart-*.tmp")) File.Delete(tmp);
    }

    internal static void Save(string path, ITrainableSystem model, CheckpointKey key, int restart, TrainerCheckpoint state, TrainResult? finished)
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

    internal static SavedRestart Load(string path, ITrainableSystem model, CheckpointKey key)
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
