// A small model's loss and gradients without the graph (issue 18): at N = 16 recording the graph (nodes, closures,
// broadcast copies), sorting it and allocating each op's fresh arrays cost more than the arithmetic, and a step's fresh
// arrays walk the process through new pages until the next collection. This evaluates the same loss with buffers kept
// from step to step, in the same order of operations as the graph, so that results stay bit-identical.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using DpsTorch.Config;
using DpsTorch.Ops;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DpsTorch.Model;

/// <summary>
/// The loss and the gradients of a flat system on the circle with the squared mismatch and the direct propagation:
/// under the system objective with a fixed topology for one model (<see cref="DpsModel.Loss"/>) or R stacked starts
/// (<see cref="BatchedStarts.StartLossParts"/> with the image sum); under the local objective for one model with a
/// learned topology whose I + Q is dense and small (<see cref="DenseInteractionKernel"/>, N ≤ 512). Each value is
/// computed by the same operations in the same order as the graph of those losses and their Backward (the kernels by
/// the ops' own code: <see cref="DpsKernels.ImageMixture"/>, <see cref="DpsKernels.ScaledDensity"/>, the pooled error's
/// rows, the blocked matmul), so losses and gradients are bit-identical to them
/// (tests/DpsTorch.Tests/Model/FusedStepTests.cs); gradients are added to the leaves' as Backward adds them.
/// </summary>
internal sealed class FusedStep
{
    private const double SoftplusBeta = 1.0, SoftplusThreshold = 20.0; // Tensor.Softplus()'s defaults

    private readonly DpsModel _m;
    private readonly int _n, _groups, _size, _mPts;
    private readonly DpsKernels.ImageMixture _mixture;
    private readonly double[] _spread;                 // 1 + Q·1 per agent (constant: the topology is fixed)
    private readonly double[] _comm;                   // Σ q_e d_e per start (0 without the penalty)
    private readonly double[] _sigma, _share, _a, _weights, _w, _gW, _gMu, _gSigma, _gWeights, _gA, _gLeaf, _gExtra;
    private readonly double[] _totals, _coverages, _budgetGap;
    private double[] _errors = [];                     // W − d per frame, kept for the backward

    // Local objective: q = sigmoid(θ), w = a ⊙ s, S = I + Q (dense), p = S·w, the frames' targets, ∂/∂q, ∂/∂p, ∂/∂w.
    private readonly bool _local;
    private readonly double[] _q = [], _gq = [], _cost = [], _dense = [], _h = [], _p = [], _gp = [], _gw = [], _target = [], _diff = [], _rowSum = [], _rowLoss = [];
    private readonly DpsKernels.ScaledDensity? _density;
    private readonly int[] _upper = [], _lower = [];
    // Above DenseInteractionKernel.SmallDenseMaxN agents I + Q is written straight into the matmul's packed-A layout
    // (MatMulKernel.GemmPacked) at these positions of each edge, (lo, hi) and (hi, lo): no dense N×N matrix, no mirror,
    // and no packing of it in the forward product nor in the backward's S·G. The diagonal's ones and the zeros of
    // absent edges and of the padding rows are written once.
    private readonly bool _packed;
    private readonly int[] _packedUpper = [], _packedLower = [];
    private readonly int _edgesPerTask = 1;
    // A complete graph in lexicographic edge order (what the complete topology gives; edge (lo, hi) is
    // RowStart(lo) + hi − lo − 1, so each row of the upper triangle is a run of q) needs no positions: op(A)[i, p] is at
    // _depthAt[p] + ⌊i/MR⌋·_panelStride[p] + i mod MR of the packed layout (MatMulKernel.PackedIndex tabulated), written
    // panel by panel in memory order (PackPanels), and the gradient's rows are split over the threads in ranges of equal
    // edge counts (_rowSplit).
    private readonly bool _complete;
    private readonly int[] _depthAt = [], _panelStride = [], _rowSplit = [];
    private readonly long[] _rowBase = [];             // RowStart(i) − i − 1: q of edge (i, j), j > i, is q[_rowBase[i] + j]
    private double[] _rowSums = [];                    // row sums of p per frame (the same p: one set), kept as the op keeps them
    private double[] _targets = [];                    // D/∫D per frame

