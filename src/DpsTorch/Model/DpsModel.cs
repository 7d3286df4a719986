// The differentiable DPS (MODEL.md sections 1-2): agent parameters, skills, production p = (I+Q)w or its multi-hop
// variants, system production W, and the loss. Everything here is a composition of engine ops, so Backward()
// trains μ, σ, a and (when learned) the topology at once.
using DpsTorch.Ops;
using DpsTorch.Config;

namespace DpsTorch.Model;

/// <summary>The parts of the loss, for logs and tests.</summary>
public sealed record LossParts(Tensor Total, Tensor Coverage, Tensor Communication, Tensor Budget, Tensor Breadth);

/// <summary>
/// A distributed production system with trainable parameters: μ (free, read modulo 2π), ρ with σ = σ_min + softplus(ρ),
/// α with a = R·softmax(α) (fixed budget) or a = softplus(α) (soft budget), and θ for a learned topology. Under fixed
/// equal resources (<see cref="AgentSystem.FixedResources"/>) a_i = R/N and α is no trainable parameter.
/// </summary>
public sealed class DpsModel : AgentSystem
{
    /// <summary>The interaction graph.</summary>
    public Interaction Interaction { get; }
    /// <summary>Propagation rule: direct, power or communicability.</summary>
    public Propagation Propagation { get; }
    /// <summary>h for "power".</summary>
    public int Hops { get; }
    /// <summary>β for "communicability".</summary>
    public double CommunicabilityBeta { get; }
    /// <summary>Number of agents.</summary>
    public int N => Alpha.Numel;

    /// <summary>Dimensions d of the operation space: μ and ρ hold d entries per agent (agent by agent), one per axis.</summary>
    public int Dimensions => Space.Dimensions;

    /// <summary>
    /// The off-diagonal entries of every agent's Cholesky factor L (agents.covariance "full": d(d − 1)/2 per agent, row
    /// by row, a leaf), or null for diagonal breadths. L's diagonal is <see cref="Sigma"/>, its covariance Σ = L Lᵀ.
    /// </summary>
    public Tensor? Lower { get; }

    /// <summary>True for full-covariance agents (<see cref="Lower"/> is trained).</summary>
    public bool FullCovariance => Lower is not null;

    /// <summary>
    /// Whether <see cref="Loss"/> uses the fused kernels for the "direct" propagation: the wrapped normal mixture for
    /// the system objective (no N×M production), and (I + Q)·(a ⊙ s) in one product plus the fused pooled squared
    /// error for the local objective with squared mismatch. Default true; false computes the same loss by the composed
    /// ops (<see cref="Production"/>), the twin the tests compare against.
    /// </summary>
    public bool UseFusedKernels { get; set; } = true;

    /// <summary>Creates a model from its parts and initial parameter values (copied).</summary>
    public DpsModel(Space space, IReadOnlyList<double[]> demandFrames, Interaction interaction, ObjectiveConfig objective,
        double sigmaMin, double budget, bool softBudget, double[] mu, double[] rho, double[] alpha,
        Propagation propagation = Propagation.Direct, int hops = 2, double communicabilityBeta = 1.0, bool fixedResources = false,
        double[]? lower = null)
        : base(space, demandFrames, objective, sigmaMin, budget, softBudget, mu, rho, alpha, fixedResources)
    {
        ArgumentNullException.ThrowIfNull(objective);
        Choices.Check("topology.propagation", propagation);
        Choices.Check("objective.kind", objective.Kind);
        Choices.Check("objective.mismatch", objective.Mismatch);
        int dims = space.Dimensions;
        if (mu.Length != rho.Length || mu.Length != alpha.Length * dims)
            throw new ArgumentException(dims == 1 ? $"DpsModel: μ, ρ and α must have one entry per agent; got {mu.Length}, {rho.Length}, {alpha.Length}."
                : $"DpsModel: μ and ρ must have d = {dims} entries per agent and α one; got {mu.Length}, {rho.Length}, {alpha.Length}.");
        if (interaction.N != alpha.Length)
            throw new ArgumentException($"DpsModel: the interaction graph has {interaction.N} agents but α has {alpha.Length}.");
        foreach (var d in demandFrames)
            if (d.Length != space.Points) throw new ArgumentException($"DpsModel: a demand frame has {d.Length} values but the grid has {space.Points} points.");
        Interaction = interaction;
        Propagation = propagation;
        Hops = hops;
        CommunicabilityBeta = communicabilityBeta;
        if (lower is not null)
        {
            int p = WrappedMultivariateNormal.OffDiagonal(dims);
            if (dims == 1 || lower.Length != alpha.Length * p)
                throw new ArgumentException($"DpsModel: a full covariance needs d ≥ 2 and d(d − 1)/2 = {p} off-diagonal entries per agent; got d = {dims} and {lower.Length} entries for {alpha.Length} agents.");
            Lower = Tensor.FromArray(lower).RequiresGrad_();
        }
    }

