using DpsTorch.Measures;
using DpsTorch.Model;

namespace DpsTorch.Tests.Measures;

public class LocalHeterogeneityTests
{
    private const int N = 20;

    /// <summary>N far-apart narrow agents of equal weight: every neighbourhood of m agents has heterogeneity m.</summary>
    private static (double[] Weights, double[] Z) DistinctAgents()
    {
        var mus = Enumerable.Range(0, N).Select(i => 2 * Math.PI * i / N).ToArray();
        var z = Heterogeneity.Similarity(mus, Enumerable.Repeat(0.005, N).ToArray());
        return (Enumerable.Repeat(1.0, N).ToArray(), z);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Profile_OnARingOfDistinctAgents_CountsTheWindow(int k)
    {
        var (w, z) = DistinctAgents();
        var profile = LocalHeterogeneity.Profile(TopologyGenerators.Ring(N, k), w, z, rMax: 12);
        for (int r = 0; r <= 12; r++)
            Assert.True(Math.Abs(profile[r] - Math.Min(2 * k * r + 1, N)) < 1e-9, $"r = {r}: {profile[r]}");
        for (int r = 1; r <= 12; r++) Assert.True(profile[r] >= profile[r - 1]);
    }

    [Fact]
    public void SpatialScale_FollowsTheRingWindow()
    {
        var (w, z) = DistinctAgents();
        var scales = new List<int?>();
        foreach (int k in new[] { 1, 2, 3, 4 })
        {
            var scale = LocalHeterogeneity.SpatialScale(TopologyGenerators.Ring(N, k), w, z, rMax: N);
            // Smallest r with 2kr + 1 ≥ 0.9 N = 18.
            Assert.Equal((int)Math.Ceiling(17.0 / (2 * k)), scale);
            scales.Add(scale);
        }
        Assert.Equal([9, 5, 3, 3], scales);
        Assert.Equal(1, LocalHeterogeneity.SpatialScale(TopologyGenerators.Complete(N), w, z, rMax: 3));
    }

    [Fact]
    public void SpatialScale_IsNull_WithoutEdges_OrWhenNeverReached()
    {
        var (w, z) = DistinctAgents();
        Assert.Null(LocalHeterogeneity.SpatialScale(TopologyGenerators.None(N), w, z, rMax: 5));
        Assert.Null(LocalHeterogeneity.SpatialScale(TopologyGenerators.Ring(N, 1), w, z, rMax: 3)); // needs r = 9
        var halves = new Topology(N, Enumerable.Range(0, N - 1).Where(i => i != N / 2 - 1).Select(i => new Topology.Edge(i, i + 1, 1)));
        Assert.Null(LocalHeterogeneity.SpatialScale(halves, w, z, rMax: N)); // each half holds only N/2 types
        Assert.Equal(2, LocalHeterogeneity.SpatialScale([1, 5, 9.5, 10], 10, 0.9));
    }

    [Fact]
    public void Profile_SkipsAgentsWithoutWeightedNeighbours()
    {
        double[] w = [1, 0, 1];
        double[] z = [1, 0, 0, 0, 1, 0, 0, 0, 1];
        var path = new Topology(3, [new(0, 1, 1), new(1, 2, 1)]);
        var profile = LocalHeterogeneity.Profile(path, w, z, rMax: 1);
        Assert.Equal(1.0, profile[0], 12);                 // agents 0 and 2 only; agent 1 has no weight of its own
        Assert.Equal((1.0 + 2.0 + 1.0) / 3, profile[1], 12); // agent 1's 1-hop neighbourhood holds the two types 0 and 2
    }
}
