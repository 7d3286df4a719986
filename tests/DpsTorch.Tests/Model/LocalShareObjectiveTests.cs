// objective.kind "local-share" (issue 13 part 5, docs/CONFIG.md "The two local objectives"): each neighbourhood's
// production p_i against an equal share V̄ of the neighbourhoods' production in the demand's shape, so that an agent
// starved of resources and hung on specialists by a tiny link cannot satisfy it.
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Model.Search;
using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Model;

public class LocalShareObjectiveTests
{
    private static DpsModel Small(string topology, string mismatch = "squared", string resources = "budget", string propagation = "direct")
    {
        var m = SystemBuilder.Create(ConfigLoader.Parse($$"""
            { "space": { "m": 32 }, "agents": { "count": 5, "init": "random", "resources": "{{resources}}" },
              "demand": { "kind": "peaks", "peaks": 2, "width": 0.4 },
              "topology": {{topology}},
              "objective": { "kind": "local-share", "mismatch": "{{mismatch}}", "unmetBeta": 1.5, "lambdaC": 0.1, "lambdaR": 0.2, "lambdaSigma": 0.05 } }
            """.Replace("PROPAGATION", propagation)));
        double[] sigmas = [0.3, 0.45, 0.7, 1.2, 2.5];
        for (int i = 0; i < m.N; i++) m.Rho[i] = Initialization.SoftplusInverse(sigmas[i] - m.SigmaMin);
        for (int i = 0; i < m.N; i++) m.Alpha[i] = 0.4 * Math.Cos(i + 0.5);
        if (m.Interaction.Theta is { } theta)
            for (int e = 0; e < theta.Numel; e++) theta[e] = 0.3 * Math.Sin(e + 1.0);
        return m;
    }

    [Theory]
    [InlineData("""{ "kind": "ring", "k": 1, "weight": 0.3 }""", "squared", "budget", "direct")]
    [InlineData("""{ "kind": "complete", "learned": true }""", "squared", "budget", "direct")]
    [InlineData("""{ "kind": "complete", "learned": true }""", "unmet", "soft", "direct")]
    [InlineData("""{ "kind": "ring", "k": 1, "learned": true, "propagation": "PROPAGATION", "hops": 2 }""", "both", "budget", "power")]
    [InlineData("""{ "kind": "ring", "k": 1, "learned": true, "propagation": "PROPAGATION" }""", "squared", "fixed-equal", "communicability")]
    [InlineData("""{ "kind": "none" }""", "squared", "soft", "direct")]
    public void FullLoss_Gradients_MatchFiniteDifferences(string topology, string mismatch, string resources, string propagation)
    {
        var m = Small(topology, mismatch, resources, propagation);
        AssertGradients(_ => m.Loss().Total, [.. m.Parameters()]);
    }

    [Fact]
    public void SquaredForm_IsTheFormulaOfTheDocs()
    {
        // L = (1/N) Σ_i ∫ (p_i − V̄ D̂)² / V̄², V̄ = (1/N) Σ_j ∫p_j, computed here by hand from the production rows.
        var m = Small("""{ "kind": "ring", "k": 1, "weight": 0.3 }""");
        using var _ = TensorEngine.NoGrad();
        var p = m.Production(m.Interaction.Weights()).ToArray();
        int n = m.N, grid = m.Space.M;
        double delta = m.Space.Delta, mean = p.Sum() * delta / n, mass = m.DemandFrames[0].Sum() * delta;
        double expected = 0;
        for (int i = 0; i < n; i++)
            for (int x = 0; x < grid; x++)
                expected += Math.Pow(p[i * grid + x] - mean * m.DemandFrames[0][x] / mass, 2) * delta / (mean * mean);
        Assert.Equal(expected / n, m.Loss().Coverage.Item(), 12);
    }

    private static DpsModel Ring(string objective, int k)
        => SystemBuilder.Create(ConfigLoader.Parse($$"""
            { "space": { "m": 128 }, "agents": { "count": 24 }, "demand": { "kind": "peaks", "peaks": 3, "width": 0.1 },
              "objective": { "kind": "{{objective}}" }, "topology": { "kind": "ring", "k": {{k}} } }
            """));

    private static double Loss(DpsModel m)
    {
        using var _ = TensorEngine.NoGrad();
        return m.Loss().Total.Item();
    }

    [Fact]
    public void OnEqualNeighbourhoodVolumes_ItIsTheLocalObjective()
    {
        // The k = 2 tiling: equal resources, every neighbourhood of five agents, a positive loss under both.
        var local = Ring("local", 2);
        var share = Ring("local-share", 2);
        ReferenceStates.Tiling(local, ReferenceStates.EvenCenters(3), 0.1);
        ReferenceStates.Tiling(share, ReferenceStates.EvenCenters(3), 0.1);
        Assert.True(Loss(local) > 1e-3, $"loss {Loss(local)}");
        Assert.Equal(Loss(local), Loss(share), 12);
    }