    /// <summary>
    /// The system without the removed agents (<paramref name="alive"/>[i] false): their rows and columns of Q are deleted,
    /// the survivors keep their parameters (copied) and their resources a_i (MODEL.md section 3, robustness). Under a
    /// fixed budget the survivors' α are kept, so a = R'·softmax(α') with R' the resource they held.
    /// </summary>
    public DpsModel Subset(bool[] alive)
    {
        if (alive.Length != N) throw new ArgumentException($"Subset: alive has {alive.Length} entries for {N} agents.");
        var keep = new List<int>();
        var newIndex = new int[N];
        for (int i = 0; i < N; i++) { newIndex[i] = alive[i] ? keep.Count : -1; if (alive[i]) keep.Add(i); }
        if (keep.Count == 0) throw new ArgumentException("Subset: at least one agent must stay.");
        double[] Pick(Tensor t) => keep.Select(i => t.Data[i]).ToArray();
        double[] PickAxes(Tensor t) => Dimensions == 1 ? Pick(t) : keep.SelectMany(i => Enumerable.Range(i * Dimensions, Dimensions).Select(k => t.Data[k])).ToArray();
        var edges = new List<(int, int)>();
        var fixedW = new List<double>();
        var theta = new List<double>();
        var cost = new List<double>();
        for (int e = 0; e < Interaction.Edges.Count; e++)
        {
            var (i, j) = Interaction.Edges[e];
            if (!alive[i] || !alive[j]) continue;
            edges.Add((newIndex[i], newIndex[j]));
            cost.Add(Interaction.EdgeCost[e]);
            if (Interaction.Theta is { } th) theta.Add(th.Data[e]); else fixedW.Add(Interaction.FixedWeights![e]);
        }
        var q = new Interaction(keep.Count, edges, [.. cost], Interaction.Learned ? null : [.. fixedW], Interaction.Learned ? [.. theta] : null);
        double kept;
        using (TensorEngine.NoGrad()) { var a = Resources().ToArray(); kept = keep.Sum(i => a[i]); }
        int off = WrappedMultivariateNormal.OffDiagonal(Dimensions);
        double[]? lower = Lower is null ? null : [.. keep.SelectMany(i => Enumerable.Range(i * off, off).Select(k => Lower.Data[k]))];
        return new DpsModel(Space, DemandFrames, q, Objective, SigmaMin, SoftBudget ? Budget : kept, SoftBudget,
            PickAxes(Mu), PickAxes(Rho), Pick(Alpha), Propagation, Hops, CommunicabilityBeta, FixedResources, lower);
    }

    /// <summary>All trainable leaves: μ, ρ, α (not under fixed equal resources), θ when the topology is learned, and L's off-diagonal entries for a full covariance.</summary>
    public override IReadOnlyList<Tensor> Parameters()
    {
        var ps = FixedResources ? new List<Tensor> { Mu, Rho } : [Mu, Rho, Alpha];
        if (Interaction.Theta is { } theta) ps.Add(theta);
        if (Lower is not null) ps.Add(Lower);
        return ps;
    }

    /// <summary>Parameter names in the order of <see cref="Parameters"/>.</summary>
    public override IReadOnlyList<string> ParameterNames()
    {
        var names = FixedResources ? new List<string> { "mu", "rho" } : ["mu", "rho", "alpha"];
        if (Interaction.Learned) names.Add("theta");
        if (Lower is not null) names.Add("lower");
        return names;
    }

    /// <summary>σ = σ_min + softplus(ρ) (for a full covariance: the diagonal of the Cholesky factor L).</summary>
    public override Tensor Sigma() => Rho.Softplus() + SigmaMin;

    /// <summary>a = R·softmax(α), softplus(α) under a soft budget, or the constant R/N under fixed equal resources.</summary>
    public override Tensor Resources() => FixedResources ? Tensor.Full(Budget * Starts / N, N)
        : SoftBudget ? Alpha.Softplus() : Starts == 1 ? Alpha.Softmax(0) * Budget
        : Alpha.Reshape(Starts, -1).Softmax(1).Reshape(N) * Budget;

    /// <summary>
    /// Independent systems stacked in this model (1 normally; R in <see cref="BatchedStarts"/>' stack, whose fixed budget
    /// is then normalised per block of N / R agents).
    /// </summary>
    internal int Starts { get; init; } = 1;

