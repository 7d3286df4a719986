// Splitting an agent (issue 13): one broad agent covering two peaks sits at a saddle of the loss (narrowing it or
// moving it uncovers one peak or the other), so gradient descent keeps it. This move makes it two: the agent and a
// donor (a starved agent, or one of a group of near-clones, Reseed.Donor) take its place at μ ∓ σ/2 with σ·√3/2 each
// (the pair keeps the agent's mean and variance) and half its resource each; the polish then moves them apart onto
// the peaks (Refinement keeps the move only when the loss drops). In a nested system the split works on leaves, in the
// scope whose demand is least met (MoveScope); a broad composite is split through its broad leaves.
using DpsTorch.Nested;

namespace DpsTorch.Model.Search;

/// <summary>The split move.</summary>
public static class Split
{
    /// <summary>The agents of a flat system in the order the split tries them (<see cref="Candidates(AgentSystem, MoveScope)"/>).</summary>
    public static int[] Candidates(DpsModel model) => Candidates(model, MoveScope.Whole(model));

    /// <summary>
    /// The leaves of <paramref name="scope"/> in the order the split tries them: largest misfit first, the misfit of
    /// leaf i being ∫ s_i(x) |r(x)| dx, its skill density s_i against the scope's absolute residual
    /// (<see cref="MoveScope.Residual"/>; a broad agent over two peaks has unmet demand at both and overproduction
    /// between them).
    /// </summary>
    public static int[] Candidates(AgentSystem system, MoveScope scope)
    {
        var r = scope.Residual(system);
        double[] s;
        using (TensorEngine.NoGrad()) s = Skills(system).ToArray();
        int first = scope.First, n = scope.Count, m = r.Length;
        var misfit = new double[n];
        for (int i = 0; i < n; i++)
            for (int x = 0; x < m; x++) misfit[i] += s[(first + i) * m + x] * Math.Abs(r[x]) * system.Space.Delta;
        return [.. Enumerable.Range(0, n).OrderByDescending(i => misfit[i]).ThenBy(i => i).Select(i => first + i)];
    }

    private static Tensor Skills(AgentSystem system) => system switch
    {
        DpsModel model => model.Skills(),
        NestedSystem nested => nested.Skills(),
        _ => throw new ArgumentException($"Split: no skills for a {system.GetType().Name}.", nameof(system)),
    };

    /// <summary>Splits agent <paramref name="i"/> of a flat system (<see cref="Run(AgentSystem, int, MoveScope)"/>).</summary>
    public static int Run(DpsModel model, int i) => Run(model, i, MoveScope.Whole(model));

    /// <summary>
    /// Splits leaf <paramref name="i"/> with the donor <see cref="Reseed.Donor(AgentSystem, MoveScope, int)"/> of its
    /// resource set in <paramref name="scope"/> (<see cref="MoveScope.ResourceSet"/>; excluding i): i at μ − σ/2 and
    /// the donor at μ + σ/2, both with σ·√3/2 and half of i's resource (the set's others scaled to keep its total).
    /// Returns the donor, or −1 (nothing changed) when there is none.
    /// </summary>
    public static int Run(AgentSystem system, int i, MoveScope scope)
    {
        var (first, count) = scope.ResourceSet(system, i);
        var set = scope with { First = first, Count = count };
        int j = Reseed.Donor(system, set, except: i);
        if (j < 0) return -1;
        double sigma, a;
        using (TensorEngine.NoGrad())
        {
            sigma = system.Sigma().Data[i];
            var res = system.Resources().ToArray()[first..(first + count)];
            a = res[i - first] / res.Sum();
        }
        double mu = system.Mu.Data[i];
        double narrower = Math.Max(sigma * Math.Sqrt(3) / 2, system.SigmaMin * 1.0001);
        double rho = Initialization.SoftplusInverse(narrower - system.SigmaMin);
        system.Mu[i] = mu - sigma / 2;
        system.Mu[j] = mu + sigma / 2;
        system.Rho[i] = rho;
        system.Rho[j] = rho;
        // Half of i's share each: first the donor (which scales everyone else, i included), then i.
        Reseed.SetShare(system, j, a / 2, set);
        Reseed.SetShare(system, i, a / 2, set);
        return j;
    }
}
