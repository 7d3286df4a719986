// Fused DPS-only kernels that exist only for speed, outside Tensor's general ops. wrapped_normal: every agent's skill
// density on the grid (MODEL.md section 1), the hot spot of each model step, evaluated and differentiated in one pass
// per agent without per-element allocation. Each kernel has a composed twin (written in its summary) and a test that
// the two agree in value and gradients.
using System.Numerics;
using System.Runtime.Intrinsics;
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
        var o = GradientPool.Rent(n * mPts, clear: false); // Forward writes every element
        TensorEngine.ParallelRanges(n, (s, e) =>
        {
            var scratch = new double[3 * mPts];
            for (int i = s; i < e; i++) ScaledAgentForward(plan, mus[i], sigmas[i], a[i], o.AsSpan(i * mPts, mPts), scratch);
        }, Math.Max(1, 8192 / mPts));

        return Tensor.Record(new Tensor(o, [n, mPts]), op, [mu, sigma, scale], g =>
        {
            var gMu = new double[n];
            var gSigma = new double[n];
            var gScale = new double[n];
            TensorEngine.ParallelRanges(n, (s, e) =>
            {
                var scratch = new double[3 * mPts];
                for (int i = s; i < e; i++) ScaledAgentGradient(plan, mus, sigmas, a, i, g, o, mPts, scratch, gMu, gSigma, gScale);
            }, Math.Max(1, 8192 / mPts));
            mu.AccumulateGradOwned(gMu);
            sigma.AccumulateGradOwned(gSigma);
            scale.AccumulateGradOwned(gScale);
        });
    }

    /// <summary>One agent's row of <see cref="ScaledWrappedNormalDensity"/>: a·WN(·; μ, σ) on the grid.</summary>
    private static void ScaledAgentForward(WrappedNormalPlan plan, double mu, double sigma, double a, Span<double> row, double[] scratch)
    {
        plan.Forward(mu, sigma, row, scratch);
        TP.Multiply(row, a, row);
    }

    /// <summary>Agent i's gradients of <see cref="ScaledWrappedNormalDensity"/> from the output gradient g and the output o (both N×M).</summary>
    private static void ScaledAgentGradient(WrappedNormalPlan plan, ReadOnlySpan<double> mus, ReadOnlySpan<double> sigmas, ReadOnlySpan<double> a, int i, double[] g, double[] o, int mPts,
        double[] scratch, double[] gMu, double[] gSigma, double[] gScale)
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

    /// <summary>
    /// <see cref="ScaledWrappedNormalDensity"/> on plain arrays with the plan and scratch kept from call to call, for a
    /// model step evaluated without the graph (Model/FusedStep.cs): the same checks and per-agent arithmetic as the op
    /// (bit-identical; tests), on the calling thread.
    /// </summary>
    internal sealed class ScaledDensity(double[] grid)
    {
        private readonly double[] _scratch = new double[3 * grid.Length];
        private WrappedNormalPlan? _plan;

        [ThreadStatic] private static double[]? _threadScratch; // the other threads', when parallel

        /// <summary>
        /// o (N×M) = a_i·WN(·; μ_i, σ_i) row by row; checks the grid, σ and μ as the op does. <paramref name="parallel"/>
        /// splits the agents over the engine's threads as the op does (each row is computed alone: the same values).
        /// </summary>
        public void Forward(ReadOnlySpan<double> mus, double[] sigmas, double[] a, double[] o, bool parallel = false)
        {
            CheckGridAndAgents("scaled_wrapped_normal", mus, sigmas, grid);
            int needed = WrappedNormalPlan.HarmonicsFor(sigmas, WrappedNormalMethod.Auto);
            if (_plan is null || _plan.Harmonics < needed) _plan = new WrappedNormalPlan(grid, sigmas, WrappedNormalMethod.Auto);
            int mPts = grid.Length;
            var plan = _plan;
            if (parallel)
            {
                var muArray = mus.ToArray();
                Agents(muArray.Length, (s, e, scratch) =>
                {
                    for (int i = s; i < e; i++) ScaledAgentForward(plan, muArray[i], sigmas[i], a[i], o.AsSpan(i * mPts, mPts), scratch);
                });
                return;
            }
            for (int i = 0; i < mus.Length; i++) ScaledAgentForward(plan, mus[i], sigmas[i], a[i], o.AsSpan(i * mPts, mPts), _scratch);
        }

        /// <summary>The gradients of the last <see cref="Forward"/> (same μ, σ, a and its output o) from the output gradient g.</summary>
        public void Backward(ReadOnlySpan<double> mus, double[] sigmas, double[] a, double[] o, double[] g, double[] gMu, double[] gSigma, double[] gScale, bool parallel = false)
        {
            var plan = _plan!;
            if (parallel)
            {
                var muArray = mus.ToArray();
                Agents(muArray.Length, (s, e, scratch) =>
                {
                    for (int i = s; i < e; i++) ScaledAgentGradient(plan, muArray, sigmas, a, i, g, o, grid.Length, scratch, gMu, gSigma, gScale);
                });
                return;
            }
            for (int i = 0; i < mus.Length; i++) ScaledAgentGradient(plan, mus, sigmas, a, i, g, o, grid.Length, _scratch, gMu, gSigma, gScale);
        }

        /// <summary>body(start, end, scratch) over agent ranges on the engine's threads (the op's split), each range with its own scratch.</summary>
        private void Agents(int n, Action<int, int, double[]> body)
        {
            int length = _scratch.Length;
            TensorEngine.ParallelRanges(n, (s, e) =>
            {
                var scratch = s == 0 ? _scratch : _threadScratch?.Length == length ? _threadScratch : _threadScratch = new double[length];
                body(s, e, scratch);
            }, Math.Max(1, 8192 / grid.Length));
        }
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
    /// On a uniform grid of 2^p points the mixture can instead be summed in Fourier space (issue 18): each agent adds its
    /// harmonics w·e^{−h²σ²/2}/π·e^{ih(x_0 − μ)} to M coefficients (harmonic h into bin h mod M), and one inverse FFT
    /// gives W on the grid; the backward is one forward FFT of the output gradient and O(harmonics) per agent. That costs
    /// O(harmonics + M log M) per agent group instead of O(M·images) per agent, exact to the same 1e-12 truncation.
    /// <paramref name="method"/> <see cref="WrappedNormalMethod.Auto"/> keeps the per-agent sums for one mixture (so flat
    /// runs and saved models reproduce their earlier results bit for bit) and, for <see cref="WrappedNormalMixtures"/>
    /// with more than one group, picks the series for a group when its estimated cost is lower
    /// (<c>FourierMixture.Cheaper</c>); <see cref="WrappedNormalMethod.Images"/> never uses it (per agent as in
    /// <see cref="WrappedNormalDensity"/>), <see cref="WrappedNormalMethod.Fourier"/> always does where the grid allows.
    /// </summary>
    public static Tensor WrappedNormalMixture(Tensor mu, Tensor sigma, Tensor weights, double[] grid,
        WrappedNormalMethod method = WrappedNormalMethod.Auto)
        => Mixtures("wrapped_normal_mixture", mu, sigma, weights, grid, 1, [grid.Length], method);

    /// <summary>
    /// <paramref name="groups"/> independent mixtures in one pass (batched multi-start: R systems of n agents each):
    /// agents [g·n, (g+1)·n) with n = N / groups make row g of the result, shape [groups, M], each row computed as
    /// <see cref="WrappedNormalMixture"/> computes it for those agents alone with the same method (same blocks and order:
    /// bit-identical); with <see cref="WrappedNormalMethod.Auto"/> a group may take the Fourier series where the lone
    /// mixture keeps the image sum (equal to 1e-12). <paramref name="method"/>: see <see cref="WrappedNormalMixture"/>.
    /// </summary>
    public static Tensor WrappedNormalMixtures(Tensor mu, Tensor sigma, Tensor weights, double[] grid, int groups,
        WrappedNormalMethod method = WrappedNormalMethod.Auto)
    {
        ArgumentNullException.ThrowIfNull(grid);
        return Mixtures("wrapped_normal_mixtures", mu, sigma, weights, grid, groups, [groups, grid.Length], method);
    }

    private static Tensor Mixtures(string op, Tensor mu, Tensor sigma, Tensor weights, double[] grid, int groups, int[] shape,
        WrappedNormalMethod method)
    {
        var plan = CheckWrappedNormal(op, mu, sigma, weights, grid);
        int n = mu.ShapeRef[0], mPts = grid.Length;
        int size = CheckGroups(op, n, groups);
        var (mus, sigmas, w) = (mu.Storage, sigma.Storage, weights.Storage);
        // A lone mixture under Auto keeps the image sum: no series tables to look up (that lookup was the one method left
        // to compile at a run's second step, 0.9 ms at N = 16).
        var fourier = method == WrappedNormalMethod.Images || (method == WrappedNormalMethod.Auto && groups == 1) ? null : FourierMixture.For(grid);
        var bySeries = new bool[groups];
        for (int gi = 0; fourier is not null && gi < groups; gi++)
            bySeries[gi] = method == WrappedNormalMethod.Fourier
                || (method == WrappedNormalMethod.Auto && groups > 1 && fourier.Cheaper(sigmas.AsSpan(gi * size, size)));
        int blocksPerGroup = Math.Max(1, (size + MixtureBlock - 1) / MixtureBlock);
        int blocks = groups * blocksPerGroup;
        // Per block: M partial sums of the densities (image path) or 2M folded Fourier coefficients (series path).
        int stride = fourier is null ? mPts : 2 * mPts;
        var partial = new double[blocks * stride];
        TensorEngine.ParallelRanges(blocks, (s, e) =>
        {
            var scratch = new double[4 * mPts];
            for (int b = s; b < e; b++)
            {
                var acc = partial.AsSpan(b * stride, stride);
                int gi = b / blocksPerGroup, first = gi * size, i = first + (b % blocksPerGroup) * MixtureBlock;
                int end = Math.Min(first + size, i + MixtureBlock);
                if (bySeries[gi]) { fourier!.AddAgents(mus, sigmas, w, i, end - i, acc); continue; }
                AddImageAgents(plan, mus, sigmas, w, i, end, acc[..mPts], scratch);
            }
        }, Math.Max(1, 8192 / (MixtureBlock * mPts)));
        var o = new double[groups * mPts];
        TensorEngine.ParallelRanges(groups, (s, e) =>
        {
            for (int gi = s; gi < e; gi++)
            {
                var og = o.AsSpan(gi * mPts, mPts);
                if (!bySeries[gi])
                {
                    for (int b = gi * blocksPerGroup; b < (gi + 1) * blocksPerGroup; b++) TP.Add(og, partial.AsSpan(b * stride, mPts), og);
                    continue;
                }
                var coefficients = partial.AsSpan(gi * blocksPerGroup * stride, stride);
                for (int b = gi * blocksPerGroup + 1; b < (gi + 1) * blocksPerGroup; b++) TP.Add(coefficients, partial.AsSpan(b * stride, stride), coefficients);
                fourier!.Synthesize(coefficients, og);
            }
        }, Math.Max(1, 4096 / mPts));

        return Tensor.Record(new Tensor(o, shape), op, [mu, sigma, weights], g =>
        {
            var gMu = new double[n];
            var gSigma = new double[n];
            var gWeights = new double[n];
            // Series groups: the transform of each group's output gradient, G_k = Σ_m g_m e^{−2πikm/M}, once per group.
            var transform = fourier is null ? null : new double[groups * 2 * mPts];
            if (transform is not null)
                TensorEngine.ParallelRanges(groups, (s, e) =>
                {
                    for (int gi = s; gi < e; gi++)
                        if (bySeries[gi]) fourier!.Analyze(new ReadOnlySpan<double>(g, gi * mPts, mPts), transform.AsSpan(gi * 2 * mPts, 2 * mPts));
                }, Math.Max(1, 4096 / mPts));
            // Series groups in chunks of FourierMixture.Lanes agents from each group's first (as the forward's blocks).
            int chunksPerGroup = (size + FourierMixture.Lanes - 1) / FourierMixture.Lanes;
            if (transform is not null)
                TensorEngine.ParallelRanges(groups * chunksPerGroup, (s, e) =>
                {
                    for (int ch = s; ch < e; ch++)
                    {
                        int gi = ch / chunksPerGroup, first = gi * size + (ch % chunksPerGroup) * FourierMixture.Lanes;
                        if (bySeries[gi])
                            fourier!.AgentGradients(mus, sigmas, w, first, Math.Min(FourierMixture.Lanes, (gi + 1) * size - first),
                                transform.AsSpan(gi * 2 * mPts, 2 * mPts), gMu, gSigma, gWeights);
                    }
                }, Math.Max(1, 2048 / mPts));
            TensorEngine.ParallelRanges(n, (s, e) =>
            {
                var scratch = new double[3 * mPts];
                for (int i = s; i < e; i++)
                {
                    int gi = i / size;
                    if (bySeries[gi]) continue;
                    ImageAgentGradient(plan, mus, sigmas, w, i, new ReadOnlySpan<double>(g, gi * mPts, mPts), scratch, gMu, gSigma, gWeights);
                }
            }, Math.Max(1, 8192 / mPts));
            mu.AccumulateGradOwned(gMu);
            sigma.AccumulateGradOwned(gSigma);
            weights.AccumulateGradOwned(gWeights);
        });
    }

    /// <summary>acc += Σ_{i in [first, end)} w_i·WN_i on the grid, agent by agent in index order (the image-sum mixture's
    /// block; the row is <paramref name="scratch"/>'s fourth quarter).</summary>
    private static void AddImageAgents(WrappedNormalPlan plan, ReadOnlySpan<double> mus, ReadOnlySpan<double> sigmas, ReadOnlySpan<double> w, int first, int end,
        Span<double> acc, double[] scratch, double[]? keepU = null, double[]? keepE = null)
    {
        int mPts = acc.Length;
        var row = scratch.AsSpan(3 * mPts, mPts);
        for (int i = first; i < end; i++)
        {
            if (keepU is null) plan.Forward(mus[i], sigmas[i], row, scratch);
            else plan.Forward(mus[i], sigmas[i], row, scratch, keepU.AsSpan(i * mPts, mPts), keepE.AsSpan(i * mPts, mPts));
            TP.MultiplyAdd(row, w[i], acc, acc);
        }
    }

    /// <summary>Agent i's gradients of the image-sum mixture from its group's output gradient <paramref name="g"/>.</summary>
    private static void ImageAgentGradient(WrappedNormalPlan plan, ReadOnlySpan<double> mus, ReadOnlySpan<double> sigmas, ReadOnlySpan<double> w, int i, ReadOnlySpan<double> g,
        double[] scratch, double[] gMu, double[] gSigma, double[] gWeights, double[]? keptU = null, double[]? keptE = null)
    {
        int mPts = g.Length;
        var (dm, ds, gs) = keptU is null ? plan.Backward(mus[i], sigmas[i], g, scratch)
            : plan.Backward(mus[i], sigmas[i], g, scratch, keptU.AsSpan(i * mPts, mPts), keptE.AsSpan(i * mPts, mPts));
        (gMu[i], gSigma[i], gWeights[i]) = (w[i] * dm, w[i] * ds, gs);
    }

    /// <summary>
    /// <see cref="WrappedNormalMixtures"/> by the image sum (each agent as <see cref="WrappedNormalDensity"/> computes it:
    /// what one group under <see cref="WrappedNormalMethod.Auto"/>, and every group under
    /// <see cref="WrappedNormalMethod.Images"/>, computes) on plain arrays, with the plan and the buffers kept from call
    /// to call: for a model step evaluated without the graph (Model/FusedStep.cs). The same checks, blocks, order and
    /// arithmetic as the op (bit-identical; tests), on the calling thread, allocating nothing once warm. The backward
    /// reads one-image agents' terms kept by the forward (2·N·M doubles) instead of recomputing their exponentials.
    /// </summary>
    internal sealed class ImageMixture
    {
        private readonly string _op;
        private readonly double[] _grid;
        private readonly int _agents, _groups, _size, _blocksPerGroup;
        private readonly double[] _scratch, _partial, _mu;
        private readonly double[]? _keptU, _keptE; // one-image agents' offsets and terms, from the forward to the backward
        private WrappedNormalPlan? _plan;

        /// <summary>A mixture of <paramref name="agents"/> agents in <paramref name="groups"/> equal groups on <paramref name="grid"/> (not copied: it must not change).</summary>
        public ImageMixture(double[] grid, int agents, int groups)
        {
            _op = groups == 1 ? "wrapped_normal_mixture" : "wrapped_normal_mixtures";
            _grid = grid;
            _size = CheckGroups(_op, agents, groups);
            (_agents, _groups) = (agents, groups);
            _blocksPerGroup = Math.Max(1, (_size + MixtureBlock - 1) / MixtureBlock);
            _scratch = new double[4 * grid.Length];
            _partial = new double[groups * _blocksPerGroup * grid.Length];
            _mu = new double[agents];
            long kept = (long)agents * grid.Length;
            (_keptU, _keptE) = kept <= MaxKeptTerms ? (new double[kept], new double[kept]) : (null, null);
        }

        /// <summary>Largest N·M whose terms the forward keeps for the backward (2^20 doubles, 8 MiB per array); above it the backward recomputes them.</summary>
        private const long MaxKeptTerms = 1L << 20;

        /// <summary>o (groups·M) = each group's Σ_i w_i WN(·; μ_i, σ_i) on the grid; checks the grid, σ and μ as the op does.</summary>
        public void Forward(ReadOnlySpan<double> mus, double[] sigmas, double[] w, double[] o)
        {
            CheckGridAndAgents(_op, mus, sigmas, _grid);
            int needed = WrappedNormalPlan.HarmonicsFor(sigmas, WrappedNormalMethod.Auto);
            if (_plan is null || _plan.Harmonics < needed) _plan = new WrappedNormalPlan(_grid, sigmas, WrappedNormalMethod.Auto);
            int mPts = _grid.Length, blocks = _groups * _blocksPerGroup;
            Array.Clear(_partial);
            mus.CopyTo(_mu);
            var (plan, mu, sigma, weights) = (_plan, _mu, sigmas, w);
            // Blocks over threads as the op runs them (each block's sum is the same on any thread).
            TensorEngine.ParallelRanges(blocks, (s, e) =>
            {
                var scratch = s == 0 && e == blocks ? _scratch : new double[4 * mPts];
                for (int b = s; b < e; b++)
                {
                    int gi = b / _blocksPerGroup, first = gi * _size, i = first + (b % _blocksPerGroup) * MixtureBlock;
                    AddImageAgents(plan, mu, sigma, weights, i, Math.Min(first + _size, i + MixtureBlock), _partial.AsSpan(b * mPts, mPts), scratch, _keptU, _keptE);
                }
            }, Math.Max(1, 8192 / (MixtureBlock * mPts)));
            Array.Clear(o, 0, _groups * mPts);
            for (int gi = 0; gi < _groups; gi++)
            {
                var og = o.AsSpan(gi * mPts, mPts);
                for (int b = gi * _blocksPerGroup; b < (gi + 1) * _blocksPerGroup; b++) TP.Add(og, _partial.AsSpan(b * mPts, mPts), og);
            }
        }

        /// <summary>The gradients of the last <see cref="Forward"/> (same μ, σ, w) from the output gradient g (groups·M).</summary>
        public void Backward(ReadOnlySpan<double> mus, double[] sigmas, double[] w, double[] g, double[] gMu, double[] gSigma, double[] gWeights)
        {
            int mPts = _grid.Length;
            mus.CopyTo(_mu);
            var (plan, mu) = (_plan!, _mu);
            TensorEngine.ParallelRanges(_agents, (s, e) =>
            {
                var scratch = s == 0 && e == _agents ? _scratch : new double[4 * mPts];
                for (int i = s; i < e; i++)
                    ImageAgentGradient(plan, mu, sigmas, w, i, new ReadOnlySpan<double>(g, i / _size * mPts, mPts), scratch, gMu, gSigma, gWeights, _keptU, _keptE);
            }, Math.Max(1, 8192 / mPts));
        }
    }

    /// <summary>Rows per group when <paramref name="rows"/> rows split into <paramref name="groups"/> equal groups.</summary>
    private static int CheckGroups(string op, int rows, int groups)
    {
        if (groups < 1 || rows % groups != 0)
            throw new ArgumentException($"{op}: groups = {groups}; it must be at least 1 and divide the {rows} rows into equal groups.");
        return rows / groups;
    }

    /// <summary>The checks every wrapped-normal kernel makes of its values (shapes are the caller's): a non-empty grid of
    /// finite points, every sigma positive and finite, every mu finite (mu and sigma of equal length).</summary>
    private static void CheckGridAndAgents(string op, Tensor mu, Tensor sigma, double[] grid) => CheckGridAndAgents(op, mu.Storage, sigma.Storage, grid);

    private static void CheckGridAndAgents(string op, ReadOnlySpan<double> mus, ReadOnlySpan<double> sigmas, double[] grid)
    {
        if (grid.Length == 0) throw new ArgumentException($"{op}: the grid is empty; give at least one point.");
        foreach (var x in grid) OpCheck.Finite(x, op, "every grid point");
        for (int i = 0; i < sigmas.Length; i++)
        {
            if (!(sigmas[i] > 0) || double.IsInfinity(sigmas[i]))
                throw new ArgumentException($"{op}: sigma[{i}] = {sigmas[i]}; every sigma must be positive and finite.");
            OpCheck.Finite(mus[i], op, $"mu[{i}]");
        }
    }

    /// <summary>Checks mu, sigma, a per-agent tensor (shape [N] each) and the grid; returns the plan of the densities.</summary>
    private static WrappedNormalPlan CheckWrappedNormal(string op, Tensor mu, Tensor sigma, Tensor perAgent, double[] grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (mu.Dim != 1 || sigma.Dim != 1 || perAgent.Dim != 1 || mu.ShapeRef[0] != sigma.ShapeRef[0] || mu.ShapeRef[0] != perAgent.ShapeRef[0])
            throw new ArgumentException($"{op}: mu, sigma and the per-agent factor must all have shape [N], got {Shapes.Format(mu.ShapeRef)}, {Shapes.Format(sigma.ShapeRef)} and {Shapes.Format(perAgent.ShapeRef)}.");
        CheckGridAndAgents(op, mu, sigma, grid);
        var sigmas = sigma.Storage;
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
            for (int i = s; i < e; i++) (rowSum[i], rowLoss[i]) = PooledRowLoss(new ReadOnlySpan<double>(p, i * mPts, mPts), target, delta, diff);
        }, minRows);
        var totals = new double[groups];
        for (int gi = 0; gi < groups; gi++) totals[gi] = PooledTotal(rowLoss.AsSpan(gi * size, size), delta);

        return Tensor.Record(new Tensor(totals, shape), op, [production], g =>
        {
            var gp = GradientPool.Rent(n * mPts);
            TensorEngine.ParallelRanges(n, (s, e) =>
            {
                var pooled = new double[mPts];
                for (int i = s; i < e; i++)
                    PooledRowGradient(new ReadOnlySpan<double>(p, i * mPts, mPts), target, delta, rowSum[i], 2.0 * delta * g[i / size], gp.AsSpan(i * mPts, mPts), pooled);
            }, minRows);
            production.AccumulateGradOwned(gp);
        });
    }

    /// <summary>One row of the pooled squared error: (S = Σ_m p_m, Σ_m (p_m/(Δ S) − target_m)²), with <paramref name="diff"/> as scratch.</summary>
    internal static (double Sum, double Loss) PooledRowLoss(ReadOnlySpan<double> row, ReadOnlySpan<double> target, double delta, Span<double> diff)
    {
        double sum = TP.Sum(row);
        TP.Multiply(row, 1.0 / (delta * sum), diff);          // P_i
        TP.Subtract(diff, target, diff);
        return (sum, MatMulKernel.Dot(diff, diff));
    }

    /// <summary>Δ·Σ of the rows' losses, added in row order.</summary>
    internal static double PooledTotal(ReadOnlySpan<double> rowLoss, double delta)
    {
        double total = 0;
        foreach (var l in rowLoss) total += l;
        return total * delta;
    }

    /// <summary>
    /// One row's gradient of the pooled squared error: gi = G/(Δ S) − (G·P)/S with G = scale·(P − target), P = p/(Δ S);
    /// <paramref name="pooled"/> is scratch.
    /// </summary>
    internal static void PooledRowGradient(ReadOnlySpan<double> row, ReadOnlySpan<double> target, double delta, double rowSum, double scale,
        Span<double> gi, Span<double> pooled)
    {
        double inv = 1.0 / (delta * rowSum);
        TP.Multiply(row, inv, pooled);                    // P_i
        TP.Subtract(pooled, target, gi);
        TP.Multiply(gi, scale, gi);                       // G_i
        double gDotP = MatMulKernel.Dot(gi, pooled);
        TP.Multiply(gi, inv, gi);
        TP.Subtract(gi, gDotP / rowSum, gi);
    }

    /// <summary>
    /// Wrapped normal mixtures summed in Fourier space on a uniform grid x_m = x_0 + 2πm/M with M a power of two:
    /// W_m = Re Σ_k F_k e^{2πikm/M}, F_0 = Σ w/2π + …, harmonic h of an agent folded into bin h mod M (the grid sees
    /// only M frequencies). Shared per grid (cached), immutable.
    /// </summary>
    private sealed class FourierMixture
    {
        private const double TwoPi = 2.0 * Math.PI;

        /// <summary>
        /// z with e^{−z²/2} = 1e-20: the series keeps harmonics up to h = z/σ. Tighter than the values' 1e-12 truncation
        /// (<see cref="WrappedNormal.HarmonicCount"/>) because the gradients weigh harmonic h by h (μ) and h² (σ): at σ = 0.12
        /// the 1e-12 cut left 2e-11 relative error in ∂/∂μ, this one leaves rounding.
        /// </summary>
        private static readonly double SeriesZ = Math.Sqrt(2.0 * Math.Log(1e20));

        internal static int Harmonics(double sigma) => Math.Max(1, (int)Math.Min(int.MaxValue / 2, Math.Ceiling(SeriesZ / sigma)));

        /// <summary>Harmonics between exact re-seeds of the rotation and decay recurrences (their error grows ~ steps·ε).</summary>
        private const int Reseed = 32;

        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<double[], FourierMixture> Cache = new();

        private readonly double[] _grid;   // a copy, to notice a grid array changed in place
        private readonly int _m, _log2;
        private readonly double _x0;
        private readonly double[] _cos, _sin; // cos, sin(2πk/M), k < M
        private readonly int[] _reverse;      // bit reversal of log2(M) − 1 bits: the half-size complex FFT's order

        [ThreadStatic] private static double[]? _scratch;

        private FourierMixture(double[] grid)
        {
            _grid = (double[])grid.Clone();
            _m = grid.Length;
            _log2 = System.Numerics.BitOperations.Log2((uint)_m);
            _x0 = grid[0];
            _cos = new double[_m];
            _sin = new double[_m];
            for (int k = 0; k < _m; k++) (_sin[k], _cos[k]) = Math.SinCos(TwoPi * k / _m);
            int half = _m / 2, bits = _log2 - 1;
            _reverse = new int[half];
            for (int k = 0; k < half; k++)
            {
                int r = 0;
                for (int bit = 0; bit < bits; bit++) r |= ((k >> bit) & 1) << (bits - 1 - bit);
                _reverse[k] = r;
            }
        }

        /// <summary>The transform for <paramref name="grid"/>, or null when it is not uniform on [x_0, x_0 + 2π) with 2^p ≥ 4 points.</summary>
        public static FourierMixture? For(double[] grid)
        {
            if (Cache.TryGetValue(grid, out var cached) && cached._grid.AsSpan().SequenceEqual(grid)) return cached;
            int m = grid.Length;
            if (m < 4 || !System.Numerics.BitOperations.IsPow2(m)) return null;
            for (int j = 0; j < m; j++)
                if (Math.Abs(grid[j] - (grid[0] + TwoPi * j / m)) > 1e-12 * (1.0 + Math.Abs(grid[0]))) return null;
            var made = new FourierMixture(grid);
            Cache.AddOrUpdate(grid, made);
            return made;
        }

        /// <summary>
        /// Whether the series is estimated cheaper than the image sum for a group of agents with these σ: about 8 flops
        /// per harmonic per agent (forward and backward) and two FFTs, against about 25 per grid point per image.
        /// </summary>
        public bool Cheaper(ReadOnlySpan<double> sigmas)
        {
            double series = 10.0 * _m * _log2, images = 0;
            foreach (var s in sigmas)
            {
                series += 8.0 * Harmonics(s);
                images += 25.0 * _m * (2 * Images(s) + 1);
            }
            return series < images;
        }

        private static int Images(double sigma) => (int)Math.Floor((NegligibleZ * sigma / Math.PI + 1.0) / 2.0);

        /// <summary>Agents whose harmonic recurrences run side by side (one lane each): independent chains, so no latency stall.</summary>
        public const int Lanes = 4;

        /// <summary>
        /// Adds the harmonics of agents [first, first + count) (weights w) to the folded coefficients (re[0..M), im[M..2M)),
        /// <see cref="Lanes"/> agents at a time, each chunk up to the largest harmonic count among its agents (the
        /// others' extra terms are below 1e-20 of their leading one). Chunks start at <paramref name="first"/>, so a group
        /// gives the same sums wherever it sits in a batch.
        /// </summary>
        public void AddAgents(double[] mus, double[] sigmas, double[] ws, int first, int count, Span<double> coefficients)
        {
            var re = coefficients[.._m];
            var im = coefficients[_m..];
            for (int i = first; i < first + count; i++) re[0] += ws[i] / TwoPi;
            for (int c = first; c < first + count; c += Lanes)
            {
                var chunk = new Chunk(mus, sigmas, ws, c, Math.Min(Lanes, first + count - c), _x0);
                for (int h0 = 1; h0 <= chunk.Harmonics; h0 += Reseed)
                {
                    chunk.Seed(h0, out var e, out var r, out var cn, out var sn);
                    int end = Math.Min(chunk.Harmonics, h0 + Reseed - 1);
                    for (int h = h0; h <= end; h++)
                    {
                        var t = chunk.Scale * e;
                        int k = h & (_m - 1);
                        re[k] += Total(t * cn);
                        im[k] += Total(t * sn);
                        e *= r; r *= chunk.Q;
                        (cn, sn) = (cn * chunk.C1 - sn * chunk.S1, sn * chunk.C1 + cn * chunk.S1);
                    }
                }
            }
        }

        /// <summary>
        /// (∂L/∂μ, ∂L/∂σ, ∂L/∂w) of agents [first, first + count) into gMu, gSigma, gW from the transform G of the output
        /// gradient, chunked as <see cref="AddAgents"/>: with ρ_h = Re(e^{ihθ})·Re G + Im(e^{ihθ})·Im G (bin h mod M),
        /// θ = x_0 − μ, t_h = w e^{−h²σ²/2}/π: ∂w = Re G_0/2π + Σ ρ_h t_h/w, ∂μ = −Σ h t_h (cos hθ Im G − sin hθ Re G),
        /// ∂σ = −σ Σ h² t_h ρ_h.
        /// </summary>
        public void AgentGradients(double[] mus, double[] sigmas, double[] ws, int first, int count, ReadOnlySpan<double> transform,
            double[] gMu, double[] gSigma, double[] gW)
        {
            var re = transform[.._m];
            var im = transform[_m..];
            for (int c = first; c < first + count; c += Lanes)
            {
                int lanes = Math.Min(Lanes, first + count - c);
                var chunk = new Chunk(mus, sigmas, ws, c, lanes, _x0);
                Vector256<double> dMu = default, dSigma = default, dWeight = default;
                for (int h0 = 1; h0 <= chunk.Harmonics; h0 += Reseed)
                {
                    chunk.Seed(h0, out var e, out var r, out var cn, out var sn);
                    int end = Math.Min(chunk.Harmonics, h0 + Reseed - 1);
                    for (int h = h0; h <= end; h++)
                    {
                        int k = h & (_m - 1);
                        var gr = Vector256.Create(re[k]);
                        var gi = Vector256.Create(im[k]);
                        var rho = cn * gr + sn * gi;
                        var he = Vector256.Create((double)h) * e;
                        dWeight += e * rho;
                        dMu -= he * (cn * gi - sn * gr);
                        dSigma -= Vector256.Create((double)h) * he * rho;
                        e *= r; r *= chunk.Q;
                        (cn, sn) = (cn * chunk.C1 - sn * chunk.S1, sn * chunk.C1 + cn * chunk.S1);
                    }
                }
                for (int l = 0; l < lanes; l++)
                {
                    double scale = chunk.Scale.GetElement(l);
                    gMu[c + l] = scale * dMu.GetElement(l);
                    gSigma[c + l] = scale * sigmas[c + l] * dSigma.GetElement(l);
                    gW[c + l] = re[0] / TwoPi + dWeight.GetElement(l) / Math.PI;
                }
            }
        }

        /// <summary>Lane sum in a fixed order ((0 + 1) + (2 + 3)), the same on every SIMD path.</summary>
        private static double Total(Vector256<double> v) => (v.GetElement(0) + v.GetElement(1)) + (v.GetElement(2) + v.GetElement(3));

        /// <summary>Up to <see cref="Lanes"/> agents' constants; missing lanes have weight 0 (they add exact zeros).</summary>
        private readonly struct Chunk
        {
            private readonly Vector256<double> _theta, _s2;
            public readonly Vector256<double> Scale, Q, C1, S1;
            public readonly int Harmonics;

            public Chunk(double[] mus, double[] sigmas, double[] ws, int c, int lanes, double x0)
            {
                Span<double> theta = stackalloc double[Lanes], s2 = stackalloc double[Lanes], scale = stackalloc double[Lanes];
                Span<double> q = stackalloc double[Lanes], c1 = stackalloc double[Lanes], s1 = stackalloc double[Lanes];
                Harmonics = 0;
                for (int l = 0; l < Lanes; l++)
                {
                    bool real = l < lanes;
                    theta[l] = real ? x0 - mus[c + l] : 0.0;
                    double sigma = real ? sigmas[c + l] : 1.0;
                    s2[l] = sigma * sigma;
                    scale[l] = real ? ws[c + l] / Math.PI : 0.0;
                    q[l] = Math.Exp(-s2[l]);
                    (s1[l], c1[l]) = Math.SinCos(theta[l]);
                    if (real) Harmonics = Math.Max(Harmonics, FourierMixture.Harmonics(sigma));
                }
                _theta = Vector256.Create<double>(theta);
                _s2 = Vector256.Create<double>(s2);
                Scale = Vector256.Create<double>(scale);
                Q = Vector256.Create<double>(q);
                C1 = Vector256.Create<double>(c1);
                S1 = Vector256.Create<double>(s1);
            }

            /// <summary>Exact e^{−h0²σ²/2}, e^{−(2h0+1)σ²/2}, cos h0θ, sin h0θ per lane (the recurrences' re-seed).</summary>
            public void Seed(int h0, out Vector256<double> e, out Vector256<double> r, out Vector256<double> cn, out Vector256<double> sn)
            {
                Span<double> ev = stackalloc double[Lanes], rv = stackalloc double[Lanes], cv = stackalloc double[Lanes], sv = stackalloc double[Lanes];
                for (int l = 0; l < Lanes; l++)
                {
                    double s2 = _s2.GetElement(l);
                    ev[l] = Math.Exp(-0.5 * h0 * h0 * s2);
                    rv[l] = Math.Exp(-0.5 * (2 * h0 + 1) * s2);
                    (sv[l], cv[l]) = Math.SinCos(h0 * _theta.GetElement(l));
                }
                (e, r, cn, sn) = (Vector256.Create<double>(ev), Vector256.Create<double>(rv), Vector256.Create<double>(cv), Vector256.Create<double>(sv));
            }
        }

        /// <summary>
        /// out_m = Re Σ_k F_k e^{2πikm/M} (the coefficients are left as they were): with H_k = (F_k + conj F_{M−k})/2 the
        /// sum is real, and its even and odd points are the real and imaginary parts of one complex FFT of M/2 points of
        /// Z_k = (H_k + H_{k+M/2}) + i (H_k − H_{k+M/2}) e^{2πik/M}.
        /// </summary>
        public void Synthesize(ReadOnlySpan<double> coefficients, Span<double> output)
        {
            int half = _m / 2;
            var scratch = _scratch is { } a && a.Length >= _m ? a : _scratch = new double[_m];
            var zr = scratch.AsSpan(0, half);
            var zi = scratch.AsSpan(half, half);
            var fr = coefficients[.._m];
            var fi = coefficients[_m..];
            for (int k = 0; k < half; k++)
            {
                int k2 = k + half, mk = (_m - k) & (_m - 1), mk2 = _m - k2;
                double hr = 0.5 * (fr[k] + fr[mk]), hi = 0.5 * (fi[k] - fi[mk]);
                double h2r = 0.5 * (fr[k2] + fr[mk2]), h2i = 0.5 * (fi[k2] - fi[mk2]);
                double dr = hr - h2r, di = hi - h2i, c = _cos[k], sn = _sin[k];
                double or = dr * c - di * sn, oi = dr * sn + di * c;   // (H_k − H_{k+M/2}) e^{2πik/M}
                int r = _reverse[k];
                zr[r] = hr + h2r - oi;                               // E + i·O
                zi[r] = hi + h2i + or;
            }
            Butterflies(zr, zi, +1.0);
            for (int j = 0; j < half; j++) (output[2 * j], output[2 * j + 1]) = (zr[j], zi[j]);
        }

        /// <summary>
        /// G_k = Σ_m g_m e^{−2πikm/M} for k &lt; M into transform (re[0..M), im[M..2M)), from one complex FFT of M/2 points
        /// of z_j = g_{2j} + i g_{2j+1}: with A, B the transforms of the even and odd points, G_k = A_k + e^{−2πik/M} B_k.
        /// </summary>
        public void Analyze(ReadOnlySpan<double> g, Span<double> transform)
        {
            int half = _m / 2;
            var scratch = _scratch is { } a && a.Length >= _m ? a : _scratch = new double[_m];
            var zr = scratch.AsSpan(0, half);
            var zi = scratch.AsSpan(half, half);
            for (int j = 0; j < half; j++) (zr[_reverse[j]], zi[_reverse[j]]) = (g[2 * j], g[2 * j + 1]);
            Butterflies(zr, zi, -1.0);
            var gr = transform[.._m];
            var gi = transform[_m..];
            for (int k = 0; k < _m; k++)
            {
                int j = k & (half - 1), nj = (half - j) & (half - 1);
                double ar = 0.5 * (zr[j] + zr[nj]), ai = 0.5 * (zi[j] - zi[nj]);   // A = (Z_j + conj Z_{−j})/2
                double br = 0.5 * (zi[j] + zi[nj]), bi = -0.5 * (zr[j] - zr[nj]);  // B = (Z_j − conj Z_{−j})/2i
                double c = _cos[k], sn = -_sin[k];
                gr[k] = ar + br * c - bi * sn;
                gi[k] = ai + br * sn + bi * c;
            }
        }

        /// <summary>In-place radix-2 FFT of M/2 bit-reversed points: sign +1 sums e^{+2πijk/(M/2)}, −1 sums e^{−2πijk/(M/2)}.</summary>
        private void Butterflies(Span<double> re, Span<double> im, double sign)
        {
            int n = re.Length;
            for (int len = 2; len <= n; len <<= 1)
            {
                int half = len >> 1, step = _m / len;
                for (int j = 0; j < half; j++)
                {
                    double wr = _cos[j * step], wi = sign * _sin[j * step];
                    for (int a = j; a < n; a += len)
                    {
                        int b = a + half;
                        double xr = re[b] * wr - im[b] * wi, xi = re[b] * wi + im[b] * wr;
                        re[b] = re[a] - xr; im[b] = im[a] - xi;
                        re[a] += xr; im[a] += xi;
                    }
                }
            }
        }
    }

    /// <summary>
    /// cos(h x_m), sin(h x_m) for h = 1..H of one grid, kept per grid array (and grown when a call needs more harmonics)
    /// so that a model's steps do not recompute H·M sines and cosines every call: the tables of an array whose values
    /// changed since are rebuilt. Each table set is immutable once published.
    /// </summary>
    private sealed class TrigTables
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<double[], TrigTables> Cache = new();

        private readonly double[] _grid;
        private readonly double[][] _cos, _sin;

        private TrigTables(double[] grid, int harmonics)
        {
            _grid = (double[])grid.Clone();
            int m = grid.Length;
            _cos = new double[harmonics][];
            _sin = new double[harmonics][];
            for (int h = 0; h < harmonics; h++)
            {
                _cos[h] = new double[m];
                _sin[h] = new double[m];
                for (int j = 0; j < m; j++) (_sin[h][j], _cos[h][j]) = Math.SinCos((h + 1) * grid[j]);
            }
        }

        /// <summary>The tables of at least <paramref name="harmonics"/> harmonics on <paramref name="grid"/>.</summary>
        public static (double[][] Cos, double[][] Sin) For(double[] grid, int harmonics)
        {
            if (harmonics == 0) return ([], []);
            if (Cache.TryGetValue(grid, out var t) && t._cos.Length >= harmonics && t._grid.AsSpan().SequenceEqual(grid)) return (t._cos, t._sin);
            t = new TrigTables(grid, harmonics);
            Cache.AddOrUpdate(grid, t);
            return (t._cos, t._sin);
        }
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
            (_cos, _sin) = TrigTables.For(grid, HarmonicsFor(sigmas, method));
        }

        /// <summary>Harmonics the Fourier-series agents among <paramref name="sigmas"/> need (0 when all take the image sum).</summary>
        public static int HarmonicsFor(ReadOnlySpan<double> sigmas, WrappedNormalMethod method)
        {
            int harmonics = 0;
            foreach (var s in sigmas)
                if (!UsesImages(method, s)) harmonics = Math.Max(harmonics, WrappedNormal.HarmonicCount(s));
            return harmonics;
        }

        /// <summary>Harmonics the tables hold (cos and sin of h·x for h = 1..Harmonics).</summary>
        public int Harmonics => _cos.Length;

        private bool UsesImages(double sigma) => UsesImages(_method, sigma);

        private static bool UsesImages(WrappedNormalMethod method, double sigma) => method switch
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

        /// <summary>
        /// WN(·; μ, σ) on the grid into <paramref name="row"/>. For a <see cref="SingleImage"/> agent, non-empty
        /// <paramref name="keepU"/> and <paramref name="keepE"/> (M each) receive its offsets u and terms φ_0, which
        /// <see cref="Backward"/> then reads instead of recomputing (the same values: bit-identical).
        /// </summary>
        public void Forward(double mu, double sigma, Span<double> row, double[] scratch, Span<double> keepU = default, Span<double> keepE = default)
        {
            int m = row.Length;
            if (UsesImages(sigma))
            {
                bool keep = !keepU.IsEmpty && SingleImage(sigma);
                var d = scratch.AsSpan(0, m);
                var u = keep ? keepU : scratch.AsSpan(m, m);
                var e = keep ? keepE : scratch.AsSpan(2 * m, m);
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
        /// <remarks>With <paramref name="keptU"/> and <paramref name="keptE"/> from <see cref="Forward"/> (a
        /// <see cref="SingleImage"/> agent, same μ and σ) the terms are read, not recomputed.</remarks>
        public (double dMu, double dSigma, double gDotDensity) Backward(double mu, double sigma, ReadOnlySpan<double> g, double[] scratch,
            ReadOnlySpan<double> keptU = default, ReadOnlySpan<double> keptE = default)
        {
            int m = g.Length;
            if (UsesImages(sigma))
            {
                // φ_k = exp(−u²/2σ²) with u = d + 2πk; ∂WN/∂μ = norm Σ φ u/σ², ∂WN/∂σ = norm Σ φ (u²/σ³ − 1/σ).
                bool kept = !keptU.IsEmpty && SingleImage(sigma);
                var d = scratch.AsSpan(0, m);
                var u = scratch.AsSpan(m, m);
                var e = scratch.AsSpan(2 * m, m);
                if (!kept) Offsets(mu, d);
                double negInv2s2 = -1.0 / (2.0 * sigma * sigma), norm = InvSqrtTwoPi / sigma;
                int kMax = Images(sigma);
                double a0 = 0, a1 = 0, a2 = 0;
                for (int k = -kMax; k <= kMax; k++)
                {
                    if (!kept)
                    {
                        Exponents(d, TwoPi * k, negInv2s2, u, e);
                        TP.Exp(e, e);
                        FlushTiny(e);
                    }
                    var (s0, s1, s2) = kept ? Moments(g, keptE, keptU) : Moments(g, e, u);
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
