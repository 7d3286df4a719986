// A run folder from a config, flat or nested alike: load the config, check it builds and can run here, lock the output
// folder, reuse or discard its checkpoints, keep the resolved config for --resume, train (Experiment.Run, with
// checkpoints in DIR/checkpoints/), and commit the files together from a staging folder. A failed run leaves the
// folder as it was; a cancelled one writes what is finished with "complete": false; `--resume DIR` continues it.
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Model;
using DpsTorch.Nested;

namespace DpsTorch.Runs;

/// <summary>What <see cref="RunPipeline.Execute"/> did.</summary>
/// <param name="Dir">The run folder.</param>
/// <param name="Result">The run's result.</param>
/// <param name="Files">The files written into <paramref name="Dir"/>, in commit order.</param>
public sealed record RunFolder(string Dir, ExperimentResult Result, IReadOnlyList<string> Files)
{
    /// <summary>Whether training finished (a signal during a flat system's measures still leaves the run complete).</summary>
    public bool Complete => Result.Complete;
}

/// <summary>How a caller shows training progress: it is handed the config and the training call, and runs it.</summary>
/// <param name="config">The run's config.</param>
/// <param name="train">Runs the training with the given progress sink (null: none).</param>
public delegate ExperimentResult ProgressRunner(DpsConfig config, Func<IProgress<TrainProgress>?, ExperimentResult> train);

/// <summary>Runs configs into run folders (dps run, dps nested).</summary>
public static class RunPipeline
{
    /// <summary>
    /// Loads <paramref name="configPath"/> with <paramref name="overrides"/>, trains and measures it into
    /// <paramref name="outDir"/> (default: <see cref="DefaultFolder"/>), resuming from the folder's checkpoints when they
    /// match the config and its data files. <paramref name="note"/> receives one-line notes (checkpoints reused or
    /// discarded, a config.json kept); <paramref name="progress"/> runs the training with a progress display.
    /// <paramref name="baseline"/> also trains a nested config's homogeneous fleet. Input problems (a config that does
    /// not build, a backend this machine cannot run, a busy folder) are <see cref="ConfigException"/>s thrown before the
    /// folder is touched.
    /// </summary>
    public static RunFolder Execute(string configPath, string? outDir, IReadOnlyList<string> overrides, RunMetadata run, TextWriter note,
        ProgressRunner? progress = null, CancellationToken cancel = default, bool baseline = false)
    {
        var config = ConfigLoader.Load(configPath, overrides);
        MemoryLimit.Check(config);
        string dir = outDir ?? DefaultFolder(config.Name, configPath, run.RunId);
        if (File.Exists(dir)) throw ConfigException.Invalid("--out", dir, "a folder, not an existing file");
        if (baseline && config.Levels is null) throw new ConfigException("--baseline", "needs a config with a levels block (a flat system's baseline is agents.homogeneous).");
        // Input problems found while building the system surface before DIR is touched; so does a backend or device this machine cannot run.
        if (config.Levels is not null) NestedBuilder.Create(config);
        else SystemBuilder.Create(config);
        TrainingBackends.Check(config.Training);
        string checkpoints = Path.Combine(dir, Checkpoints.Folder);
        string configJson = ConfigLoader.ToJson(config);

        using var folder = OutputFolder.Open(dir, "dps run"); // first, so a busy folder is reported as such
        CheckCheckpoints(dir, checkpoints, configJson);
        folder.CreatedByThisRun(checkpoints);
        ReuseOrDiscardCheckpoints(config, checkpoints, note);
        AtomicFile.WriteAllText(Path.Combine(checkpoints, RunFiles.Config), configJson); // what --resume reads, and a writability check before training
        // Never replace a config.json dps did not write (with --out the config's own folder, it is the user's input).
        string dirConfig = Path.Combine(dir, RunFiles.Config);
        bool writeConfig = !File.Exists(dirConfig) || ResultCommit.Lists(dir, RunFiles.Config) || File.ReadAllText(dirConfig) == configJson;
        if (!writeConfig) note.WriteLine($"dps: keeping {dirConfig} (not written by dps: the input config?); the resolved config is in {Path.Combine(checkpoints, RunFiles.Config)} and summary.json.");

        ExperimentResult Train(IProgress<TrainProgress>? sink) => Experiment.Run(config, sink, cancel, checkpointDir: checkpoints, run: run, baseline: baseline);
        var result = progress is null ? Train(null) : progress(config, Train);
        RunOutput.Commit(dir, result, result.Complete, writeConfig ? configJson : null);
        folder.Succeeded();
        return new RunFolder(dir, result, [.. (writeConfig ? RunOutput.Files : RunOutput.Files.Where(f => f != RunFiles.Config)).Select(f => Path.Combine(dir, f))]);
    }

