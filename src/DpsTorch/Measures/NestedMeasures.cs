// Measures of a nested system per level (MODEL.md sections 3-4): heterogeneity inside every sub-system and among the
// agents of each tier (closed-form similarity for leaves, grid overlap for composites), how much of the demand each
// agent covers on its own, spatial scale and communication cost per level; and the top level's coverage, efficiency
// and robustness to losing leaves.
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Nested;
using DpsTorch.Ops;

namespace DpsTorch.Measures;

/// <summary>
/// Measures of one tier: the agents that level <see cref="Level"/> groups (tier 0 = the leaves, tier k = the composites
/// formed by level k − 1). Heterogeneity is ¹D^Z (q = 1) with weights = resources (leaves a_i, composites ∫W_g).
/// </summary>
public sealed record TierMeasures
{
    /// <summary>Name of the level whose groups hold these agents.</summary>
    public required string Level { get; init; }
    /// <summary>Tier index: 0 for leaves.</summary>
    public required int Tier { get; init; }
    /// <summary>Number of agents in the tier.</summary>
    public required int Agents { get; init; }
    /// <summary>Agents per group.</summary>
    public required int GroupSize { get; init; }
    /// <summary>Heterogeneity among all agents of the tier.</summary>
    public required double Among { get; init; }
    /// <summary>
    /// The tier's number of agent types that does not count tiled generalists (<see cref="TypeCount"/>; composites are read
    /// through their circular mean and mean resultant length, <see cref="TypeCount.OfDensities"/>), beside <see cref="Among"/>.
    /// </summary>
    public required double Types { get; init; }
    /// <summary>Heterogeneity inside each group (its members only).</summary>
    public required double[] WithinGroups { get; init; }
    /// <summary>Each agent's share of the tier's resource (leaves a_i / Σa, composites ∫W_g / Σ∫W).</summary>
    public required double[] Shares { get; init; }
    /// <summary>Each agent's own shape coverage ∫min(s_i, D/∫D).</summary>
    public required double[] AgentSelfCoverage { get; init; }
    /// <summary>Mean of <see cref="WithinGroups"/>.</summary>
    public required double MeanWithin { get; init; }
    /// <summary>Mean over the tier's agents of ∫min(s_i, D/∫D): the share of the demand's shape one agent covers alone.</summary>
    public required double SelfCoverage { get; init; }
    /// <summary>Mean over the level's groups of the group's own shape coverage ∫min(W_g/∫W_g, D/∫D).</summary>
    public required double GroupSelfCoverage { get; init; }
    /// <summary>Resource-weighted specialisation exp(−σ²/2) of leaves; for composites the mean resultant length of s_g.</summary>
    public required double Specialisation { get; init; }
    /// <summary>C_ℓ = Σ_e q_e d_e^γ over the level's edges (all groups).</summary>
    public required double CommunicationCost { get; init; }
    /// <summary>Mean weight of the level's edges (0 without edges).</summary>
    public required double MeanEdgeWeight { get; init; }
    /// <summary>Mean over groups of the spatial scale of heterogeneity on the group's graph; null when no group has one.</summary>
    public double? SpatialScale { get; init; }
    /// <summary>The level's output per unit of its members' output, ∫(the groups' W_g) / ∫(the members' rows): 1 without
    /// links, 1 + the mean weighted degree with direct links; null when the members produce nothing.</summary>
    public double? Amplification { get; init; }
    /// <summary>Met demand the level's links add per unit of their cost, (∫min(W, D) − ∫min(W without this level's links,
    /// D)) / C_ℓ, averaged over the demand frames; null when C_ℓ = 0.</summary>
    public double? CommunicationEfficiency { get; init; }
}

