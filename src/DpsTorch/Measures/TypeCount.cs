// A count of agent types that does not count tiling generalists as types (issue 13). The Hill number ¹D^Z sees N
// broad agents spread evenly round the circle as several types, since neighbours are not identical, although
// together they make one flat production that no specialist structure underlies. Here the types are the humps of the
// agents' resource-weighted skill density (a dip of at least 5% between two humps separates them), counted by the
// exponential of the Shannon entropy of their resource shares. Linking every pair of agents closer than the sum of
// their breadths (the rule before) chained 128 leaves of experiment 07 into one type; humps do not chain. On T^d with
// d > 1 the pairwise rule (single linkage) is still the one used.
namespace DpsTorch.Measures;

/// <summary>The effective number of agent types, with tiled generalists counted as one type.</summary>
public static class TypeCount
{
    /// <summary>
    /// The pairwise rule's groups (single linkage): the connected components of the relation |μ_i − μ_j| ≤ σ_i + σ_j
    /// (distance on the circle), in order of their first agent. They chain agents spread between two peaks into one
    /// group, so the circle's count uses <see cref="Modes"/>; the rule remains the one on T^d with d &gt; 1.
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
    /// exp(−Σ_g P_g ln P_g) over the types of <see cref="Modes"/>, P_g a type's share of the resources
    /// <paramref name="a"/>, among the agents holding at least <see cref="StarvedShare"/> of the resources (a starved
    /// agent neither counts nor shapes the density). K separated groups of equal resources give K; agents whose joint
    /// skill density has one hump give 1.
    /// </summary>
    public static double Of(IReadOnlyList<double> mu, IReadOnlyList<double> sigma, IReadOnlyList<double> a)
    {
        if (a.Count != mu.Count) throw new ArgumentException($"TypeCount: {mu.Count} agents need {mu.Count} resources; got {a.Count}.", nameof(a));
        if (sigma.Count != mu.Count) throw new ArgumentException($"TypeCount: {mu.Count} agents need {mu.Count} breadths; got {sigma.Count}.", nameof(sigma));
        double total = a.Sum();
        if (!(total > 0)) return 0;
        var kept = Enumerable.Range(0, a.Count).Where(i => a[i] >= StarvedShare * total).ToArray();
        double[] mk = [.. kept.Select(i => mu[i])], sk = [.. kept.Select(i => sigma[i])], ak = [.. kept.Select(i => a[i])];
        return Entropy(Modes(mk, sk, ak), ak);
    }

    /// <summary>
    /// [choice] The relative dip that separates two types: two humps of the resource-weighted skill density f are
    /// distinct types when f falls between them by at least this fraction of the lower hump's height; a shallower
    /// dip joins them into one. Two equal normals show a dip only once their distance exceeds 2σ (the pairwise rule
    /// this count replaces), a dip of 5% at about 2.2σ; the ripples of broad agents tiling the circle are far below it.
    /// </summary>
    public const double Dip = 0.05;

    /// <summary>
    /// The types of agents on the circle, without chaining: the humps of their resource-weighted skill density
    /// f(x) = Σ_i a_i WN(x; μ_i, σ_i), each agent in the hump whose basin holds its location μ_i. f is evaluated on a
    /// grid of spacing at most a quarter of the narrowest breadth (256 to 16384 points); its local maxima are
    /// flooded from the top (the elder rule of persistence: where two humps meet, the lower one survives as its own
    /// type only when the dip below its peak is at least <see cref="Dip"/> of the peak, else it joins the higher).
    /// Returns the groups of agent indices, in order of their first agent; no agents give none. Unlike linking every
    /// pair closer than σ_i + σ_j, agents spread evenly between two peaks do not chain the peaks into one type.
    /// </summary>
    public static IReadOnlyList<int[]> Modes(IReadOnlyList<double> mu, IReadOnlyList<double> sigma, IReadOnlyList<double> a)
    {
        int n = mu.Count;
        if (n == 0) return [];
        double narrowest = Enumerable.Range(0, n).Select(i => sigma[i]).Where(v => v > 0).DefaultIfEmpty(0.01).Min();
        int g = 256;
        while (g < MaxGrid && 2 * Math.PI / g > narrowest / 4) g *= 2;
        double h = 2 * Math.PI / g;
        var f = new double[g];
        for (int i = 0; i < n; i++) AddDensity(f, Wrap(mu[i]), sigma[i] > h ? sigma[i] : h, a[i], h);

        // Flood from the highest grid point down; label[x] is the hump whose basin x joins first.
        var order = Enumerable.Range(0, g).OrderByDescending(x => f[x]).ThenBy(x => x).ToArray();
        var label = new int[g];
        Array.Fill(label, -1);
        var parent = new List<int>();   // union-find over humps: an insignificant hump points to the one it joined
        var peak = new List<double>();  // a component's highest value (elder rule: the component keeps its eldest peak)
        var component = new List<int>(); // union-find over flooded components
        int Find(List<int> p, int i) { while (p[i] != i) i = p[i] = p[p[i]]; return i; }
        foreach (int x in order)
        {
            int left = label[(x + g - 1) % g], right = label[(x + 1) % g];
            int cl = left < 0 ? -1 : Find(component, left), cr = right < 0 ? -1 : Find(component, right);
            if (cl < 0 && cr < 0)
            {
                label[x] = parent.Count;
                parent.Add(parent.Count); component.Add(component.Count); peak.Add(f[x]);
                continue;
            }
            if (cl < 0 || cr < 0 || cl == cr) { label[x] = cl < 0 ? right : left; continue; }
            var (high, low) = peak[cl] >= peak[cr] ? (cl, cr) : (cr, cl);
            if (peak[low] - f[x] < Dip * peak[low]) parent[Find(parent, low)] = Find(parent, high);
            component[low] = high;
            label[x] = high;
        }
        var groups = new Dictionary<int, List<int>>();
        for (int i = 0; i < n; i++)
        {
            int x = (int)Math.Round(Wrap(mu[i]) / h) % g;
            int hump = Find(parent, label[x]);
            if (!groups.TryGetValue(hump, out var list)) groups[hump] = list = [];
            list.Add(i);
        }
        return [.. groups.Values.Select(l => l.ToArray()).OrderBy(l => l[0])];
    }

