// Heterogeneity of MODEL.md section 3: the Leinster–Cobbold similarity-sensitive Hill numbers qD^Z, with the
// similarity Z of wrapped-normal skill densities in closed form or by overlap on the grid.
using System.Numerics.Tensors;
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Ops;

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
        CheckAgents(mus, sigmas);
        if (n > ExactMaxN)
            throw new ArgumentException($"Similarity: {n} agents would need an {n}x{n} matrix; above {ExactMaxN} agents use Of, Orders or SimilarityTimes (O(N·K), no matrix).", nameof(mus));
        var self = SelfOverlaps(sigmas);
        var z = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            z[i * n + i] = 1.0;
            for (int j = i + 1; j < n; j++)
                z[i * n + j] = z[j * n + i] = PairOverlap(mus[i], sigmas[i], mus[j], sigmas[j]) / Math.Sqrt(self[i] * self[j]);
        }
        return z;
    }

    /// <summary>
    /// Similarity of product wrapped normals on T^d in closed form, row-major N×N: the overlap of two products is the
    /// product of the axes' overlaps, and so is its normalisation, hence Z_ij = Π_k Z(μ_ik, σ_ik; μ_jk, σ_jk) with the
    /// circle's <see cref="Pair(double, double, double, double)"/> per axis. <paramref name="mus"/> and <paramref name="sigmas"/> hold d numbers per
    /// agent (agent by agent); d = 1 is <see cref="Similarity(ReadOnlySpan{double}, ReadOnlySpan{double})"/>.
    /// </summary>
    public static double[] Similarity(ReadOnlySpan<double> mus, ReadOnlySpan<double> sigmas, int dimensions)
    {
        if (dimensions == 1) return Similarity(mus, sigmas);
        Require.AtLeast(dimensions, 1, nameof(dimensions));
        CheckAgents(mus, sigmas);
        if (mus.Length % dimensions != 0) throw new ArgumentException($"Similarity: {mus.Length} locations are not d = {dimensions} per agent.", nameof(mus));
        int n = mus.Length / dimensions;
        if (n > ExactMaxN)
            throw new ArgumentException($"Similarity: {n} agents on T^{dimensions} would need an {n}x{n} matrix; at most {ExactMaxN} agents.", nameof(mus));
        var z = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            z[i * n + i] = 1.0;
            for (int j = i + 1; j < n; j++)
                z[i * n + j] = z[j * n + i] = Pair(mus.Slice(i * dimensions, dimensions), sigmas.Slice(i * dimensions, dimensions),
                    mus.Slice(j * dimensions, dimensions), sigmas.Slice(j * dimensions, dimensions));
        }
        return z;
    }

    /// <summary>
    /// Similarity of wrapped multivariate normals on T^d (agents.covariance "full"), row-major N×N, in closed form up to
    /// the image sum's truncation (<see cref="WrappedMultivariateNormal.DroppedExponent"/>): the overlap of two wrapped
    /// normals on the torus is the wrapped normal of their difference with the summed covariance,
    /// ⟨s_i, s_j⟩ = WMN(μ_i − μ_j; 0, Σ_i + Σ_j), and Z_ij = ⟨s_i, s_j⟩ / √(⟨s_i, s_i⟩⟨s_j, s_j⟩). <paramref name="mus"/>
    /// holds d numbers per agent, <paramref name="covariances"/> d×d per agent (row-major, symmetric positive definite).
    /// </summary>
    public static double[] SimilarityOfCovariances(ReadOnlySpan<double> mus, ReadOnlySpan<double> covariances, int dimensions)
    {
        int d = dimensions, n = mus.Length / d;
        if (d < 2 || mus.Length != n * d || covariances.Length != n * d * d)
            throw new ArgumentException($"SimilarityOfCovariances: d = {d} needs d locations and d×d covariance entries per agent; got {mus.Length} and {covariances.Length}.", nameof(covariances));
        if (n > ExactMaxN) throw new ArgumentException($"SimilarityOfCovariances: {n} agents would need an {n}x{n} matrix; at most {ExactMaxN} agents.", nameof(mus));
        double Overlap(ReadOnlySpan<double> covs, int i, int j, ReadOnlySpan<double> mu)
        {
            Span<double> sum = stackalloc double[9];
            Span<double> delta = stackalloc double[3];
            for (int k = 0; k < d * d; k++) sum[k] = covs[i * d * d + k] + covs[j * d * d + k];
            for (int k = 0; k < d; k++) delta[k] = mu[i * d + k] - mu[j * d + k];
            return WrappedMultivariateNormal.FromCovariance(sum[..(d * d)], d).Density(delta[..d]);
        }
        var self = new double[n];
        for (int i = 0; i < n; i++) self[i] = Overlap(covariances, i, i, mus);
        var z = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            z[i * n + i] = 1.0;
            for (int j = i + 1; j < n; j++) z[i * n + j] = z[j * n + i] = Overlap(covariances, i, j, mus) / Math.Sqrt(self[i] * self[j]);
        }
        return z;
    }

    /// <summary>Z_ij of two product wrapped normals on T^d (d = the spans' length): Π_k <see cref="Pair(double, double, double, double)"/>.</summary>
    public static double Pair(ReadOnlySpan<double> muI, ReadOnlySpan<double> sigmaI, ReadOnlySpan<double> muJ, ReadOnlySpan<double> sigmaJ)
    {
        double z = 1.0;
        for (int k = 0; k < muI.Length; k++) z *= Pair(muI[k], sigmaI[k], muJ[k], sigmaJ[k]);
        return z;
    }

    /// <summary>The mean off-diagonal entry (Σ_ij Z_ij − N) / (N(N − 1)) of a row-major N×N similarity; NaN for N &lt; 2.</summary>
    public static double MeanOffDiagonal(ReadOnlySpan<double> z, int n)
    {
        Require.Length(z.Length, Require.SquareLength(n, "Heterogeneity.MeanOffDiagonal"), nameof(z), $"an {n}x{n} similarity matrix");
        if (n < 2) return double.NaN;
        double sum = 0;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) sum += 2 * z[i * n + j];
        return sum / (n * (n - 1.0));
    }

    /// <summary>
    /// Largest N for which the N×N similarity matrix is built (N² doubles = 128 MiB at 4096). Above it the Hill numbers
    /// come from <see cref="SimilarityTimes"/> in O(N·K) memory-free of N², exact to the same tolerance.
    /// </summary>
    public const int ExactMaxN = MemoryEstimate.SimilarityMatrixMaxN;

    /// <summary>The similarity Z_ij of two wrapped-normal agents (the entry of <see cref="Similarity(ReadOnlySpan{double}, ReadOnlySpan{double})"/>).</summary>
    public static double Pair(double muI, double sigmaI, double muJ, double sigmaJ)
    {
        if (muI == muJ && sigmaI == sigmaJ) return 1.0;
        return PairOverlap(muI, sigmaI, muJ, sigmaJ)
            / Math.Sqrt(WrappedNormal.Density(0.0, 0.0, Math.Sqrt(2.0) * sigmaI) * WrappedNormal.Density(0.0, 0.0, Math.Sqrt(2.0) * sigmaJ));
    }

    private static double PairOverlap(double muI, double sigmaI, double muJ, double sigmaJ)
    {
        double s2 = sigmaI * sigmaI + sigmaJ * sigmaJ;
        double s = double.IsFinite(s2) ? Math.Sqrt(s2) : double.Hypot(sigmaI, sigmaJ); // σ above ~1e154: the squares overflow
        return WrappedNormal.Density(muI - muJ, 0.0, s);
    }

    private static double[] SelfOverlaps(ReadOnlySpan<double> sigmas)
    {
        var self = new double[sigmas.Length];
        for (int i = 0; i < self.Length; i++) self[i] = WrappedNormal.Density(0.0, 0.0, Math.Sqrt(2.0) * sigmas[i]);
        return self;
    }

    private static void CheckAgents(ReadOnlySpan<double> mus, ReadOnlySpan<double> sigmas)
    {
        Require.Length(sigmas.Length, mus.Length, nameof(sigmas), "one breadth per agent");
        Require.AllFinite(mus, nameof(mus));
        Require.AllPositive(sigmas, nameof(sigmas));
    }

    /// <summary>
    /// Fourier modes are kept while exp(−n²σ_j²/2) ≥ this, for each agent j; a dropped pair term is below it times
    /// exp(−n²σ_i²/2) ≤ 1, far under the 1e-12 tolerance of <see cref="WrappedNormal.Density"/> used by the matrix.
    /// </summary>
    public const double ModeTolerance = 1e-20;

    /// <summary>
    /// (Z c)_i = Σ_j Z_ij c_j for wrapped-normal agents without the N×N matrix, from the Fourier form of the overlap
    /// (MODEL.md section 1): ⟨s_i, s_j⟩ = (1/2π)[1 + 2 Σ_{n≥1} e^{−n²σ_i²/2} e^{−n²σ_j²/2} cos(n(μ_i − μ_j))], so
    /// with b_j = c_j / √⟨s_j,s_j⟩ and the mode sums C_n + i S_n = Σ_j b_j e^{−n²σ_j²/2} e^{inμ_j},
    /// (Z c)_i = (1/(2π √⟨s_i,s_i⟩)) [C_0 + 2 Σ_n e^{−n²σ_i²/2} (cos(nμ_i) C_n + sin(nμ_i) S_n)].
    /// Exact up to the truncation <see cref="ModeTolerance"/> and rounding; O(N·K) time and O(N + K) memory with
    /// K = √(2 ln(1/ModeTolerance)) / min σ ≈ 9.6 / σ_min modes.
    /// </summary>
    public static double[] SimilarityTimes(ReadOnlySpan<double> mus, ReadOnlySpan<double> sigmas, ReadOnlySpan<double> c)
    {
        CheckAgents(mus, sigmas);
        Require.Length(c.Length, mus.Length, nameof(c), "one coefficient per agent");
        int n = mus.Length;
        var self = SelfOverlaps(sigmas);
        double sigmaMin = n == 0 ? 1 : TensorPrimitives.Min(sigmas);
        long modes = (long)Math.Ceiling(ModeCut / sigmaMin) + 2;
        if (modes > int.MaxValue / 2) throw new ArgumentException($"SimilarityTimes: σ_min = {sigmaMin} needs {modes} Fourier modes; breadths that narrow are not supported.", nameof(sigmas));
        var cosSum = new double[modes];
        var sinSum = new double[modes];
        for (int j = 0; j < n; j++)
        {
            double b = c[j] / Math.Sqrt(self[j]);
            if (b == 0) continue;
            for (var mode = new Mode(mus[j], sigmas[j]); mode.Next();)
            {
                cosSum[mode.K] += b * mode.Factor * mode.Cos;
                sinSum[mode.K] += b * mode.Factor * mode.Sin;
            }
        }
        var result = new double[n];
        for (int i = 0; i < n; i++)
        {
            double acc = 0;
            for (var mode = new Mode(mus[i], sigmas[i]); mode.Next();)
                acc += (mode.K == 0 ? 1.0 : 2.0) * mode.Factor * (mode.Cos * cosSum[mode.K] + mode.Sin * sinSum[mode.K]);
            result[i] = acc / (2.0 * Math.PI * Math.Sqrt(self[i]));
        }
        return result;
    }

    /// <summary>√(2 ln(1/ModeTolerance)): modes n ≤ ModeCut/σ have e^{−n²σ²/2} ≥ ModeTolerance.</summary>
    private static readonly double ModeCut = Math.Sqrt(2.0 * Math.Log(1.0 / ModeTolerance));

    /// <summary>Modes between exact re-evaluations of cos(nμ), sin(nμ) (the rotation recurrence drifts by ~n·eps).</summary>
    private const int RotationRefresh = 64;

    /// <summary>The modes n = 0, 1, ... of one agent: Factor = e^{−n²σ²/2} (while ≥ ModeTolerance), Cos = cos nμ, Sin = sin nμ.</summary>
    private struct Mode(double mu, double sigma)
    {
        private readonly double _c1 = Math.Cos(mu), _s1 = Math.Sin(mu), _ratio = Math.Exp(-sigma * sigma);
        private double _step = Math.Exp(-sigma * sigma / 2); // f_n = f_{n-1} e^{−(2n−1)σ²/2}
        public int K { get; private set; } = -1;
        public double Factor { get; private set; } = 1;
        public double Cos { get; private set; } = 1;
        public double Sin { get; private set; }

        public bool Next()
        {
            if (K >= 0)
            {
                Factor *= _step;
                _step *= _ratio;
                if ((K + 1) % RotationRefresh == 0) { double a = Wrap((K + 1) * mu); Cos = Math.Cos(a); Sin = Math.Sin(a); }
                else (Cos, Sin) = (Cos * _c1 - Sin * _s1, Sin * _c1 + Cos * _s1);
            }
            K++;
            return Factor >= ModeTolerance;
        }
    }

    private static double Wrap(double a) => a - 2.0 * Math.PI * Math.Floor(a / (2.0 * Math.PI));

    /// <summary>
    /// The Hill numbers at q = 0, 1, 2, ∞ of wrapped-normal agents with weights a ≥ 0 (not all zero): the exact matrix
    /// for N ≤ <see cref="ExactMaxN"/>, else one <see cref="SimilarityTimes"/> (no N×N matrix).
    /// </summary>
    public static double[] Orders(ReadOnlySpan<double> mus, ReadOnlySpan<double> sigmas, ReadOnlySpan<double> weights)
    {
        var result = new double[ReportedOrders.Length];
        if (mus.Length <= ExactMaxN)
        {
            var z = Similarity(mus, sigmas);
            for (int k = 0; k < result.Length; k++) result[k] = Hill(weights, z, ReportedOrders[k]);
            return result;
        }
        var (p, zp) = WeightsAndZp(mus, sigmas, weights);
        for (int k = 0; k < result.Length; k++) result[k] = HillFromZp(p, zp, ReportedOrders[k]);
        return result;
    }

    /// <summary>p_i = a_i / Σa over the agents with a_i &gt; 0, and (Zp)_i for them, by <see cref="SimilarityTimes"/>.</summary>
    private static (double[] P, double[] Zp) WeightsAndZp(ReadOnlySpan<double> mus, ReadOnlySpan<double> sigmas, ReadOnlySpan<double> weights)
    {
        Require.Length(weights.Length, mus.Length, nameof(weights), "one weight per agent");
        Require.AllNonNegative(weights, nameof(weights));
        double total = 0;
        foreach (var w in weights) total += w;
        if (!(total > 0)) throw new ArgumentException("weights must not be all zero.", nameof(weights));
        var c = new double[weights.Length];
        for (int i = 0; i < c.Length; i++) c[i] = weights[i] / total;
        var zpAll = SimilarityTimes(mus, sigmas, c);
        int count = 0;
        foreach (var v in c) if (v > 0) count++;
        double[] p = new double[count], zp = new double[count];
        for (int i = 0, k = 0; i < c.Length; i++)
            if (c[i] > 0) { p[k] = c[i]; zp[k++] = zpAll[i]; }
        return (p, zp);
    }

    /// <summary>
    /// The mean similarity over all pairs i ≠ j, (Σ_ij Z_ij − N) / (N(N − 1)), from the matrix (N ≤ ExactMaxN) or
    /// <see cref="SimilarityTimes"/> with c = 1. NaN for N &lt; 2.
    /// </summary>
    public static double MeanPairSimilarity(ReadOnlySpan<double> mus, ReadOnlySpan<double> sigmas)
    {
        int n = mus.Length;
        if (n < 2) return double.NaN;
        double sum = 0;
        if (n <= ExactMaxN)
        {
            var z = Similarity(mus, sigmas);
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++) sum += 2 * z[i * n + j];
        }
        else
        {
            var ones = new double[n];
            Array.Fill(ones, 1.0);
            foreach (var v in SimilarityTimes(mus, sigmas, ones)) sum += v;
            sum -= n;
        }
        return sum / (n * (n - 1.0));
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
        var z = new double[Require.SquareLength(n, "Heterogeneity.SimilarityFromDensities")];
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
        Require.Length(z.Length, Require.SquareLength(n, "Heterogeneity.Hill"), nameof(z), $"an {n}x{n} similarity matrix");
        Require.AllNonNegative(weights, nameof(weights));
        CheckOrder(q);
        var members = new int[n];
        int count = 0;
        for (int i = 0; i < n; i++) if (weights[i] > 0) members[count++] = i;
        if (count == 0) throw new ArgumentException("weights must not be all zero.", nameof(weights));
        return HillOnSubset(weights, z, members.AsSpan(0, count), q, new double[2 * count]);
    }

    /// <summary>The Hill number qD of <paramref name="weights"/> with every entry distinct (Z = I; q = 1: exp of the Shannon entropy).</summary>
    public static double Distinct(ReadOnlySpan<double> weights, double q = DefaultOrder)
    {
        int n = weights.Length;
        var z = new double[n * n];
        for (int i = 0; i < n; i++) z[i * n + i] = 1;
        return Hill(weights, z, q);
    }

    /// <summary>The Hill number of wrapped-normal agents: Hill(resources, Similarity(mus, sigmas), q).</summary>
    /// <remarks>Above <see cref="ExactMaxN"/> agents no matrix is built: (Zp) comes from <see cref="SimilarityTimes"/>.</remarks>
    public static double Of(ReadOnlySpan<double> mus, ReadOnlySpan<double> sigmas, ReadOnlySpan<double> resources, double q = DefaultOrder)
    {
        Require.Length(resources.Length, mus.Length, nameof(resources), "one resource per agent");
        if (mus.Length <= ExactMaxN) return Hill(resources, Similarity(mus, sigmas), q);
        CheckOrder(q);
        var (p, zp) = WeightsAndZp(mus, sigmas, resources);
        return HillFromZp(p, zp, q);
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
        return HillFromZp(p, zp, q);
    }

    /// <summary>qD^Z from the normalised weights p (all &gt; 0) and (Zp) over the same agents.</summary>
    internal static double HillFromZp(ReadOnlySpan<double> p, ReadOnlySpan<double> zp, double q)
    {
        int k = p.Length;
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