/// <summary>All measures of a nested system: the core ones of its top level (coverage ∫min(W, D)/∫D, efficiency
/// ∫min(W, D) / (Σa + Σ_ℓ λ_C,ℓ C_ℓ), robustness to losing random fractions of leaves) and per tier.</summary>
public sealed record NestedMeasureSet : CoreMeasures
{
    /// <summary>∫min(W/∫W, D/∫D): the share of the demand's shape W covers when its output is scaled to the demand's mass
    /// (collaboration p = (I + Q)w amplifies output, so plain coverage saturates at 1 for any shape once links are strong).</summary>
    public required double ShapeCoverage { get; init; }
    /// <summary>Per tier, leaves first.</summary>
    public required IReadOnlyList<TierMeasures> Tiers { get; init; }
    /// <summary>Shape coverage kept as random fractions of leaves are removed (no re-optimisation).</summary>
    public RobustnessCurve? ShapeRobustness { get; init; }
}

/// <summary>Computes <see cref="NestedMeasureSet"/>.</summary>
public static class NestedMeasures
{
    /// <summary>
    /// Every measure. Robustness uses <paramref name="options"/> (fractions, seeds; random removal of leaves) and is
    /// skipped when it is null. Local-heterogeneity radii go up to options.MaxRadius (default 12).
    /// </summary>
    public static NestedMeasureSet Compute(NestedSystem system, MeasuresConfig? options = null)
    {
        using var _ = TensorEngine.NoGrad();
        var space = system.Space;
        int m = space.Points, dims = space.Dimensions; // a row holds M^d values on T^d
        var tiers = system.TierProduction();
        double[] mu = system.LeafMu().ToArray(), sigma = system.Sigma().ToArray(), a = system.Resources().ToArray();
        var shape = MeanDemandShape(system);
        var list = new List<TierMeasures>();
        double spentComm = 0;
        var w = system.SystemProduction().ToArray();
        double effective = Met(system, w);
        for (int k = 0; k < system.Levels.Count; k++)
        {
            var level = system.Levels[k];
            var rows = tiers[k].ToArray();
            double[] weights, z, densities;
            double spec;
            if (k == 0)
            {
                weights = a;
                z = dims == 1 ? Heterogeneity.Similarity(mu, sigma) : Heterogeneity.Similarity(mu, sigma, dims);
                densities = (dims == 1 ? DpsKernels.WrappedNormalDensity(Tensor.FromArray(mu), Tensor.FromArray(sigma), space.Grid.ToArray())
                    : DpsKernels.ProductWrappedNormalDensity(Tensor.FromArray(mu), Tensor.FromArray(sigma), null, space.Grid.ToArray(), dims)).ToArray();
                spec = Specialization.OfSystem(sigma, a, dims);
            }
            else
            {
                (weights, densities) = Normalize(rows, m, space.Delta);
                z = Heterogeneity.SimilarityFromDensities(densities, m, space.Delta);
                spec = ResultantLength(densities, weights, space);
            }
            var within = new double[level.Groups];
            var scales = new List<double>();
            for (int g = 0; g < level.Groups; g++)
            {
                var (wg, zg) = Block(weights, z, g * level.Size, level.Size);
                within[g] = Heterogeneity.Hill(wg, zg);
                if (LocalHeterogeneity.SpatialScale(Weighted(level, g), wg, zg, options?.MaxRadius ?? 12) is int r) scales.Add(r);
            }
            var q = level.Interaction.WeightValues();
            double comm = 0;
            for (int e = 0; e < q.Length; e++) comm += q[e] * level.Interaction.EdgeCost[e];
            spentComm += level.LambdaC * comm;
            var upperRows = tiers[k + 1].ToArray();
            var (_, upper) = Normalize(upperRows, m, space.Delta);
            double members = space.Delta * rows.Sum(), output = space.Delta * upperRows.Sum();
            list.Add(new TierMeasures
            {
                Level = level.Name,
                Tier = k,
                Agents = level.Members,
                GroupSize = level.Size,
                Among = Heterogeneity.Hill(weights, z),
                Types = k == 0 ? TypeCount.Of(mu, sigma, a, dims) : TypeCount.OfDensities(densities, weights, space),
                WithinGroups = within,
                MeanWithin = within.Average(),
                Shares = weights.Select(v => v / weights.Sum()).ToArray(),
                AgentSelfCoverage = PerAgentShapeCoverage(densities, m, shape, space),
                SelfCoverage = ShapeCoverage(densities, m, shape, space),
                GroupSelfCoverage = ShapeCoverage(upper, m, shape, space),
                Specialisation = spec,
                CommunicationCost = comm,
                MeanEdgeWeight = q.Length > 0 ? q.Average() : 0,
                SpatialScale = scales.Count > 0 ? scales.Average() : null,
                Amplification = members > 0 ? output / members : null,
                CommunicationEfficiency = comm > 0 && double.IsFinite(comm)
                    ? (effective - Met(system, system.SystemProductionWithoutLinks(k).ToArray())) / comm : null,
            });
        }
        double coverage = CoverageOf(system, w);
        double spent = a.Sum() + spentComm;
        // W₀ = Σ_i a_i s_i, the leaves' production without any links, for the efficiency the links add.
        var unlinked = tiers[0].Sum(0).ToArray();
        var efficiencies = Productivity.Efficiencies(space, w, unlinked, system.DemandFrames, a.Sum(), list.Sum(t => t.CommunicationCost));

        RobustnessCurve? robustness = null, shapeRobustness = null;
        if (options is not null && system.N > 1)
        {
            var orders = Enumerable.Range(0, options.Seeds).Select(seed => RemovalOrder.Random(system.N, seed)).ToArray();
            robustness = Robustness.Curve(alive => alive.Any(x => x) ? CoverageOf(system, system.SystemProduction(alive).ToArray()) : 0,
                system.N, orders, options.Fractions);
            shapeRobustness = Robustness.Curve(alive => alive.Any(x => x) ? ShapeCoverageOf(system, system.SystemProduction(alive).ToArray(), shape) : 0,
                system.N, orders, options.Fractions);
        }
        return new NestedMeasureSet
        {
            Loss = system.Loss().Total.Item(),
            Coverage = coverage,
            ShapeCoverage = ShapeCoverageOf(system, w, shape),
            Productivity = effective,
            TotalProduction = Productivity.Total(space, w),
            Efficiency = spent > 0 ? effective / spent : 0,
            Efficiencies = efficiencies,
            Tiers = list,
            Robustness = robustness,
            ShapeRobustness = shapeRobustness,
        };
    }

