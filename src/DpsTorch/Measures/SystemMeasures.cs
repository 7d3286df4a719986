// Every measure of MODEL.md section 3 computed on a trained model, gathered into the Summary that runs report.
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Ops;
using DpsTorch.Optim;

namespace DpsTorch.Measures;

/// <summary>Heterogeneity of the agents at the four reported orders q = 0, 1, 2, ∞.</summary>
public sealed record HeterogeneityOrders(double Q0, double Q1, double Q2, double QInf);

/// <summary>
/// The measures every system has, flat or nested (a nested system's are those of its top level): the shared core of
/// <see cref="MeasureSet"/> and <see cref="NestedMeasureSet"/>, with the field names of summary.json.
/// </summary>
public abstract record CoreMeasures
{
    /// <summary>The loss at the measured parameters.</summary>
    public required double Loss { get; init; }
    /// <summary>∫min(W, D)/∫D, averaged over the demand frames.</summary>
    public required double Coverage { get; init; }
    /// <summary>∫min(W, D).</summary>
    public required double Productivity { get; init; }
    /// <summary>∫W.</summary>
    public required double TotalProduction { get; init; }
    /// <summary>∫min(W, D) over what was spent: the resources plus the weighted communication cost.</summary>
    public required double Efficiency { get; init; }
    /// <summary>Coverage kept versus fraction removed, without re-optimisation; null when not measured.</summary>
    public RobustnessCurve? Robustness { get; init; }
    /// <summary>The efficiencies that are not coverage: per unit of resource and of communication (see
    /// <see cref="EfficiencyMeasures"/>; C is Σ_ℓ C_ℓ over a nested system's levels). Written by the run files as
    /// summary fields (NaN as null), not by the JSON serialiser; all NaN when not measured.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public EfficiencyMeasures Efficiencies { get; init; } = new(double.NaN, double.NaN, double.NaN, double.NaN);
}

/// <summary>The measures of one flat model state (field names are those of summary.json).</summary>
public sealed record MeasureSet : CoreMeasures
{
    /// <summary>Heterogeneity at the reported orders.</summary>
    public required HeterogeneityOrders Heterogeneity { get; init; }
    /// <summary>The number of agent types with tiled generalists counted as one (<see cref="TypeCount"/>); NaN when not computed.</summary>
    public double Types { get; init; } = double.NaN;
    /// <summary>Resource-weighted specialisation.</summary>
    public required double Specialisation { get; init; }
    /// <summary>C = Σ_e q_e d_e^γ.</summary>
    public required double CommunicationCost { get; init; }
    /// <summary>Coverage of each demand frame (one entry unless the demand drifts); <see cref="CoreMeasures.Coverage"/> is their mean.</summary>
    public required double[] FrameCoverage { get; init; }
    /// <summary>Link complementarity: the q-weighted mean dissimilarity 1 − Z_ij over edges (NaN without edges).</summary>
    public required double LinkComplementarity { get; init; }
    /// <summary>The same dissimilarity averaged over all pairs of agents: what links would show if placed at random.</summary>
    public required double PairComplementarity { get; init; }
    /// <summary>Mean local heterogeneity of r-hop neighbourhoods, r = 0..maxRadius (empty without edges).</summary>
    public required double[] LocalHeterogeneity { get; init; }
    /// <summary>Smallest radius reaching 90% of the global heterogeneity; null without a topology.</summary>
    public int? SpatialScale { get; init; }
    /// <summary>Coverage kept versus fraction removed, after a short re-optimisation.</summary>
    public RobustnessCurve? Resilience { get; init; }
    /// <summary>True when cancellation cut robustness and resilience short (both then null).</summary>
    public bool RobustnessSkipped { get; init; }
    /// <summary>The efficient-coding predictions measured on the population (objective.kind "fisher" with at least 3
    /// agents; null otherwise): summary.json "case".</summary>
    public EfficientCodingFit? EfficientCoding { get; init; }
}

