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

public class TypeCountChainingTests
{
    [Fact]
    public void AgentsSpreadEvenlyBetweenTwoPeaks_DoNotChainThePeaksIntoOneType()
    {
        // Four specialists at 1.0 and four at 3.0 (σ 0.1), and 40 weaker agents spread evenly from 1.1 to 2.9 (spacing
        // 0.046 < σ): every neighbour pair overlaps, so linking pairs (|Δμ| ≤ σ_i + σ_j) makes one chain; the skill
        // density has two humps on a low plateau, and each hump takes the spread agents of its basin (where the flat
        // plateau parts them is up to rounding, so the shares are about, not exactly, equal).
        var mu = new List<double>();
        var a = new List<double>();
        for (int k = 0; k < 4; k++) { mu.Add(1.0); a.Add(1); mu.Add(3.0); a.Add(1); }
        for (int k = 0; k < 40; k++) { mu.Add(1.1 + 1.8 * k / 39); a.Add(0.05); }
        var sigma = Enumerable.Repeat(0.1, mu.Count).ToArray();
        Assert.Single(TypeCount.Groups(mu, sigma)); // the chain the pairwise rule made
        var modes = TypeCount.Modes(mu, sigma, a);
        Assert.Equal(2, modes.Count);
        Assert.Contains(modes, g => g.Contains(0) && !g.Contains(1)); // a specialist at 1.0 and one at 3.0 apart
        Assert.Contains(modes, g => g.Contains(1));
        Assert.InRange(TypeCount.Of(mu, sigma, a), 1.99, 2.0);
    }

    [Fact]
    public void ADipShallowerThanTheThreshold_JoinsTwoHumps_ADeeperOneSeparatesThem()
    {
        // Two equal normals: no dip at a distance of 2σ or less; the dip reaches 5% near 2.2σ and 35% at 3σ.
        double[] a = [1, 1];
        Assert.Equal(1, TypeCount.Of([1.0, 1.4], [0.2, 0.2], a), 12);
        Assert.Equal(1, TypeCount.Of([1.0, 1.42], [0.2, 0.2], a), 12);
        Assert.Equal(2, TypeCount.Of([1.0, 1.6], [0.2, 0.2], a), 12);
        // Across 0 = 2π the circle wraps: agents at 6.2 and 0.1 are one hump.
        Assert.Equal(1, TypeCount.Of([6.2, 0.1], [0.2, 0.2], a), 12);
    }

    [Fact]
    public void ANestedFleetLikeExperiment07_CountsItsLeafClasses_AndAlikeNodesAsOneType()
    {
        // Four nodes of ten leaves, each node alike: five specialists at the workload's classes (σ 0.2) and five
        // broad leaves (σ 0.6, less resource) between them that overlap every neighbour, so linking pairs chained all 40
        // leaves into one type. The leaves' skill density has five humps; the nodes, each serving the whole workload,
        // are one type.
        double[] centres = [0.5, 1.6, 2.8, 4.0, 5.2], broad = [1.05, 2.2, 3.4, 4.6, 5.85];
        var c = DpsTorch.Config.ConfigLoader.Parse("""
            { "space": { "m": 128 }, "agents": { "count": 40 }, "demand": { "kind": "mixture", "centers": [0.5, 1.6, 2.8, 4.0, 5.2], "widths": [0.2, 0.2, 0.2, 0.2, 0.2] },
              "measures": { "resilienceSteps": 0, "fractions": [0, 1], "seeds": 1 },
              "levels": [ { "size": 10, "topology": { "kind": "none" } }, { "size": 4, "topology": { "kind": "none" } } ] }
            """);
        var s = DpsTorch.Nested.NestedBuilder.Create(c);
        for (int i = 0; i < 40; i++)
        {
            int m = i % 10;
            double mu = m < 5 ? centres[m] : broad[m - 5], sigma = m < 5 ? 0.2 : 0.6;
            s.Mu[i] = mu;
            s.Rho[i] = DpsTorch.Model.Initialization.SoftplusInverse(sigma - s.SigmaMin);
            s.Alpha[i] = m < 5 ? 0 : -1;
        }
        double[] leafMu = [.. s.Mu.Data], leafSigma;
        using (DpsTorch.TensorEngine.NoGrad()) leafSigma = s.Sigma().ToArray();
        Assert.Single(TypeCount.Groups(leafMu, leafSigma));
        var tiers = NestedMeasures.Compute(s).Tiers;
        Assert.InRange(tiers[0].Types, 4.5, 5.0);
        Assert.Equal(1, tiers[1].Types, 9);
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
