// Turns a validated DpsConfig into a DpsModel: the grid, the demand frames, the topology (fixed or the support of a
// learned one), the distance costs, and initial or saved parameters. The one place config meets model.
using DpsTorch.Config;

namespace DpsTorch.Model;

/// <summary>Builds models from configs (and from saved states).</summary>
public static class SystemBuilder
{
    /// <summary>Total resource R: agents.budget, or N.</summary>
    public static double Budget(DpsConfig c) => c.Agents.Budget ?? c.Agents.Count;

    /// <summary>σ_min: agents.sigmaMin, or one grid spacing.</summary>
    public static double SigmaMin(DpsConfig c) => c.Agents.SigmaMin ?? 2.0 * Math.PI / c.Space.M;

    /// <summary>The demand frames (one, or several for "drifting"), each with total mass demand.mass or R.</summary>
    public static IReadOnlyList<double[]> DemandFrames(DpsConfig c, Space space)
    {
        var d = c.Demand;
        double mass = d.Mass ?? Budget(c);
        if (space.Dimensions > 1) return [TorusDemand(d, space, mass).ToArray()];
        switch (d.Kind)
        {
            case DemandKind.Peaks: return [Demand.EvenPeaks(space, d.Peaks, d.Width, mass, d.Phase).ToArray()];
            case DemandKind.Uniform: return [Demand.Uniform(space, mass).ToArray()];
            case DemandKind.Dirac: return [Demand.NearDirac(space, d.Phase, mass).ToArray()];
            case DemandKind.Histogram: return [Demand.FromHistogramCsv(space, d.Path!, mass).ToArray()];
            case DemandKind.Mixture:
                int k = d.Centers!.Length;
                var widths = d.Widths ?? Enumerable.Repeat(d.Width, k).ToArray();
                var weights = d.Weights ?? Enumerable.Repeat(1.0, k).ToArray();
                return [Demand.Mixture(space, d.Centers, widths, weights, mass).ToArray()];
            case DemandKind.Drifting:
                return DemandSeries.Drifting(space, d.Peaks, d.Width, mass, d.Drift, d.Frames, d.Phase).Select(f => f.ToArray()).ToArray();
            default: throw Choices.Unknown("demand.kind", d.Kind);
        }
    }

    /// <summary>The demand on T^d (d &gt; 1): peaks on the lattice of <see cref="Demand.TorusPeaks"/>, a mixture with d
    /// centres (and 1 or d widths) per peak, uniform, one near-Dirac peak at phase on every axis, or gridded data.</summary>
    private static Demand TorusDemand(DemandConfig d, Space space, double mass)
    {
        int dims = space.Dimensions;
        switch (d.Kind)
        {
            case DemandKind.Peaks: return Demand.TorusPeaks(space, d.Peaks, d.Width, mass, d.Phase);
            case DemandKind.Uniform: return Demand.Uniform(space, mass);
            case DemandKind.Dirac: return Demand.TorusMixture(space, [.. Enumerable.Repeat(d.Phase, dims)], [.. Enumerable.Repeat(space.Spacing, dims)], [1.0], mass);
            case DemandKind.Histogram: return Demand.FromGridCsv(space, d.Path!, mass);
            case DemandKind.Mixture:
                int k = d.Centers!.Length / dims;
                var widths = d.Widths is { } w ? (w.Length == k ? [.. w.SelectMany(x => Enumerable.Repeat(x, dims))] : w)
                    : [.. Enumerable.Repeat(d.Width, k * dims)];
                var weights = d.Weights ?? [.. Enumerable.Repeat(1.0, k)];
                return Demand.TorusMixture(space, d.Centers, widths, weights, mass);
            default: throw ConfigException.Invalid("demand.kind", Choices.Name(d.Kind), $"peaks, mixture, uniform, dirac or histogram with space.dimensions = {dims}");
        }
    }

    /// <summary>The graph named by topology.kind (for a learned topology: its support; "none" then means complete).</summary>
    public static Topology Graph(DpsConfig c)
    {
        var t = c.Topology;
        int n = c.Agents.Count;
        var kind = t.Learned && t.Kind == TopologyKind.None ? TopologyKind.Complete : t.Kind;
        var g = kind switch
        {
            TopologyKind.None => TopologyGenerators.None(n),
            TopologyKind.Complete => TopologyGenerators.Complete(n),
            TopologyKind.Ring => TopologyGenerators.Ring(n, t.K),
            TopologyKind.Lattice => Lattice(n, t),
            TopologyKind.Star => TopologyGenerators.Star(n),
            TopologyKind.SmallWorld => TopologyGenerators.WattsStrogatz(n, t.K, t.P, t.Seed),
            TopologyKind.Random => TopologyGenerators.ErdosRenyi(n, t.P, t.Seed),
            TopologyKind.Modular => TopologyGenerators.StochasticBlock(ModuleSizes(n, t.Modules), t.PIn, t.POut, t.Seed),
            TopologyKind.CorePeriphery => TopologyGenerators.CorePeriphery(n, t.CoreFraction, t.PIn, t.POut * 4, t.POut, t.Seed),
            TopologyKind.Hierarchical => Hierarchical(n, t),
            TopologyKind.File => Topology.FromEdgeListFile(t.Path!, n),
            _ => throw Choices.Unknown("topology.kind", t.Kind),
        };
        if (g.N != n) throw ConfigException.Invalid("topology", $"a graph on {g.N} agents", $"a graph on agents.count = {n} agents");
        return g;
    }

