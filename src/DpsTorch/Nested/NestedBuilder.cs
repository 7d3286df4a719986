// Turns a config with a `levels` block into a NestedSystem: leaf initialisation as SystemBuilder does it, and per
// level a block-diagonal interaction assembled from one SystemBuilder graph per group.
using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.Nested;

/// <summary>Builds nested systems from configs.</summary>
public static class NestedBuilder
{
    /// <summary>
    /// Restart <paramref name="restart"/> of a nested config: leaves initialised exactly as
    /// <see cref="SystemBuilder.Create"/> initialises a flat system of agents.count agents (same seed, same init kind),
    /// levels from config.levels. <paramref name="homogeneous"/> builds the homogeneous fleet of the same budget and
    /// network: all leaves share one trainable μ and σ and hold equal resources.
    /// </summary>
    public static NestedSystem Create(DpsConfig config, int restart = 0, bool homogeneous = false)
    {
        var levelsConfig = config.Levels ?? throw new ConfigException("levels", "the config has no levels block; a nested system needs one (bottom level first).");
        ConfigLoader.CheckChoices(config);
        var space = new Space(config.Space.M, config.Space.Dimensions);
        var frames = SystemBuilder.DemandFrames(config, space);
        int n = config.Agents.Count;
        double budget = SystemBuilder.Budget(config);
        var levels = new List<NestedLevel>();
        int members = n;
        for (int k = 0; k < levelsConfig.Count; k++)
        {
            var lc = levelsConfig[k];
            int groups = members / lc.Size;
            levels.Add(BuildLevel(config, space, lc, k, groups, budget));
            members = groups;
        }
        var init = SystemBuilder.Start(config, space, frames, restart, homogeneous ? 1 : n);
        bool fixedEqual = config.Agents.Resources == ResourceMode.FixedEqual;
        var alpha = homogeneous ? [0.0] : fixedEqual ? new double[n] : init.Alpha;
        return new NestedSystem(space, frames, config.Objective, levels, SystemBuilder.SigmaMin(config), budget,
            config.Agents.Resources == ResourceMode.Soft, n, init.Mu, init.Rho, alpha, fixedEqual) { BudgetBlock = BudgetBlock(levelsConfig, n) };
    }

    /// <summary>
    /// The system of config <paramref name="config"/> with saved parameters <paramref name="p"/>: <see cref="Create"/>
    /// (the nested design, or with <paramref name="homogeneous"/> the homogeneous fleet), then every parameter replaced
    /// by the saved one, so the result computes exactly what the saved system computed.
    /// </summary>
    public static NestedSystem FromState(DpsConfig config, SystemParameters p, bool homogeneous = false)
    {
        var system = Create(config, 0, homogeneous);
        Copy(p.Mu, system.Mu, "mu");
        Copy(p.Rho, system.Rho, "rho");
        Copy(p.Alpha, system.Alpha, "alpha");
        if (p.Levels.Count != system.Levels.Count)
            throw new ArgumentException($"NestedBuilder.FromState: the state has weights for {p.Levels.Count} levels; the config has {system.Levels.Count}.");
        for (int k = 0; k < system.Levels.Count; k++)
        {
            var q = system.Levels[k].Interaction;
            var values = p.Levels[k].Values(q.Theta is not null, $"NestedBuilder.FromState: levels[{k}]");
            if (q.Theta is { } theta) Copy(values, theta, $"levels[{k}] weights");
            else Copy(values, q.FixedWeights!, $"levels[{k}] weights");
        }
        return system;
    }

    private static void Copy(double[] from, double[] to, string what)
    {
        CheckLength(from, to.Length, what);
        Array.Copy(from, to, to.Length);
    }

    private static void Copy(double[] from, Tensor to, string what)
    {
        CheckLength(from, to.Numel, what);
        to.Copy_(from);
    }

    private static void CheckLength(double[] from, int length, string what)
    {
        if (from.Length != length) throw new ArgumentException($"NestedBuilder.FromState: {what} has {from.Length} values; the config's system needs {length}.");
    }

    private static NestedLevel BuildLevel(DpsConfig config, Space space, LevelConfig lc, int index, int groups, double budget)
    {
        var edges = new List<(int, int)>();
        var costs = new List<double>();
        var fixedWeights = new List<double>();
        var theta = new List<double>();
        var graphs = new List<Topology>();
        for (int g = 0; g < groups; g++)
        {
            var groupConfig = new DpsConfig
            {
                Space = config.Space,
                Agents = new AgentsConfig { Count = lc.Size },
                Topology = lc.Topology with { Seed = lc.Topology.Seed + g },
            };
            var graph = SystemBuilder.Graph(groupConfig);
            var q = SystemBuilder.BuildInteraction(groupConfig, graph);
            graphs.Add(graph);
            int offset = g * lc.Size;
            for (int e = 0; e < q.Edges.Count; e++)
            {
                edges.Add((q.Edges[e].I + offset, q.Edges[e].J + offset));
                costs.Add(q.EdgeCost[e]);
                if (q.Theta is { } th) theta.Add(th.Data[e]); else fixedWeights.Add(q.FixedWeights![e]);
            }
        }
        bool learned = lc.Topology.Learned;
        var interaction = new Interaction(groups * lc.Size, edges, [.. costs], learned ? null : [.. fixedWeights], learned ? [.. theta] : null);

        IReadOnlyList<double[]>? demand = null;
        if (lc.Demand is { } d)
        {
            var local = config with { Demand = d with { Mass = d.Mass ?? budget / groups } };
            demand = SystemBuilder.DemandFrames(local, space);
        }
        return new NestedLevel(index, lc.Name ?? $"level {index + 1}", lc.Size, groups, interaction, graphs, lc.LambdaC,
            demand, lc.DemandObjective, lc.DemandWeight);
    }

    /// <summary>Leaves per group of the finest level with fixedShare, or N.</summary>
    private static int BudgetBlock(IReadOnlyList<LevelConfig> levels, int n)
    {
        int block = 1;
        foreach (var level in levels)
        {
            block *= level.Size;
            if (level.FixedShare) return block;
        }
        return n;
    }
}
