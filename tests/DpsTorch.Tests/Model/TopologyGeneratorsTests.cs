using DpsTorch.Model;

namespace DpsTorch.Tests.Model;

public class TopologyGeneratorsTests
{
    public static TheoryData<string> Generators => new()
    {
        "none", "complete", "ring", "lattice", "torus", "star", "ws", "er", "sbm", "cp", "hier",
    };

    private static Topology Make(string name, int seed = 1) => name switch
    {
        "none" => TopologyGenerators.None(10),
        "complete" => TopologyGenerators.Complete(10),
        "ring" => TopologyGenerators.Ring(12, 3),
        "lattice" => TopologyGenerators.Lattice2D(3, 5),
        "torus" => TopologyGenerators.Lattice2D(3, 5, periodic: true),
        "star" => TopologyGenerators.Star(9),
        "ws" => TopologyGenerators.WattsStrogatz(30, 2, 0.3, seed),
        "er" => TopologyGenerators.ErdosRenyi(30, 0.2, seed),
        "sbm" => TopologyGenerators.StochasticBlock([10, 10, 5], 0.8, 0.05, seed),
        "cp" => TopologyGenerators.CorePeriphery(30, 0.2, 0.9, 0.3, 0.02, seed),
        _ => TopologyGenerators.Hierarchical(3, 3),
    };

    [Theory]
    [MemberData(nameof(Generators))]
    public void Generator_IsSymmetric_WithoutSelfLoops(string name)
    {
        var t = Make(name);
        int n = t.N;
        var q = t.ToDense();
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(0.0, q[i * n + i]);
            for (int j = 0; j < n; j++)
            {
                Assert.Equal(q[i * n + j], q[j * n + i]);
                Assert.True(q[i * n + j] is 0.0 or 1.0);
            }
            foreach (int j in t.Neighbors(i)) Assert.Contains(i, t.Neighbors(j).ToArray());
        }
    }

    [Fact]
    public void Generators_HaveTheExpectedEdgeCounts()
    {
        Assert.Equal(0, Make("none").EdgeCount);
        Assert.Equal(10 * 9 / 2, Make("complete").EdgeCount);
        Assert.Equal(12 * 3, Make("ring").EdgeCount);
        Assert.Equal(3 * 4 + 5 * 2, Make("lattice").EdgeCount);
        Assert.Equal(2 * 3 * 5, Make("torus").EdgeCount);
        Assert.Equal(8, Make("star").EdgeCount);
        Assert.Equal(30 * 2, Make("ws").EdgeCount);
        Assert.Equal(3 * (27 - 1) / 2, Make("hier").EdgeCount);
        Assert.Equal(27, Make("hier").N);
        Assert.Equal(1, Make("hier").ComponentCount());
        for (int i = 0; i < 12; i++) Assert.Equal(6, Make("ring").Degree(i));
        for (int i = 0; i < 15; i++) Assert.Equal(4, Make("torus").Degree(i));
        Assert.Equal(8, Make("star").Degree(0));
    }

    [Theory]
    [InlineData("ws")]
    [InlineData("er")]
    [InlineData("sbm")]
    [InlineData("cp")]
    public void SeededGenerators_AreReproducible_AndDependOnTheSeed(string name)
    {
        Assert.Equal(Make(name, 5).Edges, Make(name, 5).Edges);
        Assert.NotEqual(Make(name, 5).Edges, Make(name, 6).Edges);
    }

    [Fact]
    public void WattsStrogatz_BetaZero_IsTheRing_AndBetaOne_RewiresMostEdges()
    {
        Assert.Equal(TopologyGenerators.Ring(20, 2).Edges, TopologyGenerators.WattsStrogatz(20, 2, 0.0, 3).Edges);
        var ring = TopologyGenerators.Ring(40, 2).Edges.ToHashSet();
        int kept = TopologyGenerators.WattsStrogatz(40, 2, 1.0, 3).Edges.Count(ring.Contains);
        Assert.True(kept < 20, $"{kept} of 80 ring edges survived full rewiring");
    }

    [Fact]
    public void StochasticBlock_IsDenserInsideBlocks()
    {
        var t = TopologyGenerators.StochasticBlock([20, 20], 0.5, 0.05, 2);
        int inside = t.Edges.Count(e => e.I / 20 == e.J / 20), across = t.EdgeCount - inside;
        Assert.True(inside > 4 * across, $"inside {inside}, across {across}");
        Assert.Equal(TopologyGenerators.Complete(6).Edges, TopologyGenerators.ErdosRenyi(6, 1.0, 0).Edges);
    }

    [Fact]
    public void CorePeriphery_CoreIsDenserThanPeriphery()
    {
        var t = TopologyGenerators.CorePeriphery(50, 0.2, 1.0, 0.5, 0.0, 4);
        for (int i = 0; i < 10; i++)
            for (int j = i + 1; j < 10; j++) Assert.Contains(j, t.Neighbors(i).ToArray());
        Assert.All(t.Edges, e => Assert.True(e.I < 10, "periphery-periphery edge with pPeriphery = 0"));
    }

    [Fact]
    public void Generators_RejectBadParameters()
    {
        Assert.Contains("k < n/2", Assert.Throws<ArgumentException>(() => TopologyGenerators.Ring(6, 3)).Message);
        Assert.Throws<ArgumentException>(() => TopologyGenerators.Ring(6, 0));
        Assert.Throws<ArgumentException>(() => TopologyGenerators.Lattice2D(2, 5, periodic: true));
        var e = Assert.Throws<ArgumentException>(() => TopologyGenerators.ErdosRenyi(5, 1.5, 0));
        Assert.Contains("p", e.ParamName);
        Assert.Contains("1.5", e.Message);
        Assert.Throws<ArgumentException>(() => TopologyGenerators.WattsStrogatz(10, 2, double.NaN, 0));
        Assert.Throws<ArgumentException>(() => TopologyGenerators.StochasticBlock([3, 0], 0.5, 0.1, 0));
        Assert.Throws<ArgumentException>(() => TopologyGenerators.Hierarchical(2, 1));
    }

    [Theory]
    [InlineData(300, 10, 0.2, 0)]
    [InlineData(50, 4, 0.9, 3)]
    public void WattsStrogatz_RewiringAcrossTheWrapAround_NeverDuplicatesAnEdge(int n, int k, double beta, int seed)
    {
        // Ring edges that wrap past agent n−1 were once stored unnormalised, so rewiring could add them a second time.
        var g = TopologyGenerators.WattsStrogatz(n, k, beta, seed);
        Assert.Equal(n * k, g.EdgeCount);
    }
}