    /// <summary>
    /// Whether <paramref name="m"/>'s loss is one this class computes: the system objective's fused branch of
    /// <see cref="DpsModel.Loss"/> with a fixed topology, or the local objective's with a learned, small dense I + Q.
    /// </summary>
    public static bool Applies(DpsModel m)
        => m.Dimensions == 1 && m.UseFusedKernels && m.Propagation == Propagation.Direct && m.Objective.Mismatch == MismatchKind.Squared
           && (m.Objective.Kind == ObjectiveKind.System ? !m.Interaction.Learned : m.Objective.Kind == ObjectiveKind.Local && LocalApplies(m));

    private static bool LocalApplies(DpsModel m)
        => m.Starts == 1 && m.Interaction.Learned && m.Interaction.Edges.Count > 0 && m.Interaction.Blocks == 1
           && m.Interaction.Kernel is DenseInteractionKernel;

    /// <summary>Whether every frame has one value per grid point (else the graph reports the mismatch).</summary>
    public static bool FramesFit(IReadOnlyList<double[]> frames, int points)
    {
        if (frames.Count == 0) return false;
        foreach (var f in frames) if (f is null || f.Length != points) return false;
        return true;
    }

    /// <summary>The step of <paramref name="m"/> (one system, or <paramref name="groups"/> stacked starts of N / groups agents each).</summary>
    public FusedStep(DpsModel m, int groups)
    {
        if (!Applies(m)) throw new ArgumentException("FusedStep: the model's loss is neither the system objective's fused branch with a fixed topology nor the local objective's with a small dense learned one.");
        _m = m;
        _n = m.N;
        _groups = groups;
        _size = _n / groups;
        _mPts = m.Space.M;
        _local = m.Objective.Kind == ObjectiveKind.Local;
        var grid = m.Space.Grid.ToArray();
        _comm = new double[groups];
        if (_local)
        {
            if (groups != 1) throw new ArgumentException("FusedStep: the local objective is fused for one start only.");
            _mixture = null!;
            _spread = [];
            int e = m.Interaction.Edges.Count;
            var positions = ((DenseInteractionKernel)m.Interaction.Kernel).Positions;
            (_upper, _lower) = (positions[0], positions[1]);
            (_q, _gq, _cost) = (new double[e], new double[e], m.Interaction.EdgeCost.ToArray());
            _packed = _n > DenseInteractionKernel.SmallDenseMaxN;
            _h = new double[_n * _n];
            if (_packed)
            {
                _dense = new double[MatMulKernel.PackedLength(_n, _n)];
                _complete = IsCompleteInOrder(m.Interaction.Edges, _n);
                if (_complete)
                {
                    int mr = MatMulKernel.PanelHeight;
                    (_depthAt, _panelStride, _rowBase) = (new int[_n], new int[_n], new long[_n]);
                    for (int i = 0; i < _n; i++)
                    {
                        _depthAt[i] = MatMulKernel.PackedIndex(_n, _n, 0, i);
                        _panelStride[i] = MatMulKernel.PackedIndex(_n, _n, mr, i) - _depthAt[i];
                        _rowBase[i] = RowStart(i, _n) - i - 1;
                    }
                    int parts = Math.Max(1, TensorEngine.NumThreads);
                    _rowSplit = new int[parts + 1];
                    for (int t = 1, lo = 0; t <= parts; t++)
                    {
                        long until = (long)e * t / parts;
                        while (lo < _n && RowStart(lo, _n) < until) lo++;
                        _rowSplit[t] = t == parts ? _n : lo;
                    }
                }
                else
                {
                    (_packedUpper, _packedLower) = (new int[e], new int[e]);
                    for (int k = 0; k < e; k++)
                    {
                        var (i, j) = m.Interaction.Edges[k];
                        (int lo, int hi) = (Math.Min(i, j), Math.Max(i, j));
                        (_packedUpper[k], _packedLower[k]) = (MatMulKernel.PackedIndex(_n, _n, lo, hi), MatMulKernel.PackedIndex(_n, _n, hi, lo));
                    }
                }
                for (int i = 0; i < _n; i++) _dense[MatMulKernel.PackedIndex(_n, _n, i, i)] = 1.0;
                _edgesPerTask = 1 << 15;
            }
            else _dense = new double[_n * _n];
            (_w, _p, _gp, _gw) = (new double[_n * _mPts], new double[_n * _mPts], new double[_n * _mPts], new double[_n * _mPts]);
            (_diff, _rowLoss) = (new double[_mPts], new double[_n]);
            _density = new DpsKernels.ScaledDensity(grid);
            _gW = _diff; // unused by the local objective
        }
        else
        {
            _mixture = new DpsKernels.ImageMixture(grid, _n, groups);
            var q = m.Interaction.Weights();
            using (TensorEngine.NoGrad())
            {
                _spread = (m.Interaction.WeightedDegree(q) + 1.0).ToArray();
                int edges = m.Interaction.Edges.Count, perStart = edges / groups;
                if (m.Objective.LambdaC > 0 && edges > 0)
                {
                    var cost = (q * Tensor.FromArray(m.Interaction.EdgeCost)).ToArray();
                    for (int r = 0; r < groups; r++) _comm[r] = TP.Sum(cost.AsSpan(r * perStart, perStart));
                }
            }
            (_w, _gW) = (new double[groups * _mPts], new double[groups * _mPts]);
        }
        (_sigma, _share, _a, _weights, _gMu, _gSigma, _gWeights, _gA, _gLeaf, _gExtra) =
            (new double[_n], new double[_n], new double[_n], new double[_n], new double[_n], new double[_n], new double[_n], new double[_n], new double[_n], new double[_n]);
        (_totals, _coverages, _budgetGap) = (new double[groups], new double[groups], new double[groups]);
    }

