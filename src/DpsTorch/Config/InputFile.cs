// Opens the files a config or a command names (configs, demand histograms, edge lists, model files, results tables):
// regular files only, each kind with a size cap checked before a byte is read, and a read that stops at the cap
// even when the file grows or lies about its size (/proc files say 0). Every loader reads through here.
using System.Runtime.InteropServices;
using System.Text;

namespace DpsTorch.Config;

/// <summary>The kinds of input file, each with its size cap (<see cref="InputFile.MaxBytes"/>).</summary>
public enum InputKind
{
    /// <summary>An experiment or sweep config (JSON), topology.coordinates included: 64 MiB.</summary>
    Config,
    /// <summary>A demand histogram (demand.path, CSV): 64 MiB.</summary>
    DemandCsv,
    /// <summary>An edge list (topology.path): 2 GiB; the number of edges is capped separately while reading.</summary>
    EdgeList,
    /// <summary>A saved model state (model.json of a run or a nested run): 256 MiB.</summary>
    ModelFile,
    /// <summary>A results table (results.csv of a sweep, for dps fit): 64 MiB.</summary>
    ResultsTable,
}

/// <summary>Checked opening of input files; errors are <see cref="ConfigException"/>s naming the key and the path.</summary>
public static class InputFile
{
    /// <summary>The size cap of a kind of input file, in bytes (see <see cref="InputKind"/>).</summary>
    public static long MaxBytes(InputKind kind) => kind switch
    {
        InputKind.EdgeList => 2L << 30,
        InputKind.ModelFile => 256L << 20,
        _ => 64L << 20,
    };

    /// <summary>
    /// Opens <paramref name="path"/> for reading after checking that it exists, is a regular file (not a folder, FIFO,
    /// socket or device: those would hang or never end) and holds at most <paramref name="maxBytes"/> bytes. The stream
    /// throws once more than <paramref name="maxBytes"/> bytes have been read. <paramref name="key"/> names the config
    /// key or argument the path came from ("demand.path").
    /// </summary>
    public static Stream OpenRead(string key, string path, long maxBytes)
    {
        Check(key, path, maxBytes);
        FileStream stream;
        try { stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new ConfigException(key, $"cannot read \"{path}\" ({e.Message.ReplaceLineEndings(" ")})."); }
        return new CappedStream(stream, maxBytes, key, path);
    }

    /// <summary><see cref="OpenRead(string, string, long)"/> with the cap of <paramref name="kind"/>.</summary>
    public static Stream OpenRead(string key, string path, InputKind kind) => OpenRead(key, path, MaxBytes(kind));

    /// <summary>The lines of a checked file (UTF-8), read lazily.</summary>
    public static IEnumerable<string> ReadLines(string key, string path, InputKind kind)
    {
        var reader = new StreamReader(OpenRead(key, path, kind), Encoding.UTF8); // checked now, read while enumerated
        return Lines(reader);
    }

    private static IEnumerable<string> Lines(StreamReader reader)
    {
        using (reader)
            while (reader.ReadLine() is { } line) yield return line;
    }

    /// <summary>The whole text of a checked file (UTF-8).</summary>
    public static string ReadAllText(string key, string path, InputKind kind)
    {
        using var reader = new StreamReader(OpenRead(key, path, kind), Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>The checks of <see cref="OpenRead(string, string, long)"/> without opening the file.</summary>
    public static void Check(string key, string path, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) throw new ConfigException(key, $"\"{path}\" is a folder; expected a regular file.");
        if (!File.Exists(path)) throw new ConfigException(key, $"file \"{path}\" not found.");
        if (TypeOf(path) is string type) throw new ConfigException(key, $"\"{path}\" is {type}, not a regular file; give the path of a regular file.");
        long length = new FileInfo(path).Length;
        if (length > maxBytes)
            throw new ConfigException(key, $"\"{path}\" holds {length} bytes, more than the {maxBytes} allowed for this kind of file.");
    }

    /// <summary>Null for a regular file, else what it is ("a FIFO", "a character device", ...).</summary>
    private static string? TypeOf(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        // The runtime's own portable stat (libSystem.Native, shipped with every .NET on Unix): Flags, Mode, ... The
        // buffer is larger than its FileStatus struct on every platform; only Mode (offset 4) is read.
        var status = new byte[256];
        if (SystemNativeStat(path, status) != 0) return null; // vanished or unreadable: opening reports it
        int type = BitConverter.ToInt32(status, 4) & 0xF000;
        return type switch
        {
            0x8000 => null,
            0x1000 => "a FIFO (named pipe)",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0xC000 => "a socket",
            0x4000 => "a folder",
            _ => "not a regular file",
        };
    }

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", CharSet = CharSet.Ansi, SetLastError = true)]
    private static extern int SystemNativeStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] status);

    /// <summary>A read-only stream that fails once more than its cap has been read.</summary>
    private sealed class CappedStream(Stream inner, long cap, string key, string path) : Stream
    {
        private long _read;

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));
        public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

        private int Count(int n)
        {
            _read += n;
            if (_read > cap) throw new ConfigException(key, $"\"{path}\" holds more than the {cap} bytes allowed for this kind of file.");
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
    }
}
