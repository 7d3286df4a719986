// Full-covariance skill densities on the torus T^d (MODEL.md section 1, [choice] agents.covariance "full"): the
// wrapped multivariate normal s(x) = Σ_{k ∈ Z^d} N(x − μ + 2πk; 0, Σ), Σ = L Lᵀ with L lower triangular and a positive
// diagonal, evaluated by the image sum over the lattice shifts k with |k_j| ≤ K (the truncation of
// WrappedMultivariateNormal.Shifts). The backward is written out: with z = x − μ + 2πk, y = L⁻¹z, u = L⁻ᵀy = Σ⁻¹z and
// e = c·exp(−|y|²/2), c = 1/((2π)^{d/2} Π_j L_jj): ∂s/∂μ = Σ_k e·u, ∂s/∂L_ab = Σ_k e·u_a·y_b − δ_ab·s/L_aa (a ≥ b).
namespace DpsTorch.Ops;

/// <summary>
/// The wrapped multivariate normal on T^d (d = 1 to 3) of one Cholesky factor L (row-major d×d, lower triangular,
/// positive diagonal): the normaliser, Σ⁻¹ through L, and the truncation of its image sum.
/// </summary>
public readonly struct WrappedMultivariateNormal
{
    /// <summary>
    /// An image term exp(−|y|²/2) is dropped only when |y|²/2 ≥ this for every point of the cell [−π, π]^d: with
    /// |z| ≥ (2K + 1)π outside the box |k_j| ≤ K and |y|² ≥ |z|²/λ_max(Σ) ≥ |z|²/tr(Σ), every dropped term is below
    /// e^−36 ≈ 2.3·10⁻¹⁶ of the peak height c, and the dropped shells together below 10⁻¹⁴·c (tested against K + 2).
    /// </summary>
    public const double DroppedExponent = 36.0;

    /// <summary>Largest K (shifts per axis on each side): a breadth with tr(Σ) beyond about 150 (σ ≈ 12 per axis, far broader than the circle) is truncated here.</summary>
    public const int MaxShift = 16;

    private readonly double[] _l;     // L, d×d row-major
    /// <summary>Dimensions d.</summary>
    public int Dimensions { get; }
    /// <summary>The normaliser c = 1/((2π)^{d/2} Π_j L_jj), the density's peak height before wrapping.</summary>
    public double Normalizer { get; }
    /// <summary>K: the image sum runs over the shifts k with |k_j| ≤ K.</summary>
    public int Shifts { get; }

    /// <summary>The wrapped normal of Cholesky factor <paramref name="l"/> (row-major d×d; the upper triangle is ignored).</summary>
    public WrappedMultivariateNormal(ReadOnlySpan<double> l, int d)
    {
        if (d < 1 || d > 3) throw new ArgumentException($"wrapped_multivariate_normal: dimensions = {d}; 1 to 3 are supported.");
        if (l.Length != d * d) throw new ArgumentException($"wrapped_multivariate_normal: L has {l.Length} entries; d×d = {d * d} are needed.");
        _l = new double[d * d];
        double det = 1, trace = 0;
        for (int a = 0; a < d; a++)
            for (int b = 0; b <= a; b++)
            {
                double v = l[a * d + b];
                if (!double.IsFinite(v) || (a == b && !(v > 0)))
                    throw new ArgumentException($"wrapped_multivariate_normal: L[{a},{b}] = {v}; the diagonal must be positive and every entry finite.");
                _l[a * d + b] = v;
                trace += v * v;
                if (a == b) det *= v;
            }
        Dimensions = d;
        Normalizer = 1.0 / (Math.Pow(2 * Math.PI, d / 2.0) * det);
        // Smallest K with ((2K + 1)π)² / (2 tr Σ) ≥ DroppedExponent.
        int k = (int)Math.Ceiling((Math.Sqrt(2 * DroppedExponent * trace) / Math.PI - 1) / 2);
        Shifts = Math.Clamp(k, 0, MaxShift);
    }

    /// <summary>The density at offset <paramref name="delta"/> = x − μ (any real numbers; wrapped here), with <paramref name="shifts"/> K (default: <see cref="Shifts"/>).</summary>
    public double Density(ReadOnlySpan<double> delta, int? shifts = null)
    {
        int d = Dimensions;
        Span<double> w = stackalloc double[3];
        for (int j = 0; j < d; j++) w[j] = Wrap(delta[j]);
        return Normalizer * ImageSum(w, shifts ?? Shifts, null, null);
    }

    /// <summary>
    /// Σ_k exp(−|y_k|²/2) for the wrapped offset w ∈ [−π, π]^d; with <paramref name="gradU"/> and <paramref name="gradUy"/>
    /// also Σ_k e_k·u_k (length d) and Σ_k e_k·u_k y_kᵀ (d×d row-major, lower triangle) added into them.
    /// </summary>
    internal double ImageSum(ReadOnlySpan<double> w, int kMax, Span<double> gradU, Span<double> gradUy)
    {
        int d = Dimensions, side = 2 * kMax + 1, count = 1;
        for (int j = 0; j < d; j++) count *= side;
        var l = _l;
        Span<double> z = stackalloc double[3];
        Span<double> y = stackalloc double[3];
        Span<double> u = stackalloc double[3];
        bool grads = !gradU.IsEmpty;
        double sum = 0;
        for (int s = 0; s < count; s++)
        {
            int rest = s;
            for (int j = d - 1; j >= 0; j--) { z[j] = w[j] + 2 * Math.PI * (rest % side - kMax); rest /= side; }
            // y = L⁻¹ z (forward substitution)
            double q = 0;
            for (int a = 0; a < d; a++)
            {
                double v = z[a];
                for (int b = 0; b < a; b++) v -= l[a * d + b] * y[b];
                y[a] = v / l[a * d + a];
                q += y[a] * y[a];
            }
            double e = Math.Exp(-0.5 * q);
            sum += e;
            if (!grads || e == 0) continue;
            // u = L⁻ᵀ y (back substitution)
            for (int a = d - 1; a >= 0; a--)
            {
                double v = y[a];
                for (int b = a + 1; b < d; b++) v -= l[b * d + a] * u[b];
                u[a] = v / l[a * d + a];
            }
            for (int a = 0; a < d; a++)
            {
                gradU[a] += e * u[a];
                for (int b = 0; b <= a; b++) gradUy[a * d + b] += e * u[a] * y[b];
            }
        }
        return sum;
    }

    /// <summary>The wrapped normal of covariance <paramref name="covariance"/> (row-major d×d, symmetric positive definite), through its Cholesky factor.</summary>
    public static WrappedMultivariateNormal FromCovariance(ReadOnlySpan<double> covariance, int d)
    {
        if (covariance.Length != d * d) throw new ArgumentException($"wrapped_multivariate_normal: the covariance has {covariance.Length} entries; d×d = {d * d} are needed.");
        Span<double> l = stackalloc double[9];
        l.Clear();
        for (int a = 0; a < d; a++)
            for (int b = 0; b <= a; b++)
            {
                double v = covariance[a * d + b];
                for (int k = 0; k < b; k++) v -= l[a * d + k] * l[b * d + k];
                if (a == b)
                {
                    if (!(v > 0)) throw new ArgumentException($"wrapped_multivariate_normal: the covariance is not positive definite (pivot {a} = {v}).");
                    l[a * d + a] = Math.Sqrt(v);
                }
                else l[a * d + b] = v / l[b * d + b];
            }
        return new WrappedMultivariateNormal(l[..(d * d)], d);
    }

    /// <summary>x reduced to [−π, π].</summary>
    internal static double Wrap(double x) => x - 2 * Math.PI * Math.Round(x / (2 * Math.PI));

    /// <summary>Off-diagonal entries of L per agent: d(d − 1)/2 (row by row: L_10; L_10, L_20, L_21).</summary>
    public static int OffDiagonal(int d) => d * (d - 1) / 2;

    /// <summary>
    /// Writes the Cholesky factor of agent <paramref name="i"/> (row-major d×d) from its diagonal entries
    /// <paramref name="diagonal"/>[i·d ..] and off-diagonal entries <paramref name="lower"/>[i·d(d−1)/2 ..].
    /// </summary>
    public static void Factor(ReadOnlySpan<double> diagonal, ReadOnlySpan<double> lower, int i, int d, Span<double> l)
    {
        l[..(d * d)].Clear();
        int p = OffDiagonal(d), o = 0;
        for (int a = 0; a < d; a++)
        {
            l[a * d + a] = diagonal[i * d + a];
            for (int b = 0; b < a; b++) l[a * d + b] = lower[i * p + o++];
        }
    }
}

