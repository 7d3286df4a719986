// Writing files so that a reader never sees a half-written one: a temporary name in the same folder, flushed to
// disk, then renamed over the target (a rename within one folder is atomic on POSIX file systems).
using System.Text;

namespace DpsTorch.IO;

/// <summary>Atomic file writes: every result file of the library goes through here.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="text"/> (UTF-8, no byte-order mark) to <paramref name="path"/> atomically.</summary>
    public static void WriteAllText(string path, string text)
        => Write(path, stream => stream.Write(new UTF8Encoding(false).GetBytes(text)));

    /// <summary>
    /// Lets <paramref name="write"/> fill a temporary file beside <paramref name="path"/>, flushes it to disk and renames
    /// it over the target. On any failure the temporary file is removed and the target is left as it was.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