    /// <summary>First edge of row lo of a complete graph's upper triangle in lexicographic order: lo·(2n − lo − 1)/2.</summary>
    private static long RowStart(int lo, int n) => (long)lo * (2L * n - lo - 1) / 2;

    /// <summary>Whether the edges are every pair (lo, hi), lo &lt; hi, once, in lexicographic order.</summary>
    private static bool IsCompleteInOrder(IReadOnlyList<(int I, int J)> edges, int n)
    {
        if (edges.Count != (long)n * (n - 1) / 2) return false;
        int k = 0;
        for (int lo = 0; lo < n; lo++)
            for (int hi = lo + 1; hi < n; hi++, k++)
            {
                var (i, j) = edges[k];
                if (Math.Min(i, j) != lo || Math.Max(i, j) != hi) return false;
            }
        return true;
    }

    /// <summary>
    /// Row panels [panel0, panel1) of the packed I + Q of a complete graph, read from q (lexicographic edges): panel ip
    /// holds rows i0 = ip·MR .. i0 + MR − 1, and at depth p the MR values S[i0 + r, p] lie side by side. S is symmetric, so
    /// they are row p of S: for p &lt; i0 a run of q's row p (q[_rowBase[p] + i0 + r]), for p past the panel one value from
    /// each of the panel's rows of q (q[_rowBase[i0 + r] + p], every row read front to back as p grows), and around the
    /// diagonal both and the one. Every packed entry of real rows is written once, in memory order; the padding rows of a
    /// ragged last panel stay the zeros they were allocated as. The values are q's, so the product is the one the graph
    /// packs from the mirrored dense I + Q.
    /// </summary>
    private unsafe void PackPanels(int panel0, int panel1)
    {
        int n = _n, mr = MatMulKernel.PanelHeight;
        fixed (double* q = _q, dense = _dense)
        fixed (int* depthAt = _depthAt, panelStride = _panelStride)
        fixed (long* rowBase = _rowBase)
        {
            long* from = stackalloc long[mr];
            for (int ip = panel0; ip < panel1; ip++)
            {
                int i0 = ip * mr, rows = Math.Min(mr, n - i0), i1 = i0 + rows;
                for (int r = 0; r < rows; r++) from[r] = rowBase[i0 + r];
                for (int p = 0; p < n; p++)
                {
                    double* dst = dense + depthAt[p] + (long)ip * panelStride[p];
                    if (p < i0)
                    {
                        double* src = q + rowBase[p] + i0;
                        for (int r = 0; r < rows; r++) Put(dst + r, src[r]);
                    }
                    else if (p >= i1)
                        for (int r = 0; r < rows; r++) Put(dst + r, q[from[r] + p]);
                    else
                        for (int r = 0; r < rows; r++)
                        {
                            int i = i0 + r;
                            Put(dst + r, i == p ? 1.0 : i < p ? q[from[r] + p] : q[rowBase[p] + i]);
                        }
                }
            }
        }
        if (Sse2.X64.IsSupported) Sse.StoreFence(); // the streamed stores are seen by the product's threads
    }

