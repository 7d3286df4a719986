// One of N disjoint slices of a sweep, for spreading it over array jobs (Slurm --array, Kubernetes indexed Jobs).
using System.Globalization;
using DpsTorch.Config;

namespace DpsTorch.Sweeps;

/// <summary>
/// Slice <see cref="Index"/> (0-based) of <see cref="Count"/>: the runs whose grid index i has i mod Count == Index.
/// Round-robin rather than contiguous blocks, so that each slice gets a share of the small and of the large runs.
/// The slices of 0/N .. (N-1)/N are disjoint and together hold every run.
/// </summary>
public readonly record struct Shard(int Index, int Count)
{
    /// <summary>The whole sweep (slice 0 of 1).</summary>
    public static Shard All => new(0, 1);

    /// <summary>Whether run <paramref name="runIndex"/> belongs to this slice.</summary>
    public bool Contains(int runIndex) => runIndex % Count == Index;

    /// <summary>Parses "K/N" with 0 &lt;= K &lt; N (K as Slurm's SLURM_ARRAY_TASK_ID with --array=0-(N-1)).</summary>
    public static Shard Parse(string text)
    {
        const string allowed = "K/N with integers 0 <= K < N, e.g. --shard 3/8 (K counts from 0 like SLURM_ARRAY_TASK_ID)";
        var parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int k)
            || !int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            || n < 1 || k >= n)
            throw ConfigException.Invalid("--shard", text, allowed);
        return new Shard(k, n);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Index}/{Count}";
}
