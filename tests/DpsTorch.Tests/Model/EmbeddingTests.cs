using DpsTorch.Model;

namespace DpsTorch.Tests.Model;

public class EmbeddingTests
{
    [Fact]
    public void RingPositions_DistanceIsCircularIndexDistance_EqualToRingHops()
    {
        var e = Embedding.RingPositions(7);
        Assert.Equal(1.0, e.Distance(0, 6));
        Assert.Equal(3.0, e.Distance(1, 5));
        Assert.Equal(0.0, e.Distance(2, 2));
        var hops = Embedding.Hops(TopologyGenerators.Ring(7, 1)).DistanceMatrix();
        TestUtil.AssertClose(hops, e.DistanceMatrix());
    }

    [Fact]
    public void Grid_DistanceIsEuclidean_WithOptionalWrap()
    {
        var e = Embedding.Grid(4, 5);
        Assert.Equal(5.0, e.Distance(0, 3 * 5 + 4), 14); // (0,0) to (3,4)
        var torus = Embedding.Grid(4, 5, periodic: true);
        Assert.Equal(Math.Sqrt(2.0), torus.Distance(0, 3 * 5 + 4), 14); // wraps to (1,1)
    }

    [Fact]
    public void Coordinates_DistanceIsEuclidean_AndMatrixIsSymmetric()
    {
        var e = Embedding.Coordinates(new double[,] { { 0, 0, 0 }, { 1, 2, 2 }, { -1, 0, 0 } });
        Assert.Equal(3.0, e.Distance(0, 1), 14);
        var d = e.DistanceMatrix();
        Assert.Equal(9, d.Length);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) Assert.Equal(d[i * 3 + j], d[j * 3 + i]);
        Assert.Equal(Math.Sqrt(12.0), d[1 * 3 + 2], 14);
        Assert.Throws<ArgumentException>(() => Embedding.Coordinates(new double[,] { { 0, double.NaN } }));
    }

    [Fact]
    public void Hops_AcrossComponents_IsInfinite()
    {
        var e = Embedding.Hops(new Topology(3, [new(0, 1, 1)]));
        Assert.Equal(1.0, e.Distance(0, 1));
        Assert.True(double.IsPositiveInfinity(e.Distance(0, 2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => e.Distance(0, 3));
    }
}
