// The batched starts' step in Fourier space (issue 18): R stacked starts of a small flat system, their coverage taken
// on Fourier coefficients by DpsKernels.SpectralStarts (Ops/DpsKernels.Spectral.cs), the parameter transforms,
// penalties and their backward in whole-batch vector passes. Unlike FusedStep it does not repeat the graph's order of
// operations: its results equal the grid's to rounding (tests: 1e-12 relative), which is what the batched restarts
// promise.
using DpsTorch.Config;
using DpsTorch.Ops;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DpsTorch.Model;

/// <summary>
/// The loss and gradients of the starts of a <see cref="BatchedStarts"/> stack (R groups of N agents, Q block-diagonal)
/// in Fourier space: the system objective with a fixed topology or the local objective (fixed or learned Q), the
/// squared mismatch, the direct propagation, at most <see cref="MaxAgents"/> agents per start, a uniform grid of 2^p
/// points and every breadth within the band limit (<see cref="Fits"/>, checked by the caller before each step).
/// </summary>
internal sealed class SpectralStep
{
    private const double SoftplusThreshold = 20.0; // Tensor.Softplus()'s default (β = 1)

    /// <summary>Largest number of agents per start (the local objective's row pass costs O(N³) per start).</summary>
    public const int MaxAgents = 64;

    private readonly DpsModel _m;
    private readonly DpsKernels.SpectralStarts _kernel;
    private readonly int _n, _groups, _size;
    private readonly bool _local;
    private readonly (int I, int J)[] _startEdges = [];
    private readonly double[] _spread = [];           // 1 + Q·1 per agent (system: the topology is fixed)
    private readonly double[] _comm;                  // Σ q_e d_e per start (0 without the penalty)
    private readonly double[] _q = [], _gq = [], _cost = [];
    private readonly double[] _sigma, _sigmoidRho, _a, _share, _sigmoidAlpha, _weights, _gMu, _gSigma, _gWeights, _gLeaf, _work;
    private readonly double[] _totals, _coverages, _budgetGap;

    /// <summary>Whether <paramref name="groups"/> stacked starts of <paramref name="m"/> are a system this step computes (the grid and breadths aside).</summary>
    public static bool Applies(DpsModel m, int groups)
        => m.Dimensions == 1 && m.UseFusedKernels && m.Propagation == Propagation.Direct && m.Objective.Mismatch == MismatchKind.Squared
           && groups >= 1 && m.N % groups == 0 && m.N / groups <= MaxAgents && m.Interaction.Edges.Count % groups == 0
           && (m.Objective.Kind == ObjectiveKind.System ? !m.Interaction.Learned : m.Objective.Kind == ObjectiveKind.Local);

    /// <summary>The step of <paramref name="groups"/> stacked starts of <paramref name="m"/>, or null when its grid is not uniform with 2^p points.</summary>
    public static SpectralStep? For(DpsModel m, int groups)
    {
        if (!Applies(m, groups)) throw new ArgumentException("SpectralStep: the Fourier-space path needs the circle, fused kernels, the direct propagation, the squared mismatch, at most 64 agents per start and the system objective with a fixed topology or the local objective.");
        var kernel = DpsKernels.SpectralStarts.For(m.Space.Grid.ToArray(), groups, m.N / groups);
        return kernel is null ? null : new SpectralStep(m, groups, kernel);
    }