    /// <summary>
    /// The cheap measures the trainer logs at every trajectory point: heterogeneity (q = 1) and resource-weighted
    /// specialisation of the leaves, and the top level's coverage ∫min(W, D)/∫D.
    /// </summary>
    public static (double het, double cov, double spec) Quick(NestedSystem system)
    {
        using var _ = TensorEngine.NoGrad();
        var mu = system.LeafMu().ToArray();
        var sigma = system.Sigma().ToArray();
        var a = system.Resources().ToArray();
        int d = system.Dimensions;
        double het = d == 1 ? Heterogeneity.Of(mu, sigma, a) : Heterogeneity.Hill(a, Heterogeneity.Similarity(mu, sigma, d));
        return (het, CoverageOf(system, system.SystemProduction().ToArray()), Specialization.OfSystem(sigma, a, d));
    }

    /// <summary>Met demand ∫min(W, D) of a production W, averaged over the system's demand frames.</summary>
    private static double Met(NestedSystem system, double[] w)
    {
        double met = 0;
        foreach (var d in system.DemandFrames) met += Productivity.Effective(system.Space, w, d);
        return met / system.DemandFrames.Count;
    }

    /// <summary>Coverage ∫min(W, D)/∫D of a production W, averaged over the system's demand frames.</summary>
    public static double CoverageOf(NestedSystem system, double[] w)
    {
        double c = 0;
        foreach (var d in system.DemandFrames) c += Productivity.Coverage(system.Space, w, d);
        return c / system.DemandFrames.Count;
    }

