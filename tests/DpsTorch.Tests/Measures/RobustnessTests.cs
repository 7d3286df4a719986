using DpsTorch.Measures;
using DpsTorch.Model;

namespace DpsTorch.Tests.Measures;

public class RobustnessTests
{
    private static double FractionAlive(bool[] alive) => alive.Count(x => x) / (double)alive.Length;

    [Fact]
    public void Curve_OfFractionAlive_IsOneMinusF_WithAreaOneHalf()
    {
        var orders = Enumerable.Range(0, 5).Select(s => RemovalOrder.Random(10, s)).ToArray();
        var curve = Robustness.Curve(FractionAlive, 10, orders);
        Assert.Equal(11, curve.Fractions.Count);
        for (int k = 0; k <= 10; k++)
        {
            Assert.Equal(1 - k / 10.0, curve.Coverage[k], 12);
            Assert.Equal(0.0, curve.Spread[k], 12);
        }
        Assert.Equal(0.5, curve.Area, 12);
    }

    [Fact]
    public void Curve_TargetedByResource_LosesMoreThanRandom()
    {
        double[] a = [1, 2, 3, 4];
        double ResourceAlive(bool[] alive) => Enumerable.Range(0, 4).Where(i => alive[i]).Sum(i => a[i]) / 10.0;
        double[] f = [0, 0.25, 0.5, 0.75, 1];
        Assert.Equal(new[] { 3, 2, 1, 0 }, RemovalOrder.ByResource(a));
        var targeted = Robustness.Curve(ResourceAlive, 4, [RemovalOrder.ByResource(a)], f);
        TestUtil.AssertClose([1, 0.6, 0.3, 0.1, 0], targeted.Coverage.ToArray(), 1e-12);
        Assert.Equal(0.375, targeted.Area, 12);
        var random = Robustness.Curve(ResourceAlive, 4, Enumerable.Range(0, 40).Select(s => RemovalOrder.Random(4, s)).ToArray(), f);
        Assert.True(random.Area > targeted.Area, $"random {random.Area} vs targeted {targeted.Area}");
        Assert.True(random.Spread[1] > 0);
    }

    [Fact]
    public void RemovalOrders_ArePermutations_TargetedOnesSortDescendingWithIndexTies()
    {
        var r = RemovalOrder.Random(50, 7);
        Assert.Equal(Enumerable.Range(0, 50), r.Order());
        Assert.Equal(r, RemovalOrder.Random(50, 7));
        Assert.NotEqual(r, RemovalOrder.Random(50, 8));
        Assert.Equal(new[] { 1, 3, 0, 2 }, RemovalOrder.ByResource([1, 5, 1, 5]));
        var byDegree = RemovalOrder.ByDegree(TopologyGenerators.Star(6));
        Assert.Equal(0, byDegree[0]);
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5 }, byDegree);
    }

    [Fact]
    public void Curve_RejectsBadOrdersAndFractions()
    {
        Assert.Throws<ArgumentException>(() => Robustness.Curve(FractionAlive, 3, [[0, 1, 1]]));
        Assert.Throws<ArgumentException>(() => Robustness.Curve(FractionAlive, 3, [[0, 1]]));
        Assert.Throws<ArgumentException>(() => Robustness.Curve(FractionAlive, 3, [[0, 1, 2]], [0.1, 1]));
        Assert.Throws<ArgumentException>(() => Robustness.Curve(FractionAlive, 3, [[0, 1, 2]], [0, 0.5, 0.5, 1]));
        Assert.Throws<InvalidOperationException>(() => Robustness.Curve(_ => double.NaN, 3, [[0, 1, 2]]));
    }
}
