// A count of agent types that does not count tiling generalists as types (issue 13). The Hill number ¹D^Z sees N
// broad agents spread evenly round the circle as several types, since neighbours are not identical, although
// together they make one flat production that no specialist structure underlies. Here two agents are of one type
// when their locations are closer than the sum of their breadths: two equal normals closer than that sum to a single
// hump, so their joint production shows no gap between them. Types are the chains of such pairs (single linkage),
// counted by the exponential of the Shannon entropy of their resource shares.
namespace DpsTorch.Measures;

/// <summary>The effective number of agent types, with tiled generalists counted as one type.</summary>
public static class TypeCount
{
    /// <summary>
    /// Groups of agents of one type: the connected components of the relation |μ_i − μ_j| ≤ σ_i + σ_j (distance on
    /// the circle), in order of their first agent.
    /// </summary>
    public static IReadOnlyList<int[]> Groups(IReadOnlyList<double> mu, IReadOnlyList<double> sigma)
        => DpsTorch.Model.Search.Merge.Components(mu, sigma, 1, breadthsToo: false);

    /// <summary>
    /// Groups of agents of one type on T^d (d numbers per agent in <paramref name="mu"/> and <paramref name="sigma"/>,
    /// agent by agent): the connected components of Σ_k (Δμ_k / (σ_ik + σ_jk))² ≤ 1 (Δμ_k the distance on axis k's
    /// circle), the circle's rule measured in each axis' breadths. d = 1 is <see cref="Groups(IReadOnlyList{double}, IReadOnlyList{double})"/>.
    /// </summary>
    public static IReadOnlyList<int[]> Groups(IReadOnlyList<double> mu, IReadOnlyList<double> sigma, int dimensions)
        => dimensions == 1 ? Groups(mu, sigma) : DpsTorch.Model.Search.Merge.TorusComponents(mu, sigma, dimensions, 1, breadthsToo: false);

    /// <summary>Share of the resources below which an agent neither counts nor links two types (a starved agent).</summary>
    public const double StarvedShare = 1e-6;

    /// <summary>
    /// <see cref="Of(IReadOnlyList{double}, IReadOnlyList{double}, IReadOnlyList{double})"/> on T^d, with the groups of
    /// <see cref="Groups(IReadOnlyList{double}, IReadOnlyList{double}, int)"/> among the agents holding at least
    /// <see cref="StarvedShare"/> of the resources: a starved broad agent (a_i ≈ 0, σ large, common at optima of the
    /// system objective with a fixed budget) produces nothing and would otherwise chain every type into one.
    /// </summary>
    public static double Of(IReadOnlyList<double> mu, IReadOnlyList<double> sigma, IReadOnlyList<double> a, int dimensions)
    {
        if (dimensions == 1) return Of(mu, sigma, a);
        if (a.Count * dimensions != mu.Count) throw new ArgumentException($"TypeCount: {a.Count} agents on T^{dimensions} need {a.Count * dimensions} locations; got {mu.Count}.", nameof(mu));
        double total = a.Sum();
        if (!(total > 0)) return 0;
        var kept = Enumerable.Range(0, a.Count).Where(i => a[i] >= StarvedShare * total).ToArray();
        double[] Axes(IReadOnlyList<double> v) => [.. kept.SelectMany(i => Enumerable.Range(i * dimensions, dimensions).Select(k => v[k]))];
        return Entropy(Groups(Axes(mu), Axes(sigma), dimensions), [.. kept.Select(i => a[i])]);
    }

    private static double Entropy(IReadOnlyList<int[]> groups, IReadOnlyList<double> a)
    {
        double total = a.Sum();
        if (!(total > 0)) return 0;
        double entropy = 0;
        foreach (var g in groups)
        {
            double share = g.Sum(i => a[i]) / total;
            if (share > 0) entropy -= share * Math.Log(share);
        }
        return Math.Exp(entropy);
    }

    /// <summary>
    /// exp(−Σ_g P_g ln P_g) over the type groups of <see cref="Groups(IReadOnlyList{double}, IReadOnlyList{double})"/>, P_g the group's share of the resources
    /// <paramref name="a"/>, among the agents holding at least <see cref="StarvedShare"/> of the resources (a starved agent
    /// neither counts nor links two types). K groups of equal resources give K; one group gives 1.
    /// </summary>
    public static double Of(IReadOnlyList<double> mu, IReadOnlyList<double> sigma, IReadOnlyList<double> a)
    {
        if (a.Count != mu.Count) throw new ArgumentException($"TypeCount: {mu.Count} agents need {mu.Count} resources; got {a.Count}.", nameof(a));
        double total = a.Sum();
        if (!(total > 0)) return 0;
        // A starved broad agent produces nothing but would chain the specialists it overlaps into one type.
        var kept = Enumerable.Range(0, a.Count).Where(i => a[i] >= StarvedShare * total).ToArray();
        if (kept.Length == a.Count) return Entropy(Groups(mu, sigma), a);
        return Entropy(Groups([.. kept.Select(i => mu[i])], [.. kept.Select(i => sigma[i])]), [.. kept.Select(i => a[i])]);
    }

    /// <summary>
    /// The type count of agents given by their skill densities on the grid (a nested system's composite agents, whose
    /// skills are normalised productions W_g/∫W_g rather than wrapped normals): each density is read as the wrapped
    /// normal with the same circular mean μ = arg ∫s(x)e^{ix}dx and the same mean resultant length r = |∫s(x)e^{ix}dx|,
    /// σ = √(−2 ln r), and those are counted by <see cref="Of(IReadOnlyList{double}, IReadOnlyList{double}, IReadOnlyList{double})"/> with <paramref name="weights"/>. A composite that covers
    /// the whole circle (r near 0) is broad, so composites that each serve the whole demand count as one type.
    /// <paramref name="densities"/> holds one row of <paramref name="space"/>.M values per agent, each integrating to 1.
    /// </summary>
    public static double OfDensities(IReadOnlyList<double> densities, IReadOnlyList<double> weights, DpsTorch.Model.Space space)
    {
        int m = space.M, n = weights.Count;
        if (densities.Count != n * m) throw new ArgumentException($"TypeCount: {n} agents on {m} grid points need {n * m} density values; got {densities.Count}.", nameof(densities));
        var mu = new double[n];
        var sigma = new double[n];
        for (int i = 0; i < n; i++)
        {
            double c = 0, s = 0;
            for (int x = 0; x < m; x++) { c += densities[i * m + x] * Math.Cos(space.Grid[x]); s += densities[i * m + x] * Math.Sin(space.Grid[x]); }
            double r = Math.Sqrt(c * c + s * s) * space.Delta;
            mu[i] = Math.Atan2(s, c);
            sigma[i] = r >= 1 ? 0 : r > 0 ? Math.Sqrt(-2 * Math.Log(r)) : double.PositiveInfinity;
        }
        return Of(mu, sigma, weights);
    }
}
