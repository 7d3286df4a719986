// "Did you mean" for a misspelt key, command or option: the closest allowed name by edit distance (insertions,
// deletions, substitutions and swaps of neighbours each cost 1), when it is close enough to be a typo.
namespace DpsTorch.Config;

/// <summary>Suggestions for misspelt names.</summary>
public static class DidYouMean
{
    /// <summary>The candidate closest to <paramref name="given"/> (ignoring case) if at most max(1, length/3) edits
    /// away, else null. Ties go to the first candidate.</summary>
    public static string? Closest(string given, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue, limit = Math.Max(1, given.Length / 3);
        foreach (var c in candidates)
        {
            int d = Distance(given.ToLowerInvariant(), c.ToLowerInvariant());
            if (d < bestDistance) (best, bestDistance) = (c, d);
        }
        return bestDistance <= limit ? best : null;
    }

    /// <summary>" did you mean 'x'?" for the closest candidate, or "" when none is close (to splice into a message).</summary>
    public static string Hint(string given, IEnumerable<string> candidates)
        => Closest(given, candidates) is string c ? $" did you mean '{c}'?" : "";

    /// <summary>Optimal string alignment distance (Damerau–Levenshtein without repeated edits of one substring).</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
