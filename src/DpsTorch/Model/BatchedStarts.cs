// Batched multi-start (issue 18): R independent starts of one N-agent flat system advanced in one computation. The
// starts are stacked into one R·N-agent system whose Q is block-diagonal (one block per start), so every kernel runs
// once per step over all starts; the loss is the sum of the R per-start losses, so each start's gradient is the one
// it would get alone, and an element-wise optimizer (Adam, SGD) takes each start's own step.
using DpsTorch.Ops;

using DpsTorch.Config;

namespace DpsTorch.Model;

/// <summary>
/// R starts of the same flat system (same grid, demand, graph, objective and budget; different parameters) trained as
/// one: <see cref="Parameters"/> are R·N-long μ, ρ, α (and R·E-long θ for a learned Q), start r owning agents
/// [r·N, (r+1)·N) and edges [r·E, (r+1)·E). <see cref="Evaluate"/> returns the sums over the starts and records each
/// start's own loss, coverage and gradient norm (<see cref="StartLosses"/>, <see cref="StartCoverages"/>,
/// <see cref="StartGradientNorms"/>); <see cref="CopyTo"/> writes a start's parameters back into a <see cref="DpsModel"/>.
/// Per-start losses and gradients equal the individual runs' to rounding (tests: to 1e-12 relative).
/// </summary>
public sealed class BatchedStarts : ITrainableSystem
{
    private readonly DpsModel _stack;
    private readonly double[] _grid;
    private double[] _losses = [];
    private double[] _coverages = [];
    private FusedStep? _fused;
    private SpectralStep? _spectralStep;
    private readonly bool _spectralGrid;

    /// <summary>
    /// How the system objective sums each start's mixture: <see cref="WrappedNormalMethod.Auto"/> (default) takes the
    /// Fourier series where it is cheaper, equal to the image sum to rounding; <see cref="WrappedNormalMethod.Images"/>
    /// gives every start exactly the bits of the lone start's image sum (what a run's batched restarts use on the grid
    /// path, i.e. where <see cref="Spectral"/> does not apply).
    /// </summary>
    public WrappedNormalMethod MixtureMethod { get; init; } = WrappedNormalMethod.Auto;

    /// <summary>
    /// Whether <see cref="Evaluate"/> takes the Fourier-space path where it applies (default true): the squared mismatch
    /// on Fourier coefficients, the starts side by side in SIMD lanes (Ops/DpsKernels.Spectral.cs), for the system
    /// objective with a fixed topology and the local objective, at most 64 agents per start, a uniform grid of 2^p points,
    /// and every breadth within the band limit (σ ≥ 9.6/(M/2 − 1), 0.076 at M = 256; checked every step). Equal to the
    /// grid path to rounding (tests: 1e-12 relative); where it does not apply the step takes the grid path
    /// (<see cref="MixtureMethod"/>). False always takes the grid path.
    /// </summary>
    public bool Spectral { get; init; } = true;

    /// <summary>Whether the last <see cref="Evaluate"/> took the Fourier-space path (<see cref="Spectral"/>).</summary>
    public bool LastEvaluationSpectral { get; private set; }

    /// <summary>Stacks <paramref name="starts"/> (at least one, all built from one config, e.g. by SystemBuilder.Create(c, r)).</summary>
    public BatchedStarts(IReadOnlyList<DpsModel> starts)
    {
        ArgumentNullException.ThrowIfNull(starts);
        if (starts.Count == 0) throw new ArgumentException("BatchedStarts: starts is empty; give at least one model.");
        var first = starts[0];
        if (first.Dimensions != 1) throw new ArgumentException($"BatchedStarts: the starts live on T^{first.Dimensions}; batched starts are built for the circle (d = 1) only.");
        for (int r = 1; r < starts.Count; r++) CheckSameSystem(first, starts[r], r);
        if (first.Objective.Kind == ObjectiveKind.LocalShare)
            throw new ArgumentException("BatchedStarts: objective.kind \"local-share\" is not batched (its share is over all agents of a start); train the starts one by one.");
        Count = starts.Count;
        AgentsPerStart = first.N;
        var q = first.Interaction;
        EdgesPerStart = q.Edges.Count;
        int n = AgentsPerStart, e = EdgesPerStart;
        var edges = new (int I, int J)[Count * e];
        var cost = new double[Count * e];
        for (int r = 0; r < Count; r++)
            for (int k = 0; k < e; k++)
            {
                edges[r * e + k] = (q.Edges[k].I + r * n, q.Edges[k].J + r * n);
                cost[r * e + k] = q.EdgeCost[k];
            }
        double[]? weights = q.Learned ? null : Repeat(q.FixedWeights!, Count);
        double[]? theta = q.Learned ? Concat(starts, s => s.Interaction.Theta!) : null;
        var block = new Interaction(Count * n, edges, cost, weights, theta, blocks: Count);
        _stack = new DpsModel(first.Space, first.DemandFrames, block, first.Objective, first.SigmaMin, first.Budget, first.SoftBudget,
            Concat(starts, s => s.Mu), Concat(starts, s => s.Rho), Concat(starts, s => s.Alpha),
            first.Propagation, first.Hops, first.CommunicabilityBeta, first.FixedResources)
        { UseFusedKernels = first.UseFusedKernels, Starts = Count };
        _grid = first.Space.Grid.ToArray();
        _spectralGrid = DpsKernels.SpectralStarts.GridFits(_grid);
    }

