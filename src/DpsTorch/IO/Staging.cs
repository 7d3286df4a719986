// Writing a result folder (dps run, dps nested) so that nothing half-written or inconsistent ever appears in it, and
// nothing outside it is touched:
//   - OutputFolder locks the folder for the whole run (IO/RunLock.cs), so a second process on it stops at once with
//     the holder's pid, and a failed run puts the folder back as it found it;
//   - Staging.Write fills DIR/.staging-<pid>-<guid> and commits its files into DIR (IO/ResultCommit.cs).
using DpsTorch.Config;

namespace DpsTorch.IO;

/// <summary>Writes a result folder's files through a staging folder inside it, committed together.</summary>
public static class Staging
{
    /// <summary>Name prefix of staging folders inside a result folder.</summary>
    public const string Prefix = ".staging-";

    /// <summary>
    /// Lets <paramref name="fill"/> write into a fresh staging folder inside <paramref name="dir"/> (so it is on the same
    /// file system and needs no write access beside it), then commits <paramref name="files"/> in order with
    /// <see cref="ResultCommit.Commit"/> (listing <paramref name="hashed"/>). On any failure before the commit the
    /// staging folder is removed and <paramref name="dir"/> keeps what it had. The caller holds the folder's lock.
    /// </summary>
    public static void Write(string dir, IReadOnlyList<string> files, IReadOnlyCollection<string> hashed, Action<string> fill)
    {
        string staging = Path.Combine(dir, $"{Prefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(staging);
            fill(staging);
            ResultCommit.Commit(staging, dir, files, hashed);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>
    /// Deletes the staging folders inside <paramref name="dir"/>. Call it only while holding the folder's lock: every
    /// writer of a result folder holds it, so a staging folder found then was left by a process that died.
    /// </summary>
    public static void RemoveOrphans(string dir)
    {
        foreach (var d in Directory.GetDirectories(dir, Prefix + "*")) Directory.Delete(d, recursive: true);
    }
}

/// <summary>
/// A result folder held by this run: created when missing, locked, cleared of orphaned staging folders. Unless
/// <see cref="Succeeded"/> is called, disposing puts it back: a folder this run created is removed, and so is every
/// path registered with <see cref="CreatedByThisRun"/> that did not exist before. Then the lock is released.
/// </summary>
public sealed class OutputFolder : IDisposable
{
    private readonly bool _existed;
    private readonly RunLock _lock;
    private readonly List<string> _created = [];
    private bool _succeeded;

    /// <summary>The folder.</summary>
    public string Dir { get; }

    private OutputFolder(string dir, bool existed, RunLock held) { Dir = dir; _existed = existed; _lock = held; }

    /// <summary>Locks <paramref name="dir"/> for <paramref name="what"/>; throws ConfigException (exit 2) when busy or not writable.</summary>
    public static OutputFolder Open(string dir, string what)
    {
        if (File.Exists(dir)) throw ConfigException.Invalid("--out", dir, "a folder, not an existing file");
        bool existed = Directory.Exists(dir);
        var held = RunLock.Acquire(dir, what);
        try { Staging.RemoveOrphans(dir); }
        catch { held.Dispose(); throw; }
        return new OutputFolder(dir, existed, held);
    }

    /// <summary>Registers <paramref name="path"/> (inside the folder) to be removed if the run fails, when it does not exist yet.</summary>
    public void CreatedByThisRun(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) _created.Add(path);
    }

    /// <summary>Keeps what the run wrote.</summary>
    public void Succeeded() => _succeeded = true;

    /// <summary>Puts the folder back unless the run succeeded, then releases the lock.</summary>
    public void Dispose()
    {
        if (!_succeeded)
        {
            try
            {
                if (!_existed) Directory.Delete(Dir, recursive: true);
                else foreach (var p in _created)
                    {
                        if (Directory.Exists(p)) Directory.Delete(p, recursive: true);
                        else File.Delete(p);
                    }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* best effort: the error that failed the run is the one reported */ }
        }
        _lock.Dispose();
    }
}