    /// <summary>
    /// *dst = v, streamed past the caches where the machine can (the packed 8 MB at N = 1024 is read back by the products
    /// from memory anyway; a cached store first reads each line in).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Put(double* dst, double v)
    {
        if (Sse2.X64.IsSupported) Sse2.X64.StoreNonTemporal((long*)dst, BitConverter.DoubleToInt64Bits(v));
        else *dst = v;
    }

    /// <summary>
    /// gq_e = (H[lo, hi] + H[hi, lo] (+ λ_C·d_e))·q_e·(1 − q_e) for the edges of rows [lo0, lo1) of a complete graph, in
    /// 32×32 tiles of H (the transposed tile stays in L1): the same sums, in the same order, as per edge.
    /// </summary>
    private unsafe void GatherRows(double[] gq, bool comm, double lambdaC, int lo0, int lo1)
    {
        const int tile = 32;
        int n = _n;
        fixed (double* h = _h, q = _q, cost = _cost, g = gq)
        {
            for (int i0 = lo0; i0 < lo1; i0 += tile)
            {
                int i1 = Math.Min(lo1, i0 + tile);
                for (int j0 = i0; j0 < n; j0 += tile)
                {
                    int j1 = Math.Min(n, j0 + tile);
                    for (int lo = i0; lo < i1; lo++)
                    {
                        long e0 = RowStart(lo, n) - lo - 1;
                        double* hRow = h + (long)lo * n, hCol = h + lo, qRow = q + e0, gRow = g + e0, cRow = cost + e0;
                        for (int hi = Math.Max(j0, lo + 1); hi < j1; hi++)
                        {
                            double gv = hRow[hi] + hCol[(long)hi * n];
                            double gt = comm ? lambdaC * cRow[hi] + gv : gv;
                            double qe = qRow[hi];
                            gRow[hi] = gt * qe * (1.0 - qe);
                        }
                    }
                }
            }
        }
    }

    [ThreadStatic] private static double[]? _threadDiff;

    /// <summary>
    /// Whether the per-agent work (densities, pooled rows, their backward) is split over the engine's threads: for a
    /// large I + Q, and for a small one from <see cref="SplitMinAgents"/> agents when there is more than one thread (the
    /// engine's workers are awake within a step, so a split of ~64 agents pays; each agent's row is computed alone, so
    /// the values do not depend on the split).
    /// </summary>
    private bool SplitAgents => _packed || (_n >= SplitMinAgents && TensorEngine.NumThreads > 1);

    /// <summary>Edges per thread of a small I + Q's edge loops: split only with the agents (<see cref="SplitAgents"/>).</summary>
    private int SmallEdgesPerTask => SplitAgents ? 2048 : int.MaxValue;

    /// <summary>Fewest agents for which a small I + Q's per-agent work is split over threads (measured at N = 128, bench/results/2026-12-02-s-small.txt).</summary>
    internal const int SplitMinAgents = 128;

