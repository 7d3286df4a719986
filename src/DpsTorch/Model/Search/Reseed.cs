// Re-seeding starved agents (issue 13): gradient descent cannot move an agent across the circle to a peak nobody
// covers (on the way it would cover nothing, a worse state), and an agent whose resource share has gone to ≈ 0 gets
// almost no gradient at all. This move takes such an agent (or, when none is starved, one of a group of near-clones,
// which the others can stand in for) and puts it where the unmet demand D − W is largest, with the width and share
// of that residual peak; the polish then finishes the job (Refinement keeps the move only when the loss drops). A
// nested system is re-seeded level by level: a leaf inside the scope (MoveScope) whose demand is least met, and a
// starved composite agent of a level above the leaves as a copy of its group's richest member (Composite).
using DpsTorch.Nested;

namespace DpsTorch.Model.Search;

/// <summary>The re-seed move and the pieces the other moves share: the residual D − W and the choice of a donor agent.</summary>
public static class Reseed
{
    /// <summary>An agent whose resource is below this fraction of the mean resource R/N counts as starved.</summary>
    public const double Starved = 0.05;

    /// <summary>The residual of the whole flat system (<see cref="MoveScope.Residual"/> of <see cref="MoveScope.Whole"/>).</summary>
    public static double[] Residual(DpsModel model) => MoveScope.Whole(model).Residual(model);

    /// <summary>The <see cref="Donor(AgentSystem, MoveScope, int)"/> among all agents of a flat system.</summary>
    public static int Donor(DpsModel model, int except = -1) => Donor(model, MoveScope.Whole(model), except);

    /// <summary>
    /// The agent a move may take among the leaves of <paramref name="scope"/> (never <paramref name="except"/>): the one
    /// with the smallest resource when that is starved (below <see cref="Starved"/> times the scope's mean resource),
    /// otherwise the member with the smallest resource of the largest group of near-clones (<see cref="Merge.Groups"/>;
    /// the first such group on ties), otherwise the agent with the smallest resource all the same (the polish then
    /// decides whether the others can do without it); −1 only when there is no other agent.
    /// </summary>
    public static int Donor(AgentSystem system, MoveScope scope, int except = -1)
    {
        double[] a, sigma;
        int first = scope.First, n = scope.Count;
        using (TensorEngine.NoGrad()) { a = system.Resources().ToArray()[first..(first + n)]; sigma = system.Sigma().ToArray()[first..(first + n)]; }
        except -= first;
        double mean = a.Sum() / n;
        int poorest = -1;
        for (int i = 0; i < n; i++)
            if (i != except && (poorest < 0 || a[i] < a[poorest])) poorest = i;
        if (poorest < 0) return -1;
        if (a[poorest] < Starved * mean) return first + poorest;
        int[]? largest = null;
        foreach (var g in Merge.Groups(system.Mu.ToArray()[first..(first + n)], sigma))
            if (largest is null || g.Length > largest.Length) largest = g;
        if (largest is null) return first + poorest;
        return first + largest.Where(i => i != except).MinBy(i => a[i]);
    }

    /// <summary>Moves agent <paramref name="j"/> of a flat system to the peak of <paramref name="residual"/> (<see cref="Place(AgentSystem, int, double[], MoveScope)"/>).</summary>
    public static bool Place(DpsModel model, int j, double[] residual) => Place(model, j, residual, MoveScope.Whole(model));