    private SpectralStep(DpsModel m, int groups, DpsKernels.SpectralStarts kernel)
    {
        (_m, _kernel, _n, _groups, _size) = (m, kernel, m.N, groups, m.N / groups);
        _local = m.Objective.Kind == ObjectiveKind.Local;
        _comm = new double[groups];
        int e = m.Interaction.Edges.Count, perStart = e / groups;
        if (_local)
        {
            _startEdges = [.. m.Interaction.Edges.Take(perStart)];
            (_q, _gq, _cost) = (new double[e], new double[e], m.Interaction.EdgeCost.ToArray());
            if (!m.Interaction.Learned) m.Interaction.FixedWeights!.CopyTo(_q, 0);
        }
        else
        {
            var q = m.Interaction.Weights();
            using (TensorEngine.NoGrad())
            {
                _spread = (m.Interaction.WeightedDegree(q) + 1.0).ToArray();
                if (m.Objective.LambdaC > 0 && e > 0)
                {
                    var cost = (q * Tensor.FromArray(m.Interaction.EdgeCost)).ToArray();
                    for (int r = 0; r < groups; r++) _comm[r] = TP.Sum(cost.AsSpan(r * perStart, perStart));
                }
            }
        }
        int n = _n;
        (_sigma, _sigmoidRho, _a, _share, _sigmoidAlpha, _weights) = (new double[n], new double[n], new double[n], new double[n], new double[n], new double[n]);
        (_gMu, _gSigma, _gWeights, _gLeaf, _work) = (new double[n], new double[n], new double[n], new double[n], new double[n]);
        (_totals, _coverages, _budgetGap) = (new double[groups], new double[groups], new double[groups]);
    }

    /// <summary>Each start's total loss at the last <see cref="Evaluate"/>.</summary>
    public double[] Totals => _totals;

    /// <summary>Each start's coverage loss at the last <see cref="Evaluate"/>.</summary>
    public double[] Coverages => _coverages;

    /// <summary>Whether the narrowest breadth now (σ_min + softplus(min ρ)) is within the band limit.</summary>
    public bool Fits()
    {
        var rho = _m.Rho.Data;
        return rho.Length > 0 && _kernel.Fits(Tensor.SoftplusValue(TP.Min(rho), 1.0, SoftplusThreshold) + _m.SigmaMin);
    }

    /// <summary>
    /// Computes every start's loss for <paramref name="frames"/> (<see cref="Totals"/>, <see cref="Coverages"/>) and, with
    /// <paramref name="backward"/>, adds the gradient of their sum to the leaves μ, ρ, α (and θ for a learned Q).
    /// </summary>
    public void Evaluate(IReadOnlyList<double[]> frames, bool backward)
    {
        var m = _m;
        var obj = m.Objective;
        ReadOnlySpan<double> mu = m.Mu.Data;
        // σ = softplus(ρ) + σ_min; a = R·softmax(α) per start, softplus(α), or R/N.
        Softplus(m.Rho.Data, _sigma, _sigmoidRho);
        TP.Add(_sigma, m.SigmaMin, _sigma);
        Resources(m.Alpha.Data);
        if (_local)
        {
            if (m.Interaction.Learned) Tensor.SigmoidInto(m.Interaction.Theta!.Data, _q);
            _kernel.LocalForward(mu, _sigma, _a, _startEdges, _q, frames, _coverages);
            if (obj.LambdaC > 0)
            {
                int perStart = _startEdges.Length;
                TP.Multiply(_q, _cost, _gq);
                for (int r = 0; r < _groups; r++) _comm[r] = TP.Sum(_gq.AsSpan(r * perStart, perStart));
            }
        }
        else
        {
            TP.Multiply(_a, _spread, _weights);
            _kernel.SystemForward(mu, _sigma, _weights, frames, _coverages);
        }
        bool budget = m.SoftBudget && obj.LambdaR > 0, breadth = obj.LambdaSigma > 0;
        for (int r = 0; r < _groups; r++)
        {
            var start = new Range(r * _size, (r + 1) * _size);
            double b = 0, s = 0;
            if (budget)
            {
                _budgetGap[r] = TP.Sum(_a.AsSpan(start)) - m.Budget;
                b = _budgetGap[r] * _budgetGap[r];
            }
            if (breadth) s = TP.SumOfSquares(_sigma.AsSpan(start));
            _totals[r] = _coverages[r] + _comm[r] * obj.LambdaC + b * obj.LambdaR + s * obj.LambdaSigma;
        }
        if (backward) Backward(budget, breadth);
    }

