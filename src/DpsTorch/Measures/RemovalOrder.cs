// Orders in which agents are removed for the robustness measure of MODEL.md section 3: random or targeted.
using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.Measures;

/// <summary>
/// Removal orders: permutations of 0..N−1 listing agents in the order they are removed (first entry removed first).
/// Targeted orders are static (computed once on the intact system) and break ties by the lower index.
/// </summary>
public static class RemovalOrder
{
    /// <summary>A uniformly random order (Fisher–Yates with <c>new Random(seed)</c>).</summary>
    public static int[] Random(int n, int seed)
    {
        Require.AtLeast(n, 0, nameof(n));
        var order = Identity(n);
        var rng = new System.Random(seed);
        for (int i = n - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>Highest resource a_i first.</summary>
    public static int[] ByResource(ReadOnlySpan<double> resources)
    {
        Require.AllFinite(resources, nameof(resources));
        return Descending(resources.ToArray());
    }

    /// <summary>Highest degree (number of neighbours) first.</summary>
    public static int[] ByDegree(Topology topology)
    {
        ArgumentNullException.ThrowIfNull(topology);
        var degree = new double[topology.N];
        for (int i = 0; i < degree.Length; i++) degree[i] = topology.Degree(i);
        return Descending(degree);
    }

    private static int[] Identity(int n)
    {
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        return order;
    }

    private static int[] Descending(double[] key)
    {
        var order = Identity(key.Length);
        Array.Sort(order, (a, b) => key[a] != key[b] ? key[b].CompareTo(key[a]) : a.CompareTo(b));
        return order;
    }
}
