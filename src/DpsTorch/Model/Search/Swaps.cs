// Moves gradient descent cannot make (issue 13): on a graph, exchanging two agents' parameters (μ, ρ, α) moves a
// skill from one node to another in one step, which a continuous path can only do through worse states. A greedy
// pass tries every pair and keeps each exchange that lowers the loss; passes repeat until none does. In a nested
// system the agents of every level are exchanged: two members of one group (when the group's graph has edges) or of
// two groups (which moves a sub-system from one composite to another), each with the sub-system below it.
using DpsTorch.Nested;

namespace DpsTorch.Model.Search;

/// <summary>Greedy pairwise swaps of agents between the nodes of a fixed or learned graph.</summary>
public static class Swaps
{
    /// <summary>
    /// Up to <paramref name="passes"/> passes over all pairs (i, j) of agents, keeping each swap of their μ, ρ, α that
    /// lowers the full loss by more than a relative 1e-12. Does nothing without edges (every node is alike then).
    /// Returns the number of swaps kept; the model holds the improved state.
    /// </summary>
    public static int Run(DpsModel model, int passes)
    {
        if (passes <= 0 || model.Interaction.Edges.Count == 0) return 0;
        var pairs = new List<(int, int)>();
        for (int i = 0; i < model.N; i++)
            for (int j = i + 1; j < model.N; j++) pairs.Add((i, j));
        int d = model.Dimensions; // on T^d an agent's μ and ρ are d entries each
        return Greedy(model, passes, pairs.Count, k =>
        {
            if (d == 1) { Exchange([model.Mu, model.Rho, model.Alpha], pairs[k].Item1, pairs[k].Item2, 1); return; }
            Exchange([model.Mu, model.Rho], pairs[k].Item1 * d, pairs[k].Item2 * d, d);
            Exchange([model.Alpha], pairs[k].Item1, pairs[k].Item2, 1);
            if (model.Lower is { } lower) Exchange([lower], pairs[k].Item1 * (d * (d - 1) / 2), pairs[k].Item2 * (d * (d - 1) / 2), d * (d - 1) / 2);
        });
    }

    /// <summary>
    /// The swaps of a flat (<see cref="Run(DpsModel, int)"/>) or nested (<see cref="Run(NestedSystem, int)"/>) system.
    /// </summary>
    public static int Run(AgentSystem system, int passes) => system switch
    {
        DpsModel model => Run(model, passes),
        NestedSystem nested => Run(nested, passes),
        _ => throw new ArgumentException($"Swaps: no swaps for a {system.GetType().Name}.", nameof(system)),
    };

    /// <summary>
    /// Up to <paramref name="passes"/> greedy passes over the swaps of <see cref="Pairs"/>, level by level from the
    /// leaves up, keeping each that lowers the full loss by more than a relative 1e-12. A swap of two agents of level
    /// ℓ's tier exchanges their whole sub-systems: the leaves' μ, ρ, α and the learned link weights θ inside them (when
    /// the two sub-systems have the same graphs). A homogeneous fleet has nothing to swap. Returns the number of swaps
    /// kept; the system holds the improved state. A system written as one level tries the flat system's pairs in the
    /// flat order, so it ends in the same state.
    /// </summary>
    public static int Run(NestedSystem system, int passes)
    {
        if (passes <= 0 || system.Homogeneous) return 0;
        var moves = new List<(int Tier, int U, int V)>();
        for (int t = 0; t < system.Levels.Count; t++)
            foreach (var (u, v) in Pairs(system, t)) moves.Add((t, u, v));
        return Greedy(system, passes, moves.Count, k => Exchange(system, moves[k].Tier, moves[k].U, moves[k].V));
    }

    /// <summary>
    /// The pairs (u, v), u &lt; v, of agents of tier <paramref name="tier"/> (the members of level <paramref name="tier"/>'s
    /// groups; tier 0 = leaves) whose exchange can change the loss: two members of one group whose graph has edges,
    /// and any two members of different groups.
    /// </summary>
    public static IReadOnlyList<(int U, int V)> Pairs(NestedSystem system, int tier)
    {
        var level = system.Levels[tier];
        var withEdges = new bool[level.Groups];
        foreach (var (i, _) in level.Interaction.Edges) withEdges[i / level.Size] = true;
        var pairs = new List<(int, int)>();
        for (int u = 0; u < level.Members; u++)
            for (int v = u + 1; v < level.Members; v++)
                if (u / level.Size != v / level.Size || withEdges[u / level.Size]) pairs.Add((u, v));
        return pairs;
    }