    /// <summary>
    /// Moves leaf <paramref name="j"/> to the peak of the positive residual: μ = its grid point, σ from its half-width
    /// at half-maximum (σ = HWHM / √(2 ln 2), at least 1.5 σ_min, at most π), and the resource share the residual peak
    /// holds of the scope's demand (r₀ σ √(2π) / ∫D̄, within [0.001, 0.5]), taken within the scope's resource
    /// (<see cref="SetShare(AgentSystem, int, double, MoveScope)"/>). False (nothing changed) when the residual has no
    /// positive part.
    /// </summary>
    public static bool Place(AgentSystem system, int j, double[] residual, MoveScope scope)
    {
        int m = residual.Length;
        int peak = 0;
        for (int x = 1; x < m; x++) if (residual[x] > residual[peak]) peak = x;
        double top = residual[peak];
        if (!(top > 0)) return false;
        int left = 0, right = 0;
        while (left < m / 2 && residual[(peak - left - 1 + m) % m] > top / 2) left++;
        while (right < m / 2 && residual[(peak + right + 1) % m] > top / 2) right++;
        double delta = system.Space.Delta;
        double hwhm = (left + right + 1) * delta / 2;
        double sigma = Math.Clamp(hwhm / Math.Sqrt(2 * Math.Log(2)), 1.5 * system.SigmaMin, Math.PI);
        double demand = 0;
        foreach (var f in scope.Frames) demand += f.Sum() * delta / scope.Frames.Count;
        double share = Math.Clamp(top * sigma * Math.Sqrt(2 * Math.PI) / demand, 0.001, 0.5);
        system.Mu[j] = system.Space.Grid[peak];
        system.Rho[j] = Initialization.SoftplusInverse(Math.Max(sigma, system.SigmaMin * 1.0001) - system.SigmaMin);
        SetShare(system, j, share, scope);
        return true;
    }

    /// <summary>Re-seeds one agent of a flat system (<see cref="Run(AgentSystem)"/>).</summary>
    public static int Run(DpsModel model) => Run((AgentSystem)model);

    /// <summary>
    /// Re-seeds one leaf: in the scope whose demand is least met (<see cref="MoveScope.Best"/>; a flat system's only
    /// one), the <see cref="Donor(AgentSystem, MoveScope, int)"/> goes to the peak of the scope's residual. Returns the
    /// agent moved, or −1 when there is no donor or no unmet demand (the system is then unchanged).
    /// </summary>
    public static int Run(AgentSystem system)
    {
        var scope = MoveScope.Best(system);
        int j = Donor(system, scope);
        if (j < 0) return -1;
        return Place(system, j, scope.Residual(system), scope) ? j : -1;
    }

    /// <summary>Gives agent <paramref name="j"/> of a flat system the share <paramref name="share"/> of the budget (<see cref="SetShare(AgentSystem, int, double, MoveScope)"/>).</summary>
    public static void SetShare(DpsModel model, int j, double share) => SetShare(model, j, share, MoveScope.Whole(model));

    /// <summary>
    /// Gives leaf <paramref name="j"/> the resource share <paramref name="share"/> of the current total of its
    /// resource set (<see cref="MoveScope.ResourceSet"/>: the scope, or j's budget block when that is smaller), the
    /// set's others scaled so that its total is kept (under a softmax budget: α_j set so that j holds that share of
    /// the set, then, when the set is smaller than the budget block, the set's α shifted to restore its total).
    /// Nothing changes under fixed equal resources.
    /// </summary>
    public static void SetShare(AgentSystem system, int j, double share, MoveScope scope)
    {
        if (system.FixedResources) return; // fixed equal resources: every share stays 1/N

        share = Math.Clamp(share, 1e-12, 1 - 1e-12);
        var (first, count) = scope.ResourceSet(system, j);
        double[] a;
        using (TensorEngine.NoGrad()) a = system.Resources().ToArray()[first..(first + count)];
        int local = j - first;
        double total = a.Sum();
        if (system.SoftBudget)
        {
            double others = total - a[local];
            double scale = others > 0 ? (1 - share) * total / others : 1;
            for (int i = 0; i < a.Length; i++)
                system.Alpha[first + i] = Initialization.SoftplusInverse(Math.Max(i == local ? share * total : a[i] * scale, 1e-300));
            return;
        }
        // softmax: with L = log Σ_{i≠j} exp(α_i), share = e^{α_j} / (e^{α_j} + e^L) gives α_j = L + log(share / (1 − share)).
        double before = scope.SetIsBlock(system, j) ? 0 : LogSumExp(system.Alpha.Data, first, count, -1);
        double max = double.NegativeInfinity;
        for (int i = 0; i < a.Length; i++) if (i != local) max = Math.Max(max, system.Alpha.Data[first + i]);
        double sum = 0;
        for (int i = 0; i < a.Length; i++) if (i != local) sum += Math.Exp(system.Alpha.Data[first + i] - max);
        system.Alpha[j] = max + Math.Log(sum) + Math.Log(share / (1 - share));
        if (scope.SetIsBlock(system, j)) return;
        // A set smaller than its block: shift its α so that its share of the block (its total resource) is kept.
        double shift = before - LogSumExp(system.Alpha.Data, first, count, -1);
        for (int i = first; i < first + count; i++) system.Alpha[i] = system.Alpha.Data[i] + shift;
    }

