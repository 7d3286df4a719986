// An inter-process lock on a result folder, held for the whole run: DIR/.dps-lock opened with FileShare.None (an
// exclusive flock on Linux and macOS, a sharing mode on Windows), released by the kernel when the process ends in any
// way, SIGKILL included. The holder also writes DIR/.dps-owner (its pid and what it runs) so that a second process can
// name it: the lock file itself cannot be read while it is locked. The lock file stays in the folder (deleting it
// would let two processes lock two different files of the same name); the owner file goes on release.
using System.Globalization;
using DpsTorch.Config;

namespace DpsTorch.IO;

/// <summary>An exclusive lock on a result folder; dispose to release it.</summary>
public sealed class RunLock : IDisposable
{
    /// <summary>The file that is locked.</summary>
    public const string LockFile = ".dps-lock";
    /// <summary>The holder's pid and command, for the message a second process prints.</summary>
    public const string OwnerFile = ".dps-owner";

    private readonly FileStream _stream;
    private readonly string _owner;

    private RunLock(FileStream stream, string owner) { _stream = stream; _owner = owner; }

    /// <summary>
    /// Locks <paramref name="dir"/> (which must exist) for <paramref name="what"/> (e.g. "dps run"), or returns null when
    /// another process (or another lock in this process) holds it; <paramref name="holder"/> then describes the holder.
    /// </summary>
    public static RunLock? TryAcquire(string dir, string what, out string holder)
    {
        string lockPath = Path.Combine(dir, LockFile), ownerPath = Path.Combine(dir, OwnerFile);
        FileStream stream;
        try { stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException && File.Exists(lockPath))
        {
            holder = ReadOwner(ownerPath);
            return null;
        }
        try
        {
            AtomicFile.WriteAllText(ownerPath, string.Create(CultureInfo.InvariantCulture,
                $"pid {Environment.ProcessId}, {what} since {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}\n"));
        }
        catch { stream.Dispose(); throw; }
        holder = "";
        return new RunLock(stream, ownerPath);
    }

    /// <summary>
    /// Locks <paramref name="dir"/>, creating it when missing. Throws <see cref="ConfigException"/> (exit 2) naming the
    /// folder and the holder when another process holds it, and when the folder cannot be written.
    /// </summary>
    public static RunLock Acquire(string dir, string what, string key = "--out")
    {
        try { Directory.CreateDirectory(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(key, $"cannot create the output folder \"{dir}\" ({e.Message}); choose a folder this user can write to.");
        }
        RunLock? held;
        string holder;
        try { held = TryAcquire(dir, what, out holder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(key, $"cannot write into the output folder \"{dir}\" ({e.Message}); choose a folder this user can write to.");
        }
        return held ?? throw new ConfigException(key, $"\"{dir}\" is in use by another dps process ({holder}); wait for it to finish or choose another folder.");
    }

    private static string ReadOwner(string ownerPath)
    {
        try
        {
            if (!File.Exists(ownerPath) || new FileInfo(ownerPath).Length > 1000) return "pid unknown";
            string line = File.ReadAllText(ownerPath).Split('\n')[0].Trim();
            return line.StartsWith("pid ", StringComparison.Ordinal) ? line : "pid unknown";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return "pid unknown"; }
    }

    /// <summary>Removes the owner file and releases the lock.</summary>
    public void Dispose()
    {
        try { File.Delete(_owner); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* the lock goes either way */ }
        _stream.Dispose();
    }
}
