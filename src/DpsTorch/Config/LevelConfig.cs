// The `levels` block of a config (MODEL.md section 4): the levels of a nested system from the bottom up, each with its
// own group size, topology, embedding and communication cost, and an optional local demand; and its JSON reader.
using System.Text.Json;

namespace DpsTorch.Config;

/// <summary>
/// One level of a nested system. levels[0] groups the leaf agents into groups of <see cref="Size"/>; levels[k] groups
/// the composite agents of levels[k − 1]; the last level has exactly one group, the whole system, which serves the
/// config's demand under the config's objective. Every group of a level has the same size and the same topology kind
/// (random kinds use topology.seed + group index).
/// </summary>
public sealed record LevelConfig
{
    /// <summary>Free text naming the level ("node", "rack", ...); default "level k".</summary>
    public string? Name { get; init; }
    /// <summary>Members per group.</summary>
    public int Size { get; init; } = 2;
    /// <summary>The graph inside every group, its embedding (distances) and γ; only "direct" propagation.</summary>
    public TopologyConfig Topology { get; init; } = new();
    /// <summary>λ_C of this level: weight of Σ over its groups of Σ_e q_e d_e^γ.</summary>
    public double LambdaC { get; init; }
    /// <summary>Optional local demand every group of this level is also asked to serve (not on the top level). Its mass
    /// is per group; null mass means an equal share R / groups.</summary>
    public DemandConfig? Demand { get; init; }
    /// <summary>How a group serves its local demand: "system" (its production W_g against the demand), "local" (each
    /// member's pooled density inside the group against the demand's shape, as objective.kind "local") or
    /// "local-share" (each member's production against an equal share of the level's mean member volume, as
    /// objective.kind "local-share").</summary>
    public ObjectiveKind DemandObjective { get; init; } = ObjectiveKind.System;
    /// <summary>λ_D: weight of this level's demand term in the loss.</summary>
    public double DemandWeight { get; init; } = 1.0;
    /// <summary>Under a fixed budget, every group of this level holds an equal share R / groups of the leaf resource
    /// (a = (R/G)·softmax(α) inside each group): hardware whose racks or nodes are provisioned alike. The finest level
    /// with fixedShare decides; false everywhere means one shared budget over all leaves.</summary>
    public bool FixedShare { get; init; }
}

/// <summary>Reads and validates the `levels` array of a config (called by <see cref="ConfigLoader"/>).</summary>
internal static class NestedConfigReader
{
    /// <summary>The levels, or null when the config has no `levels` key (a flat system).</summary>
    public static IReadOnlyList<LevelConfig>? Read(JsonSection root, int leaves, string baseDir, int dimensions = 1)
    {
        var raw = root.RawValue("levels", "array", minItems: 1);
        if (raw is not { } array) return null;
        const string key = "levels";
        if (array.ValueKind != JsonValueKind.Array || array.GetArrayLength() == 0)
            throw ConfigException.Invalid(key, JsonSection.Raw(array), "a non-empty array of level objects, bottom level first");
        var levels = new List<LevelConfig>();
        long members = leaves;
        int k = 0;
        foreach (var element in array.EnumerateArray())
        {
            var s = new JsonSection(element, $"{key}[{k}]", root.Rules);
            var d = new LevelConfig();
            int size = s.Int("size", d.Size, 1, ConfigLoader.MaxAgents);
            var level = new LevelConfig
            {
                Name = s.String("name", $"level {k + 1}"),
                Size = size,
                Topology = ConfigLoader.ReadTopology(s.Section("topology"), size, s.KeyPath("size"), baseDir),
                LambdaC = s.Double("lambdaC", d.LambdaC, 0, 1e12),
                Demand = s.Has("demand") ? ConfigLoader.ReadDemand(s.Section("demand"), baseDir, dimensions) : Skip(s, "demand"),
                DemandObjective = s.Choice("demandObjective", d.DemandObjective),
                DemandWeight = s.Double("demandWeight", d.DemandWeight, 0, 1e12),
                FixedShare = s.Bool("fixedShare", d.FixedShare),
            };
            if (level.Topology.Propagation != Propagation.Direct)
                throw ConfigException.Invalid(s.KeyPath("topology.propagation"), Choices.Name(level.Topology.Propagation), "\"direct\" (nested systems use p = (I + Q) w at every level)");
            if (members % size != 0)
                throw ConfigException.Invalid(s.KeyPath("size"), size, $"a divisor of the {members} agents below this level (agents.count = {leaves} divided by the sizes of the levels below)");
            members /= size;
            s.RejectUnknownKeys();
            levels.Add(level);
            k++;
        }
        if (members != 1)
            throw ConfigException.Invalid(key, $"sizes leaving {members} groups at the top", $"sizes whose product is agents.count ({leaves}), so that the last level is one group");
        if (levels[^1].Demand is not null)
            throw ConfigException.Invalid($"{key}[{levels.Count - 1}].demand", "a demand", "no local demand on the top level (it serves the config's demand)");
        return levels;
    }

    /// <summary>
    /// Checks the root keys a nested config must leave to its levels, that it trains on the managed backend, and that
    /// no key asks for something a nested system cannot do (agents.homogeneous: the nested fleet is --baseline;
    /// training.swaps where no swap can change the loss).
    /// </summary>
    public static void CheckRoot(DpsConfig c)
    {
        if (c.Levels is null) return;
        if (c.Topology != new TopologyConfig())
            throw ConfigException.Invalid("topology", "a topology", "no root topology when levels are given (each level sets levels[k].topology)");
        if (c.Objective.LambdaC != 0)
            throw ConfigException.Invalid("objective.lambdaC", c.Objective.LambdaC, "0 when levels are given (each level sets levels[k].lambdaC)");
        if (c.Training.Backend != TrainingBackend.Managed)
            throw ConfigException.Invalid("training.backend", Choices.Name(c.Training.Backend),
                "\"managed\" for nested systems here (a nested system trains on libtorch through the C# API: DpsTorch.TorchSharp.NestedModule)");
        if (c.Agents.Homogeneous)
            throw ConfigException.Invalid("agents.homogeneous", true, "false when levels are given (the nested homogeneous fleet of the same budget and network is dps run --baseline)");
        if (c.Training.Swaps > 0 && !SwapsApply(c))
            throw ConfigException.Invalid("training.swaps", c.Training.Swaps,
                "0 for this nested system: no swap can change its loss (no level has a graph with edges, and no level has a local demand or a local objective above a lower level)");
    }

    /// <summary>
    /// Whether exchanging agents can change a nested system's loss: some level's graph has edges, or there are two or
    /// more levels and some level has a local demand or the top objective is local (which composite holds a sub-system
    /// then matters). Otherwise every tier adds its members' productions and W is the sum of all leaves.
    /// </summary>
    public static bool SwapsApply(DpsConfig c)
    {
        if (c.Levels is not { } levels) return false;
        if (levels.Any(l => l.Topology.Kind != TopologyKind.None)) return true;
        return levels.Count > 1 && (levels.Any(l => l.Demand is not null) || c.Objective.Kind is ObjectiveKind.Local or ObjectiveKind.LocalShare);
    }

    private static DemandConfig? Skip(JsonSection s, string key) { s.RawValue(key, "object"); return null; }
}
