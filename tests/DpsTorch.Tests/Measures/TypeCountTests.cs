// The type count that does not count tiled generalists as types (issue 13).
using DpsTorch.Measures;

namespace DpsTorch.Tests.Measures;

public class TypeCountTests
{
    private static double[] Even(int n) => [.. Enumerable.Range(0, n).Select(i => 2 * Math.PI * i / n)];

    [Fact]
    public void ClonesAtFiveCentres_AreFiveTypes_AsTheHillNumberSays()
    {
        var mu = Even(5).SelectMany(c => Enumerable.Repeat(c, 4)).ToArray();
        var sigma = Enumerable.Repeat(0.15, 20).ToArray();
        var a = Enumerable.Repeat(1.0, 20).ToArray();
        Assert.Equal(5, TypeCount.Of(mu, sigma, a), 9);
        Assert.Equal(5, Heterogeneity.Of(mu, sigma, a), 3);
    }

    [Fact]
    public void TiledGeneralists_AreOneType_ThoughTheHillNumberCountsSeveral()
    {
        // Eight broad agents evenly round the circle: their joint production is flat (one hump per pair, no gaps).
        var mu = Even(8);
        var sigma = Enumerable.Repeat(0.45, 8).ToArray();
        var a = Enumerable.Repeat(1.0, 8).ToArray();
        Assert.Equal(1, TypeCount.Of(mu, sigma, a), 12);
        Assert.True(Heterogeneity.Of(mu, sigma, a) > 2, $"Hill number {Heterogeneity.Of(mu, sigma, a)}");
    }

    [Fact]
    public void NarrowSpecialists_EvenlySpaced_AreOneTypeEach()
    {
        var mu = Even(8);
        var sigma = Enumerable.Repeat(0.05, 8).ToArray();
        Assert.Equal(8, TypeCount.Of(mu, sigma, Enumerable.Repeat(1.0, 8).ToArray()), 9);
    }

    [Fact]
    public void Shares_WeighTheTypes_AndAgentsWithoutResourcesDoNotCount()
    {
        double[] mu = [0.7, 0.7, 0.7, 3.9, 3.9];
        double[] sigma = [0.25, 0.25, 0.25, 0.4, 0.4];
        double expected = Math.Exp(-(0.6 * Math.Log(0.6) + 0.4 * Math.Log(0.4)));
        Assert.Equal(expected, TypeCount.Of(mu, sigma, [0.2, 0.2, 0.2, 0.2, 0.2]), 12);
        Assert.Equal(1, TypeCount.Of(mu, sigma, [1, 1, 1, 0, 0]), 12);
        Assert.Equal(0, TypeCount.Of(mu, sigma, [0, 0, 0, 0, 0]));
        Assert.Throws<ArgumentException>(() => TypeCount.Of(mu, sigma, [1]));
    }
}

public class TiledGeneralistTests
{
    [Theory]
    [InlineData("squared")]
    [InlineData("unmet")]
    public void EightAgentsOnSixteenNarrowPeaks_FromASpreadStart_TileAsOneType(string mismatch)
    {
        // The case: N = 8 on 16 narrow peaks, where training from a spread start ends at a flat production of
        // broad agents under either mismatch; the Hill number counts more than two types, the type count one. (The
        // re-seed move, training.reseed, leaves that tiling for a lower loss; the subject here is the tiling itself.)
        var c = DpsTorch.Config.ConfigLoader.Parse($$"""
            { "agents": { "count": 8, "init": "spread" }, "demand": { "kind": "peaks", "peaks": 16, "width": 0.05 },
              "objective": { "mismatch": "{{mismatch}}" }, "training": { "restarts": 1, "reseed": 0 } }
            """);
        var m = DpsTorch.Runs.Experiment.Run(c, measureRobustness: false).Measures;
        Assert.Equal(1, m.Types, 6);
        Assert.True(m.Heterogeneity.Q1 > 2, $"Hill number {m.Heterogeneity.Q1}");
    }
}
