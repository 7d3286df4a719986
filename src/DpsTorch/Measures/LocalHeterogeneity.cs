// Local heterogeneity and the spatial scale of heterogeneity, MODEL.md section 3: the Hill number of every agent's
// r-hop neighbourhood, averaged over agents, as a function of r.
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
        Require.Length(z.Length, n * n, nameof(z), $"an {n}x{n} similarity matrix");
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