    /// <summary>
    /// body(start, end, scratch of M) over agent ranges: on the engine's threads when <see cref="SplitAgents"/> (each
    /// agent's row is computed alone, so the values do not depend on the split), else on the calling thread with the
    /// step's own scratch.
    /// </summary>
    private void OverAgents(Action<int, int, double[]> body)
    {
        if (!SplitAgents) { body(0, _n, _diff); return; }
        int length = _diff.Length;
        TensorEngine.ParallelRanges(_n, (s, e) =>
            body(s, e, s == 0 ? _diff : _threadDiff?.Length == length ? _threadDiff : _threadDiff = new double[length]), 64);
    }

    /// <summary>body(lo0, lo1) over the row ranges of <see cref="_rowSplit"/> on the engine's threads.</summary>
    private void OverRows(Action<int, int> body)
    {
        var split = _rowSplit;
        TensorEngine.ParallelRanges(split.Length - 1, (s, e) => { for (int t = s; t < e; t++) if (split[t] < split[t + 1]) body(split[t], split[t + 1]); });
    }

    /// <summary>Each start's total loss at the last <see cref="Evaluate"/>.</summary>
    public double[] Totals => _totals;

    /// <summary>Each start's coverage loss at the last <see cref="Evaluate"/>.</summary>
    public double[] Coverages => _coverages;

    /// <summary>
    /// Computes every start's loss for <paramref name="frames"/> (<see cref="Totals"/>, <see cref="Coverages"/>) and, with
    /// <paramref name="backward"/>, adds the gradient of their sum to the leaves μ, ρ and α.
    /// </summary>
    public void Evaluate(IReadOnlyList<double[]> frames, bool backward)
    {
        var m = _m;
        var obj = m.Objective;
        ReadOnlySpan<double> mu = m.Mu.Data, rho = m.Rho.Data, alpha = m.Alpha.Data;
        double delta = m.Space.Delta;
        int mPts = _mPts, count = frames.Count;

        // σ = softplus(ρ) + σ_min; a = R·softmax(α) per start, softplus(α), or R/N; weights = a ⊙ (1 + Q·1).
        for (int i = 0; i < _n; i++) _sigma[i] = Tensor.SoftplusValue(rho[i], SoftplusBeta, SoftplusThreshold) + m.SigmaMin;
        Resources(alpha);
        Array.Clear(_coverages);
        if (_local) LocalCoverage(frames, mu, delta);
        else
        {
            for (int i = 0; i < _n; i++) _weights[i] = _a[i] * _spread[i];
            _mixture.Forward(mu, _sigma, _weights, _w);

            // coverage_r = Σ_f (0 + Δ·Σ_m (W_rm − d_fm)²), the loss's "coverage + Mismatch.Of(...)" per frame.
            if (_errors.Length < count * _groups * mPts) _errors = new double[count * _groups * mPts];
            for (int f = 0; f < count; f++)
            {
                var d = frames[f];
                for (int r = 0; r < _groups; r++)
                {
                    var e = _errors.AsSpan((f * _groups + r) * mPts, mPts);
                    TP.Subtract(_w.AsSpan(r * mPts, mPts), d, e);
                    TP.Multiply(e, e, _gW.AsSpan(0, mPts));
                    double x = 0.0 + TP.Sum(_gW.AsSpan(0, mPts)) * delta;
                    _coverages[r] = _coverages[r] + x;
                }
            }
        }
        bool budget = m.SoftBudget && obj.LambdaR > 0, breadth = obj.LambdaSigma > 0;
        for (int r = 0; r < _groups; r++)
        {
            _coverages[r] = _coverages[r] / count;
            double b = 0, s = 0;
            if (budget)
            {
                _budgetGap[r] = TP.Sum(_a.AsSpan(r * _size, _size)) - m.Budget;
                b = _budgetGap[r] * _budgetGap[r];
            }
            if (breadth)
            {
                for (int i = r * _size; i < (r + 1) * _size; i++) _gExtra[i] = _sigma[i] * _sigma[i];
                s = TP.Sum(_gExtra.AsSpan(r * _size, _size));
            }
            _totals[r] = _coverages[r] + _comm[r] * obj.LambdaC + b * obj.LambdaR + s * obj.LambdaSigma;
        }
        if (backward) Backward(frames, mu, rho, alpha, budget, breadth);
    }

