// Fused DPS-only kernels that exist only for speed, outside Tensor's general ops. wrapped_normal: every agent's skill
// density on the grid (MODEL.md section 1), the hot spot of each model step, evaluated and differentiated in one pass
// per agent without per-element allocation. Each kernel has a composed twin (written in its summary) and a test that
// the two agree in value and gradients.
using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DpsTorch.Ops;

/// <summary>
/// Differentiable kernels specific to DPS models (wrapped normal densities, their weighted sums, the pooled squared
/// error), each equal to a composition of general <see cref="Tensor"/> ops but computed in one pass.
/// </summary>
public static partial class DpsKernels
{
    /// <summary>
    /// z with exp(−z²/2) &lt; 1e-16: an image whose nearest approach to the grid is beyond this many σ adds less than
    /// 1e-16 of the peak, so the fused op leaves it out (the scalar <see cref="WrappedNormal.ImageCount"/> is more generous).
    /// </summary>
    private static readonly double NegligibleZ = Math.Sqrt(2.0 * Math.Log(1e16));

    /// <summary>
    /// σ below which <see cref="WrappedNormalMethod.Auto"/> uses the image sum in the fused op. Lower than the scalar
    /// <see cref="WrappedNormal.SwitchSigma"/> because here a Fourier harmonic costs two vector multiply-adds over the
    /// grid (cos nx, sin nx are tabulated once per call) while an image costs a vector exp: measured on M = 256, the
    /// two cost the same near σ = 0.5 and Fourier is 3x faster at σ = 1.5 (bench/README.md). Both are exact to 1e-12.
    /// </summary>
    public const double FusedSwitchSigma = 0.5;

    /// <summary>
    /// The wrapped normal densities of N agents on a grid: result[i, m] = WN(grid[m]; mu[i], sigma[i]), shape [N, M]
    /// (see <see cref="WrappedNormal"/>; mu and sigma have shape [N], sigma &gt; 0). With
    /// <see cref="WrappedNormalMethod.Auto"/>, agents with σ below <see cref="FusedSwitchSigma"/> use the image sum and
    /// the rest the Fourier series; the other values force one method for all. Differentiable in mu and sigma: dMu[i] = Σ_m G[i,m] ∂WN/∂μ,
    /// dSigma[i] = Σ_m G[i,m] ∂WN/∂σ. Parallel over agents; results do not depend on the thread count.
    /// </summary>
    public static Tensor WrappedNormalDensity(Tensor mu, Tensor sigma, double[] grid, WrappedNormalMethod method = WrappedNormalMethod.Auto)
    {
        const string op = "wrapped_normal";
        ArgumentNullException.ThrowIfNull(grid);
        if (mu.Dim != 1 || sigma.Dim != 1 || mu.ShapeRef[0] != sigma.ShapeRef[0])
            throw new ArgumentException($"{op}: mu and sigma must both have shape [N], got {Shapes.Format(mu.ShapeRef)} and {Shapes.Format(sigma.ShapeRef)}.");
        if (grid.Length == 0) throw new ArgumentException($"{op}: the grid is empty; give at least one point.");
        foreach (var x in grid) OpCheck.Finite(x, op, "every grid point");
        int n = mu.ShapeRef[0], mPts = grid.Length;
        var mus = mu.Storage;
        var sigmas = sigma.Storage;
        for (int i = 0; i < n; i++)
        {
            if (!(sigmas[i] > 0) || double.IsInfinity(sigmas[i]))
                throw new ArgumentException($"{op}: sigma[{i}] = {sigmas[i]}; every sigma must be positive and finite.");
            OpCheck.Finite(mus[i], op, $"mu[{i}]");
        }

        var plan = new WrappedNormalPlan(grid, sigmas, method);
        var o = new double[n * mPts];
        TensorEngine.ParallelRanges(n, (s, e) =>
        {
            var scratch = new double[3 * mPts];
            for (int i = s; i < e; i++) plan.Forward(mus[i], sigmas[i], o.AsSpan(i * mPts, mPts), scratch);
        }, Math.Max(1, 8192 / mPts));

        return Tensor.Record(new Tensor(o, [n, mPts]), op, [mu, sigma], g =>
        {
            var gMu = new double[n];
            var gSigma = new double[n];
            TensorEngine.ParallelRanges(n, (s, e) =>
            {
                var scratch = new double[3 * mPts];
                for (int i = s; i < e; i++)
                {
                    var gi = new ReadOnlySpan<double>(g, i * mPts, mPts);
                    (gMu[i], gSigma[i], _) = plan.SingleImage(sigmas[i])
                        ? plan.BackwardFromDensity(mus[i], sigmas[i], gi, new ReadOnlySpan<double>(o, i * mPts, mPts), scratch)
                        : plan.Backward(mus[i], sigmas[i], gi, scratch);
                }
            }, Math.Max(1, 8192 / mPts));
            mu.AccumulateGradOwned(gMu);
            sigma.AccumulateGradOwned(gSigma);
        });
    }