    /// <summary>The gradients of Σ_r total_r: the kernel's, plus the penalties', through the transforms into the leaves.</summary>
    private void Backward(bool budget, bool breadth)
    {
        var m = _m;
        var obj = m.Objective;
        if (_local) _kernel.LocalBackward(_startEdges, _gMu, _gSigma, _gWeights, _gq);
        else
        {
            _kernel.SystemBackward(m.Mu.Data, _sigma, _weights, _gMu, _gSigma, _gWeights);
            TP.Multiply(_gWeights, _spread, _gWeights); // ∂/∂a through a ⊙ (1 + Q·1)
        }
        m.Mu.AccumulateGrad(_gMu);
        // ∂/∂σ (+ 2σ·λσ), then softplus' backward: g·sigmoid(ρ) (g above the threshold).
        if (breadth) TP.MultiplyAdd(_sigma, 2.0 * obj.LambdaSigma, _gSigma, _gSigma);
        TP.Multiply(_gSigma, _sigmoidRho, _gLeaf);
        m.Rho.AccumulateGrad(_gLeaf);
        if (_local && m.Interaction.Learned)
        {
            // ∂/∂q (+ λ_C·d_e), then the sigmoid's backward q(1 − q).
            if (obj.LambdaC > 0) TP.MultiplyAdd(_cost, obj.LambdaC, _gq, _gq);
            for (int e = 0; e < _gq.Length; e++) _gq[e] *= _q[e] * (1.0 - _q[e]);
            m.Interaction.Theta!.AccumulateGrad(_gq);
        }
        if (m.FixedResources) return;
        var ga = _gWeights;
        if (budget)
            for (int r = 0; r < _groups; r++)
                TP.Add(ga.AsSpan(r * _size, _size), 2.0 * _budgetGap[r] * obj.LambdaR, ga.AsSpan(r * _size, _size));
        if (m.SoftBudget) TP.Multiply(ga, _sigmoidAlpha, _gLeaf);
        else
            for (int r = 0; r < _groups; r++)
            {
                // a = s·R, then softmax's backward s ⊙ (g − Σ g ⊙ s) per start.
                var g = ga.AsSpan(r * _size, _size);
                var s = _share.AsSpan(r * _size, _size);
                var into = _gLeaf.AsSpan(r * _size, _size);
                TP.Multiply(g, m.Budget, g);
                double dot = TP.Dot(g, s);
                TP.Subtract(g, dot, into);
                TP.Multiply(into, s, into);
            }
        m.Alpha.AccumulateGrad(_gLeaf);
    }

    private void Resources(ReadOnlySpan<double> alpha)
    {
        var m = _m;
        if (m.FixedResources) Array.Fill(_a, m.Budget * m.Starts / m.N);
        else if (m.SoftBudget) Softplus(alpha, _a, _sigmoidAlpha);
        else
            for (int r = 0; r < _groups; r++)
            {
                // share = e^{α − max α} / Σ e^{α − max α} per start.
                var x = alpha.Slice(r * _size, _size);
                var s = _share.AsSpan(r * _size, _size);
                TP.Subtract(x, TP.Max(x), s);
                TP.Exp(s, s);
                TP.Divide(s, TP.Sum(s), s);
                TP.Multiply(s, m.Budget, _a.AsSpan(r * _size, _size));
            }
    }

    /// <summary>
    /// y = softplus(x) = log1p(e^{−|x|}) + max(x, 0) (x above the threshold: x) and its derivative sigmoid(x), in vector
    /// passes; log1p(t) = ln u − ((u − 1) − t)/u with u = 1 + t (the rounding of 1 + t divided back out, Goldberg's form).
    /// </summary>
    private void Softplus(ReadOnlySpan<double> x, Span<double> y, Span<double> sigmoid)
    {
        var t = _work.AsSpan(0, x.Length);
        TP.Abs(x, t);
        TP.Negate(t, t);
        TP.Exp(t, t);          // t = e^{−|x|} ∈ (0, 1]
        TP.Add(t, 1.0, y);     // u = 1 + t
        TP.Log(y, sigmoid);    // ln u (sigmoid as scratch)
        for (int i = 0; i < x.Length; i++)
        {
            double u = y[i], ti = t[i], xi = x[i];
            double log1p = u == 1.0 ? ti : sigmoid[i] - (u - 1.0 - ti) / u;
            y[i] = xi > SoftplusThreshold ? xi : log1p + Math.Max(xi, 0.0);
            sigmoid[i] = xi > SoftplusThreshold ? 1.0 : (xi >= 0 ? 1.0 : ti) / u;
        }
    }
}