/// <summary>Computes measures on a <see cref="DpsModel"/>.</summary>
public static class SystemMeasures
{
    /// <summary>The plain values a measure needs: μ, σ, a, W, the loss, the link weights, and W₀ = Σ_i a_i s_i (the production without links, when asked for).</summary>
    private sealed record Snapshot(double[] Mu, double[] Sigma, double[] A, double[] W, double Loss, double[] QWeights, double[]? Unlinked);

    private static Snapshot Take(DpsModel model, bool unlinked = false)
    {
        using var _ = TensorEngine.NoGrad();
        var q = model.Interaction.Weights();
        var p = model.Production(q);
        var a = model.Resources();
        double[]? w0 = !unlinked ? null : model.Dimensions == 1 ? DpsKernels.WrappedNormalMixture(model.Mu, model.Sigma(), a, model.Space.Grid.ToArray()).ToArray()
            : model.FullCovariance ? (a.Unsqueeze(1) * model.Skills()).Sum(0).ToArray()
            : DpsKernels.ProductWrappedNormalMixture(model.Mu, model.Sigma(), a, model.Space.Grid.ToArray(), model.Dimensions).ToArray();
        // A full covariance is measured through its marginal breadths √Σ_kk per axis (type count, specialisation).
        return new Snapshot(model.Mu.ToArray(), model.FullCovariance ? MarginalBreadths(model) : model.Sigma().ToArray(), a.ToArray(),
            model.SystemProduction(p).ToArray(), model.Loss().Total.Item(), q.ToArray(), w0);
    }

    /// <summary>The three measures logged during training: heterogeneity (q = 1), coverage, specialisation.</summary>
    public static (double het, double cov, double spec) Quick(DpsModel model)
    {
        var s = Take(model);
        int d = model.Dimensions;
        double het = d == 1 ? Heterogeneity.Of(s.Mu, s.Sigma, s.A) : Heterogeneity.Hill(s.A, Similarity(model, s));
        return (het, CoverageOf(model, s.W), Specialization.OfSystem(s.Sigma, s.A, d));
    }

    /// <summary>Z on T^d: the product of the axes' closed forms, or for a full covariance the wrapped normals' closed-form overlap (<see cref="Heterogeneity.SimilarityOfCovariances"/>).</summary>
    private static double[] Similarity(DpsModel model, Snapshot s)
        => model.FullCovariance ? Heterogeneity.SimilarityOfCovariances(s.Mu, model.Covariances(), model.Dimensions) : Heterogeneity.Similarity(s.Mu, s.Sigma, model.Dimensions);

    /// <summary>√Σ_kk per agent and axis (N·d values, agent by agent): the breadths of the skill density's marginals.</summary>
    public static double[] MarginalBreadths(DpsModel model)
    {
        int d = model.Dimensions;
        var cov = model.Covariances();
        var s = new double[model.N * d];
        for (int i = 0; i < model.N; i++)
            for (int k = 0; k < d; k++) s[i * d + k] = Math.Sqrt(cov[i * d * d + k * d + k]);
        return s;
    }

    /// <summary>Coverage ∫min(W, D)/∫D, averaged over the demand frames.</summary>
    public static double CoverageOf(DpsModel model, double[] w)
    {
        double c = 0;
        foreach (var d in model.DemandFrames) c += Productivity.Coverage(model.Space, w, d);
        return c / model.DemandFrames.Count;
    }

