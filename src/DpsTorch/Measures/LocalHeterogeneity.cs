// Local heterogeneity and the spatial scale of heterogeneity, MODEL.md section 3: the Hill number of every agent's
// r-hop neighbourhood, averaged over agents, as a function of r.
using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.Measures;

/// <summary>
/// H(r) = (1/|A_r|) Σ_{i ∈ A_r} qD^Z(neighbourhood_r(i)), where neighbourhood_r(i) holds the agents within r hops of i
/// (i included) with their weights renormalised inside it, and A_r are the agents whose neighbourhood has positive
/// weight (an agent of zero weight with no weighted neighbours is skipped). H(0) = 1; H grows towards the global value
/// as r reaches the diameter of a connected graph.
/// </summary>
public static class LocalHeterogeneity
{
    /// <summary>Share of the global heterogeneity that defines the spatial scale (MODEL.md: 90%).</summary>
    public const double DefaultFraction = 0.9;

    /// <summary>H(r) for r = 0..rMax (length rMax + 1); see the class summary. Z is N×N row-major.</summary>
    public static double[] Profile(Topology topology, ReadOnlySpan<double> weights, ReadOnlySpan<double> z, int rMax, double q = Heterogeneity.DefaultOrder)
    {
        ArgumentNullException.ThrowIfNull(topology);
        int n = topology.N;
        Require.Length(weights.Length, n, nameof(weights), "one weight per agent");
        Require.Length(z.Length, Require.SquareLength(n, "LocalHeterogeneity.Profile"), nameof(z), $"an {n}x{n} similarity matrix");
        Require.AllNonNegative(weights, nameof(weights));
        Require.AtLeast(rMax, 0, nameof(rMax));
        Heterogeneity.CheckOrder(q);

        var sum = new double[rMax + 1];
        var counted = new int[rMax + 1];
        var members = new int[n];
        var scratch = new double[2 * n];
        var byHop = new int[n];
        for (int i = 0; i < n; i++)
        {
            var dist = topology.HopDistancesFrom(i, rMax);
            // Weighted agents sorted by hop count, so the r-neighbourhood is a prefix of byHop.
            int count = 0;
            for (int r = 0; r <= rMax; r++)
                for (int j = 0; j < n; j++)
                    if (dist[j] == r && weights[j] > 0) byHop[count++] = j;
            int prefix = 0, last = -1;
            double value = double.NaN;
            for (int r = 0; r <= rMax; r++)
            {
                while (prefix < count && dist[byHop[prefix]] <= r) { members[prefix] = byHop[prefix]; prefix++; }
                if (prefix == 0) continue;
                if (prefix != last) value = Heterogeneity.HillOnSubset(weights, z, members.AsSpan(0, prefix), q, scratch);
                last = prefix;
                sum[r] += value;
                counted[r]++;
            }
        }
        for (int r = 0; r <= rMax; r++) sum[r] = counted[r] > 0 ? sum[r] / counted[r] : double.NaN;
        return sum;
    }

    /// <summary>Above this many agents the profile averages over a fixed sample of agents, not all of them.</summary>
    public const int SampleAbove = Heterogeneity.ExactMaxN;

    /// <summary>Agents in that sample (chosen with <c>new Random(SampleSeed)</c>, without replacement).</summary>
    public const int SampleSize = 1024;

    /// <summary>Seed of the sample.</summary>
    public const int SampleSeed = 12345;

    /// <summary>Neighbourhoods larger than this get their Hill number from <see cref="Heterogeneity.SimilarityTimes"/>
    /// instead of all their pairs.</summary>
    private const int PairwiseMaxMembers = 512;

    /// <summary>
    /// H(r) for wrapped-normal agents (similarity in closed form, no N×N matrix needed). Up to
    /// <see cref="SampleAbove"/> agents this is <see cref="Profile(Topology, ReadOnlySpan{double}, ReadOnlySpan{double}, int, double)"/>
    /// with the exact matrix. Above, the mean runs over <see cref="SampleSize"/> agents drawn once with a fixed seed
    /// (every neighbourhood's own value is exact): an unbiased estimate whose standard error is the spread of the
    /// neighbourhood values over √1024 = 32 (tested against the full mean at N = 5000). Bounded breadth-first searches
    /// visit only each sampled agent's r-hop neighbourhood.
    /// </summary>
    public static double[] Profile(Topology topology, ReadOnlySpan<double> weights, ReadOnlySpan<double> mus, ReadOnlySpan<double> sigmas,
        int rMax, double q = Heterogeneity.DefaultOrder)
    {
        ArgumentNullException.ThrowIfNull(topology);
        int n = topology.N;
        if (n <= SampleAbove) return Profile(topology, weights, Heterogeneity.Similarity(mus, sigmas), rMax, q);
        Require.Length(weights.Length, n, nameof(weights), "one weight per agent");
        Require.Length(mus.Length, n, nameof(mus), "one location per agent");
        Require.AllNonNegative(weights, nameof(weights));
        Require.AtLeast(rMax, 0, nameof(rMax));
        Heterogeneity.CheckOrder(q);
        return SampledProfile(topology, weights, mus.ToArray(), sigmas.ToArray(), rMax, q, Sample(n));
    }