    /// <summary>
    /// The local objective's coverage Σ_f pooled_squared_error(p, D_f/∫D_f, Δ) / N with p = (I + Q)·(a ⊙ s), Q = sigmoid(θ)
    /// scattered into the dense I + Q at the kernel's positions (<see cref="Tensor.SymmetricMatMul"/>'s forward); also the
    /// communication cost Σ q_e d_e when it is charged.
    /// </summary>
    private void LocalCoverage(IReadOnlyList<double[]> frames, ReadOnlySpan<double> mu, double delta)
    {
        var m = _m;
        int n = _n, mPts = _mPts, count = frames.Count;
        var theta = m.Interaction.Theta!;
        if (_packed && _complete)
        {
            // q = sigmoid(θ), row ranges in parallel (each q_e depends on θ_e alone, and every range is many vectors long, so
            // every value is the one SigmoidInto gives for the whole array), then the packed I + Q from q, panels in parallel.
            OverRows((lo0, lo1) =>
            {
                int s = (int)RowStart(lo0, n), e = (int)RowStart(lo1, n);
                Tensor.SigmoidInto(theta.Data.Slice(s, e - s), _q.AsSpan(s, e - s));
            });
            int panels = (n + MatMulKernel.PanelHeight - 1) / MatMulKernel.PanelHeight;
            TensorEngine.ParallelRanges(panels, PackPanels);
            _density!.Forward(mu, _sigma, _a, _w, parallel: true);
            MatMulKernel.GemmPacked(_dense, _w, false, _p, n, n, mPts);
        }
        else if (_packed)
        {
            // The same for any edge set, at the positions kept per edge, edge ranges in parallel.
            SigmoidAndScatter(theta, _packedUpper, _packedLower, _edgesPerTask);
            _density!.Forward(mu, _sigma, _a, _w, parallel: true);
            MatMulKernel.GemmPacked(_dense, _w, false, _p, n, n, mPts);
        }
        else
        {
            // Split over the threads with the agents (edge ranges many vectors long: the values SigmoidInto gives for the
            // whole array, as above). Every step writes the same entries (the edges', then the diagonal), so the others
            // stay the zeros the matrix was allocated as: no clearing.
            _density!.Forward(mu, _sigma, _a, _w, parallel: SplitAgents);
            SigmoidAndScatter(theta, _upper, _lower, SmallEdgesPerTask);
            for (int i = 0; i < n; i++) _dense[i * n + i] = 1.0;
            MatMulKernel.Gemm(_dense, false, _w, false, _p, n, n, mPts);
        }
        if (_targets.Length < count * mPts) (_targets, _rowSums) = (new double[count * mPts], new double[count * n]);
        for (int f = 0; f < count; f++)
        {
            var frame = frames[f];
            double mass = delta * frame.Sum();
            var target = _targets.AsSpan(f * mPts, mPts);
            for (int k = 0; k < mPts; k++) target[k] = frame[k] / mass;
            int at = f * mPts;
            OverAgents((s, e, diff) =>
            {
                for (int i = s; i < e; i++)
                    (_rowSums[f * n + i], _rowLoss[i]) = DpsKernels.PooledRowLoss(_p.AsSpan(i * mPts, mPts), _targets.AsSpan(at, mPts), delta, diff);
            });
            _coverages[0] = _coverages[0] + DpsKernels.PooledTotal(_rowLoss, delta) / n;
        }
        if (m.Objective.LambdaC > 0)
        {
            TP.Multiply(_q, _cost, _gq);
            _comm[0] = TP.Sum(_gq);
        }
    }

