using DpsTorch.Model;

namespace DpsTorch.Tests.Model;

public class TopologyTests
{
    [Fact]
    public void Topology_NormalisesEdges_AndBuildsSortedNeighbours()
    {
        var t = new Topology(4, [new(2, 0, 1.5), new(1, 0, 2.0), new(3, 2, 0.0), new(1, 3, 1.0)]);
        Assert.Equal(3, t.EdgeCount); // the zero-weight edge is dropped
        Assert.All(t.Edges, e => Assert.True(e.I < e.J));
        Assert.Equal(new[] { 1, 2 }, t.Neighbors(0).ToArray());
        Assert.Equal(new[] { 2.0, 1.5 }, t.NeighborWeights(0).ToArray());
        Assert.Equal(2, t.Degree(1));
        Assert.Equal(3.0, t.WeightedDegree(1));
        var q = t.ToDense();
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(0, q[i * 4 + i]);
            for (int j = 0; j < 4; j++) Assert.Equal(q[i * 4 + j], q[j * 4 + i]);
        }
        Assert.Equal(1.5, q[0 * 4 + 2]);
        var back = Topology.FromDense(q, 4);
        Assert.Equal(t.Edges, back.Edges);
    }

    [Fact]
    public void Topology_RejectsSelfLoops_NegativeWeights_OutOfRange_Duplicates()
    {
        Assert.Contains("self loop", Assert.Throws<ArgumentException>(() => new Topology(3, [new(1, 1, 1)])).Message);
        Assert.Contains("-1", Assert.Throws<ArgumentException>(() => new Topology(3, [new(0, 1, -1)])).Message);
        Assert.Throws<ArgumentException>(() => new Topology(3, [new(0, 3, 1)]));
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => new Topology(3, [new(0, 1, 1), new(1, 0, 2)])).Message);
        Assert.Throws<ArgumentException>(() => Topology.FromDense([0, 1, 2, 0], 2)); // not symmetric
    }

    [Fact]
    public void HopDistances_OnARing_AreCircularIndexDistances()
    {
        int n = 9;
        var d = TopologyGenerators.Ring(n, 1).HopDistances();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                Assert.Equal(Math.Min(Math.Abs(i - j), n - Math.Abs(i - j)), d[i * n + j]);
        var d2 = TopologyGenerators.Ring(n, 2).HopDistances();
        Assert.Equal(2, d2[0 * n + 4]); // 0 -> 2 -> 4
        Assert.Equal(1, d2[0 * n + 7]);
    }

    [Fact]
    public void HopDistances_AcrossComponents_AreUnreachable()
    {
        var t = new Topology(4, [new(0, 1, 1), new(2, 3, 1)]);
        var d = t.HopDistances();
        Assert.Equal(Topology.Unreachable, d[0 * 4 + 2]);
        Assert.Equal(1, d[2 * 4 + 3]);
        Assert.Equal(new[] { 0, 0, 1, 1 }, t.Components());
        Assert.Equal(2, t.ComponentCount());
        Assert.Equal(new[] { 0, 1, 2, 3 }, TopologyGenerators.None(4).Components());
        Assert.Equal(new[] { 0, 1, -1, -1 }, TopologyGenerators.Ring(8, 1).HopDistancesFrom(0, 1)[..4]);
    }

    [Fact]
    public void Subgraph_RemovesAgents_AndRenumbersTheRest()
    {
        var star = TopologyGenerators.Star(5);
        var noHub = star.Subgraph([false, true, true, true, true]);
        Assert.Equal(4, noHub.N);
        Assert.Equal(0, noHub.EdgeCount);
        var ring = TopologyGenerators.Ring(6, 1).Subgraph([true, true, false, true, true, true]);
        Assert.Equal(5, ring.N);
        Assert.Equal(4, ring.EdgeCount); // a path 2-3-4-0-1 in new numbering
        Assert.Equal(1, ring.ComponentCount());
        Assert.Equal(new[] { 1, 4 }, ring.Neighbors(0).ToArray());
    }

    [Fact]
    public void EdgeListFile_ParsesCommentsWeightsAndN()
    {
        using var dir = new TempDir();
        var path = dir.File("g.txt");
        File.WriteAllText(path, "# a triangle and an isolated agent\n0 1\n1 2 0.5  # weighted\n\n2,0,2\n");
        var t = Topology.FromEdgeListFile(path, n: 4);
        Assert.Equal(4, t.N);
        Assert.Equal(3, t.EdgeCount);
        Assert.Equal(0.5, t.ToDense()[1 * 4 + 2]);
        Assert.Equal(3, Topology.FromEdgeListFile(path).N);

        var ring = TopologyGenerators.Ring(7, 2);
        var saved = dir.File("ring.txt");
        ring.SaveEdgeList(saved);
        Assert.Equal(ring.Edges, Topology.FromEdgeListFile(saved, 7).Edges);
    }

    [Theory]
    [InlineData("0 1\n1 x\n", "line 2, column 2", "not an integer")] // the position, never the file's text
    [InlineData("0 1\n1 5\n", "line 2, column 2", "5")]
    [InlineData("0 1\n2 2\n", "line 2", "self loop")]
    [InlineData("0 1 -3\n", "line 1, column 3", "-3")]
    [InlineData("0 1 w\n", "line 1, column 3", "not a number")]
    [InlineData("0\n", "line 1", "expected 'i j'")]
    [InlineData("0 1\n1 0\n", "line 2", "line 1")]
    [InlineData("-1 2\n", "line 1, column 1", "-1")]
    public void EdgeListFile_Errors_NameLineAndValue(string text, string where, string what)
    {
        using var dir = new TempDir();
        var path = dir.File("g.txt");
        File.WriteAllText(path, text);
        var ex = Assert.Throws<InvalidDataException>(() => Topology.FromEdgeListFile(path, n: 4));
        Assert.Contains(where, ex.Message);
        Assert.Contains(what, ex.Message);
    }

    [Fact]
    public void EdgeListFile_Missing_NamesThePath()
    {
        var path = Path.Combine(Path.GetTempPath(), "dpstorch-no-such-edges.txt");
        Assert.Contains(path, Assert.Throws<FileNotFoundException>(() => Topology.FromEdgeListFile(path)).Message);
    }
}
