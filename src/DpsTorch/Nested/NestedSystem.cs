// The differentiable nested DPS of MODEL.md section 4: leaf agents (wrapped-normal skills) grouped into composite
// agents level by level, each level with its own graph, distances and communication cost. One function of all
// parameters, built from engine ops, so Backward() of the top-level loss trains every level at once.
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Ops;

namespace DpsTorch.Nested;

/// <summary>The parts of a nested loss, for logs and tests. Per-level lists are indexed like the config's levels.</summary>
public sealed record NestedLossParts(Tensor Total, Tensor Coverage, IReadOnlyList<Tensor> Communication,
    IReadOnlyList<Tensor> LevelDemand, Tensor Budget, Tensor Breadth);

/// <summary>
/// One level of a nested system: <see cref="Groups"/> groups of <see cref="Size"/> members each; member m of group g is
/// the agent g·Size + m of the tier below (leaves for level 0). Q is block-diagonal over the groups, so one sparse
/// product serves the whole level.
/// </summary>
public sealed class NestedLevel
{
    /// <summary>Position of the level, 0 = the level that groups the leaves.</summary>
    public int Index { get; }
    /// <summary>The level's name.</summary>
    public string Name { get; }
    /// <summary>Members per group.</summary>
    public int Size { get; }
    /// <summary>Number of groups (composite agents this level forms).</summary>
    public int Groups { get; }
    /// <summary>Members of all groups together (= Groups · Size).</summary>
    public int Members => Groups * Size;
    /// <summary>Block-diagonal Q over all members; edge e of group g is edge e − g·EdgesPerGroup of that group's graph.</summary>
    public Interaction Interaction { get; }
    /// <summary>The graph inside one group (member indices 0..Size − 1), per group.</summary>
    public IReadOnlyList<Topology> GroupGraphs { get; }
    /// <summary>λ_C of this level.</summary>
    public double LambdaC { get; }
    /// <summary>The local demand frames every group serves (mass per group), or null.</summary>
    public IReadOnlyList<double[]>? DemandFrames { get; }
    /// <summary>System or local, see <see cref="LevelConfig.DemandObjective"/>.</summary>
    public ObjectiveKind DemandObjective { get; }
    /// <summary>λ_D of this level.</summary>
    public double DemandWeight { get; }

    internal NestedLevel(int index, string name, int size, int groups, Interaction interaction, IReadOnlyList<Topology> groupGraphs,
        double lambdaC, IReadOnlyList<double[]>? demandFrames, ObjectiveKind demandObjective, double demandWeight)
    {
        Choices.Check($"levels[{index}].demandObjective", demandObjective);
        Index = index; Name = name; Size = size; Groups = groups; Interaction = interaction; GroupGraphs = groupGraphs;
        LambdaC = lambdaC; DemandFrames = demandFrames; DemandObjective = demandObjective; DemandWeight = demandWeight;
    }
}

/// <summary>
/// A nested distributed production system. Leaves are ordinary agents: μ free, σ = σ_min + softplus(ρ), a = R·softmax(α)
/// (or softplus(α) under a soft budget), w_i = a_i s_i. Level ℓ takes the production rows x of its members and forms
/// p = (I + Q_ℓ) x (Q_ℓ block-diagonal over its groups) and, per group g, W_g = Σ_{members} p; W_g is the individual
/// production of the composite agent g at the level above. [choice] A composite's skill density is W_g / ∫W_g (MODEL.md
/// section 4) and its resource is ∫W_g, what its sub-system delivers, so its production is exactly W_g: collaboration
/// inside a group scales what the composite brings upwards, as it scales W in a flat system, and a flat system written
/// as one level (or as one group under a top level without edges) is the flat system, to the last bit. The last level
/// has one group; its W is compared with the demand (objective.kind "system") or its members' pooled densities are
/// (objective.kind "local"), or their share densities (objective.kind "local-share", <see cref="ShareDensities"/>); a
/// level demand is compared the same three ways (levels[k].demandObjective). Under fixed equal resources
/// (<see cref="AgentSystem.FixedResources"/>) every leaf holds R/N and α is no trainable parameter. Loss = coverage + Σ_ℓ λ_C,ℓ C_ℓ + λ_R (Σa − R)² + λ_σ Σσ² + Σ_ℓ λ_D,ℓ (level demand terms).
/// </summary>
public sealed class NestedSystem : AgentSystem
{
    private readonly int[]? _tie;   // homogeneous fleet: every leaf reads parameter 0
    private readonly int[]? _tieAxes; // ... and on T^d its axis k of μ and ρ reads entry k