    /// <summary>Number of starts R.</summary>
    public int Count { get; }

    /// <summary>Agents per start N.</summary>
    public int AgentsPerStart { get; }

    /// <summary>Edges per start E.</summary>
    public int EdgesPerStart { get; }

    /// <inheritdoc/>
    public Space Space => _stack.Space;

    /// <inheritdoc/>
    public IReadOnlyList<double[]> DemandFrames => _stack.DemandFrames;

    /// <summary>
    /// The stacked R·N-agent model (block-diagonal Q, resources normalised per start) whose leaves are
    /// <see cref="Parameters"/>. Its σ and resources are per agent; its own <see cref="DpsModel.Loss"/> treats the stack
    /// as one system and is not the batch's loss (<see cref="StartLossParts"/> is).
    /// </summary>
    public DpsModel Engine => _stack;

    /// <inheritdoc/>
    public Tensor Sigma() => _stack.Sigma();

    /// <inheritdoc/>
    public Tensor Resources() => _stack.Resources();

    /// <inheritdoc/>
    public bool SoftBudget => _stack.SoftBudget;

    /// <inheritdoc/>
    public IReadOnlyList<Tensor> Parameters() => _stack.Parameters();

    /// <inheritdoc/>
    public IReadOnlyList<string> ParameterNames() => _stack.ParameterNames();

    /// <summary>Each start's total loss at the last <see cref="Evaluate"/> (length R; empty before the first).</summary>
    public IReadOnlyList<double> StartLosses => _losses;

    /// <summary>Each start's coverage loss at the last <see cref="Evaluate"/>.</summary>
    public IReadOnlyList<double> StartCoverages => _coverages;

