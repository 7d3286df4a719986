// Skill densities on the torus T^d (MODEL.md section 1, [choice] d-dimensional space): an agent's density is the
// product of d one-dimensional wrapped normals, one per axis, so each kernel evaluates the 1-D wrapped normal of each
// axis with the same plan as the circle's kernels and takes the outer product; the backward contracts the gradient
// over the other axes into one 1-D gradient per axis and hands it to the 1-D backward. No image sum in d dimensions.
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DpsTorch.Ops;

public static partial class DpsKernels
{
    /// <summary>
    /// Scaled product wrapped normal densities on the product grid of T^d: result[i, m] = scale[i]·Π_k WN(grid[m_k];
    /// mu[i·d + k], sigma[i·d + k]), shape [N, M^d], with m = ((m_0·M + m_1)·M + ...) (the first axis slowest).
    /// mu and sigma have shape [N·d] (agent by agent), scale [N] (null: 1 for every agent, and no gradient).
    /// Differentiable in mu, sigma and scale. For d = 1 the values equal <see cref="ScaledWrappedNormalDensity"/>.
    /// Composed twin (d = 2): <c>scale[i]·WN(x; μ_i0, σ_i0)ᵀ ⊗ WN(y; μ_i1, σ_i1)</c> from two
    /// <see cref="WrappedNormalDensity"/> calls, an outer product and a reshape.
    /// </summary>
    public static Tensor ProductWrappedNormalDensity(Tensor mu, Tensor sigma, Tensor? scale, double[] grid, int dimensions)
    {
        const string op = "product_wrapped_normal";
        var (plan, n, points) = CheckProduct(op, mu, sigma, scale, grid, dimensions);
        int d = dimensions, m = grid.Length;
        var (mus, sigmas) = (mu.Storage, sigma.Storage);
        var a = scale?.Storage;
        var o = new double[(long)n * points <= int.MaxValue ? n * points : throw new ArgumentException($"{op}: {n} agents × {points} points is too large.")];
        TensorEngine.ParallelRanges(n, (s, e) =>
        {
            var axes = new double[d * m];
            var scratch = new double[4 * m + points];
            for (int i = s; i < e; i++)
            {
                AxisDensities(plan, mus, sigmas, i, d, m, axes, scratch);
                Outer(axes, d, m, a?[i] ?? 1.0, o.AsSpan(i * points, points), scratch.AsSpan(4 * m));
            }
        }, Math.Max(1, 8192 / points));

        var inputs = scale is null ? new[] { mu, sigma } : new[] { mu, sigma, scale };
        return Tensor.Record(new Tensor(o, [n, points]), op, inputs, g =>
        {
            var gMu = new double[n * d];
            var gSigma = new double[n * d];
            var gScale = new double[n];
            TensorEngine.ParallelRanges(n, (s, e) =>
            {
                var axes = new double[d * m];
                var scratch = new double[4 * m + 2 * points];
                for (int i = s; i < e; i++)
                {
                    gScale[i] = AgentBackward(plan, mus, sigmas, i, d, m, new ReadOnlySpan<double>(g, i * points, points), a?[i] ?? 1.0, gMu, gSigma, axes, scratch);
                }
            }, Math.Max(1, 8192 / points));
            mu.AccumulateGradOwned(gMu);
            sigma.AccumulateGradOwned(gSigma);
            scale?.AccumulateGradOwned(gScale);
        });
    }

