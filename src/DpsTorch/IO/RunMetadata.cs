// What every run records about itself, beside its results: a run id, when it started (UTC), which DpsTorch built it
// (version, and the git commit when built from a clone), where it ran (OS, CPU, the SIMD path the kernels take,
// threads) and the command line. summary.json holds it as "run"; results.csv repeats it in every row.
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace DpsTorch.IO;

/// <summary>The metadata of one run (summary.json field "run").</summary>
public sealed record RunMetadata
{
    /// <summary>Sortable and unique: UTC start time to the second, then 4 random hex digits ("20261201-093512-a3f9").</summary>
    public required string RunId { get; init; }
    /// <summary>Start time, UTC, ISO 8601 ("2026-12-01T09:35:12.345Z").</summary>
    public required string StartedUtc { get; init; }
    /// <summary>DpsTorch's version ("0.1.0").</summary>
    public required string DpsTorchVersion { get; init; }
    /// <summary>The git commit DpsTorch was built from; null when it was not built from a clone.</summary>
    public string? GitCommit { get; init; }
    /// <summary>Operating system and architecture.</summary>
    public required string Os { get; init; }
    /// <summary>Processor model (where the OS says) and logical core count.</summary>
    public required string Cpu { get; init; }
    /// <summary>The SIMD path the kernels take here (<see cref="DpsTorch.Tensors.Simd.Path"/>: avx512, avx2, vector128, scalar).</summary>
    public required string Simd { get; init; }
    /// <summary>Threads the kernels may use (<see cref="TensorEngine.NumThreads"/>).</summary>
    public required int Threads { get; init; }
    /// <summary>The command that started the run.</summary>
    public required string CommandLine { get; init; }

    /// <summary>results.csv column names of the metadata, in order.</summary>
    public static readonly IReadOnlyList<string> Columns =
        ["runId", "startedUtc", "dpsTorchVersion", "gitCommit", "os", "cpu", "simd", "threads", "commandLine"];

    /// <summary>The metadata of a run starting now. <paramref name="commandLine"/> defaults to this process's arguments.</summary>
    public static RunMetadata Capture(string? commandLine = null)
    {
        var now = DateTime.UtcNow;
        return new RunMetadata
        {
            RunId = $"{now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{Random.Shared.Next(0x10000):x4}",
            StartedUtc = now.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            DpsTorchVersion = Version,
            GitCommit = Commit,
            Os = $"{RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()})",
            Cpu = $"{CpuModel() ?? RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()} ({Environment.ProcessorCount} logical cores)",
            Simd = Tensors.Simd.Path,
            Threads = TensorEngine.NumThreads,
            CommandLine = commandLine ?? Join(Environment.GetCommandLineArgs()),
        };
    }

    /// <summary>DpsTorch's version without the build's commit suffix.</summary>
    public static string Version => InformationalVersion.Split('+')[0];

    /// <summary>The commit the SDK stamped into the informational version ("0.1.0+&lt;commit&gt;"), or null.</summary>
    public static string? Commit => InformationalVersion.Split('+') is [_, var c, ..] && c.Length > 0 ? c : null;

    private static string InformationalVersion
        => typeof(RunMetadata).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>Arguments as one line a shell reads back: arguments with spaces or quotes are single-quoted.</summary>
    public static string Join(IEnumerable<string> args)
        => string.Join(' ', args.Select(a => a.Length > 0 && a.AsSpan().IndexOfAny(" \t\"'$\\;&|<>()*?`") < 0 ? a : "'" + a.Replace("'", "'\\''") + "'"));

    /// <summary>As the "run" object of summary.json.</summary>
    public JsonObject ToJson() => new()
    {
        ["id"] = RunId,
        ["startedUtc"] = StartedUtc,
        ["dpsTorchVersion"] = DpsTorchVersion,
        ["gitCommit"] = GitCommit,
        ["os"] = Os,
        ["cpu"] = Cpu,
        ["simd"] = Simd,
        ["threads"] = Threads,
        ["commandLine"] = CommandLine,
    };

    /// <summary>Reads the "run" object of a summary; null when it has none (files written before run metadata).</summary>
    public static RunMetadata? FromJson(JsonNode? node)
    {
        if (node is not JsonObject o) return null;
        string S(string key) => o[key] is JsonValue v && v.TryGetValue(out string? s) ? s : "";
        return new RunMetadata
        {
            RunId = S("id"), StartedUtc = S("startedUtc"), DpsTorchVersion = S("dpsTorchVersion"),
            GitCommit = S("gitCommit") is { Length: > 0 } c ? c : null,
            Os = S("os"), Cpu = S("cpu"), Simd = S("simd"),
            Threads = o["threads"] is JsonValue t && t.TryGetValue(out int n) ? n : 0,
            CommandLine = S("commandLine"),
        };
    }

    /// <summary>The values of <see cref="Columns"/>, as text.</summary>
    public string[] Cells() => [RunId, StartedUtc, DpsTorchVersion, GitCommit ?? "", Os, Cpu, Simd,
        Threads.ToString(CultureInfo.InvariantCulture), CommandLine];

    /// <summary>"model name" of /proc/cpuinfo on Linux; null elsewhere or when unreadable.</summary>
    private static string? CpuModel()
    {
        try
        {
            if (!OperatingSystem.IsLinux() || !File.Exists("/proc/cpuinfo")) return null;
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int i and > 0)
                    return line[(i + 1)..].Trim();
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