    /// <summary>Lattice rows: topology.rows, or the largest divisor of N not above √N.</summary>
    public static int LatticeRows(int n, TopologyConfig t)
    {
        if (t.Rows is int r) return r;
        int best = 1;
        for (int d = 1; d * d <= n; d++) if (n % d == 0) best = d;
        return best;
    }

    private static Topology Lattice(int n, TopologyConfig t)
    {
        int rows = LatticeRows(n, t);
        return TopologyGenerators.Lattice2D(rows, n / rows, t.Periodic);
    }

    private static Topology Hierarchical(int n, TopologyConfig t)
        => t.HierarchyDepth(n) is int levels ? TopologyGenerators.Hierarchical(levels, t.HierarchyBranching())
            : throw ConfigException.Invalid("agents.count", n, $"a power of topology.modules ({t.HierarchyBranching()}) for a hierarchical topology");

    /// <summary>Sizes of <paramref name="modules"/> modules as equal as possible.</summary>
    public static int[] ModuleSizes(int n, int modules)
    {
        var s = new int[modules];
        for (int i = 0; i < n; i++) s[i % modules]++;
        return s;
    }

    /// <summary>The agents' spatial embedding named by topology.embedding ("index" is |i − j| on a line; "coordinates" uses
    /// topology.coordinates).</summary>
    public static Embedding Embed(DpsConfig c, Topology g)
    {
        var t = c.Topology;
        int n = g.N;
        switch (t.Embedding)
        {
            case EmbeddingKind.Ring: return Embedding.RingPositions(n);
            case EmbeddingKind.Hops: return Embedding.Hops(g);
            case EmbeddingKind.Grid:
                int rows = LatticeRows(n, t);
                return Embedding.Grid(rows, n / rows, t.Periodic && rows >= 3 && n / rows >= 3);
            case EmbeddingKind.Index: return Embedding.Index(n);
            case EmbeddingKind.Coordinates:
                var c2 = t.Coordinates!;
                int dims = c2.Length / n;
                var pos = new double[n, dims];
                for (int i = 0; i < n; i++)
                    for (int k = 0; k < dims; k++) pos[i, k] = c2[i * dims + k];
                return Embedding.Coordinates(pos);
            default: throw Choices.Unknown("topology.embedding", t.Embedding);
        }
    }

    /// <summary>d_e^γ for each edge of <paramref name="g"/> under topology.embedding.</summary>
    public static double[] EdgeCosts(DpsConfig c, Topology g)
    {
        var embedding = Embed(c, g);
        var cost = new double[g.EdgeCount];
        for (int e = 0; e < cost.Length; e++)
            cost[e] = Math.Pow(embedding.Distance(g.Edges[e].I, g.Edges[e].J), c.Topology.Gamma);
        return cost;
    }

    /// <summary>The interaction of a config: fixed weights, or learned logits initialised at topology.initWeight.</summary>
    public static Interaction BuildInteraction(DpsConfig c, Topology g, double[]? weights = null, double[]? theta = null)
    {
        var edges = g.Edges.Select(e => (e.I, e.J)).ToArray();
        var costs = EdgeCosts(c, g);
        if (c.Topology.Learned)
        {
            double logit = Math.Log(c.Topology.InitWeight / (1.0 - c.Topology.InitWeight));
            return new Interaction(g.N, edges, costs, null, theta ?? Enumerable.Repeat(logit, edges.Length).ToArray());
        }
        return new Interaction(g.N, edges, costs, weights ?? g.Edges.Select(e => e.Weight * c.Topology.Weight).ToArray(), null);
    }

    /// <summary>A model for restart <paramref name="restart"/> of the config (initialisation seed: Seeds.ForRestart(training.seed, restart)).</summary>
    public static DpsModel Create(DpsConfig c, int restart = 0)
    {
        ConfigLoader.CheckChoices(c);
        var space = new Space(c.Space.M, c.Space.Dimensions);
        var frames = DemandFrames(c, space);
        var g = Graph(c);
        var init = Start(c, space, frames, restart, c.Agents.Count);
        // Fixed equal resources: α is not trained, so it is held at 0 (a_i = R/N whatever it is).
        var alpha = c.Agents.Resources == ResourceMode.FixedEqual ? new double[init.Alpha.Length] : init.Alpha;
        return Assemble(c, space, frames, BuildInteraction(c, g), init.Mu, init.Rho, alpha, null);
    }