    /// <summary>
    /// Scaled wrapped normal densities: result[i, m] = scale[i]·WN(grid[m]; mu[i], sigma[i]), shape [N, M] (an agent's
    /// individual production w_i = a_i s_i, MODEL.md section 1), in one pass without the [N, M] broadcast product.
    /// Differentiable in mu, sigma and scale; only the output is stored: the backward reads one-image agents' densities
    /// from it (σ below about 0.37, <c>WrappedNormalPlan.SingleImage</c>) and recomputes the others'.
    /// Composed twin: <c>scale.Unsqueeze(1) * WrappedNormalDensity(mu, sigma, grid)</c>.
    /// </summary>
    public static Tensor ScaledWrappedNormalDensity(Tensor mu, Tensor sigma, Tensor scale, double[] grid)
    {
        const string op = "scaled_wrapped_normal";
        var plan = CheckWrappedNormal(op, mu, sigma, scale, grid);
        int n = mu.ShapeRef[0], mPts = grid.Length;
        var (mus, sigmas, a) = (mu.Storage, sigma.Storage, scale.Storage);
        var o = new double[n * mPts];
        TensorEngine.ParallelRanges(n, (s, e) =>
        {
            var scratch = new double[3 * mPts];
            for (int i = s; i < e; i++)
            {
                var row = o.AsSpan(i * mPts, mPts);
                plan.Forward(mus[i], sigmas[i], row, scratch);
                TP.Multiply(row, a[i], row);
            }
        }, Math.Max(1, 8192 / mPts));

        return Tensor.Record(new Tensor(o, [n, mPts]), op, [mu, sigma, scale], g =>
        {
            var gMu = new double[n];
            var gSigma = new double[n];
            var gScale = new double[n];
            TensorEngine.ParallelRanges(n, (s, e) =>
            {
                var scratch = new double[3 * mPts];
                for (int i = s; i < e; i++)
                {
                    var gi = new ReadOnlySpan<double>(g, i * mPts, mPts);
                    if (plan.SingleImage(sigmas[i]) && Math.Abs(a[i]) >= MinStoredScale)
                    {
                        // The output row is a_i·WN_i: the moments against it are a_i times the unscaled ones.
                        var (dm, ds, gs) = plan.BackwardFromDensity(mus[i], sigmas[i], gi, new ReadOnlySpan<double>(o, i * mPts, mPts), scratch);
                        (gMu[i], gSigma[i], gScale[i]) = (dm, ds, gs / a[i]);
                    }
                    else
                    {
                        var (dm, ds, gs) = plan.Backward(mus[i], sigmas[i], gi, scratch);
                        (gMu[i], gSigma[i], gScale[i]) = (a[i] * dm, a[i] * ds, gs);
                    }
                }
            }, Math.Max(1, 8192 / mPts));
            mu.AccumulateGradOwned(gMu);
            sigma.AccumulateGradOwned(gSigma);
            scale.AccumulateGradOwned(gScale);
        });
    }