    /// <summary>
    /// The loss parts of every start, each of shape [R] (element r: start r's loss, as <see cref="DpsModel.Loss"/> gives
    /// it for that start alone). The sum of <c>Total</c> is the batch's loss.
    /// </summary>
    public LossParts StartLossParts(IReadOnlyList<double[]>? frames = null)
    {
        frames ??= DemandFrames;
        var m = _stack;
        int starts = Count, n = AgentsPerStart;
        var q = m.Interaction.Weights();
        var objective = m.Objective;
        double delta = m.Space.Delta;
        Tensor coverage = Tensor.Zeros(starts);
        if (objective.Kind == ObjectiveKind.Fisher)
        {
            // Efficient coding per start: each start's neurons alone, the losses stacked into [R] (pooling through links
            // is DpsModel's alone: a stack with links is refused rather than trained as if it had none).
            if (m.Interaction.Edges.Count > 0) throw new NotSupportedException("BatchedStarts: the fisher objective with links is trained one start at a time.");
            Tensor mu = m.Mu, sigma = m.Sigma(), gains = m.Resources();
            foreach (var frame in frames)
                coverage = coverage + Tensor.Concat([.. Enumerable.Range(0, starts).Select(r => EfficientCoding.Loss(
                    mu.Slice(0, r * n, (r + 1) * n), sigma.Slice(0, r * n, (r + 1) * n), gains.Slice(0, r * n, (r + 1) * n), _grid, delta, frame).Reshape(1))], 0);
        }
        else if (m.UseFusedKernels && m.Propagation == Propagation.Direct && objective.Kind == ObjectiveKind.System)
        {
            var weights = m.Resources() * (m.Interaction.WeightedDegree(q) + 1.0);
            var w = DpsKernels.WrappedNormalMixtures(m.Mu, m.Sigma(), weights, _grid, starts, MixtureMethod);
            foreach (var frame in frames) coverage = coverage + Mismatch.PerStart(objective, delta, w, Tensor.FromArray(frame), starts);
        }
        else if (m.UseFusedKernels && m.Propagation == Propagation.Direct && objective.Kind == ObjectiveKind.Local && objective.Mismatch == MismatchKind.Squared)
        {
            var p = m.Interaction.ApplyWithIdentity(q, DpsKernels.ScaledWrappedNormalDensity(m.Mu, m.Sigma(), m.Resources(), _grid));
            foreach (var frame in frames)
                coverage = coverage + DpsKernels.PooledSquaredErrors(p, PooledTarget(frame, delta), delta, starts) / n;
        }
        else
        {
            var p = m.Production(q);
            var w = objective.Kind == ObjectiveKind.System ? p.Reshape(starts, n, -1).Sum(1) : null;
            var pooled = objective.Kind == ObjectiveKind.Local ? m.PooledDensities(p) : null;
            foreach (var frame in frames)
            {
                var d = Tensor.FromArray(frame);
                coverage = coverage + (w is not null
                    ? Mismatch.PerStart(objective, delta, w, d, starts)
                    : Mismatch.PerStart(objective, delta, pooled!, d / (delta * frame.Sum()), starts) / n);
            }
        }
        coverage = coverage / frames.Count;

        var zero = Tensor.Zeros(starts);
        var comm = objective.LambdaC > 0 && EdgesPerStart > 0
            ? (q * Tensor.FromArray(m.Interaction.EdgeCost)).Reshape(starts, EdgesPerStart).Sum(1) : zero;
        var budget = m.SoftBudget && objective.LambdaR > 0 ? (m.Resources().Reshape(starts, n).Sum(1) - m.Budget).Pow(2.0) : zero;
        var breadth = objective.LambdaSigma > 0 ? m.Sigma().Pow(2.0).Reshape(starts, n).Sum(1) : zero;
        var total = coverage + comm * objective.LambdaC + budget * objective.LambdaR + breadth * objective.LambdaSigma;
        return new LossParts(total, coverage, comm, budget, breadth);
    }

    /// <summary>
    /// The sum over starts of the total and coverage losses; records each start's (<see cref="StartLosses"/>). With
    /// <paramref name="backward"/> the gradient of the sum (= each start's own gradient on its slice) is added to
    /// <see cref="Parameters"/>' gradients.
    /// </summary>
    public (double Total, double Coverage) Evaluate(IReadOnlyList<double[]>? frames, bool backward)
    {
        frames ??= DemandFrames;
        LastEvaluationSpectral = false;
        if (Spectral && _spectralGrid && SpectralStep.Applies(_stack, Count) && (!backward || TensorEngine.IsGradEnabled)
            && FusedStep.FramesFit(frames, Space.M) && (_spectralStep ??= SpectralStep.For(_stack, Count)!).Fits())
        {
            // Fourier space: every start's coverage from its agents' closed-form coefficients (equal to the grid's to rounding).
            LastEvaluationSpectral = true;
            _spectralStep.Evaluate(frames, backward);
            return Record(_spectralStep.Totals, _spectralStep.Coverages);
        }
        if (MixtureMethod == WrappedNormalMethod.Images && FusedStep.Applies(_stack) && (!backward || TensorEngine.IsGradEnabled)
            && FusedStep.FramesFit(frames, Space.M))
        {
            // The system objective with a fixed topology: one pass over all starts without the graph (bit-identical).
            (_fused ??= new FusedStep(_stack, Count)).Evaluate(frames, backward);
            return Record(_fused.Totals, _fused.Coverages);
        }
        using var mode = backward ? null : TensorEngine.NoGrad();
        var parts = StartLossParts(frames);
        var total = parts.Total.Sum();
        if (backward) total.Backward();
        _losses = parts.Total.ToArray();
        _coverages = parts.Coverage.ToArray();
        return (total.Item(), parts.Coverage.Sum().Item());
    }

    /// <summary>Records a step's per-start losses; returns their sums.</summary>
    private (double Total, double Coverage) Record(double[] totals, double[] coverages)
    {
        if (_losses.Length != Count) (_losses, _coverages) = (new double[Count], new double[Count]);
        totals.CopyTo(_losses, 0);
        coverages.CopyTo(_coverages, 0);
        return (System.Numerics.Tensors.TensorPrimitives.Sum(_losses), System.Numerics.Tensors.TensorPrimitives.Sum(_coverages));
    }