    private static double ShapeCoverageOf(NestedSystem system, double[] w, double[] shape)
    {
        double mass = system.Space.Integrate(w);
        if (!(mass > 0)) return 0;
        var scaled = new double[w.Length];
        for (int x = 0; x < w.Length; x++) scaled[x] = w[x] / mass;
        return Productivity.Effective(system.Space, scaled, shape);
    }


    /// <summary>Row masses ∫f_i (the weights) and the rows divided by them (densities).</summary>
    private static (double[] Mass, double[] Densities) Normalize(double[] rows, int m, double delta)
    {
        int n = rows.Length / m;
        var mass = new double[n];
        var dens = new double[rows.Length];
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int x = 0; x < m; x++) s += rows[i * m + x];
            mass[i] = s * delta;
            for (int x = 0; x < m; x++) dens[i * m + x] = mass[i] > 0 ? rows[i * m + x] / mass[i] : 0;
        }
        return (mass, dens);
    }

    /// <summary>The demand frames' mean, normalised to a density.</summary>
    private static double[] MeanDemandShape(NestedSystem system)
    {
        var d = new double[system.Space.Points];
        foreach (var f in system.DemandFrames)
        {
            double mass = system.Space.Integrate(f);
            for (int x = 0; x < d.Length; x++) d[x] += f[x] / mass / system.DemandFrames.Count;
        }
        return d;
    }

    private static double ShapeCoverage(double[] densities, int m, double[] shape, Space space)
        => PerAgentShapeCoverage(densities, m, shape, space).Average();

    private static double[] PerAgentShapeCoverage(double[] densities, int m, double[] shape, Space space)
    {
        var c = new double[densities.Length / m];
        for (int i = 0; i < c.Length; i++) c[i] = Productivity.Effective(space, densities.AsSpan(i * m, m), shape);
        return c;
    }

    /// <summary>
    /// Resource-weighted mean resultant length |∫ s(x) e^{ix} dx| of densities; on T^d per density the geometric mean
    /// over the axes of the marginals' lengths (as the leaves' exp(−Σ_k σ_k²/2d), <see cref="Specialization"/>).
    /// </summary>
    private static double ResultantLength(double[] densities, double[] weights, Space space)
    {
        double total = 0, sum = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            var (_, lengths) = TypeCount.CircularMoments(densities, i, space);
            if (lengths.Length == 1) total += weights[i] * lengths[0] * space.Delta;
            else
            {
                double log = 0;
                foreach (double l in lengths) log += Math.Log(l * space.Delta);
                total += weights[i] * Math.Exp(log / lengths.Length);
            }
            sum += weights[i];
        }
        return sum > 0 ? total / sum : 0;
    }

    private static (double[] W, double[] Z) Block(double[] weights, double[] z, int start, int size)
    {
        int n = weights.Length;
        var wg = weights.AsSpan(start, size).ToArray();
        var zg = new double[size * size];
        for (int i = 0; i < size; i++)
            for (int j = 0; j < size; j++) zg[i * size + j] = z[(start + i) * n + start + j];
        return (wg, zg);
    }

    /// <summary>Group g's graph with the level's current edge weights (edges of weight 0 dropped).</summary>
    private static Topology Weighted(NestedLevel level, int g)
    {
        var q = level.Interaction.WeightValues();
        int offset = g * level.Size;
        var edges = new List<Topology.Edge>();
        for (int e = 0; e < q.Length; e++)
        {
            var (i, j) = level.Interaction.Edges[e];
            if (i >= offset && i < offset + level.Size) edges.Add(new Topology.Edge(i - offset, j - offset, Math.Max(q[e], 0)));
        }
        return new Topology(level.Size, edges);
    }
}