    /// <summary>
    /// Smallest |scale| for which the scaled density's backward reads WN from its output (a·WN, divided by a for the
    /// scale's gradient); below it a·WN may have lost precision to underflow, and the densities are recomputed.
    /// </summary>
    private const double MinStoredScale = 1e-100;

    /// <summary>Agents per block of <see cref="WrappedNormalMixture"/>: blocks are summed in order, whatever the thread count.</summary>
    private const int MixtureBlock = 64;

    /// <summary>
    /// A weighted sum of wrapped normal densities on a grid: result[m] = Σ_i weights[i]·WN(grid[m]; mu[i], sigma[i]),
    /// shape [M] (system production W = Σ_j c_j a_j s_j, MODEL.md section 1, with c_j = 1 + Σ_i Q_ij). Memory O(M) plus
    /// one [M] partial sum per block of <see cref="MixtureBlock"/> agents: the [N, M] densities are never stored, and the
    /// backward recomputes them. Agents are summed within a block in index order and blocks in block order, so the
    /// result does not depend on the thread count. Differentiable in mu, sigma and weights.
    /// Composed twin: <c>(weights.Unsqueeze(1) * WrappedNormalDensity(mu, sigma, grid)).Sum(0)</c>.
    /// </summary>
    public static Tensor WrappedNormalMixture(Tensor mu, Tensor sigma, Tensor weights, double[] grid)
        => Mixtures("wrapped_normal_mixture", mu, sigma, weights, grid, 1, [grid.Length]);

    /// <summary>
    /// <paramref name="groups"/> independent mixtures in one pass (batched multi-start: R systems of n agents each):
    /// agents [g·n, (g+1)·n) with n = N / groups make row g of the result, shape [groups, M], each row computed exactly
    /// as <see cref="WrappedNormalMixture"/> computes it for those agents alone (same blocks, same order: bit-identical).
    /// </summary>
    public static Tensor WrappedNormalMixtures(Tensor mu, Tensor sigma, Tensor weights, double[] grid, int groups)
    {
        ArgumentNullException.ThrowIfNull(grid);
        return Mixtures("wrapped_normal_mixtures", mu, sigma, weights, grid, groups, [groups, grid.Length]);
    }

    private static Tensor Mixtures(string op, Tensor mu, Tensor sigma, Tensor weights, double[] grid, int groups, int[] shape)
    {
        var plan = CheckWrappedNormal(op, mu, sigma, weights, grid);
        int n = mu.ShapeRef[0], mPts = grid.Length;
        int size = CheckGroups(op, n, groups);
        var (mus, sigmas, w) = (mu.Storage, sigma.Storage, weights.Storage);
        int blocksPerGroup = Math.Max(1, (size + MixtureBlock - 1) / MixtureBlock);
        int blocks = groups * blocksPerGroup;
        var partial = new double[blocks * mPts];
        TensorEngine.ParallelRanges(blocks, (s, e) =>
        {
            var scratch = new double[4 * mPts];
            var row = scratch.AsSpan(3 * mPts, mPts);
            for (int b = s; b < e; b++)
            {
                var acc = partial.AsSpan(b * mPts, mPts);
                int first = (b / blocksPerGroup) * size, i = first + (b % blocksPerGroup) * MixtureBlock;
                for (int end = Math.Min(first + size, i + MixtureBlock); i < end; i++)
                {
                    plan.Forward(mus[i], sigmas[i], row, scratch);
                    TP.MultiplyAdd(row, w[i], acc, acc);
                }
            }
        }, Math.Max(1, 8192 / (MixtureBlock * mPts)));
        var o = new double[groups * mPts];
        for (int b = 0; b < blocks; b++)
        {
            var og = o.AsSpan((b / blocksPerGroup) * mPts, mPts);
            TP.Add(og, partial.AsSpan(b * mPts, mPts), og);
        }

        return Tensor.Record(new Tensor(o, shape), op, [mu, sigma, weights], g =>
        {
            var gMu = new double[n];
            var gSigma = new double[n];
            var gWeights = new double[n];
            TensorEngine.ParallelRanges(n, (s, e) =>
            {
                var scratch = new double[3 * mPts];
                for (int i = s; i < e; i++)
                {
                    var (dm, ds, gs) = plan.Backward(mus[i], sigmas[i], new ReadOnlySpan<double>(g, (i / size) * mPts, mPts), scratch);
                    (gMu[i], gSigma[i], gWeights[i]) = (w[i] * dm, w[i] * ds, gs);
                }
            }, Math.Max(1, 8192 / mPts));
            mu.AccumulateGradOwned(gMu);
            sigma.AccumulateGradOwned(gSigma);
            weights.AccumulateGradOwned(gWeights);
        });
    }