    /// <summary>Skill densities s_i(x_m), N×M (N×M^d on T^d: the product of one wrapped normal per axis).</summary>
    public Tensor Skills() => Dimensions == 1 ? DpsKernels.WrappedNormalDensity(Mu, Sigma(), Grid)
        : Lower is not null ? DpsKernels.WrappedMultivariateNormalDensity(Mu, Sigma(), Lower, Grid, Dimensions)
        : DpsKernels.ProductWrappedNormalDensity(Mu, Sigma(), null, Grid, Dimensions);

    /// <summary>
    /// Per agent the covariance Σ = L Lᵀ of its skill density, d×d row-major (N·d² values; diagonal breadths give
    /// diag(σ²)), as plain numbers for the measures and the report.
    /// </summary>
    public double[] Covariances()
    {
        int d = Dimensions, p = WrappedMultivariateNormal.OffDiagonal(d);
        double[] sigma;
        using (TensorEngine.NoGrad()) sigma = Sigma().ToArray();
        var lower = Lower?.ToArray() ?? new double[N * p];
        var cov = new double[N * d * d];
        Span<double> l = stackalloc double[9];
        for (int i = 0; i < N; i++)
        {
            WrappedMultivariateNormal.Factor(sigma, lower, i, d, l);
            for (int a = 0; a < d; a++)
                for (int b = 0; b < d; b++)
                {
                    double s = 0;
                    for (int k = 0; k <= Math.Min(a, b); k++) s += l[a * d + k] * l[b * d + k];
                    cov[i * d * d + a * d + b] = s;
                }
        }
        return cov;
    }

    /// <summary>Production rows p = (I+Q)w (or (I+Q)^h w, or exp(βQ) w), N×M, with w = a ⊙ s.</summary>
    public Tensor Production(Tensor q)
    {
        var w = Resources().Unsqueeze(1) * Skills();
        return Propagate(q, w);
    }

    /// <summary>Applies the propagation rule to individual production w.</summary>
    public Tensor Propagate(Tensor q, Tensor w)
    {
        switch (Propagation)
        {
            case Propagation.Direct:
                return w + Interaction.Apply(q, w);
            case Propagation.Power:
                var p = w;
                for (int h = 0; h < Hops; h++) p = p + Interaction.Apply(q, p);
                return p;
            case Propagation.Communicability:
                // exp(βQ) w = Σ_k (βQ)^k w / k!, summed until a term's largest entry is below CommunicabilityTolerance
                // relative to w's (the series converges for any Q; terms shrink factorially).
                var term = w;
                var sum = w;
                double wMax = MaxAbs(w);
                for (int k = 1; k <= MaxCommunicabilityTerms; k++)
                {
                    term = Interaction.Apply(q, term) * (CommunicabilityBeta / k);
                    sum = sum + term;
                    if (MaxAbs(term) <= CommunicabilityTolerance * wMax) break;
                }
                return sum;
            default:
                throw Choices.Unknown("topology.propagation", Propagation);
        }
    }

    /// <summary>Relative size below which the communicability series stops.</summary>
    public const double CommunicabilityTolerance = TopologyConfig.CommunicabilityTolerance;

    /// <summary>Hard cap on communicability terms.</summary>
    public const int MaxCommunicabilityTerms = TopologyConfig.MaxCommunicabilityTerms;

    private static double MaxAbs(Tensor t)
    {
        double m = 0;
        foreach (var v in t.Data) m = Math.Max(m, Math.Abs(v));
        return m;
    }

    /// <summary>System production W = 1ᵀ p, length M.</summary>
    public Tensor SystemProduction(Tensor production) => production.Sum(0);