    /// <summary>The levels, bottom first.</summary>
    public IReadOnlyList<NestedLevel> Levels { get; }
    /// <summary>True for a homogeneous fleet: all leaves share one μ, one σ and equal resources (Mu and Rho then hold d entries, Alpha one).</summary>
    public bool Homogeneous => _tie is not null;
    /// <summary>Number of leaf agents.</summary>
    public int N { get; }
    /// <summary>Dimensions d of the operation space: μ and ρ hold d entries per leaf (leaf by leaf), one per axis.</summary>
    public int Dimensions => Space.Dimensions;

    internal NestedSystem(Space space, IReadOnlyList<double[]> demandFrames, ObjectiveConfig objective, IReadOnlyList<NestedLevel> levels,
        double sigmaMin, double budget, bool softBudget, int n, double[] mu, double[] rho, double[] alpha, bool fixedResources = false)
        : base(space, demandFrames, objective, sigmaMin, budget, softBudget, mu, rho, alpha, fixedResources)
    {
        Choices.Check("objective.kind", objective.Kind);
        Choices.Check("objective.mismatch", objective.Mismatch);
        Levels = levels;
        N = n;
        int d = space.Dimensions;
        if (mu.Length == d && n > 1)
        {
            _tie = new int[n];
            _tieAxes = d == 1 ? _tie : [.. Enumerable.Range(0, n * d).Select(j => j % d)];
        }
        else if (mu.Length != n * d) throw new ArgumentException(d == 1 ? $"NestedSystem: μ has {mu.Length} entries for {n} leaves (give N, or 1 for a homogeneous fleet)."
            : $"NestedSystem: μ has {mu.Length} entries for {n} leaves on T^{d} (give N·d, or d for a homogeneous fleet).");
        if (rho.Length != mu.Length) throw new ArgumentException($"NestedSystem: ρ has {rho.Length} entries; μ has {mu.Length} (one per leaf and axis).");
    }

    /// <summary>Builds restart <paramref name="restart"/> of a nested config (see <see cref="NestedBuilder.Create"/>).</summary>
    public static NestedSystem Build(DpsConfig config, int restart = 0, bool homogeneous = false)
        => NestedBuilder.Create(config, restart, homogeneous);

    /// <summary>All trainable leaves: μ, ρ, α (not under fixed equal resources), then θ of every level whose topology is learned.</summary>
    public override IReadOnlyList<Tensor> Parameters()
    {
        var ps = FixedResources ? new List<Tensor> { Mu, Rho } : [Mu, Rho, Alpha];
        foreach (var level in Levels) if (level.Interaction.Theta is { } theta) ps.Add(theta);
        return ps;
    }

    /// <summary>Names aligned with <see cref="Parameters"/>.</summary>
    public override IReadOnlyList<string> ParameterNames()
    {
        var names = FixedResources ? new List<string> { "mu", "rho" } : ["mu", "rho", "alpha"];
        foreach (var level in Levels) if (level.Interaction.Learned) names.Add($"theta[{level.Name}]");
        return names;
    }

    private Tensor Leaf(Tensor t) => _tie is null ? t : t.IndexSelect(0, _tie);

    /// <summary>μ or ρ of every leaf, N·d entries (leaf by leaf).</summary>
    private Tensor LeafAxes(Tensor t) => _tieAxes is null ? t : t.IndexSelect(0, _tieAxes);

    /// <summary>Leaf locations μ, N·d entries (leaf by leaf; a homogeneous fleet's shared μ repeated).</summary>
    public Tensor LeafMu() => LeafAxes(Mu);

    /// <summary>Leaf σ = σ_min + softplus(ρ), N·d entries (N on the circle), leaf by leaf.</summary>
    public override Tensor Sigma() => LeafAxes(Rho).Softplus() + SigmaMin;

    /// <summary>Leaves per budget block: N for one shared budget, else the leaves of one group of the finest level with a fixed share.</summary>
    public int BudgetBlock { get; init; }