    /// <summary>Greedy passes over <paramref name="count"/> moves (<paramref name="exchange"/> applies move k and undoes it when applied again).</summary>
    private static int Greedy(ITrainableSystem system, int passes, int count, Action<int> exchange)
    {
        if (count == 0) return 0;
        using var noGrad = TensorEngine.NoGrad();
        double loss = system.Evaluate(null, backward: false).Total;
        int kept = 0;
        for (int pass = 0; pass < passes; pass++)
        {
            int keptThisPass = 0;
            for (int k = 0; k < count; k++)
            {
                exchange(k);
                double trial = system.Evaluate(null, backward: false).Total;
                if (trial < loss - 1e-12 * Math.Abs(loss)) { loss = trial; keptThisPass++; }
                else exchange(k);
            }
            TensorEngine.EndStep();
            kept += keptThisPass;
            if (keptThisPass == 0) break;
        }
        return kept;
    }

    /// <summary>Exchanges the entries [u, u + width) and [v, v + width) of every tensor (or, with <paramref name="copy"/>, writes the first over the second).</summary>
    private static void Exchange(Tensor[] tensors, int u, int v, int width, bool copy = false)
    {
        foreach (var t in tensors)
            for (int k = 0; k < width; k++)
                if (copy) t[v + k] = t[u + k];
                else (t[u + k], t[v + k]) = (t[v + k], t[u + k]);
    }

    /// <summary>Leaves under one agent of tier <paramref name="tier"/> (the product of the sizes of the levels below it).</summary>
    public static int LeavesPerAgent(NestedSystem system, int tier)
    {
        int leaves = 1;
        for (int k = 0; k < tier; k++) leaves *= system.Levels[k].Size;
        return leaves;
    }

    /// <summary>
    /// Writes the sub-system under agent <paramref name="from"/> of tier <paramref name="tier"/> over the one under
    /// agent <paramref name="to"/>: its leaves' μ, ρ, α and the learned link weights inside it (level by level, where
    /// the two sub-systems' graphs match edge for edge).
    /// </summary>
    public static void CopySubsystem(NestedSystem system, int tier, int from, int to) => Exchange(system, tier, from, to, copy: true);

    private static void Exchange(NestedSystem system, int tier, int u, int v, bool copy = false)
    {
        int leaves = LeavesPerAgent(system, tier), d = system.Dimensions; // on T^d a leaf's μ and ρ are d entries each
        if (d == 1) Exchange([system.Mu, system.Rho, system.Alpha], u * leaves, v * leaves, leaves, copy);
        else
        {
            Exchange([system.Mu, system.Rho], u * leaves * d, v * leaves * d, leaves * d, copy);
            Exchange([system.Alpha], u * leaves, v * leaves, leaves, copy);
        }
        // The learned links inside the two sub-systems move with them when their graphs match edge for edge.
        int below = leaves;
        for (int k = tier - 1; k >= 0; k--)
        {
            var level = system.Levels[k];
            below /= level.Size;
            if (level.Interaction.Theta is not { } theta) continue;
            int groups = leaves / (below * level.Size); // level-k groups per sub-system
            var (first, count) = EdgeRange(level, u * groups, groups);
            var (second, other) = EdgeRange(level, v * groups, groups);
            if (count == 0 || count != other || !SameGraphs(level, u * groups, v * groups, groups)) continue;
            Exchange([theta], first, second, count, copy);
        }
    }

    /// <summary>The first edge and the number of edges of <paramref name="groups"/> consecutive groups from <paramref name="group"/> (a level adds its edges group by group).</summary>
    private static (int First, int Count) EdgeRange(NestedLevel level, int group, int groups)
    {
        int first = -1, count = 0;
        for (int e = 0; e < level.Interaction.Edges.Count; e++)
        {
            int g = level.Interaction.Edges[e].I / level.Size;
            if (g < group || g >= group + groups) continue;
            if (first < 0) first = e;
            count++;
        }
        return (Math.Max(first, 0), count);
    }

    private static bool SameGraphs(NestedLevel level, int a, int b, int groups)
    {
        for (int g = 0; g < groups; g++)
            if (!level.GroupGraphs[a + g].Edges.Select(e => (e.I, e.J)).SequenceEqual(level.GroupGraphs[b + g].Edges.Select(e => (e.I, e.J)))) return false;
        return true;
    }
}
