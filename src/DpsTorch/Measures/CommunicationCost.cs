// The communication cost C(Q) = Σ_{i<j} Q_ij d_ij^γ of MODEL.md section 1, on plain arrays (no autograd).
using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.Measures;

/// <summary>
/// C(Q) = Σ_{i&lt;j} Q_ij · d_ij^γ with d_ij from an <see cref="Embedding"/> and γ ≥ 0 (default 1). Pairs with
/// Q_ij = 0 cost nothing even at infinite distance; a weighted edge between agents at infinite distance (different
/// components of a hop embedding) costs +∞.
/// </summary>
public static class CommunicationCost
{
    /// <summary>The default distance exponent γ (MODEL.md section 1).</summary>
    public const double DefaultGamma = 1.0;

    /// <summary>C(Q) over the edges of a topology.</summary>
    public static double Compute(Topology q, Embedding embedding, double gamma = DefaultGamma)
    {
        ArgumentNullException.ThrowIfNull(q);
        Check(q.N, embedding, gamma);
        double c = 0;
        foreach (var e in q.Edges) c += e.Weight * Power(embedding.Distance(e.I, e.J), gamma);
        return c;
    }

    /// <summary>C(Q) for a dense symmetric N×N matrix Q, row-major (only entries above the diagonal are read).</summary>
    public static double Compute(ReadOnlySpan<double> q, Embedding embedding, double gamma = DefaultGamma)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        int n = embedding.N;
        Require.Length(q.Length, Require.SquareLength(n, "CommunicationCost"), nameof(q), $"an {n}x{n} matrix for the embedding's {n} agents");
        Check(n, embedding, gamma);
        double c = 0;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                double w = q[i * n + j];
                if (!(w >= 0)) throw new ArgumentException($"q[{i},{j}] = {w}; Q must be non-negative.", nameof(q));
                if (w != 0) c += w * Power(embedding.Distance(i, j), gamma);
            }
        return c;
    }

    private static void Check(int n, Embedding embedding, double gamma)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        if (embedding.N != n)
            throw new ArgumentException($"The embedding places {embedding.N} agents but Q has {n}.", nameof(embedding));
        Require.NonNegative(gamma, nameof(gamma));
    }

    private static double Power(double d, double gamma) => gamma == 1.0 ? d : Math.Pow(d, gamma);
}
