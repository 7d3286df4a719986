// Heterogeneity of MODEL.md section 3: the Leinster–Cobbold similarity-sensitive Hill numbers qD^Z, with the
// similarity Z of wrapped-normal skill densities in closed form or by overlap on the grid.
using System.Numerics.Tensors;
using DpsTorch.Model;

namespace DpsTorch.Measures;

/// <summary>
/// The effective number of agent types (Leinster and Cobbold 2012):
/// qD^Z(p) = (Σ_i p_i (Zp)_i^{q−1})^{1/(1−q)}, with the limits ¹D^Z = exp(−Σ_i p_i ln (Zp)_i) and
/// ∞D^Z = 1 / max_i (Zp)_i, where p_i = a_i / Σa and the sums run over agents with p_i &gt; 0 only.
/// It is 1 when all agents are alike (Z ≡ 1) and N for N totally distinct agents (Z = I) of equal weight,
/// and non-increasing in q.
/// </summary>
public static class Heterogeneity
{
    /// <summary>The default order q (MODEL.md: report q = 0, 1, 2, ∞; default 1).</summary>
    public const double DefaultOrder = 1.0;

    /// <summary>The orders reported in results: 0, 1, 2 and ∞.</summary>
    public static ReadOnlySpan<double> ReportedOrders => [0.0, 1.0, 2.0, double.PositiveInfinity];