public static partial class DpsKernels
{
    /// <summary>
    /// Wrapped multivariate normal densities on the product grid of T^d: result[i, m] = WMN(x_m; μ_i, L_i L_iᵀ), shape
    /// [N, M^d] (m = ((m_0·M + m_1)·M + ...), the first axis slowest), with L_i lower triangular: diagonal
    /// <paramref name="diagonal"/>[i·d + a] (positive), below it <paramref name="lower"/>[i·d(d−1)/2 + ...] row by row.
    /// Differentiable in mu, diagonal and lower. With lower = 0 the values equal
    /// <see cref="ProductWrappedNormalDensity"/> of σ = diagonal (to the truncation, 10⁻¹⁴ of the peak).
    /// </summary>
    public static Tensor WrappedMultivariateNormalDensity(Tensor mu, Tensor diagonal, Tensor lower, double[] grid, int dimensions)
    {
        const string op = "wrapped_multivariate_normal";
        ArgumentNullException.ThrowIfNull(lower);
        var (_, n, points) = CheckProduct(op, mu, diagonal, null, grid, dimensions);
        int d = dimensions, m = grid.Length, p = WrappedMultivariateNormal.OffDiagonal(d);
        if (lower.Dim != 1 || lower.ShapeRef[0] != n * p)
            throw new ArgumentException($"{op}: lower must have shape [N·d(d−1)/2] = [{n * p}], got {Shapes.Format(lower.ShapeRef)}.");
        for (int e = 0; e < lower.Numel; e++) OpCheck.Finite(lower.Storage[e], op, $"lower[{e}]");
        var (mus, diag, low) = (mu.Storage, diagonal.Storage, lower.Storage);
        var o = new double[(long)n * points <= int.MaxValue ? n * points : throw new ArgumentException($"{op}: {n} agents × {points} points is too large.")];
        TensorEngine.ParallelRanges(n, (s, e) =>
        {
            Span<double> l = stackalloc double[9];
            Span<double> w = stackalloc double[3];
            for (int i = s; i < e; i++)
            {
                WrappedMultivariateNormal.Factor(diag, low, i, d, l);
                var wmn = new WrappedMultivariateNormal(l[..(d * d)], d);
                for (int x = 0; x < points; x++)
                {
                    Offsets(grid, mus, i, d, m, points, x, w);
                    o[i * points + x] = wmn.Normalizer * wmn.ImageSum(w, wmn.Shifts, default, default);
                }
            }
        }, Math.Max(1, 4096 / points));

        return Tensor.Record(new Tensor(o, [n, points]), op, [mu, diagonal, lower], g =>
        {
            var gMu = new double[n * d];
            var gDiag = new double[n * d];
            var gLow = new double[n * p];
            TensorEngine.ParallelRanges(n, (s, e) =>
            {
                Span<double> l = stackalloc double[9];
                Span<double> w = stackalloc double[3];
                Span<double> u = stackalloc double[3];
                Span<double> uy = stackalloc double[9];
                Span<double> sumU = stackalloc double[3];
                Span<double> sumUy = stackalloc double[9];
                for (int i = s; i < e; i++)
                {
                    WrappedMultivariateNormal.Factor(diag, low, i, d, l);
                    var wmn = new WrappedMultivariateNormal(l[..(d * d)], d);
                    double gs = 0; // Σ_m g_m s_m
                    sumU.Clear();
                    sumUy.Clear();
                    for (int x = 0; x < points; x++)
                    {
                        double gx = g[i * points + x];
                        if (gx == 0) continue;
                        Offsets(grid, mus, i, d, m, points, x, w);
                        u.Clear();
                        uy.Clear();
                        double sum = wmn.ImageSum(w, wmn.Shifts, u, uy);
                        gs += gx * wmn.Normalizer * sum;
                        for (int a = 0; a < d; a++)
                        {
                            sumU[a] += gx * u[a];
                            for (int b = 0; b <= a; b++) sumUy[a * d + b] += gx * uy[a * d + b];
                        }
                    }
                    int off = 0;
                    for (int a = 0; a < d; a++)
                    {
                        gMu[i * d + a] = wmn.Normalizer * sumU[a];
                        gDiag[i * d + a] = wmn.Normalizer * sumUy[a * d + a] - gs / l[a * d + a];
                        for (int b = 0; b < a; b++) gLow[i * p + off++] = wmn.Normalizer * sumUy[a * d + b];
                    }
                }
            }, Math.Max(1, 4096 / points));
            mu.AccumulateGradOwned(gMu);
            diagonal.AccumulateGradOwned(gDiag);
            lower.AccumulateGradOwned(gLow);
        });
    }

    /// <summary>w_j = x_{m_j} − μ_ij wrapped to [−π, π] for grid point <paramref name="point"/> (first axis slowest).</summary>
    private static void Offsets(double[] grid, double[] mus, int i, int d, int m, int points, int point, Span<double> w)
    {
        for (int j = 0, stride = points / m; j < d; j++, stride /= m)
            w[j] = WrappedMultivariateNormal.Wrap(grid[point / stride % m] - mus[i * d + j]);
    }
}