    /// <summary>
    /// The initial parameters of <paramref name="count"/> agents for restart <paramref name="restart"/>: the init kind
    /// of <see cref="Initialization.KindForRestart"/> drawn from Seeds.ForRestart(training.seed, restart). "modes"
    /// puts clones at the demand's modes (<see cref="Search.StructuredStarts"/>) and falls back to "spread" for a demand
    /// without modes (a flat one).
    /// </summary>
    public static InitialParameters Start(DpsConfig c, Space space, IReadOnlyList<double[]> frames, int restart, int count)
    {
        var kind = Initialization.KindForRestart(c.Agents.Init, restart);
        int seed = Seeds.ForRestart(c.Training.Seed, restart);
        if (space.Dimensions > 1) return TorusStart(c, space, frames, kind, seed, count);
        if (kind == InitKind.Modes)
        {
            var modes = Search.StructuredStarts.Modes(space, frames);
            if (Search.StructuredStarts.AtModes(count, modes, SigmaMin(c), c.Agents.Jitter, seed, Budget(c), c.Agents.Resources == ResourceMode.Soft) is { } atModes)
                return atModes;
            kind = InitKind.Spread;
        }
        return Initialization.Create(kind, count, SigmaMin(c), c.Agents.InitSigma, c.Agents.Jitter, seed,
            center: space.Grid[ArgMax(frames[0])], spreadTurn: c.Agents.SpreadTurn, demand: frames[0]);
    }

    /// <summary>The start of <see cref="Start"/> on T^d: clones at the demand's modes on the product grid, else the
    /// torus versions of spread (a Kronecker lattice), homogeneous (at the demand's highest point) and random.</summary>
    private static InitialParameters TorusStart(DpsConfig c, Space space, IReadOnlyList<double[]> frames, InitKind kind, int seed, int count)
    {
        if (kind == InitKind.Modes)
        {
            var modes = Search.StructuredStarts.TorusModes(space, frames);
            if (Search.StructuredStarts.AtTorusModes(count, space.Dimensions, modes, SigmaMin(c), c.Agents.Jitter, seed, Budget(c), c.Agents.Resources == ResourceMode.Soft) is { } atModes)
                return atModes;
            kind = InitKind.Spread;
        }
        var top = space.Indices(ArgMax(frames[0]));
        var center = top.Select(i => space.Grid[i]).ToArray();
        return Initialization.CreateOnTorus(kind, count, space.Dimensions, SigmaMin(c), c.Agents.InitSigma, c.Agents.Jitter, seed, center, c.Agents.SpreadTurn);
    }

    /// <summary>
    /// The model of config <paramref name="c"/> with saved parameters <paramref name="p"/> (one level, with its
    /// edges): the saved μ, ρ, α, edges and weights or logits, so it computes exactly what the saved model computed.
    /// </summary>
    public static DpsModel FromState(DpsConfig c, SystemParameters p)
    {
        if (p.Levels.Count != 1) throw new ArgumentException($"SystemBuilder.FromState: a flat model has one level; the parameters have {p.Levels.Count}.");
        var level = p.Levels[0];
        var edges = level.Edges ?? throw new ArgumentException("SystemBuilder.FromState: a flat model's saved level must carry its edges.");
        var space = new Space(c.Space.M, c.Space.Dimensions);
        var g = new Topology(p.Alpha.Length, edges.Select(e => new Topology.Edge(e.I, e.J, 1.0)));
        var interaction = BuildInteraction(c, g, level.Theta is null ? level.Weights : null, level.Theta);
        return Assemble(c, space, DemandFrames(c, space), interaction, p.Mu, p.Rho, p.Alpha, p.Lower);
    }

    /// <summary>The model; agents.covariance "full" trains L's off-diagonal entries <paramref name="lower"/> (null: from 0).</summary>
    private static DpsModel Assemble(DpsConfig c, Space space, IReadOnlyList<double[]> frames, Interaction q, double[] mu, double[] rho, double[] alpha, double[]? lower)
        => new(space, frames, q, c.Objective, SigmaMin(c), Budget(c), c.Agents.Resources == ResourceMode.Soft, mu, rho, alpha,
            c.Topology.Propagation, c.Topology.Hops, c.Topology.CommunicabilityBeta, c.Agents.Resources == ResourceMode.FixedEqual,
            c.Agents.Covariance == CovarianceKind.Full ? lower ?? new double[alpha.Length * Ops.WrappedMultivariateNormal.OffDiagonal(space.Dimensions)] : null);

    private static int ArgMax(double[] v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