    /// <summary>Most grid points <see cref="Modes"/> evaluates the density on.</summary>
    public const int MaxGrid = 16384;

    private static double Wrap(double x)
    {
        double w = x % (2 * Math.PI);
        return w < 0 ? w + 2 * Math.PI : w;
    }

    /// <summary>Adds a·WN(x; μ, σ) at the grid points x = k·h: the Gaussian within its tail window when that is shorter than π, else the wrapped normal everywhere.</summary>
    private static void AddDensity(double[] f, double mu, double sigma, double a, double h)
    {
        int g = f.Length;
        if (a == 0) return;
        if (double.IsPositiveInfinity(sigma)) { for (int x = 0; x < g; x++) f[x] += a / (2 * Math.PI); return; }
        double reach = WrappedNormal.TailZ * sigma;
        if (reach >= Math.PI)
        {
            for (int x = 0; x < g; x++) f[x] += a * WrappedNormal.Density(x * h, mu, sigma);
            return;
        }
        double scale = a / (sigma * Math.Sqrt(2 * Math.PI));
        int from = (int)Math.Floor((mu - reach) / h), to = (int)Math.Ceiling((mu + reach) / h);
        for (int k = from; k <= to; k++)
        {
            double d = k * h - mu;
            f[((k % g) + g) % g] += scale * Math.Exp(-d * d / (2 * sigma * sigma));
        }
    }

    /// <summary>
    /// The type count of agents given by their skill densities on the grid (a nested system's composite agents, whose
    /// skills are normalised productions W_g/∫W_g rather than wrapped normals): each density is read as the wrapped
    /// normal with the same circular mean μ = arg ∫s(x)e^{ix}dx and the same mean resultant length r = |∫s(x)e^{ix}dx|,
    /// σ = √(−2 ln r), and those are counted by <see cref="Of(IReadOnlyList{double}, IReadOnlyList{double}, IReadOnlyList{double})"/> with <paramref name="weights"/>. A composite that covers
    /// the whole circle (r near 0) is broad, so composites that each serve the whole demand count as one type. On T^d
    /// each axis is read so (the circular moments of the density's marginal on that axis) and the product wrapped normals
    /// are counted by <see cref="Of(IReadOnlyList{double}, IReadOnlyList{double}, IReadOnlyList{double}, int)"/>.
    /// <paramref name="densities"/> holds one row of <paramref name="space"/>.Points values per agent, each integrating to 1.
    /// </summary>
    public static double OfDensities(IReadOnlyList<double> densities, IReadOnlyList<double> weights, DpsTorch.Model.Space space)
    {
        int m = space.Points, n = weights.Count, d = space.Dimensions;
        if (densities.Count != n * m) throw new ArgumentException($"TypeCount: {n} agents on {m} grid points need {n * m} density values; got {densities.Count}.", nameof(densities));
        var mu = new double[n * d];
        var sigma = new double[n * d];
        for (int i = 0; i < n; i++)
        {
            var (means, lengths) = CircularMoments(densities, i, space);
            for (int k = 0; k < d; k++)
            {
                double r = lengths[k] * space.Delta;
                mu[i * d + k] = means[k];
                sigma[i * d + k] = r >= 1 ? 0 : r > 0 ? Math.Sqrt(-2 * Math.Log(r)) : double.PositiveInfinity;
            }
        }
        return d == 1 ? Of(mu, sigma, weights) : Of(mu, sigma, weights, d);
    }

    /// <summary>
    /// Per axis k of <paramref name="space"/> the circular mean arg ∫s(x)e^{ix_k}dx and |Σ_x s(x)e^{ix_k}| (the mean
    /// resultant length |∫s(x)e^{ix_k}dx| before the cell weight Δ) of row <paramref name="row"/> of
    /// <paramref name="densities"/> (rows of space.Points values).
    /// </summary>
    internal static (double[] Means, double[] Lengths) CircularMoments(IReadOnlyList<double> densities, int row, DpsTorch.Model.Space space)
    {
        int points = space.Points, m = space.M, d = space.Dimensions;
        var means = new double[d];
        var lengths = new double[d];
        for (int k = 0, stride = points / m; k < d; k++, stride /= m)
        {
            double c = 0, s = 0;
            for (int x = 0; x < points; x++)
            {
                double v = densities[row * points + x], angle = space.Grid[x / stride % m];
                c += v * Math.Cos(angle);
                s += v * Math.Sin(angle);
            }
            lengths[k] = Math.Sqrt(c * c + s * s);
            means[k] = Math.Atan2(s, c);
        }
        return (means, lengths);
    }
}