    /// <summary>The full loss for the given demand frames (default: the model's own).</summary>
    public LossParts Loss(IReadOnlyList<double[]>? frames = null)
    {
        frames ??= DemandFrames;
        var q = Interaction.Weights();
        Tensor coverage = Tensor.Scalar(0);
        if (Objective.Kind == ObjectiveKind.Fisher)
        {
            // Efficient coding: the tuning curves a_i s_i against the prior D/∫D; with links the neurons pool their
            // responses through I + Q (channel i fires at f_i + Σ_j Q_ij f_j), as the DPS production pools outputs.
            var sigma = Sigma();
            var gains = Resources();
            foreach (var frame in frames)
                coverage = coverage + (Interaction.Edges.Count == 0
                    ? EfficientCoding.Loss(Mu, sigma, gains, Grid, Space.Delta, frame)
                    : EfficientCoding.PooledLoss(Mu, sigma, gains, Grid, Space.Delta, frame, x => Interaction.ApplyWithIdentity(q, x)));
        }
        else if (UseFusedKernels && Lower is null && Propagation == Propagation.Direct && Objective.Kind == ObjectiveKind.System)
        {
            // W = Σ_j (1 + Σ_i Q_ij) a_j s_j without the N×M production (MODEL.md section 1, system production).
            var weights = Resources() * (Interaction.WeightedDegree(q) + 1.0);
            var W = Dimensions == 1 ? DpsKernels.WrappedNormalMixture(Mu, Sigma(), weights, Grid)
                : DpsKernels.ProductWrappedNormalMixture(Mu, Sigma(), weights, Grid, Dimensions);
            foreach (var frame in frames) coverage = coverage + Mismatch.Of(Objective, Space.Delta, W, Tensor.FromArray(frame));
        }
        else if (UseFusedKernels && Lower is null && Propagation == Propagation.Direct && Objective.Kind == ObjectiveKind.Local && Objective.Mismatch == MismatchKind.Squared)
        {
            // w, p and the learned edge weights q are read by this loss's graph only: their arrays go back to the pool
            // after the backward (q is rebuilt from θ by every loss).
            q.ReleaseAfterBackward();
            var w = (Dimensions == 1 ? DpsKernels.ScaledWrappedNormalDensity(Mu, Sigma(), Resources(), Grid)
                : DpsKernels.ProductWrappedNormalDensity(Mu, Sigma(), Resources(), Grid, Dimensions)).ReleaseAfterBackward();
            var p = Interaction.ApplyWithIdentity(q, w).ReleaseAfterBackward();
            foreach (var frame in frames)
            {
                double mass = Space.Delta * frame.Sum();
                var target = new double[frame.Length];
                for (int m = 0; m < target.Length; m++) target[m] = frame[m] / mass;
                coverage = coverage + DpsKernels.PooledSquaredError(p, target, Space.Delta) / N;
            }
        }
        else
        {
            var p = Production(q);
            var W = Objective.Kind == ObjectiveKind.System ? SystemProduction(p) : null;
            var pooled = Objective.Kind == ObjectiveKind.Local ? PooledDensities(p)
                : Objective.Kind == ObjectiveKind.LocalShare ? ShareDensities(p) : null;
            foreach (var frame in frames)
            {
                var d = Tensor.FromArray(frame);
                Tensor c = W is not null
                    ? Mismatch.Of(Objective, Space.Delta, W, d)
                    : Mismatch.Of(Objective, Space.Delta, pooled!, d / (Space.Delta * frame.Sum())) / N;
                coverage = coverage + c;
            }
        }
        coverage = coverage / frames.Count;

        var comm = Objective.LambdaC > 0 && Interaction.Edges.Count > 0 ? Interaction.Cost(q) : Tensor.Scalar(0);
        var budget = SoftBudget && Objective.LambdaR > 0 ? (Resources().Sum() - Budget).Pow(2.0) : Tensor.Scalar(0);
        var breadth = Objective.LambdaSigma > 0 ? Sigma().Pow(2.0).Sum() : Tensor.Scalar(0);
        var total = coverage + comm * Objective.LambdaC + budget * Objective.LambdaR + breadth * Objective.LambdaSigma;
        return new LossParts(total, coverage, comm, budget, breadth);
    }

    private FusedStep? _fusedStep;

    /// <summary>
    /// The system objective with a fixed topology (<see cref="FusedStep.Applies"/>) is evaluated without the graph, in
    /// buffers kept from step to step: the same loss and gradients, bit for bit, at a fraction of the cost for small N.
    /// </summary>
    private protected override bool TryEvaluateFused(IReadOnlyList<double[]>? frames, bool backward, out (double Total, double Coverage) result)
    {
        frames ??= DemandFrames;
        result = default;
        if (Starts != 1 || !FusedStep.Applies(this) || (backward && !TensorEngine.IsGradEnabled) || !FusedStep.FramesFit(frames, Space.M)) return false;
        var step = _fusedStep ??= new FusedStep(this, 1);
        step.Evaluate(frames, backward);
        result = (step.Totals[0], step.Coverages[0]);
        return true;
    }

    /// <inheritdoc/>
    private protected override (Tensor Total, Tensor Coverage) LossTerms(IReadOnlyList<double[]>? frames)
    {
        var parts = Loss(frames);
        return (parts.Total, parts.Coverage);
    }

    /// <summary>P_i = p_i / ∫p_i: each agent's neighbourhood production as a density.</summary>
    public Tensor PooledDensities(Tensor production)
        => production / (production.Sum(1, keepDim: true) * Space.Delta);

    /// <summary>
    /// p_i / V̄ with V̄ = (1/N) Σ_j ∫p_j, the mean neighbourhood volume (objective.kind "local-share"): compared with
    /// D/∫D, each neighbourhood must deliver an equal share of the production in the demand's shape. Equal to
    /// <see cref="PooledDensities"/> when every neighbourhood has the same volume; a starved neighbourhood (∫p_i ≪ V̄)
    /// stays short of its share however well its shape matches.
    /// </summary>
    public Tensor ShareDensities(Tensor production)
        => production / (production.Sum() * (Space.Delta / N));
}