    /// <summary>
    /// A weighted sum of product wrapped normal densities on the product grid of T^d: result[m] = Σ_i weights[i]·Π_k
    /// WN(grid[m_k]; mu[i·d + k], sigma[i·d + k]), shape [M^d] (system production W on T^d). The [N, M^d] densities are
    /// never stored; agents are summed in blocks of 64 in index order, blocks in block order (thread-count independent).
    /// Differentiable in mu, sigma and weights. Composed twin: <c>ProductWrappedNormalDensity(mu, sigma, weights, grid, d).Sum(0)</c>.
    /// </summary>
    public static Tensor ProductWrappedNormalMixture(Tensor mu, Tensor sigma, Tensor weights, double[] grid, int dimensions)
    {
        const string op = "product_wrapped_normal_mixture";
        ArgumentNullException.ThrowIfNull(weights);
        var (plan, n, points) = CheckProduct(op, mu, sigma, weights, grid, dimensions);
        int d = dimensions, m = grid.Length;
        var (mus, sigmas, w) = (mu.Storage, sigma.Storage, weights.Storage);
        int blocks = Math.Max(1, (n + MixtureBlock - 1) / MixtureBlock);
        var partial = new double[(long)blocks * points <= int.MaxValue ? blocks * points : throw new ArgumentException($"{op}: {points} points are too many.")];
        TensorEngine.ParallelRanges(blocks, (s, e) =>
        {
            var axes = new double[d * m];
            var scratch = new double[4 * m + 2 * points];
            var row = scratch.AsSpan(4 * m + points, points);
            for (int b = s; b < e; b++)
            {
                var acc = partial.AsSpan(b * points, points);
                for (int i = b * MixtureBlock, end = Math.Min(n, i + MixtureBlock); i < end; i++)
                {
                    AxisDensities(plan, mus, sigmas, i, d, m, axes, scratch);
                    Outer(axes, d, m, w[i], row, scratch.AsSpan(4 * m, points));
                    TP.Add(acc, row, acc);
                }
            }
        }, Math.Max(1, 8192 / (MixtureBlock * points)));
        var o = new double[points];
        for (int b = 0; b < blocks; b++) TP.Add(o, partial.AsSpan(b * points, points), o);

        return Tensor.Record(new Tensor(o, [points]), op, [mu, sigma, weights], g =>
        {
            var gMu = new double[n * d];
            var gSigma = new double[n * d];
            var gWeights = new double[n];
            TensorEngine.ParallelRanges(n, (s, e) =>
            {
                var axes = new double[d * m];
                var scratch = new double[4 * m + 2 * points];
                for (int i = s; i < e; i++) gWeights[i] = AgentBackward(plan, mus, sigmas, i, d, m, g, w[i], gMu, gSigma, axes, scratch);
            }, Math.Max(1, 8192 / points));
            mu.AccumulateGradOwned(gMu);
            sigma.AccumulateGradOwned(gSigma);
            weights.AccumulateGradOwned(gWeights);
        });
    }

