// Hand-built states whose loss is known (issue 13): the exact mixture (agents grouped at each demand centre with the
// centre's width and weight) for the system objective, and the tiling A B C A B C ... of the centres along the agents'
// order for the local objective on a ring. They are the yardsticks training is measured against.
namespace DpsTorch.Model.Search;

/// <summary>Writes reference states into a model's parameters.</summary>
public static class ReferenceStates
{
    /// <summary>
    /// The exact mixture: agent counts n_k ∝ weights (largest remainders, at least one each when N ≥ K), agents of
    /// group k at centre k with σ = width k, and resources a_i = R·weight_k / n_k. Under the system objective with no
    /// edges W then equals the mixture demand of total mass R, so the coverage loss is 0 up to rounding.
    /// </summary>
    public static void ExactMixture(DpsModel model, IReadOnlyList<double> centers, IReadOnlyList<double> widths, IReadOnlyList<double> weights)
    {
        int k = centers.Count;
        if (widths.Count != k || weights.Count != k) throw new ArgumentException($"ExactMixture: {k} centres need {k} widths and {k} weights; got {widths.Count} and {weights.Count}.");
        if (model.N < k) throw new ArgumentException($"ExactMixture: {k} centres need at least {k} agents; the model has {model.N}.");
        double total = weights.Sum();
        var counts = GroupSizes(model.N, [.. weights.Select(w => w / total)]);
        int i = 0;
        for (int g = 0; g < k; g++)
            for (int c = 0; c < counts[g]; c++, i++)
                Set(model, i, centers[g], widths[g], Math.Log(weights[g] / total / counts[g]));
    }

    /// <summary>
    /// The tiling: agent i at centre i mod K with σ = <paramref name="width"/> and equal resources. On a ring with k
    /// neighbours each side, every neighbourhood of 2k + 1 agents holds each centre equally often when K divides
    /// 2k + 1 and N, so the pooled densities equal an equal-weight demand on those centres exactly.
    /// </summary>
    public static void Tiling(DpsModel model, IReadOnlyList<double> centers, double width)
    {
        if (centers.Count == 0) throw new ArgumentException("Tiling: at least one centre.");
        for (int i = 0; i < model.N; i++) Set(model, i, centers[i % centers.Count], width, -Math.Log(model.N));
    }

    /// <summary>The centres of demand.kind "peaks": K evenly spaced from <paramref name="phase"/>.</summary>
    public static double[] EvenCenters(int k, double phase = 0) => [.. Enumerable.Range(0, k).Select(j => phase + 2.0 * Math.PI * j / k)];

    /// <summary>Group sizes ∝ <paramref name="fractions"/> summing to <paramref name="n"/>, by largest remainders, none below 1.</summary>
    public static int[] GroupSizes(int n, IReadOnlyList<double> fractions)
    {
        int k = fractions.Count;
        var sizes = new int[k];
        for (int g = 0; g < k; g++) sizes[g] = Math.Max(1, (int)Math.Floor(n * fractions[g]));
        while (sizes.Sum() > n) sizes[Array.IndexOf(sizes, sizes.Max())]--;
        while (sizes.Sum() < n)
        {
            int best = 0;
            for (int g = 1; g < k; g++)
                if (n * fractions[g] - sizes[g] > n * fractions[best] - sizes[best]) best = g;
            sizes[best]++;
        }
        return sizes;
    }

    private static void Set(DpsModel model, int i, double mu, double sigma, double alpha)
    {
        if (!(sigma > model.SigmaMin)) throw new ArgumentException($"reference state: σ = {sigma} must exceed σ_min = {model.SigmaMin}.");
        model.Mu[i] = mu;
        model.Rho[i] = Initialization.SoftplusInverse(sigma - model.SigmaMin);
        model.Alpha[i] = model.SoftBudget ? Initialization.SoftplusInverse(Math.Exp(alpha) * model.Budget) : alpha;
    }
}