    /// <summary>
    /// Each start's root-mean-square gradient over its own μ, ρ, α (and θ) numbers, as <see cref="Convergence.GradientNorm"/>
    /// gives it for that start alone (0 where a parameter has no gradient yet).
    /// </summary>
    public double[] StartGradientNorms()
    {
        var norms = new double[Count];
        var ps = Parameters();
        long count = 0;
        foreach (var p in ps) count += p.Numel / Count;
        for (int r = 0; r < Count; r++)
        {
            double sum = 0;
            foreach (var p in ps)
            {
                int len = p.Numel / Count;
                if (p.Grad is not { } grad) continue;
                var g = grad.Data;
                for (int k = r * len; k < (r + 1) * len; k++) sum += g[k] * g[k];
            }
            norms[r] = count == 0 ? 0 : Math.Sqrt(sum / count);
        }
        return norms;
    }

    /// <summary>Copies start <paramref name="start"/>'s current parameters into <paramref name="model"/> (one of the stacked systems' shape).</summary>
    public void CopyTo(int start, DpsModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if ((uint)start >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(start), start, $"BatchedStarts.CopyTo: start must be in 0..{Count - 1}.");
        var to = model.Parameters();
        var from = Parameters();
        if (to.Count != from.Count || model.N != AgentsPerStart || model.Interaction.Edges.Count != EdgesPerStart)
            throw new ArgumentException($"BatchedStarts.CopyTo: the model has {model.N} agents, {model.Interaction.Edges.Count} edges and {to.Count} parameters; the starts have {AgentsPerStart}, {EdgesPerStart} and {from.Count}.");
        for (int k = 0; k < from.Count; k++)
        {
            int len = to[k].Numel;
            to[k].Copy_(from[k].Data.Slice(start * len, len));
        }
    }

    private static double[] PooledTarget(double[] frame, double delta)
    {
        double mass = delta * frame.Sum();
        var target = new double[frame.Length];
        for (int m = 0; m < target.Length; m++) target[m] = frame[m] / mass;
        return target;
    }

    private static double[] Repeat(double[] values, int times)
    {
        var o = new double[values.Length * times];
        for (int r = 0; r < times; r++) values.CopyTo(o, r * values.Length);
        return o;
    }

    private static double[] Concat(IReadOnlyList<DpsModel> starts, Func<DpsModel, Tensor> pick)
    {
        int len = pick(starts[0]).Numel;
        var o = new double[len * starts.Count];
        for (int r = 0; r < starts.Count; r++) pick(starts[r]).Data.CopyTo(o.AsSpan(r * len));
        return o;
    }

    /// <summary>One-line error naming the first property in which start <paramref name="r"/> differs from start 0.</summary>
    private static void CheckSameSystem(DpsModel a, DpsModel b, int r)
    {
        string? field =
            a.N != b.N ? "agents" :
            a.Space.M != b.Space.M ? "space.m" :
            !SameFrames(a.DemandFrames, b.DemandFrames) ? "demand" :
            a.Objective != b.Objective ? "objective" :
            a.SigmaMin != b.SigmaMin ? "sigmaMin" :
            a.Budget != b.Budget || a.SoftBudget != b.SoftBudget || a.FixedResources != b.FixedResources ? "budget" :
            a.Propagation != b.Propagation || a.Hops != b.Hops || a.CommunicabilityBeta != b.CommunicabilityBeta ? "propagation" :
            a.UseFusedKernels != b.UseFusedKernels ? "UseFusedKernels" :
            a.Interaction.Learned != b.Interaction.Learned || !a.Interaction.Edges.SequenceEqual(b.Interaction.Edges) ? "topology edges" :
            !a.Interaction.EdgeCost.AsSpan().SequenceEqual(b.Interaction.EdgeCost) ? "topology edge costs" :
            !a.Interaction.Learned && !a.Interaction.FixedWeights.AsSpan().SequenceEqual(b.Interaction.FixedWeights) ? "topology weights" :
            null;
        if (field is not null)
            throw new ArgumentException($"BatchedStarts: start {r} differs from start 0 in {field}; every start must be the same system (only the parameters may differ).");
    }

    private static bool SameFrames(IReadOnlyList<double[]> a, IReadOnlyList<double[]> b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a.Count != b.Count) return false;
        for (int f = 0; f < a.Count; f++)
            if (!a[f].AsSpan().SequenceEqual(b[f])) return false;
        return true;
    }
}