    /// <summary>
    /// The config a stopped run in <paramref name="resumeDir"/> continues with: its checkpoints' copy, else the
    /// finished run's config.json; a folder with neither is a <see cref="ConfigException"/> on --resume.
    /// </summary>
    public static string ResumeConfig(string resumeDir)
        => new[] { Path.Combine(resumeDir, Checkpoints.Folder, RunFiles.Config), Path.Combine(resumeDir, RunFiles.Config) }.FirstOrDefault(File.Exists)
           ?? throw new ConfigException("--resume", $"\"{resumeDir}\" has no {RunFiles.Config}; it is not a run folder that can be resumed.");

    /// <summary>
    /// runs/&lt;config name&gt;/&lt;run id&gt;: the config's "name", else the name of the folder of a file called
    /// config.json (experiments/04-x/config.json → 04-x), else the file's name; characters other than letters, digits,
    /// '.', '_' and '-' become '-'.
    /// </summary>
    public static string DefaultFolder(string? configName, string configPath, string runId)
    {
        string name = configName is { Length: > 0 } ? configName
            : Path.GetFileName(configPath) == RunFiles.Config ? Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(configPath))) ?? "config"
            : Path.GetFileNameWithoutExtension(configPath);
        var safe = new string([.. name.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' or '-' ? ch : '-')]).Trim('.');
        return Path.Combine("runs", safe.Length > 0 ? safe : "config", runId);
    }

    /// <summary>Refuses a folder whose checkpoints belong to another config (nothing in it is changed first).</summary>
    private static void CheckCheckpoints(string dir, string checkpoints, string configJson)
    {
        if (!Directory.Exists(checkpoints) || Directory.GetFiles(checkpoints, "restart-*.json").Length == 0) return;
        // The checkpoints' own copy first; DIR/config.json for folders written before it existed.
        string? saved = new[] { Path.Combine(checkpoints, RunFiles.Config), Path.Combine(dir, RunFiles.Config) }.FirstOrDefault(File.Exists);
        if (saved is not null && ConfigLoader.ToJson(ConfigLoader.Load(saved)) != configJson)
            throw ConfigException.Invalid("--out", dir, "a new folder: this one holds checkpoints of a different config (use --resume DIR to continue it)");
    }

    /// <summary>Resumes from checkpoints that match the config and its data files; discards (and says so) ones that do not.</summary>
    private static void ReuseOrDiscardCheckpoints(DpsConfig config, string checkpoints, TextWriter note)
    {
        var files = Directory.Exists(checkpoints) ? Directory.GetFiles(checkpoints, "restart-*.json") : [];
        if (files.Length == 0) return;
        if (Checkpoints.Stale(config, checkpoints) is { } why)
        {
            note.WriteLine($"dps: not reusing the checkpoints in {checkpoints}: {why}; training starts from step 0.");
            foreach (var f in files) File.Delete(f);
            return;
        }
        note.WriteLine($"dps: resuming from the checkpoints in {checkpoints}.");
    }
}