    /// <summary>
    /// Leaf resources a = R·softmax(α) (per budget block: (R/G)·softmax(α_block)), or softplus(α), or under fixed equal
    /// resources the constant R/N (so every composite of every level holds an equal share of R before collaboration), length N.
    /// </summary>
    public override Tensor Resources()
    {
        if (FixedResources) return Tensor.Full(Budget / N, N);
        if (SoftBudget) return Leaf(Alpha).Softplus();
        if (BudgetBlock == N || BudgetBlock == 0) return Leaf(Alpha).Softmax(0) * Budget;
        int blocks = N / BudgetBlock;
        return Leaf(Alpha).Reshape(blocks, BudgetBlock).Softmax(1).Reshape(N) * (Budget / blocks);
    }

    /// <summary>Leaf production w = a ⊙ s, N×M (N×M^d on T^d).</summary>
    public Tensor LeafProduction() => Resources().Unsqueeze(1) * Skills();

    /// <summary>Leaf skill densities s_i(x_m), N×M (N×M^d on T^d: the product of one wrapped normal per axis).</summary>
    public Tensor Skills() => Dimensions == 1 ? DpsKernels.WrappedNormalDensity(Leaf(Mu), Sigma(), Grid)
        : DpsKernels.ProductWrappedNormalDensity(LeafAxes(Mu), Sigma(), null, Grid, Dimensions);

    /// <summary>
    /// The production of every tier: element 0 is the leaves' w (N×M), element k + 1 the composites formed by level k
    /// (Groups×M rows W_g); the last element is the whole system's W as a 1×M row (M^d for M on T^d). <paramref name="alive"/> (per leaf)
    /// removes agents: their rows and columns of Q are deleted, and a composite with no member alive is removed above.
    /// </summary>
    public IReadOnlyList<Tensor> TierProduction(bool[]? alive = null) => Forward(alive).Tiers;

    /// <summary>System production W of the top level, length M (M^d on T^d).</summary>
    public Tensor SystemProduction(bool[]? alive = null) => Forward(alive).W;

    /// <summary>
    /// System production W with the links of level <paramref name="level"/> removed (its members' outputs go up to their
    /// groups unchanged, as without links; the other levels as they are): what the measures compare W with to see what
    /// that level's links add.
    /// </summary>
    public Tensor SystemProductionWithoutLinks(int level)
    {
        if (level < 0 || level >= Levels.Count) throw new ArgumentOutOfRangeException(nameof(level), level, $"a level index in [0, {Levels.Count - 1}]");
        return Forward(null, level).W;
    }

    /// <summary>
    /// The densities each level's demand is compared with (element k for level k, from one forward pass), one row per
    /// member of the level (M columns): the pooled P_i = p_i / ∫p_i of each member's neighbourhood production ("local")
    /// or the share densities ("local-share"), under objective.kind for the top level and levels[k].demandObjective
    /// below it; null where that level compares its composites' production itself ("system") or has no demand of its own.
    /// </summary>
    public IReadOnlyList<Tensor?> LevelDensities()
    {
        var productions = Forward(null).Productions;
        var densities = new Tensor?[Levels.Count];
        for (int k = 0; k < Levels.Count; k++)
        {
            var kind = k == Levels.Count - 1 ? Objective.Kind : Levels[k].DemandFrames is null ? ObjectiveKind.System : Levels[k].DemandObjective;
            densities[k] = kind == ObjectiveKind.System ? null : Densities(kind, productions[k]);
        }
        return densities;
    }

    private sealed record Pass(List<Tensor> Tiers, List<Tensor> Productions, Tensor W, List<Tensor> Weights);

    private Pass Forward(bool[]? alive, int unlinked = -1)
    {
        if (alive is not null && alive.Length != N) throw new ArgumentException($"alive has {alive.Length} entries for {N} leaves.");
        int m = Space.Points;
        var x = LeafProduction();
        var tiers = new List<Tensor> { x };
        var productions = new List<Tensor>();
        var weights = new List<Tensor>();
        var mask = alive;
        Tensor? w = null;
        int index = -1;
        foreach (var level in Levels)
        {
            index++;
            var q = level.Interaction.Weights();
            weights.Add(q);
            var keep = mask is null ? null : Tensor.FromArray(mask.Select(b => b ? 1.0 : 0.0).ToArray(), mask.Length, 1);
            if (keep is not null) x = x * keep;
            var p = index == unlinked ? x : x + level.Interaction.Apply(q, x);
            if (keep is not null) p = p * keep;
            productions.Add(p);
            if (level.Groups == 1) { w = p.Sum(0); x = w.Unsqueeze(0); }
            else x = p.Reshape(level.Groups, level.Size, m).Sum(1);
            tiers.Add(x);
            if (mask is not null)
            {
                var up = new bool[level.Groups];
                for (int i = 0; i < mask.Length; i++) up[i / level.Size] |= mask[i];
                mask = up;
            }
        }
        return new Pass(tiers, productions, w!, weights);
    }