    /// <summary>
    /// q = sigmoid(θ) and q_e written into the dense I + Q at both of edge e's positions, edge ranges of at least
    /// <paramref name="edgesPerTask"/> on the engine's threads (each q_e depends on θ_e alone, and every range is many
    /// vectors long, so every value is the one SigmoidInto gives for the whole array).
    /// </summary>
    private void SigmoidAndScatter(Tensor theta, int[] upper, int[] lower, int edgesPerTask)
        => TensorEngine.ParallelRanges(_q.Length, (s, e) =>
        {
            Tensor.SigmoidInto(theta.Data.Slice(s, e - s), _q.AsSpan(s, e - s));
            for (int k = s; k < e; k++)
            {
                _dense[upper[k]] = _q[k];
                _dense[lower[k]] = _q[k];
            }
        }, edgesPerTask);

    /// <summary>
    /// The local coverage's backward (after the penalties'): ∂/∂p per frame (last first), then the symmetric product's
    /// ∂/∂q = H[lo, hi] + H[hi, lo] with H = G·wᵀ (added to the communication cost's λ_C·d_e) and ∂/∂w = S·G, sigmoid
    /// into θ, and the scaled densities' ∂/∂μ, ∂/∂σ, ∂/∂a.
    /// </summary>
    private void LocalBackward(int count, ReadOnlySpan<double> mu, double delta)
    {
        var m = _m;
        int n = _n, mPts = _mPts;
        double gTotal = 1.0 / count / n;
        for (int f = count - 1; f >= 0; f--)
        {
            var into = f == count - 1 ? _gp : _gw;
            int at = f * mPts;
            OverAgents((s, e, diff) =>
            {
                for (int i = s; i < e; i++)
                    DpsKernels.PooledRowGradient(_p.AsSpan(i * mPts, mPts), _targets.AsSpan(at, mPts), delta, _rowSums[f * n + i], 2.0 * delta * gTotal,
                        into.AsSpan(i * mPts, mPts), diff);
            });
            if (f != count - 1) TP.Add(_gp, _gw, _gp);
        }
        MatMulKernel.Gemm(_gp, false, _w, true, _h, n, mPts, n); // H = G·wᵀ
        bool comm = m.Objective.LambdaC > 0;
        double lambdaC = m.Objective.LambdaC;
        // ∂/∂q_e = H[lo, hi] + H[hi, lo] (+ λ_C·d_e), then through the sigmoid: one pass, edge ranges in parallel, into
        // a pooled array that θ adopts as its gradient (large N) or into the step's own (small N, copied).
        var gq = _packed ? GradientPool.Rent(_gq.Length, clear: false) : _gq;
        if (_complete)
            OverRows((lo0, lo1) => GatherRows(gq, comm, lambdaC, lo0, lo1));
        else TensorEngine.ParallelRanges(gq.Length, (s, e) =>
        {
            for (int k = s; k < e; k++)
            {
                double gv = _h[_upper[k]] + _h[_lower[k]];
                double g = comm ? lambdaC * _cost[k] + gv : gv;
                gq[k] = g * _q[k] * (1.0 - _q[k]);
            }
        }, _packed ? _edgesPerTask : SmallEdgesPerTask);
        if (_packed) MatMulKernel.GemmPacked(_dense, _gp, false, _gw, n, n, mPts); // ∂/∂w = S·G
        else MatMulKernel.Gemm(_dense, false, _gp, false, _gw, n, n, mPts);
        if (_packed) m.Interaction.Theta!.AccumulateGradOwned(gq);
        else m.Interaction.Theta!.AccumulateGrad(gq);
        _density!.Backward(mu, _sigma, _a, _w, _gw, _gMu, _gSigma, _gWeights, parallel: SplitAgents);
    }