    /// <summary>Rows per group when <paramref name="rows"/> rows split into <paramref name="groups"/> equal groups.</summary>
    private static int CheckGroups(string op, int rows, int groups)
    {
        if (groups < 1 || rows % groups != 0)
            throw new ArgumentException($"{op}: groups = {groups}; it must be at least 1 and divide the {rows} rows into equal groups.");
        return rows / groups;
    }

    /// <summary>Checks mu, sigma, a per-agent tensor (shape [N] each) and the grid; returns the plan of the densities.</summary>
    private static WrappedNormalPlan CheckWrappedNormal(string op, Tensor mu, Tensor sigma, Tensor perAgent, double[] grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (mu.Dim != 1 || sigma.Dim != 1 || perAgent.Dim != 1 || mu.ShapeRef[0] != sigma.ShapeRef[0] || mu.ShapeRef[0] != perAgent.ShapeRef[0])
            throw new ArgumentException($"{op}: mu, sigma and the per-agent factor must all have shape [N], got {Shapes.Format(mu.ShapeRef)}, {Shapes.Format(sigma.ShapeRef)} and {Shapes.Format(perAgent.ShapeRef)}.");
        if (grid.Length == 0) throw new ArgumentException($"{op}: the grid is empty; give at least one point.");
        foreach (var x in grid) OpCheck.Finite(x, op, "every grid point");
        var sigmas = sigma.Storage;
        for (int i = 0; i < sigmas.Length; i++)
        {
            if (!(sigmas[i] > 0) || double.IsInfinity(sigmas[i]))
                throw new ArgumentException($"{op}: sigma[{i}] = {sigmas[i]}; every sigma must be positive and finite.");
            OpCheck.Finite(mu.Storage[i], op, $"mu[{i}]");
        }
        return new WrappedNormalPlan(grid, sigmas, WrappedNormalMethod.Auto);
    }

    /// <summary>
    /// The squared mismatch of pooled densities (MODEL.md section 2, local objective), summed over rows:
    /// Δ·Σ_i Σ_m (P_im − target_m)² with P_im = p_im / (Δ·Σ_k p_ik), for production rows p of shape [N, M].
    /// One pass over p with no [N, M] intermediates; the backward writes the one [N, M] gradient
    /// dp_ik = G_ik/(Δ S_i) − (Σ_m G_im P_im)/S_i with G = 2Δ(P − target), S_i = Σ_m p_im. Rows in parallel, per-row
    /// sums added in row order (thread-count independent). Composed twin:
    /// <c>((p / (p.Sum(1, keepDim: true) * delta) - target).Pow(2.0).Sum() * delta)</c>.
    /// </summary>
    public static Tensor PooledSquaredError(Tensor production, double[] target, double delta)
        => PooledErrors("pooled_squared_error", production, target, delta, 1, []);