    /// <summary>
    /// All measures. Robustness and resilience follow <paramref name="options"/> (skipped when null); when
    /// <paramref name="cancel"/> fires while they are computed they are abandoned at the next curve point or
    /// re-optimisation step, left null, and <see cref="MeasureSet.RobustnessSkipped"/> is set.
    /// </summary>
    public static MeasureSet Compute(DpsModel model, MeasuresConfig? options, double lambdaC, double lr = 0.02, CancellationToken cancel = default)
    {
        var s = Take(model, unlinked: true);
        // No N×N matrix above Heterogeneity.ExactMaxN agents: Hill numbers in O(N·K), local heterogeneity sampled.
        var weights = Normalized(s.A);
        int dims = model.Dimensions;
        // On T^d the exact similarity (product of the axes' closed forms) serves every measure below.
        double[]? z = dims > 1 ? Similarity(model, s) : null;
        var h = z is null ? Heterogeneity.Orders(s.Mu, s.Sigma, weights) : [.. Heterogeneity.ReportedOrders.ToArray().Select(q => Heterogeneity.Hill(weights, z, q))];
        var orders = new HeterogeneityOrders(h[0], h[1], h[2], h[3]);
        var graph = LinkGraph(model, s.QWeights);
        double comm = 0;
        for (int e = 0; e < s.QWeights.Length; e++) comm += s.QWeights[e] * model.Interaction.EdgeCost[e];

        double effective = 0, total = Productivity.Total(model.Space, s.W);
        foreach (var d in model.DemandFrames) effective += Productivity.Effective(model.Space, s.W, d);
        effective /= model.DemandFrames.Count;
        double spent = s.A.Sum() + lambdaC * comm;

        double[] local = [];
        int? scale = null;
        if (graph.EdgeCount > 0 && options is not null)
        {
            local = z is null ? LocalHeterogeneity.Profile(graph, weights, s.Mu, s.Sigma, options.MaxRadius)
                : LocalHeterogeneity.Profile(graph, weights, z, options.MaxRadius);
            scale = LocalHeterogeneity.SpatialScale(local, orders.Q1);
        }

        RobustnessCurve? robustness = null, resilience = null;
        bool skipped = false;
        if (options is not null && model.N > 1)
        {
            var removal = RemovalOrders(model, graph, s.A, options);
            try
            {
                robustness = Robustness.Curve(alive => CoverageOf(model, alive, 0, lr, cancel), model.N, removal, options.Fractions);
                if (options.ResilienceSteps > 0)
                    resilience = Robustness.Curve(alive => CoverageOf(model, alive, options.ResilienceSteps, lr, cancel), model.N, removal, options.Fractions);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                (robustness, resilience, skipped) = (null, null, true);
            }
        }

        return new MeasureSet
        {
            Loss = s.Loss,
            Heterogeneity = orders,
            Types = TypeCount.Of(s.Mu, s.Sigma, s.A, dims),
            Specialisation = Specialization.OfSystem(s.Sigma, s.A, dims),
            Productivity = effective,
            TotalProduction = total,
            Coverage = CoverageOf(model, s.W),
            Efficiency = spent > 0 ? effective / spent : 0,
            CommunicationCost = comm,
            Efficiencies = Productivity.Efficiencies(model.Space, s.W, s.Unlinked!, model.DemandFrames, s.A.Sum(), comm),
            LinkComplementarity = z is null ? Complementarity(model, s.QWeights, s.Mu, s.Sigma) : Complementarity(model, s.QWeights, (i, j) => z[i * model.N + j]),
            PairComplementarity = 1 - (z is null ? Heterogeneity.MeanPairSimilarity(s.Mu, s.Sigma) : Heterogeneity.MeanOffDiagonal(z, model.N)),
            FrameCoverage = [.. model.DemandFrames.Select(d => Productivity.Coverage(model.Space, s.W, d))],
            LocalHeterogeneity = local,
            SpatialScale = scale,
            Robustness = robustness,
            Resilience = resilience,
            RobustnessSkipped = skipped,
            EfficientCoding = model.Objective.Kind == ObjectiveKind.Fisher && model.N >= 3 ? EfficientCodingOf(model, s) : null,
        };
    }

