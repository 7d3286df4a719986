// The data files a config names (demand.path, topology.path): a run's result depends on their content as much as on
// the config text, so checkpoints record a digest of each and are reused only while every digest still matches.
using System.Security.Cryptography;
using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.IO;

/// <summary>The files a config reads, and digests of their content.</summary>
public static class DataFiles
{
    /// <summary>The files <paramref name="config"/> names, as (key path, full path), in a fixed order.</summary>
    public static IReadOnlyList<(string Key, string Path)> Of(DpsConfig config)
    {
        var files = new List<(string, string)>();
        if (config.Demand.Path is { } demand) files.Add(("demand.path", demand));
        if (config.Topology.Path is { } topology) files.Add(("topology.path", topology));
        return files;
    }

    /// <summary>"BYTES:SHA256" of the file's content, or "missing" when it does not exist.</summary>
    public static string Digest(string path)
    {
        if (!File.Exists(path)) return "missing";
        using var stream = File.OpenRead(path);
        string sha = Convert.ToHexStringLower(SHA256.HashData(stream));
        return $"{stream.Length}:{sha}";
    }

    /// <summary>Key path → digest of every file <paramref name="config"/> names.</summary>
    public static IReadOnlyDictionary<string, string> Digests(DpsConfig config)
        => Of(config).ToDictionary(f => f.Key, f => Digest(f.Path), StringComparer.Ordinal);
}