    /// <summary>The full loss for the given top-level demand frames (default: the system's own).</summary>
    public NestedLossParts Loss(IReadOnlyList<double[]>? frames = null)
    {
        frames ??= DemandFrames;
        var pass = Forward(null);
        var top = Levels[^1];
        var p = pass.Productions[^1];
        Tensor coverage = Tensor.Scalar(0);
        var pooled = Densities(Objective.Kind, p);
        foreach (var frame in frames)
        {
            var d = Tensor.FromArray(frame);
            Tensor c = pooled is null
                ? Mismatch.Of(Objective, Space.Delta, pass.W, d)
                : Mismatch.Of(Objective, Space.Delta, pooled, d / (Space.Delta * frame.Sum())) / top.Members;
            coverage = coverage + c;
        }
        coverage = coverage / frames.Count;

        var total = coverage;
        var comm = new List<Tensor>();
        for (int k = 0; k < Levels.Count; k++)
        {
            // The cost reads the same Q tensor as the production (as the flat model does), so θ's gradient is
            // accumulated in the same order and a flat system written as one level trains to the same bits.
            var level = Levels[k];
            var c = level.LambdaC > 0 && level.Interaction.Edges.Count > 0 ? level.Interaction.Cost(pass.Weights[k]) : Tensor.Scalar(0);
            comm.Add(c);
            if (level.LambdaC > 0 && level.Interaction.Edges.Count > 0) total = total + c * level.LambdaC;
        }
        var budget = SoftBudget && Objective.LambdaR > 0 ? (Resources().Sum() - Budget).Pow(2.0) : Tensor.Scalar(0);
        var breadth = Objective.LambdaSigma > 0 ? Sigma().Pow(2.0).Sum() : Tensor.Scalar(0);
        total = total + budget * Objective.LambdaR + breadth * Objective.LambdaSigma;

        var levelDemand = new List<Tensor>();
        for (int k = 0; k < Levels.Count; k++)
        {
            var level = Levels[k];
            if (level.DemandFrames is null) { levelDemand.Add(Tensor.Scalar(0)); continue; }
            Tensor term = Tensor.Scalar(0);
            foreach (var frame in level.DemandFrames)
            {
                var d = Tensor.FromArray(frame);
                term = term + (level.DemandObjective != ObjectiveKind.System
                    ? Mismatch.Of(Objective, Space.Delta, Densities(level.DemandObjective, pass.Productions[k])!, d / (Space.Delta * frame.Sum())) / level.Members
                    : Mismatch.Of(Objective, Space.Delta, pass.Tiers[k + 1], d.Unsqueeze(0)) / level.Groups);
            }
            term = term / level.DemandFrames.Count;
            levelDemand.Add(term);
            total = total + term * level.DemandWeight;
        }
        return new NestedLossParts(total, coverage, comm, levelDemand, budget, breadth);
    }

    /// <inheritdoc/>
    private protected override (Tensor Total, Tensor Coverage) LossTerms(IReadOnlyList<double[]>? frames)
    {
        var parts = Loss(frames);
        return (parts.Total, parts.Coverage);
    }

    /// <summary>P_i = p_i / ∫p_i for production rows p.</summary>
    public Tensor PooledDensities(Tensor production) => production / (production.Sum(1, keepDim: true) * Space.Delta);

    /// <summary>
    /// p_u / V̄ for the production rows p of a level's members, V̄ = (1/rows) Σ_v ∫p_v the mean neighbourhood volume over
    /// all the level's members (objective "local-share", as <see cref="DpsModel.ShareDensities"/>): every member's
    /// neighbourhood, in every group, owes the same share, so a starved member, or a starved group, is short of it.
    /// </summary>
    public Tensor ShareDensities(Tensor production) => production / (production.Sum() * (Space.Delta / production.Size(0)));

    /// <summary>What a local objective compares with the demand's shape: pooled (local) or share (local-share) densities; null for "system".</summary>
    private Tensor? Densities(ObjectiveKind kind, Tensor production) => kind switch
    {
        ObjectiveKind.Local => PooledDensities(production),
        ObjectiveKind.LocalShare => ShareDensities(production),
        _ => null,
    };
}