    /// <summary>
    /// <paramref name="groups"/> pooled squared errors in one pass (batched multi-start: R systems of n rows each):
    /// element g, of shape [groups], is <see cref="PooledSquaredError"/> of rows [g·n, (g+1)·n) alone, computed the same
    /// way (bit-identical).
    /// </summary>
    public static Tensor PooledSquaredErrors(Tensor production, double[] target, double delta, int groups)
        => PooledErrors("pooled_squared_errors", production, target, delta, groups, [groups]);

    private static Tensor PooledErrors(string op, Tensor production, double[] target, double delta, int groups, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (production.Dim != 2 || production.ShapeRef[1] != target.Length)
            throw new ArgumentException($"{op}: production must have shape [N, {target.Length}] to match the target's {target.Length} points, got {Shapes.Format(production.ShapeRef)}.");
        OpCheck.Finite(delta, op, "delta");
        if (!(delta > 0)) throw new ArgumentException($"{op}: delta = {delta}; the quadrature weight must be positive.");
        int n = production.ShapeRef[0], mPts = target.Length;
        int size = CheckGroups(op, n, groups);
        var p = production.Storage;
        var rowSum = new double[n];
        var rowLoss = new double[n];
        int minRows = Math.Max(1, 8192 / mPts);
        TensorEngine.ParallelRanges(n, (s, e) =>
        {
            var diff = new double[mPts];
            for (int i = s; i < e; i++)
            {
                var row = new ReadOnlySpan<double>(p, i * mPts, mPts);
                double sum = TP.Sum(row);
                rowSum[i] = sum;
                TP.Multiply(row, 1.0 / (delta * sum), diff);          // P_i
                TP.Subtract(diff, target, diff);
                rowLoss[i] = MatMulKernel.Dot(diff, diff);
            }
        }, minRows);
        var totals = new double[groups];
        for (int gi = 0; gi < groups; gi++)
        {
            double total = 0;
            for (int i = gi * size; i < (gi + 1) * size; i++) total += rowLoss[i];
            totals[gi] = total * delta;
        }

        return Tensor.Record(new Tensor(totals, shape), op, [production], g =>
        {
            var gp = GradientPool.Rent(n * mPts);
            TensorEngine.ParallelRanges(n, (s, e) =>
            {
                var pooled = new double[mPts];
                for (int i = s; i < e; i++)
                {
                    double scale = 2.0 * delta * g[i / size];
                    var row = new ReadOnlySpan<double>(p, i * mPts, mPts);
                    var gi = gp.AsSpan(i * mPts, mPts);
                    double inv = 1.0 / (delta * rowSum[i]);
                    TP.Multiply(row, inv, pooled);                    // P_i
                    TP.Subtract(pooled, target, gi);
                    TP.Multiply(gi, scale, gi);                       // G_i
                    double gDotP = MatMulKernel.Dot(gi, pooled);
                    TP.Multiply(gi, inv, gi);
                    TP.Subtract(gi, gDotP / rowSum[i], gi);
                }
            }, minRows);
            production.AccumulateGradOwned(gp);
        });
    }

    /// <summary>
    /// Grid-dependent tables shared by all agents of one wrapped_normal call: the grid reduced to [0, 2π) for the image
    /// sum, and cos(n x_m), sin(n x_m) for the Fourier series, so that per agent
    /// WN = 1/2π + Σ_n (e_n cos nμ/π)·cos(n x) + (e_n sin nμ/π)·sin(n x) is a few vector multiply-adds over the grid.
    /// </summary>
    private sealed class WrappedNormalPlan
    {
        private const double TwoPi = 2.0 * Math.PI;
        private static readonly double InvSqrtTwoPi = 1.0 / Math.Sqrt(TwoPi);

        private readonly WrappedNormalMethod _method;
        private readonly double[] _x;      // grid reduced to [0, 2π)
        private readonly double[][] _cos;  // _cos[n-1][m] = cos(n x_m)
        private readonly double[][] _sin;