    /// <summary>log Σ exp(values[i]) over [first, first + count) without index <paramref name="skip"/>.</summary>
    private static double LogSumExp(ReadOnlySpan<double> values, int first, int count, int skip)
    {
        double max = double.NegativeInfinity;
        for (int i = first; i < first + count; i++) if (i != skip) max = Math.Max(max, values[i]);
        double sum = 0;
        for (int i = first; i < first + count; i++) if (i != skip) sum += Math.Exp(values[i] - max);
        return max + Math.Log(sum);
    }

    /// <summary>
    /// The composite re-seed of a nested system with two or more levels: the poorest composite agent (a member of a
    /// level above the leaves; its resource is its leaves' total) when it is starved, below <see cref="Starved"/> times
    /// its level's mean member resource, becomes a copy of the richest member of its group (its sub-system: the
    /// leaves' μ, ρ and the learned links inside, <see cref="Swaps.CopySubsystem"/>), and the two share their resource
    /// equally (each leaf of either holds half the pair's total in the richest's proportions). The composite's skill
    /// density is no wrapped normal that could be put on a residual peak; a copy of a member that serves the demand
    /// well is what a starved composite, hung on the others, lacks. False (nothing changed) when no composite is
    /// starved (never under fixed equal resources or for a homogeneous fleet).
    /// </summary>
    public static bool Composite(NestedSystem system)
    {
        if (system.FixedResources || system.Homogeneous || system.Levels.Count < 2) return false;
        double[] a;
        using (TensorEngine.NoGrad()) a = system.Resources().ToArray();
        int tier = -1, poorest = -1;
        double lowest = Starved;
        double[]? masses = null;
        for (int t = 1; t < system.Levels.Count; t++)
        {
            var level = system.Levels[t];
            int leaves = Swaps.LeavesPerAgent(system, t);
            var mass = new double[level.Members];
            for (int u = 0; u < level.Members; u++)
                for (int k = 0; k < leaves; k++) mass[u] += a[u * leaves + k];
            double mean = mass.Sum() / level.Members;
            for (int u = 0; u < level.Members; u++)
                if (mean > 0 && mass[u] / mean < lowest) { lowest = mass[u] / mean; tier = t; poorest = u; masses = mass; }
        }
        if (tier < 0) return false;
        var group = system.Levels[tier];
        int start = poorest / group.Size * group.Size;
        int source = Enumerable.Range(start, group.Size).Where(u => u != poorest).MaxBy(u => masses![u]);
        if (!(masses![source] > 0)) return false;
        int per = Swaps.LeavesPerAgent(system, tier);
        var alphas = system.Alpha.ToArray();
        double scale = (masses[source] + masses[poorest]) / (2 * masses[source]);
        Swaps.CopySubsystem(system, tier, source, poorest);
        for (int k = 0; k < per; k++)
        {
            double value = a[source * per + k] * scale;
            Merge.SetResource(system, poorest * per + k, value, alphas);
            Merge.SetResource(system, source * per + k, value, alphas);
        }
        return true;
    }
}