    /// <summary>The efficient-coding fit against the first demand frame as the prior (Model/EfficientCoding.cs); the
    /// information is the pooled one when the neurons have links, and then the pooling slope is fitted too.</summary>
    private static EfficientCodingFit EfficientCodingOf(DpsModel model, Snapshot s)
    {
        var grid = model.Space.Grid.ToArray();
        var frame = model.DemandFrames[0];
        double information;
        using (TensorEngine.NoGrad())
            information = -(model.Interaction.Edges.Count == 0
                ? EfficientCoding.Loss(model.Mu, model.Sigma(), model.Resources(), grid, model.Space.Delta, frame)
                : EfficientCoding.PooledLoss(model.Mu, model.Sigma(), model.Resources(), grid, model.Space.Delta, frame,
                    x => model.Interaction.ApplyWithIdentity(model.Interaction.Weights(), x))).Item();
        double[]? costFactors = null;
        if (model.Interaction.Edges.Count > 0)
            using (TensorEngine.NoGrad())
                costFactors = [.. model.Interaction.WeightedDegree(model.Interaction.Weights()).ToArray().Select(d => 1 + d)];
        return EfficientCodingFit.Of(s.Mu, s.Sigma, s.A, grid, EfficientCoding.Prior(frame, model.Space.Delta), information, costFactors);
    }

    /// <summary>Removal orders named by measures.removal ("random": one per seed).</summary>
    public static IReadOnlyList<int[]> RemovalOrders(DpsModel model, Topology graph, double[] a, MeasuresConfig options) => options.Removal switch
    {
        RemovalKind.Resource => [RemovalOrder.ByResource(a)],
        RemovalKind.Degree => [RemovalOrder.ByDegree(graph)],
        RemovalKind.Random => Enumerable.Range(0, options.Seeds).Select(seed => RemovalOrder.Random(model.N, seed)).ToArray(),
        _ => throw Choices.Unknown("measures.removal", options.Removal),
    };

    /// <summary>
    /// Coverage of the survivors, after <paramref name="reoptimizeSteps"/> Adam steps on their parameters. Throws
    /// <see cref="OperationCanceledException"/> when <paramref name="cancel"/> has fired.
    /// </summary>
    public static double CoverageOf(DpsModel model, bool[] alive, int reoptimizeSteps, double lr, CancellationToken cancel = default)
    {
        cancel.ThrowIfCancellationRequested();
        if (!alive.Any(x => x)) return 0;
        var sub = model.Subset(alive);
        if (reoptimizeSteps > 0)
        {
            var opt = new Adam(sub.Parameters(), lr: lr);
            for (int t = 0; t < reoptimizeSteps; t++)
            {
                cancel.ThrowIfCancellationRequested();
                opt.ZeroGrad();
                sub.Loss().Total.Backward();
                opt.Step();
            }
        }
        return CoverageOf(sub, Take(sub).W);
    }

    /// <summary>Links count for neighbourhoods (local heterogeneity, spatial scale, degree) when q ≥ this fraction of the largest q.</summary>
    public const double LinkThreshold = 0.1;

    /// <summary>The graph of links that carry weight: q_e ≥ LinkThreshold · max q (all edges of a uniform fixed topology).</summary>
    public static Topology LinkGraph(DpsModel model, double[] q)
    {
        double max = q.Length == 0 ? 0 : q.Max();
        var edges = new List<Topology.Edge>();
        for (int e = 0; e < q.Length; e++)
            if (q[e] > 0 && q[e] >= LinkThreshold * max)
                edges.Add(new Topology.Edge(model.Interaction.Edges[e].I, model.Interaction.Edges[e].J, q[e]));
        return new Topology(model.N, edges);
    }

    private static double Complementarity(DpsModel model, double[] q, double[] mu, double[] sigma)
        => Complementarity(model, q, (i, j) => Heterogeneity.Pair(mu[i], sigma[i], mu[j], sigma[j]));

    private static double Complementarity(DpsModel model, double[] q, Func<int, int, double> similarity)
    {
        double num = 0, den = 0;
        for (int e = 0; e < q.Length; e++)
        {
            var (i, j) = model.Interaction.Edges[e];
            num += q[e] * (1 - similarity(i, j));
            den += q[e];
        }
        return den > 0 ? num / den : double.NaN;
    }

    private static double[] Normalized(double[] a)
    {
        double s = a.Sum();
        return a.Select(v => v / s).ToArray();
    }
}
