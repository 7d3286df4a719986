// Splitting an agent (issue 13): one broad agent covering two peaks sits at a saddle of the loss (narrowing it or
// moving it uncovers one peak or the other), so gradient descent keeps it. This move makes it two: the agent and a
// donor (a starved agent, or one of a group of near-clones, Reseed.Donor) take its place at μ ∓ σ/2 with σ·√3/2 each
// (the pair keeps the agent's mean and variance) and half its resource each; the polish then moves them apart onto
// the peaks (Refinement keeps the move only when the loss drops).
namespace DpsTorch.Model.Search;

/// <summary>The split move.</summary>
public static class Split
{
    /// <summary>
    /// The agents in the order the split tries them: largest misfit first, the misfit of agent i being
    /// ∫ s_i(x) |r(x)| dx, its skill density s_i against the absolute <see cref="Reseed.Residual"/> (a broad agent
    /// over two peaks has unmet demand at both and overproduction between them).
    /// </summary>
    public static int[] Candidates(DpsModel model)
    {
        var r = Reseed.Residual(model);
        double[] s;
        using (TensorEngine.NoGrad()) s = model.Skills().ToArray();
        int n = model.N, m = r.Length;
        var misfit = new double[n];
        for (int i = 0; i < n; i++)
            for (int x = 0; x < m; x++) misfit[i] += s[i * m + x] * Math.Abs(r[x]) * model.Space.Delta;
        return [.. Enumerable.Range(0, n).OrderByDescending(i => misfit[i]).ThenBy(i => i)];
    }

    /// <summary>
    /// Splits agent <paramref name="i"/> with the donor <see cref="Reseed.Donor"/> (excluding i): i at μ − σ/2 and the
    /// donor at μ + σ/2, both with σ·√3/2 and half of i's resource (the others scaled to keep the budget). Returns the
    /// donor, or −1 (nothing changed) when there is none.
    /// </summary>
    public static int Run(DpsModel model, int i)
    {
        int j = Reseed.Donor(model, except: i);
        if (j < 0) return -1;
        double sigma, a;
        using (TensorEngine.NoGrad())
        {
            sigma = model.Sigma().Data[i];
            var res = model.Resources().ToArray();
            a = res[i] / res.Sum();
        }
        double mu = model.Mu.Data[i];
        double narrower = Math.Max(sigma * Math.Sqrt(3) / 2, model.SigmaMin * 1.0001);
        double rho = Initialization.SoftplusInverse(narrower - model.SigmaMin);
        model.Mu[i] = mu - sigma / 2;
        model.Mu[j] = mu + sigma / 2;
        model.Rho[i] = rho;
        model.Rho[j] = rho;
        // Half of i's share each: first the donor (which scales everyone else, i included), then i.
        Reseed.SetShare(model, j, a / 2);
        Reseed.SetShare(model, i, a / 2);
        return j;
    }
}