        public WrappedNormalPlan(double[] grid, double[] sigmas, WrappedNormalMethod method)
        {
            _method = method;
            int m = grid.Length;
            _x = new double[m];
            for (int j = 0; j < m; j++) _x[j] = grid[j] - TwoPi * Math.Floor(grid[j] / TwoPi);
            int harmonics = 0;
            foreach (var s in sigmas)
                if (!UsesImages(s)) harmonics = Math.Max(harmonics, WrappedNormal.HarmonicCount(s));
            _cos = new double[harmonics][];
            _sin = new double[harmonics][];
            for (int h = 0; h < harmonics; h++)
            {
                _cos[h] = new double[m];
                _sin[h] = new double[m];
                for (int j = 0; j < m; j++) (_sin[h][j], _cos[h][j]) = Math.SinCos((h + 1) * grid[j]);
            }
        }

        private bool UsesImages(double sigma) => _method switch
        {
            WrappedNormalMethod.Images => true,
            WrappedNormalMethod.Fourier => false,
            _ => sigma < FusedSwitchSigma,
        };

        /// <summary>Images on each side of k = 0 that can reach within <see cref="NegligibleZ"/>·σ of a point of [−π, π).</summary>
        private static int Images(double sigma) => (int)Math.Floor((NegligibleZ * sigma / Math.PI + 1.0) / 2.0);

        /// <summary>d[m] = x_m − μ wrapped to [−π, π).</summary>
        private void Offsets(double mu, Span<double> d)
        {
            double mr = mu - TwoPi * Math.Floor(mu / TwoPi);
            int j = 0, w = Vector<double>.Count;
            if (Vector.IsHardwareAccelerated)
            {
                // The same three cases as the scalar loop below, selected lane by lane (bit-identical results).
                var vm = new Vector<double>(mr);
                var pi = new Vector<double>(Math.PI);
                var minusPi = new Vector<double>(-Math.PI);
                var twoPi = new Vector<double>(TwoPi);
                for (; j <= d.Length - w; j += w)
                {
                    var v = new Vector<double>(_x.AsSpan(j, w)) - vm;
                    var r = Vector.ConditionalSelect(Vector.LessThan(v, minusPi), v + twoPi, v);
                    Vector.ConditionalSelect(Vector.GreaterThanOrEqual(v, pi), v - twoPi, r).CopyTo(d.Slice(j, w));
                }
            }
            for (; j < d.Length; j++)
            {
                double v = _x[j] - mr;
                d[j] = v >= Math.PI ? v - TwoPi : v < -Math.PI ? v + TwoPi : v;
            }
        }

        public void Forward(double mu, double sigma, Span<double> row, double[] scratch)
        {
            int m = row.Length;
            if (UsesImages(sigma))
            {
                var d = scratch.AsSpan(0, m);
                var u = scratch.AsSpan(m, m);
                var e = scratch.AsSpan(2 * m, m);
                Offsets(mu, d);
                double negInv2s2 = -1.0 / (2.0 * sigma * sigma), norm = InvSqrtTwoPi / sigma;
                int kMax = Images(sigma);
                row.Clear();
                for (int k = -kMax; k <= kMax; k++)
                {
                    Exponents(d, TwoPi * k, negInv2s2, u, e);
                    TP.Exp(e, e);
                    FlushTiny(e);
                    TP.MultiplyAdd(e, norm, row, row); // row += φ_k
                }
            }
            else
            {
                row.Fill(1.0 / TwoPi);
                int harmonics = WrappedNormal.HarmonicCount(sigma);
                for (int h = 1; h <= harmonics; h++)
                {
                    double en = Math.Exp(-0.5 * h * h * sigma * sigma) / Math.PI;
                    var (sn, cn) = Math.SinCos(h * mu);
                    TP.MultiplyAdd(_cos[h - 1], en * cn, row, row);
                    TP.MultiplyAdd(_sin[h - 1], en * sn, row, row);
                }
            }
        }