    /// <summary>Checks the inputs of a product kernel; returns the 1-D plan for every breadth, N and M^d.</summary>
    private static (WrappedNormalPlan Plan, int N, int Points) CheckProduct(string op, Tensor mu, Tensor sigma, Tensor? perAgent, double[] grid, int d)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (d < 1) throw new ArgumentException($"{op}: dimensions = {d}; it must be at least 1.");
        if (mu.Dim != 1 || sigma.Dim != 1 || mu.ShapeRef[0] != sigma.ShapeRef[0] || mu.ShapeRef[0] % d != 0)
            throw new ArgumentException($"{op}: mu and sigma must both have shape [N·d] with d = {d}, got {Shapes.Format(mu.ShapeRef)} and {Shapes.Format(sigma.ShapeRef)}.");
        int n = mu.ShapeRef[0] / d;
        if (perAgent is not null && (perAgent.Dim != 1 || perAgent.ShapeRef[0] != n))
            throw new ArgumentException($"{op}: the per-agent factor must have shape [{n}] (one per agent), got {Shapes.Format(perAgent.ShapeRef)}.");
        CheckGridAndAgents(op, mu, sigma, grid);
        long points = 1;
        for (int k = 0; k < d; k++) points *= grid.Length;
        if (points > int.MaxValue) throw new ArgumentException($"{op}: {grid.Length}^{d} grid points are too many.");
        return (new WrappedNormalPlan(grid, sigma.Storage, WrappedNormalMethod.Auto), n, (int)points);
    }

    /// <summary>axes[k·M .. (k+1)·M) = WN(grid; μ_ik, σ_ik) for k = 0..d−1 (scratch: at least 3·M doubles).</summary>
    private static void AxisDensities(WrappedNormalPlan plan, double[] mus, double[] sigmas, int i, int d, int m, double[] axes, double[] scratch)
    {
        for (int k = 0; k < d; k++) plan.Forward(mus[i * d + k], sigmas[i * d + k], axes.AsSpan(k * m, m), scratch);
    }

    /// <summary>
    /// row = c·f_0 ⊗ f_1 ⊗ ... ⊗ f_{d−1} (f_k = axes[k·M ..], first axis slowest), built from the last axis up;
    /// <paramref name="scratch"/> holds at least M^d doubles.
    /// </summary>
    private static void Outer(double[] axes, int d, int m, double c, Span<double> row, Span<double> scratch)
    {
        if (d == 1) { TP.Multiply(axes.AsSpan(0, m), c, row); return; }
        // tail = f_1 ⊗ ... ⊗ f_{d−1} in scratch, then row = c·f_0 ⊗ tail.
        var tail = scratch;
        axes.AsSpan((d - 1) * m, m).CopyTo(tail);
        int len = m;
        for (int k = d - 2; k >= 1; k--)
        {
            var f = axes.AsSpan(k * m, m);
            for (int a = m - 1; a >= 0; a--) TP.Multiply(tail[..len], f[a], tail.Slice(a * len, len)); // a = 0 last: reads tail before overwriting it
            len *= m;
        }
        var f0 = axes.AsSpan(0, m);
        for (int a = 0; a < m; a++) TP.Multiply(tail[..len], c * f0[a], row.Slice(a * len, len));
    }

    /// <summary>
    /// One agent's backward through c·Π_k WN_k: for each axis k the gradient g contracted with the other axes'
    /// densities, g_k[j] = Σ_{m: m_k = j} g[m] Π_{l≠k} f_l[m_l], goes through the 1-D backward; adds c·∂/∂μ_ik and
    /// c·∂/∂σ_ik to <paramref name="gMu"/>, <paramref name="gSigma"/> and returns Σ_m g[m] Π_k f_k[m_k] (the gradient
    /// of c). Scratch: at least 4·M + 2·M^d doubles.
    /// </summary>
    private static double AgentBackward(WrappedNormalPlan plan, double[] mus, double[] sigmas, int i, int d, int m, ReadOnlySpan<double> g, double c,
        double[] gMu, double[] gSigma, double[] axes, double[] scratch)
    {
        AxisDensities(plan, mus, sigmas, i, d, m, axes, scratch);
        var gk = scratch.AsSpan(3 * m, m);
        var left = scratch.AsSpan(4 * m, g.Length);
        var right = scratch.AsSpan(4 * m + g.Length, g.Length);
        double gDotDensity = 0;
        for (int k = 0; k < d; k++)
        {
            // g viewed as [A, M, B] with A = M^k, B = M^(d−k−1): L = f_0 ⊗ ... ⊗ f_{k−1}, R = f_{k+1} ⊗ ... ⊗ f_{d−1}.
            int lenA = 1, lenB = 1;
            for (int l = 0; l < k; l++) lenA *= m;
            for (int l = k + 1; l < d; l++) lenB *= m;
            var l0 = left[..lenA];
            var r0 = right[..lenB];
            Partial(axes, 0, k, m, l0);
            Partial(axes, k + 1, d, m, r0);
            gk.Clear();
            for (int a = 0; a < lenA; a++)
            {
                if (l0[a] == 0) continue;
                if (lenB == 1) { TP.MultiplyAdd(g.Slice(a * m, m), l0[a], gk, gk); continue; } // the last axis: r0 = [1]
                for (int j = 0; j < m; j++)
                    gk[j] += l0[a] * MatMulKernel.Dot(g.Slice((a * m + j) * lenB, lenB), r0);
            }
            var (dm, ds, gs) = plan.Backward(mus[i * d + k], sigmas[i * d + k], gk, scratch);
            gMu[i * d + k] = c * dm;
            gSigma[i * d + k] = c * ds;
            if (k == 0) gDotDensity = gs;
        }
        return gDotDensity;
    }

    /// <summary>target = f_from ⊗ ... ⊗ f_{to−1} (1 when from = to), first axis slowest.</summary>
    private static void Partial(double[] axes, int from, int to, int m, Span<double> target)
    {
        target[0] = 1.0;
        int len = 1;
        for (int k = to - 1; k >= from; k--)
        {
            var f = axes.AsSpan(k * m, m);
            for (int a = m - 1; a >= 0; a--) TP.Multiply(target[..len], f[a], target.Slice(a * len, len));
            len *= m;
        }
    }
}
