// Writing a result folder so that nothing half-written ever appears in it: the files are written into a staging
// folder beside the target and moved in only when all exist (used by dps run and dps nested).
namespace DpsTorch.Cli;

internal static class Staging
{
    /// <summary>
    /// Lets <paramref name="fill"/> write into a fresh staging folder beside <paramref name="dir"/>, then moves
    /// <paramref name="files"/> into <paramref name="dir"/> in order (put the file readers look for first last). On any
    /// failure the staging folder is removed and <paramref name="dir"/> keeps what it had.
    /// </summary>
    public static void Write(string dir, IReadOnlyList<string> files, Action<string> fill)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir));
        string parent = Path.GetDirectoryName(full) ?? full;
        string staging = Path.Combine(parent, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.staging");
        try
        {
            Directory.CreateDirectory(staging);
            fill(staging);
            Directory.CreateDirectory(full);
            foreach (var name in files) File.Move(Path.Combine(staging, name), Path.Combine(full, name), overwrite: true);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Deletes staging folders of <paramref name="dir"/> left by a process killed while writing its results.</summary>
    public static void RemoveOrphans(string dir)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir));
        string parent = Path.GetDirectoryName(full) ?? full;
        if (!Directory.Exists(parent)) return;
        foreach (var d in Directory.GetDirectories(parent, $".{Path.GetFileName(full)}.*.staging")) Directory.Delete(d, recursive: true);
    }
}