        /// <summary>
        /// Whether the image sum of an agent of this σ has the one image k = 0 (σ below about 0.37): its density on the grid
        /// is then norm·φ_0 and a backward can read it from a stored forward output instead of recomputing the exponentials.
        /// </summary>
        public bool SingleImage(double sigma) => UsesImages(sigma) && Images(sigma) == 0;

        /// <summary>
        /// <see cref="Backward"/> of a <see cref="SingleImage"/> agent from its stored density values c·WN on the grid
        /// (any factor c): (Σ g c ∂WN/∂μ, Σ g c ∂WN/∂σ, Σ g c WN) with ∂WN/∂μ = WN·u/σ², ∂WN/∂σ = WN·(u²/σ³ − 1/σ),
        /// u the wrapped offsets. No exponentials: the cheap backward of the density ops.
        /// </summary>
        public (double dMu, double dSigma, double gDotDensity) BackwardFromDensity(double mu, double sigma, ReadOnlySpan<double> g,
            ReadOnlySpan<double> density, double[] scratch)
        {
            var d = scratch.AsSpan(0, g.Length);
            Offsets(mu, d);
            var (s0, s1, s2) = Moments(g, density, d);
            double s2i = 1.0 / (sigma * sigma);
            return (s1 * s2i, s2 * s2i / sigma - s0 / sigma, s0);
        }

        /// <summary>(Σ_m g[m] ∂WN/∂μ, Σ_m g[m] ∂WN/∂σ, Σ_m g[m] WN) at one agent, recomputed from the grid tables.</summary>
        public (double dMu, double dSigma, double gDotDensity) Backward(double mu, double sigma, ReadOnlySpan<double> g, double[] scratch)
        {
            int m = g.Length;
            if (UsesImages(sigma))
            {
                // φ_k = exp(−u²/2σ²) with u = d + 2πk; ∂WN/∂μ = norm Σ φ u/σ², ∂WN/∂σ = norm Σ φ (u²/σ³ − 1/σ).
                var d = scratch.AsSpan(0, m);
                var u = scratch.AsSpan(m, m);
                var e = scratch.AsSpan(2 * m, m);
                Offsets(mu, d);
                double negInv2s2 = -1.0 / (2.0 * sigma * sigma), norm = InvSqrtTwoPi / sigma;
                int kMax = Images(sigma);
                double a0 = 0, a1 = 0, a2 = 0;
                for (int k = -kMax; k <= kMax; k++)
                {
                    Exponents(d, TwoPi * k, negInv2s2, u, e);
                    TP.Exp(e, e);
                    FlushTiny(e);
                    var (s0, s1, s2) = Moments(g, e, u);
                    a0 += s0; a1 += s1; a2 += s2;
                }
                double s2i = 1.0 / (sigma * sigma);
                return (norm * a1 * s2i, norm * (a2 * s2i / sigma - a0 / sigma), norm * a0);
            }
            else
            {
                // WN = 1/2π + (1/π) Σ_n e_n [cos nμ · cos nx + sin nμ · sin nx]; with P_n = g·cos nx, Q_n = g·sin nx:
                // dμ = (1/π) Σ n e_n (cos nμ Q_n − sin nμ P_n), dσ = −(1/π) Σ n² σ e_n (cos nμ P_n + sin nμ Q_n).
                int harmonics = WrappedNormal.HarmonicCount(sigma);
                double dMu = 0, dSigma = 0, gs = TP.Sum(g) / TwoPi;
                for (int h = 1; h <= harmonics; h++)
                {
                    double en = Math.Exp(-0.5 * h * h * sigma * sigma) / Math.PI;
                    var (sn, cn) = Math.SinCos(h * mu);
                    double p = MatMulKernel.Dot(g, _cos[h - 1]), q = MatMulKernel.Dot(g, _sin[h - 1]);
                    dMu += h * en * (cn * q - sn * p);
                    dSigma -= h * h * sigma * en * (cn * p + sn * q);
                    gs += en * (cn * p + sn * q);
                }
                return (dMu, dSigma, gs);
            }
        }