    /// <summary>
    /// Similarity of wrapped-normal skill densities in closed form, row-major N×N:
    /// ⟨s_i, s_j⟩ = WN(μ_i − μ_j; 0, √(σ_i² + σ_j²)), Z_ij = ⟨s_i, s_j⟩ / √(⟨s_i, s_i⟩⟨s_j, s_j⟩).
    /// Symmetric, diagonal exactly 1, entries in (0, 1] (they underflow to 0 for far-apart narrow agents).
    /// </summary>
    public static double[] Similarity(ReadOnlySpan<double> mus, ReadOnlySpan<double> sigmas)
    {
        int n = mus.Length;
        Require.Length(sigmas.Length, n, nameof(sigmas), "one breadth per agent");
        Require.AllFinite(mus, nameof(mus));
        Require.AllPositive(sigmas, nameof(sigmas));
        var self = new double[n];
        for (int i = 0; i < n; i++) self[i] = WrappedNormal.Density(0.0, 0.0, Math.Sqrt(2.0) * sigmas[i]);
        var z = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            z[i * n + i] = 1.0;
            for (int j = i + 1; j < n; j++)
            {
                double s2 = sigmas[i] * sigmas[i] + sigmas[j] * sigmas[j];
                double s = double.IsFinite(s2) ? Math.Sqrt(s2) : double.Hypot(sigmas[i], sigmas[j]); // σ above ~1e154: the squares overflow
                double overlap = WrappedNormal.Density(mus[i] - mus[j], 0.0, s);
                z[i * n + j] = z[j * n + i] = overlap / Math.Sqrt(self[i] * self[j]);
            }
        }
        return z;
    }

    /// <summary>
    /// Similarity by overlap on the grid, for densities that are not single wrapped normals (composite agents of nested
    /// systems, MODEL.md section 4): G_ij = Δ Σ_m f_i(x_m) f_j(x_m), Z_ij = G_ij / √(G_ii G_jj).
    /// <paramref name="densities"/> is N×M row-major, non-negative, no row all zero.
    /// </summary>
    public static double[] SimilarityFromDensities(ReadOnlySpan<double> densities, int m, double delta)
    {
        Require.AtLeast(m, 1, nameof(m));
        Require.Positive(delta, nameof(delta));
        if (densities.Length % m != 0)
            throw new ArgumentException($"densities has length {densities.Length}, not a multiple of m = {m} (one row of M values per agent).", nameof(densities));
        Require.AllNonNegative(densities, nameof(densities));
        int n = densities.Length / m;
        var self = new double[n];
        for (int i = 0; i < n; i++)
        {
            var fi = densities.Slice(i * m, m);
            self[i] = delta * TensorPrimitives.Dot(fi, fi);
            if (!(self[i] > 0)) throw new ArgumentException($"densities row {i} is all zero; a skill density needs positive mass.", nameof(densities));
        }
        var z = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            z[i * n + i] = 1.0;
            for (int j = i + 1; j < n; j++)
            {
                double g = delta * TensorPrimitives.Dot(densities.Slice(i * m, m), densities.Slice(j * m, m));
                z[i * n + j] = z[j * n + i] = g / Math.Sqrt(self[i] * self[j]);
            }
        }
        return z;
    }

    /// <summary>
    /// The Hill number qD^Z for weights a_i ≥ 0 (normalised here to p_i = a_i / Σa; agents with a_i = 0 are excluded)
    /// and a row-major N×N similarity Z with positive diagonal. q ≥ 0, including +∞.
    /// </summary>
    public static double Hill(ReadOnlySpan<double> weights, ReadOnlySpan<double> z, double q = DefaultOrder)
    {
        int n = weights.Length;
        Require.Length(z.Length, n * n, nameof(z), $"an {n}x{n} similarity matrix");
        Require.AllNonNegative(weights, nameof(weights));
        CheckOrder(q);
        var members = new int[n];
        int count = 0;
        for (int i = 0; i < n; i++) if (weights[i] > 0) members[count++] = i;
        if (count == 0) throw new ArgumentException("weights must not be all zero.", nameof(weights));
        return HillOnSubset(weights, z, members.AsSpan(0, count), q, new double[2 * count]);
    }

    /// <summary>The Hill number of wrapped-normal agents: Hill(resources, Similarity(mus, sigmas), q).</summary>
    public static double Of(ReadOnlySpan<double> mus, ReadOnlySpan<double> sigmas, ReadOnlySpan<double> resources, double q = DefaultOrder)
    {
        Require.Length(resources.Length, mus.Length, nameof(resources), "one resource per agent");
        return Hill(resources, Similarity(mus, sigmas), q);
    }

    internal static void CheckOrder(double q)
    {
        if (!(q >= 0)) throw new ArgumentException($"The Hill order q must be ≥ 0 (or +∞), got {q}.", nameof(q));
    }

    /// <summary>
    /// qD^Z over the agents in <paramref name="members"/> (all with weight &gt; 0), weights renormalised within them.
    /// <paramref name="scratch"/> holds at least 2·members.Length doubles.
    /// </summary>
    internal static double HillOnSubset(ReadOnlySpan<double> weights, ReadOnlySpan<double> z, ReadOnlySpan<int> members, double q, Span<double> scratch)
    {
        int n = weights.Length, k = members.Length;
        var p = scratch[..k];
        var zp = scratch.Slice(k, k);
        double total = 0;
        for (int a = 0; a < k; a++) total += weights[members[a]];
        for (int a = 0; a < k; a++) p[a] = weights[members[a]] / total;
        for (int a = 0; a < k; a++)
        {
            int row = members[a] * n;
            if (!(z[row + members[a]] > 0))
                throw new ArgumentException($"z[{members[a]},{members[a]}] = {z[row + members[a]]}; the similarity diagonal must be positive.", nameof(z));
            double s = 0;
            for (int b = 0; b < k; b++) s += z[row + members[b]] * p[b];
            zp[a] = s;
        }
        if (double.IsPositiveInfinity(q)) return 1.0 / TensorPrimitives.Max(zp);
        double acc = 0;
        if (q == 1.0)
        {
            for (int a = 0; a < k; a++) acc += p[a] * Math.Log(zp[a]);
            return Math.Exp(-acc);
        }
        for (int a = 0; a < k; a++) acc += p[a] * Math.Pow(zp[a], q - 1.0);
        return Math.Pow(acc, 1.0 / (1.0 - q));
    }
}
