// `dps sweep --merge`: combines the folders of shards of one sweep (same runs.json) into one folder: finished run
// folders are copied (a run finished in two shards is taken once, from the first folder given), runs.json written,
// results.csv rebuilt. Run names come from runs.json, which anyone can edit: SweepResults.ReadIndex accepts only plain
// folder names, and each target is checked to lie directly inside --out and not to be a link, before anything is
// copied, so a merge never reads or writes outside its folders.
using DpsTorch.Config;
using DpsTorch.IO;

namespace DpsTorch.Sweeps;

/// <summary>What <see cref="SweepMerge.Merge"/> did.</summary>
/// <param name="Runs">Runs in the full sweep.</param>
/// <param name="Finished">Runs finished in the merged folder.</param>
/// <param name="Copied">Run folders copied in.</param>
/// <param name="Duplicates">Runs found finished in more than one input (the first was kept).</param>
/// <param name="Missing">Runs finished in no input, in run order.</param>
public sealed record MergeOutcome(int Runs, int Finished, int Copied, int Duplicates, IReadOnlyList<string> Missing);

/// <summary>Merges shard folders of one sweep.</summary>
public static class SweepMerge
{
    /// <summary>
    /// Merges <paramref name="shardDirs"/> (each written by <c>dps sweep --shard K/N</c> of the same config) into
    /// <paramref name="outDir"/>, which may be one of them. Throws <see cref="ConfigException"/> when the inputs are
    /// not shards of one sweep.
    /// </summary>
    public static MergeOutcome Merge(IReadOnlyList<string> shardDirs, string outDir)
    {
        if (shardDirs.Count == 0) throw ConfigException.Invalid("--merge", "no folders", "one or more shard folders");
        var indexes = shardDirs.Select(SweepResults.ReadIndex).ToList();
        for (int i = 1; i < indexes.Count; i++)
            if (indexes[i].Canonical != indexes[0].Canonical)
                throw new ConfigException(shardDirs[i], $"holds a different sweep than {shardDirs[0]} (runs.json differs); merge only shards of one config.");

        string outFull = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir));
        foreach (var run in indexes[0].Runs) CheckTarget(outFull, run.Run);
        Directory.CreateDirectory(outFull);
        string outIndex = Path.Combine(outFull, SweepResults.Index);
        if (File.Exists(outIndex) && !shardDirs.Any(d => SamePath(d, outFull)) && SweepResults.ReadIndex(outFull).Canonical != indexes[0].Canonical)
            throw new ConfigException(outIndex, "the output folder holds a different sweep; use a new folder.");
        if (!SamePath(shardDirs[0], outFull)) File.Copy(Path.Combine(shardDirs[0], SweepResults.Index), outIndex, overwrite: true);

        int copied = 0, duplicates = 0, finished = 0;
        var missing = new List<string>();
        foreach (var run in indexes[0].Runs)
        {
            string target = Path.Combine(outFull, run.Run);
            var sources = shardDirs.Where(d => SweepResults.IsFinished(Path.Combine(d, run.Run))).ToList();
            if (sources.Count > 1) duplicates++;
            if (sources.Count == 0) { missing.Add(run.Run); continue; }
            finished++;
            if (SweepResults.IsFinished(target) && sources.Any(d => SamePath(d, outFull))) continue;
            CopyRun(Path.Combine(sources[0], run.Run), target);
            copied++;
        }
        SweepResults.WriteTable(outFull);
        return new MergeOutcome(indexes[0].Runs.Count, finished, copied, duplicates, missing);
    }

    /// <summary>Refuses a run folder that would not lie directly inside <paramref name="outFull"/>, or that is a link.</summary>
    private static void CheckTarget(string outFull, string run)
    {
        string target = Path.GetFullPath(Path.Combine(outFull, run));
        if (!SweepResults.IsRunName(run) || Path.GetDirectoryName(target) != outFull)
            throw ConfigException.Invalid($"{SweepResults.Index}: run", run, "a folder name inside --out");
        if (new DirectoryInfo(target).LinkTarget is not null || new FileInfo(target).LinkTarget is not null)
            throw new ConfigException(target, "is a link; a merge writes only into real folders inside --out. Remove the link and merge again.");
    }

    // The target is locked while it is written (a sweep running into --out holds its runs' locks).
    // Files are copied under temporary names and summary.json last, so the target counts as finished only when whole.
    private static void CopyRun(string from, string to)
    {
        using var held = RunLock.Acquire(to, "dps sweep --merge", "--out");
        File.Delete(Path.Combine(to, RunFiles.Summary));
        foreach (var file in Directory.GetFiles(from).OrderBy(f => Path.GetFileName(f) == RunFiles.Summary ? 1 : 0))
        {
            string name = Path.GetFileName(file);
            if (name.StartsWith('.')) continue; // temporary files of an interrupted write, lock files
            string tmp = Path.Combine(to, $".{name}.merge.tmp");
            File.Copy(file, tmp, overwrite: true);
            File.Move(tmp, Path.Combine(to, name), overwrite: true);
        }
    }

    private static bool SamePath(string a, string b)
        => string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)), StringComparison.Ordinal);
}
