// Where the moves that leave a basin (re-seed, split) look for unmet demand and take their donor agents (issue 13):
// in a flat system, all its agents against the demand; in a nested system, level by level, all leaves against the top
// demand and, for every level with a local demand, each group's leaves against that demand. The moves pick the scope
// whose residual D − W misses the largest share of its demand (weighted by its term's weight in the loss).
using DpsTorch.Nested;

namespace DpsTorch.Model.Search;

/// <summary>
/// The leaves [<see cref="First"/>, First + <see cref="Count"/>) a move works among, and the demand they serve:
/// <see cref="Level"/> −1 is the whole system against its demand, Level k ≥ 0 the group <see cref="Group"/> of nested
/// level k against that level's local demand; <see cref="Weight"/> is that term's weight in the loss (1 for the whole
/// system, λ_D for a level).
/// </summary>
public sealed record MoveScope(int First, int Count, int Level, int Group, IReadOnlyList<double[]> Frames, double Weight)
{
    /// <summary>Whether leaf <paramref name="i"/> is in the scope.</summary>
    public bool Contains(int i) => i >= First && i < First + Count;

    /// <summary>The whole system: every agent (leaf) against the system's demand.</summary>
    public static MoveScope Whole(AgentSystem system) => new(0, system.Alpha.Numel, -1, 0, system.DemandFrames, 1);

    /// <summary>
    /// Every scope of <paramref name="system"/>: the whole system first, then (nested) for each level with a local
    /// demand, bottom first, its groups in order.
    /// </summary>
    public static IReadOnlyList<MoveScope> All(AgentSystem system)
    {
        var scopes = new List<MoveScope> { Whole(system) };
        if (system is not NestedSystem nested) return scopes;
        int leaves = 1;
        for (int k = 0; k < nested.Levels.Count; k++)
        {
            var level = nested.Levels[k];
            leaves *= level.Size;
            if (level.DemandFrames is not { } frames) continue;
            for (int g = 0; g < level.Groups; g++) scopes.Add(new MoveScope(g * leaves, leaves, k, g, frames, level.DemandWeight));
        }
        return scopes;
    }

    /// <summary>
    /// The scope the next move works in: the only one of a flat system (or of a nested one without level demands),
    /// else the one of <see cref="All"/> with the largest Weight · ∫max(r, 0) / ∫D̄ (its <see cref="Residual"/> r
    /// against its mean demand D̄; the first on ties).
    /// </summary>
    public static MoveScope Best(AgentSystem system)
    {
        var scopes = All(system);
        if (scopes.Count == 1) return scopes[0];
        MoveScope best = scopes[0];
        double bestScore = double.NegativeInfinity;
        foreach (var scope in scopes)
        {
            var r = scope.Residual(system);
            double unmet = 0, demand = 0;
            foreach (var f in scope.Frames) demand += f.Sum() / scope.Frames.Count;
            foreach (var v in r) unmet += Math.Max(v, 0);
            double score = demand > 0 ? scope.Weight * unmet / demand : 0;
            if (score > bestScore) { best = scope; bestScore = score; }
        }
        return best;
    }

    /// <summary>
    /// What the scope produces on the grid: a flat system's W = 1ᵀp, a nested system's top-level W, or the production
    /// W_g of group <see cref="Group"/> of level <see cref="Level"/> (the composite it forms).
    /// </summary>
    public double[] Production(AgentSystem system)
    {
        using var _ = TensorEngine.NoGrad();
        return system switch
        {
            DpsModel model => model.SystemProduction(model.Production(model.Interaction.Weights())).ToArray(),
            NestedSystem nested when Level < 0 => nested.SystemProduction().ToArray(),
            NestedSystem nested => Row(nested.TierProduction()[Level + 1].ToArray(), Group, system.Space.Points),
            _ => throw new ArgumentException($"MoveScope: no production for a {system.GetType().Name}.", nameof(system)),
        };
    }

    private static double[] Row(double[] rows, int row, int m) => rows[(row * m)..((row + 1) * m)];

    /// <summary>
    /// The residual r(x) = D̄(x) − c·W(x) on the grid: D̄ the mean of the scope's demand frames, W its
    /// <see cref="Production"/>, and c = ∫D̄ / ∫W, so that r measures the unmet shape of the demand whatever the
    /// objective (under the system objective with no edges c = 1 at coverage 1).
    /// </summary>
    public double[] Residual(AgentSystem system)
    {
        var w = Production(system);
        int m = w.Length;
        var d = new double[m];
        foreach (var f in Frames)
            for (int x = 0; x < m; x++) d[x] += f[x] / Frames.Count;
        double scale = w.Sum() > 0 ? d.Sum() / w.Sum() : 0;
        var r = new double[m];
        for (int x = 0; x < m; x++) r[x] = d[x] - scale * w[x];
        return r;
    }

    /// <summary>
    /// The leaves whose resources a move on leaf <paramref name="j"/> rebalances: the scope, or, when it is larger than
    /// j's budget block (a nested level with fixedShare), that block (a block's total cannot change). Nested scopes and
    /// blocks are both sub-trees, so one holds the other.
    /// </summary>
    public (int First, int Count) ResourceSet(AgentSystem system, int j)
    {
        int block = BlockSize(system);
        return block < Count && !system.SoftBudget ? (j / block * block, block) : (First, Count);
    }

    /// <summary>Whether leaf <paramref name="j"/>'s resource set (<see cref="ResourceSet"/>) is a whole budget block, whose softmax needs no shift.</summary>
    internal bool SetIsBlock(AgentSystem system, int j)
    {
        var (_, count) = ResourceSet(system, j);
        return count == BlockSize(system);
    }

    /// <summary>Leaves per budget block: a nested level's fixedShare groups, else every agent.</summary>
    private static int BlockSize(AgentSystem system)
        => system is NestedSystem { BudgetBlock: > 0 and var b } nested && b < nested.N ? b : system.Alpha.Numel;
}