    /// <summary>
    /// N = 24, three peaks of width 0.1, learned links on the complete support, λ_C = 1e-3 (issue 13's case):
    /// <paramref name="starved"/> builds the optimiser's state there: agents 0, 1, 2 are specialists holding R/3 each,
    /// linked to each other at weight 1, and the other 21 are starved (α = −30) and hung on the three specialists by
    /// links of 0.01; otherwise the interleaved ring A B C A B C with equal resources and nearest-neighbour links of 1.
    /// </summary>
    private static DpsModel IssueCase(string objective, bool starved)
    {
        var m = SystemBuilder.Create(ConfigLoader.Parse($$"""
            { "agents": { "count": 24 }, "demand": { "kind": "peaks", "peaks": 3, "width": 0.1 },
              "objective": { "kind": "{{objective}}", "lambdaC": 0.001 }, "topology": { "kind": "none", "learned": true } }
            """));
        var centres = ReferenceStates.EvenCenters(3);
        ReferenceStates.Tiling(m, centres, 0.1);
        double Logit(double q) => Math.Log(q / (1 - q));
        var theta = m.Interaction.Theta!;
        for (int e = 0; e < theta.Numel; e++)
        {
            var (i, j) = m.Interaction.Edges[e];
            int d = Math.Min(Math.Abs(i - j), m.N - Math.Abs(i - j));
            theta[e] = starved
                ? (i < 3 && j < 3 ? 40 : (i < 3) != (j < 3) ? Logit(0.01) : -40)
                : d == 1 ? 40 : -40;
        }
        if (starved)
            for (int i = 0; i < m.N; i++) m.Alpha[i] = i < 3 ? 0 : -30;
        return m;
    }

    [Fact]
    public void StarvedAgents_SatisfyTheLocalObjective_ButNotTheShareObjective()
    {
        var starvedLocal = IssueCase("local", starved: true);
        using (TensorEngine.NoGrad())
        {
            var a = starvedLocal.Resources().ToArray();
            Assert.Equal(8.0, a[0], 9);
            Assert.True(a.Skip(3).All(x => x < 1e-10), "21 agents are starved");
        }
        double starved = Loss(starvedLocal), ring = Loss(IssueCase("local", starved: false));
        // Under "local" every neighbourhood has the demand's shape in both states, so the cheaper links win: the
        // starved state (3 strong links and 63 of 0.01) beats the interleaved ring (24 links of 1, cost 0.024).
        Assert.True(starvedLocal.Loss().Coverage.Item() < 1e-6, $"local coverage loss of the starved state {starvedLocal.Loss().Coverage.Item()}");
        Assert.True(starved < ring, $"local: starved {starved} against ring {ring}");

        double starvedShare = Loss(IssueCase("local-share", starved: true)), ringShare = Loss(IssueCase("local-share", starved: false));
        // Under "local-share" the ring is unchanged (equal volumes) and the starved neighbourhoods pay for their share.
        Assert.Equal(ring, ringShare, 12);
        Assert.True(starvedShare > 100 * ringShare, $"local-share: starved {starvedShare} against ring {ringShare}");
    }

    [Fact]
    public void TheTorchBackend_AndBatchedStarts_RefuseIt_NestedSystemsTakeIt()
    {
        // Nested systems take it at the top and as a level's demand objective (tests/DpsTorch.Tests/Nested/NestedOptionsTests.cs).
        var nested = ConfigLoader.Parse("""
            { "agents": { "count": 4 }, "objective": { "kind": "local-share" }, "levels": [ { "size": 2 }, { "size": 2 } ] }
            """);
        Assert.Equal(ObjectiveKind.LocalShare, nested.Objective.Kind);
        var level = ConfigLoader.Parse("""
            { "agents": { "count": 4 }, "levels": [ { "size": 2, "demand": {}, "demandObjective": "local-share" }, { "size": 2 } ] }
            """);
        Assert.Equal(ObjectiveKind.LocalShare, level.Levels![0].DemandObjective);
        var torch = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            { "objective": { "kind": "local-share" }, "training": { "backend": "torchsharp" } }
            """));
        Assert.Equal("objective.kind", torch.Key);
        var c = ConfigLoader.Parse("""{ "objective": { "kind": "local-share" }, "topology": { "kind": "ring", "k": 1 } }""");
        Assert.Throws<ArgumentException>(() => new BatchedStarts([SystemBuilder.Create(c, 0), SystemBuilder.Create(c, 1)]));
    }
}