    /// <summary>The profile averaged over the given source agents only (all agents: the exact mean).</summary>
    internal static double[] SampledProfile(Topology topology, ReadOnlySpan<double> weights, double[] mus, double[] sigmas, int rMax, double q, int[] sources)
    {
        int n = topology.N;
        var sum = new double[rMax + 1];
        var counted = new int[rMax + 1];
        var dist = new int[n];
        Array.Fill(dist, Topology.Unreachable);
        var order = new List<int>(); // weighted agents in breadth-first order (so by hop count)
        var visited = new List<int>();
        foreach (int source in sources)
        {
            order.Clear();
            visited.Clear();
            dist[source] = 0;
            visited.Add(source);
            for (int head = 0; head < visited.Count; head++)
            {
                int u = visited[head];
                if (weights[u] > 0) order.Add(u);
                if (dist[u] >= rMax) continue;
                foreach (int v in topology.Neighbors(u))
                    if (dist[v] == Topology.Unreachable) { dist[v] = dist[u] + 1; visited.Add(v); }
            }
            int prefix = 0, last = -1;
            double value = double.NaN;
            for (int r = 0; r <= rMax; r++)
            {
                while (prefix < order.Count && dist[order[prefix]] <= r) prefix++;
                if (prefix == 0) continue;
                if (prefix != last) value = HillOfMembers(weights, mus, sigmas, order, prefix, q);
                last = prefix;
                sum[r] += value;
                counted[r]++;
            }
            foreach (int v in visited) dist[v] = Topology.Unreachable;
        }
        for (int r = 0; r <= rMax; r++) sum[r] = counted[r] > 0 ? sum[r] / counted[r] : double.NaN;
        return sum;
    }

    /// <summary>qD^Z of the first <paramref name="count"/> agents of <paramref name="members"/>, weights renormalised.</summary>
    private static double HillOfMembers(ReadOnlySpan<double> weights, double[] mus, double[] sigmas, List<int> members, int count, double q)
    {
        double total = 0;
        for (int a = 0; a < count; a++) total += weights[members[a]];
        var p = new double[count];
        var mu = new double[count];
        var sigma = new double[count];
        for (int a = 0; a < count; a++) (p[a], mu[a], sigma[a]) = (weights[members[a]] / total, mus[members[a]], sigmas[members[a]]);
        double[] zp;
        if (count > PairwiseMaxMembers) zp = Heterogeneity.SimilarityTimes(mu, sigma, p);
        else
        {
            zp = new double[count];
            for (int a = 0; a < count; a++)
            {
                double s = p[a];
                for (int b = 0; b < count; b++) if (b != a) s += Heterogeneity.Pair(mu[a], sigma[a], mu[b], sigma[b]) * p[b];
                zp[a] = s;
            }
        }
        return Heterogeneity.HillFromZp(p, zp, q);
    }

    /// <summary><see cref="SampleSize"/> distinct agents of 0..n−1 (partial Fisher–Yates, seed <see cref="SampleSeed"/>).</summary>
    internal static int[] Sample(int n)
    {
        int k = Math.Min(n, SampleSize);
        var rng = new Random(SampleSeed);
        var picked = new Dictionary<int, int>();
        var sample = new int[k];
        for (int i = 0; i < k; i++)
        {
            int j = i + rng.Next(n - i);
            int atJ = picked.TryGetValue(j, out var vj) ? vj : j, atI = picked.TryGetValue(i, out var vi) ? vi : i;
            picked[j] = atI;
            sample[i] = atJ;
        }
        Array.Sort(sample);
        return sample;
    }

    /// <summary>
    /// The smallest r with profile[r] ≥ fraction · global, or null when the profile never reaches it.
    /// </summary>
    public static int? SpatialScale(ReadOnlySpan<double> profile, double global, double fraction = DefaultFraction)
    {
        Require.Positive(global, nameof(global));
        Require.Probability(fraction, nameof(fraction));
        for (int r = 0; r < profile.Length; r++)
            if (profile[r] >= fraction * global) return r;
        return null;
    }

    /// <summary>
    /// The spatial scale of heterogeneity: the smallest r ≤ rMax at which H(r) reaches fraction × the global
    /// qD^Z of all agents. Null when the topology has no edges (no neighbourhood beyond an agent itself, so there is
    /// no scale) or when H never reaches the threshold within rMax (e.g. a disconnected graph).
    /// </summary>
    public static int? SpatialScale(Topology topology, ReadOnlySpan<double> weights, ReadOnlySpan<double> z, int rMax,
        double q = Heterogeneity.DefaultOrder, double fraction = DefaultFraction)
    {
        ArgumentNullException.ThrowIfNull(topology);
        if (topology.EdgeCount == 0) return null;
        var profile = Profile(topology, weights, z, rMax, q);
        return SpatialScale(profile, Heterogeneity.Hill(weights, z, q), fraction);
    }
}
