// Re-seeding starved agents (issue 13): gradient descent cannot move an agent across the circle to a peak nobody
// covers (on the way it would cover nothing, a worse state), and an agent whose resource share has gone to ≈ 0 gets
// almost no gradient at all. This move takes such an agent (or, when none is starved, one of a group of near-clones,
// which the others can stand in for) and puts it where the unmet demand D − W is largest, with the width and share
// of that residual peak; the polish then finishes the job (Refinement keeps the move only when the loss drops).
namespace DpsTorch.Model.Search;

/// <summary>The re-seed move and the pieces the other moves share: the residual D − W and the choice of a donor agent.</summary>
public static class Reseed
{
    /// <summary>An agent whose resource is below this fraction of the mean resource R/N counts as starved.</summary>
    public const double Starved = 0.05;

    /// <summary>
    /// The residual r(x) = D̄(x) − c·W(x) on the grid: D̄ the mean of the demand frames, W the system production
    /// 1ᵀp (every agent's production after propagation), and c = ∫D̄ / ∫W, so that r measures the unmet shape of the
    /// demand whatever the objective (under the system objective with no edges c = 1 at coverage 1).
    /// </summary>
    public static double[] Residual(DpsModel model)
    {
        double[] w;
        using (TensorEngine.NoGrad()) w = model.SystemProduction(model.Production(model.Interaction.Weights())).ToArray();
        int m = model.Space.M;
        var d = new double[m];
        foreach (var f in model.DemandFrames)
            for (int x = 0; x < m; x++) d[x] += f[x] / model.DemandFrames.Count;
        double scale = w.Sum() > 0 ? d.Sum() / w.Sum() : 0;
        var r = new double[m];
        for (int x = 0; x < m; x++) r[x] = d[x] - scale * w[x];
        return r;
    }

    /// <summary>
    /// The agent a move may take (never <paramref name="except"/>): the one with the smallest resource when that is
    /// starved (below <see cref="Starved"/>·R/N), otherwise the member with the smallest resource of the largest group
    /// of near-clones (<see cref="Merge.Groups"/>; the first such group on ties), otherwise the agent with the
    /// smallest resource all the same (the polish then decides whether the others can do without it); −1 only when
    /// there is no other agent.
    /// </summary>
    public static int Donor(DpsModel model, int except = -1)
    {
        double[] a, sigma;
        using (TensorEngine.NoGrad()) { a = model.Resources().ToArray(); sigma = model.Sigma().ToArray(); }
        int n = a.Length;
        double mean = a.Sum() / n;
        int poorest = -1;
        for (int i = 0; i < n; i++)
            if (i != except && (poorest < 0 || a[i] < a[poorest])) poorest = i;
        if (poorest >= 0 && a[poorest] < Starved * mean) return poorest;
        int[]? largest = null;
        foreach (var g in Merge.Groups(model.Mu.ToArray(), sigma))
            if (largest is null || g.Length > largest.Length) largest = g;
        if (largest is null) return poorest;
        return largest.Where(i => i != except).MinBy(i => a[i]);
    }

    /// <summary>
    /// Moves agent <paramref name="j"/> to the peak of the positive residual: μ = its grid point, σ from its half-width
    /// at half-maximum (σ = HWHM / √(2 ln 2), at least 1.5 σ_min, at most π), and the resource share the residual peak
    /// holds (r₀ σ √(2π) / ∫D̄, within [0.001, 0.5]), the others scaled to keep the budget. False (nothing changed) when
    /// the residual has no positive part.
    /// </summary>
    public static bool Place(DpsModel model, int j, double[] residual)
    {
        int m = residual.Length;
        int peak = 0;
        for (int x = 1; x < m; x++) if (residual[x] > residual[peak]) peak = x;
        double top = residual[peak];
        if (!(top > 0)) return false;
        int left = 0, right = 0;
        while (left < m / 2 && residual[(peak - left - 1 + m) % m] > top / 2) left++;
        while (right < m / 2 && residual[(peak + right + 1) % m] > top / 2) right++;
        double delta = model.Space.Delta;
        double hwhm = (left + right + 1) * delta / 2;
        double sigma = Math.Clamp(hwhm / Math.Sqrt(2 * Math.Log(2)), 1.5 * model.SigmaMin, Math.PI);
        double demand = 0;
        foreach (var f in model.DemandFrames) demand += f.Sum() * delta / model.DemandFrames.Count;
        double share = Math.Clamp(top * sigma * Math.Sqrt(2 * Math.PI) / demand, 0.001, 0.5);
        model.Mu[j] = model.Space.Grid[peak];
        model.Rho[j] = Initialization.SoftplusInverse(Math.Max(sigma, model.SigmaMin * 1.0001) - model.SigmaMin);
        SetShare(model, j, share);
        return true;
    }

    /// <summary>
    /// Re-seeds one agent: the <see cref="Donor"/> goes to the peak of the <see cref="Residual"/>. Returns the agent
    /// moved, or −1 when there is no donor or no unmet demand (the model is then unchanged).
    /// </summary>
    public static int Run(DpsModel model)
    {
        int j = Donor(model);
        if (j < 0) return -1;
        return Place(model, j, Residual(model)) ? j : -1;
    }

    /// <summary>
    /// Gives agent <paramref name="j"/> the resource share <paramref name="share"/> of the current total, the others
    /// scaled so the total is kept (under a softmax budget: α_j set so that softmax(α)_j = share).
    /// </summary>
    public static void SetShare(DpsModel model, int j, double share)
    {
        if (model.FixedResources) return; // fixed equal resources: every share stays 1/N

        share = Math.Clamp(share, 1e-12, 1 - 1e-12);
        double[] a;
        using (TensorEngine.NoGrad()) a = model.Resources().ToArray();
        double total = a.Sum();
        if (model.SoftBudget)
        {
            double others = total - a[j];
            double scale = others > 0 ? (1 - share) * total / others : 1;
            for (int i = 0; i < a.Length; i++)
                model.Alpha[i] = Initialization.SoftplusInverse(Math.Max(i == j ? share * total : a[i] * scale, 1e-300));
            return;
        }
        // softmax: with L = log Σ_{i≠j} exp(α_i), share = e^{α_j} / (e^{α_j} + e^L) gives α_j = L + log(share / (1 − share)).
        double max = double.NegativeInfinity;
        for (int i = 0; i < a.Length; i++) if (i != j) max = Math.Max(max, model.Alpha.Data[i]);
        double sum = 0;
        for (int i = 0; i < a.Length; i++) if (i != j) sum += Math.Exp(model.Alpha.Data[i] - max);
        model.Alpha[j] = max + Math.Log(sum) + Math.Log(share / (1 - share));
    }
}
