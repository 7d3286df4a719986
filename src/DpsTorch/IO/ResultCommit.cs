// The final commit of a result folder (dps run, dps nested): the new files are moved in from a staging folder one by
// one, so a process killed between two moves would leave new and old files side by side. DIR/.dps-commit makes the
// set consistent: it says "writing" before the first move and, after the last, "complete" with the run id and the
// size and SHA-256 of every data file. Readers (dps report, dps measure, dps robustness) check it and refuse a folder whose commit
// did not finish or whose files do not match. A move that fails is undone (the files it replaced were set aside), so
// a failed commit leaves the folder as it was; a killed one leaves "writing", which the next run rewrites. A folder
// without the record (written before it existed, or by a sweep) is read as before.
using System.Text.Json;
using System.Text.Json.Nodes;
using DpsTorch.Config;

namespace DpsTorch.IO;

/// <summary>Writes and checks the commit record of a result folder.</summary>
public static class ResultCommit
{
    /// <summary>The record's file name.</summary>
    public const string RecordFile = ".dps-commit";
    /// <summary>Format tag of the record.</summary>
    public const string Format = "dps-commit/1";

    /// <summary>
    /// Moves <paramref name="files"/> from <paramref name="staging"/> into <paramref name="dir"/> (same file system) in
    /// order, between a "writing" record and a "complete" one that lists <paramref name="hashed"/> (size, SHA-256).
    /// Each file it replaces is first moved aside into the staging folder; when a move fails, the files moved in are
    /// taken out again, the old ones and the old record put back, and the error rethrown, so the folder is as it was.
    /// </summary>
    public static void Commit(string staging, string dir, IReadOnlyList<string> files, IReadOnlyCollection<string> hashed)
    {
        string run = Guid.NewGuid().ToString("N");
        var listed = new JsonObject();
        foreach (var name in files.Where(hashed.Contains)) listed[name] = DataFiles.Digest(Path.Combine(staging, name));
        string record = Path.Combine(dir, RecordFile), previous = Path.Combine(staging, ".previous");
        Directory.CreateDirectory(previous);
        string? oldRecord = File.Exists(record) ? File.ReadAllText(record) : null;
        AtomicFile.WriteAllText(record, new JsonObject { ["format"] = Format, ["state"] = "writing", ["run"] = run }.ToJsonString());
        var touched = new List<string>();
        try
        {
            foreach (var name in files)
            {
                string target = Path.Combine(dir, name);
                touched.Add(name);
                if (File.Exists(target)) File.Move(target, Path.Combine(previous, name));
                File.Move(Path.Combine(staging, name), target);
            }
            AtomicFile.WriteAllText(record, new JsonObject { ["format"] = Format, ["state"] = "complete", ["run"] = run, ["files"] = listed }
                .ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        catch
        {
            for (int i = touched.Count - 1; i >= 0; i--)
            {
                string target = Path.Combine(dir, touched[i]), old = Path.Combine(previous, touched[i]);
                if (!File.Exists(Path.Combine(staging, touched[i])) && File.Exists(target)) File.Delete(target); // the new file
                if (File.Exists(old)) File.Move(old, target);
            }
            if (oldRecord is null) File.Delete(record);
            else AtomicFile.WriteAllText(record, oldRecord);
            throw;
        }
    }

    /// <summary>
    /// Throws <see cref="ConfigException"/> (exit 2) when <paramref name="dir"/> has a commit record that is unfinished,
    /// unreadable, or does not match the files (all listed ones, or only <paramref name="file"/> when given).
    /// </summary>
    public static void Check(string dir, string? file = null)
    {
        string record = Path.Combine(dir, RecordFile);
        if (!File.Exists(record)) return;
        const string rerun = "run it again (dps run --resume DIR, or the same dps nested command) to rewrite it";
        JsonObject? o;
        try { o = JsonNode.Parse(File.ReadAllText(record)) as JsonObject; }
        catch (JsonException) { o = null; }
        if (o is null || (string?)o["format"] != Format)
            throw new ConfigException(dir, $"its commit record {RecordFile} is not readable, so its files cannot be trusted to belong together; {rerun}.");
        if ((string?)o["state"] != "complete" || o["files"] is not JsonObject listed)
            throw new ConfigException(dir, $"its results are incomplete: the process writing them was stopped between its final moves ({RecordFile} says \"{(string?)o["state"]}\"); {rerun}.");
        foreach (var (name, expected) in listed)
        {
            if (file is not null && name != file) continue;
            if (DataFiles.Digest(Path.Combine(dir, name)) != (expected is JsonValue v && v.TryGetValue(out string? d) ? d : null))
                throw new ConfigException(Path.Combine(dir, name), $"does not match the run that wrote this folder (its size or SHA-256 differs from {RecordFile}: changed or replaced afterwards); {rerun}.");
        }
    }

    /// <summary>Whether <paramref name="dir"/>'s finished commit lists <paramref name="file"/> with its present content (a file dps wrote).</summary>
    public static bool Lists(string dir, string file)
    {
        string record = Path.Combine(dir, RecordFile);
        if (!File.Exists(record)) return false;
        try
        {
            return JsonNode.Parse(File.ReadAllText(record)) is JsonObject o && (string?)o["state"] == "complete"
                && o["files"]?[file] is JsonValue v && v.TryGetValue(out string? d) && d == DataFiles.Digest(Path.Combine(dir, file));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { return false; }
    }
}