    private void Resources(ReadOnlySpan<double> alpha)
    {
        var m = _m;
        if (m.FixedResources)
        {
            double each = m.Budget * m.Starts / m.N;
            Array.Fill(_a, each);
        }
        else if (m.SoftBudget)
            for (int i = 0; i < _n; i++) _a[i] = Tensor.SoftplusValue(alpha[i], SoftplusBeta, SoftplusThreshold);
        else
            for (int r = 0; r < _groups; r++)
            {
                int b = r * _size;
                double lse = Tensor.LogSumExpLine(alpha, b, _size, 1);
                for (int k = b; k < b + _size; k++)
                {
                    _share[k] = Math.Exp(alpha[k] - lse);
                    _a[k] = _share[k] * m.Budget;
                }
            }
    }

    /// <summary>
    /// The graph's backward in its order: the penalties' subgraphs run before the coverage's (they were recorded after
    /// it), so a leaf with a gradient from both gets the penalty's first; frames in reverse order into ∂/∂W.
    /// </summary>
    private void Backward(IReadOnlyList<double[]> frames, ReadOnlySpan<double> mu, ReadOnlySpan<double> rho, ReadOnlySpan<double> alpha, bool budget, bool breadth)
    {
        var m = _m;
        var obj = m.Objective;
        int mPts = _mPts, count = frames.Count;
        double delta = m.Space.Delta;
        if (breadth)
        {
            // Σσ² · λσ: d/dσ = 2σ·λσ, through its own softplus into ρ.
            for (int i = 0; i < _n; i++) _gExtra[i] = Tensor.SoftplusGradient(2.0 * _sigma[i] * obj.LambdaSigma, rho[i], SoftplusBeta, SoftplusThreshold);
            m.Rho.AccumulateGrad(_gExtra);
        }
        if (budget)
        {
            // (Σa − R)² · λR: d/da = 2(Σa − R)·λR for every agent of the start, through its own softplus into α.
            for (int i = 0; i < _n; i++)
                _gExtra[i] = Tensor.SoftplusGradient(2.0 * _budgetGap[i / _size] * obj.LambdaR, alpha[i], SoftplusBeta, SoftplusThreshold);
            m.Alpha.AccumulateGrad(_gExtra);
        }

        if (_local) LocalBackward(count, mu, delta);
        else
        {
            // ∂/∂W: Σ over frames (last first) of 2·(W − d_f)·(Δ/F).
            double gS = 1.0 / count * delta;
            for (int f = count - 1; f >= 0; f--)
                for (int j = 0; j < _groups * mPts; j++)
                {
                    double g = 2.0 * _errors[f * _groups * mPts + j] * gS;
                    _gW[j] = f == count - 1 ? g : _gW[j] + g;
                }
            _mixture.Backward(mu, _sigma, _weights, _gW, _gMu, _gSigma, _gWeights);
        }
        m.Mu.AccumulateGrad(_gMu);
        for (int i = 0; i < _n; i++) _gLeaf[i] = Tensor.SoftplusGradient(_gSigma[i], rho[i], SoftplusBeta, SoftplusThreshold);
        m.Rho.AccumulateGrad(_gLeaf);
        if (m.FixedResources) return;
        for (int i = 0; i < _n; i++) _gA[i] = _local ? _gWeights[i] : _gWeights[i] * _spread[i]; // ∂/∂a: the densities' scale, or through a ⊙ (1 + Q·1)
        if (m.SoftBudget)
            for (int i = 0; i < _n; i++) _gLeaf[i] = Tensor.SoftplusGradient(_gA[i], alpha[i], SoftplusBeta, SoftplusThreshold);
        else
            for (int r = 0; r < _groups; r++)
            {
                // a = s·R, then softmax's backward s ⊙ (g − Σ g ⊙ s) per start.
                int b = r * _size;
                for (int k = b; k < b + _size; k++) _gA[k] = _gA[k] * m.Budget;
                double dot = 0;
                for (int k = b; k < b + _size; k++) dot += _gA[k] * _share[k];
                for (int k = b; k < b + _size; k++) _gLeaf[k] = _share[k] * (_gA[k] - dot);
            }
        m.Alpha.AccumulateGrad(_gLeaf);
    }
}