        /// <summary>
        /// u = d + shift and e = max(−u²/2σ², <see cref="MinExponent"/>) in one pass. The floor keeps TensorPrimitives.Exp
        /// on its vector path (arguments below about −709 send it to a scalar fallback, several times slower) and changes
        /// nothing that matters: exp(−700) ≈ 1e-304.
        /// </summary>
        private static void Exponents(ReadOnlySpan<double> d, double shift, double negInv2s2, Span<double> u, Span<double> e)
        {
            int n = d.Length, j = 0, w = Vector<double>.Count;
            if (Vector.IsHardwareAccelerated)
            {
                var vs = new Vector<double>(shift);
                var vc = new Vector<double>(negInv2s2);
                var vmin = new Vector<double>(MinExponent);
                for (; j <= n - w; j += w)
                {
                    var uv = new Vector<double>(d.Slice(j, w)) + vs;
                    uv.CopyTo(u.Slice(j, w));
                    Vector.Max(uv * uv * vc, vmin).CopyTo(e.Slice(j, w));
                }
            }
            for (; j < n; j++)
            {
                double uj = d[j] + shift;
                u[j] = uj;
                e[j] = Math.Max(uj * uj * negInv2s2, MinExponent);
            }
        }

        private const double MinExponent = -700.0;

        /// <summary>
        /// Image terms below this are set to exactly 0. They are far below any tolerance (1e-12 relative), but left in
        /// (down to exp(−700) ≈ 1e-304) their products with gradients fall into the subnormal range, where x86 floating
        /// point is about 100x slower: measured, the matmul backward of (I + Q)·w at N = 2048, M = 512 took 9 s instead
        /// of 0.15 s.
        /// </summary>
        private const double FlushBelow = 1e-200;

        private static void FlushTiny(Span<double> e)
        {
            int n = e.Length, j = 0, w = Vector<double>.Count;
            if (Vector.IsHardwareAccelerated)
            {
                var tiny = new Vector<double>(FlushBelow);
                for (; j <= n - w; j += w)
                {
                    var v = new Vector<double>(e.Slice(j, w));
                    Vector.ConditionalSelect(Vector.LessThan(v, tiny), Vector<double>.Zero, v).CopyTo(e.Slice(j, w));
                }
            }
            for (; j < n; j++) if (e[j] < FlushBelow) e[j] = 0;
        }

        /// <summary>(Σ g·φ, Σ g·φ·u, Σ g·φ·u²) in an order fixed by the length (Vector lanes, then a scalar tail).</summary>
        private static (double, double, double) Moments(ReadOnlySpan<double> g, ReadOnlySpan<double> phi, ReadOnlySpan<double> u)
        {
            int n = g.Length, j = 0, w = Vector<double>.Count;
            double s0 = 0, s1 = 0, s2 = 0;
            if (Vector.IsHardwareAccelerated && n >= w)
            {
                Vector<double> v0 = default, v1 = default, v2 = default;
                for (; j <= n - w; j += w)
                {
                    var gp = new Vector<double>(g.Slice(j, w)) * new Vector<double>(phi.Slice(j, w));
                    var uu = new Vector<double>(u.Slice(j, w));
                    var gpu = gp * uu;
                    v0 += gp; v1 += gpu; v2 += gpu * uu;
                }
                s0 = Vector.Sum(v0); s1 = Vector.Sum(v1); s2 = Vector.Sum(v2);
            }
            for (; j < n; j++)
            {
                double gp = g[j] * phi[j], gpu = gp * u[j];
                s0 += gp; s1 += gpu; s2 += gpu * u[j];
            }
            return (s0, s1, s2);
        }
    }
}
