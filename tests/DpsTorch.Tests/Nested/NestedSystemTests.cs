using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Nested;
using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Nested;

public class NestedSystemTests
{
    /// <summary>Spreads σ over both evaluation paths of the wrapped normal and sets θ away from its initial constant.</summary>
    internal static NestedSystem Spread(NestedSystem s)
    {
        for (int i = 0; i < s.Rho.Numel; i++) s.Rho[i] = Initialization.SoftplusInverse(0.3 + 0.25 * i % 2.2 - s.SigmaMin + 0.05);
        int k = 0;
        foreach (var level in s.Levels)
            if (level.Interaction.Theta is { } theta)
                for (int e = 0; e < theta.Numel; e++) theta[e] = 0.4 * Math.Sin(++k);
        return s;
    }

    [Theory]
    [InlineData("system", "squared")]
    [InlineData("local", "both")]
    public void TwoLevelLoss_Gradients_MatchFiniteDifferences(string objective, string mismatch)
    {
        var c = ConfigLoader.Parse($$"""
            { "space": { "m": 32 }, "agents": { "count": 6, "init": "random", "resources": "soft" },
              "demand": { "kind": "peaks", "peaks": 2, "width": 0.4 },
              "objective": { "kind": "{{objective}}", "mismatch": "{{mismatch}}", "lambdaR": 0.2, "lambdaSigma": 0.05 },
              "levels": [
                { "size": 3, "topology": { "kind": "complete", "learned": true }, "lambdaC": 0.1,
                  "demand": { "kind": "peaks", "peaks": 1, "width": 0.6 }, "demandObjective": "local", "demandWeight": 0.5 },
                { "size": 2, "topology": { "kind": "complete", "learned": true, "embedding": "index" }, "lambdaC": 0.3 } ] }
            """);
        var s = Spread(NestedBuilder.Create(c));
        AssertGradients(_ => s.Loss().Total, s.Parameters().ToArray());
    }

    [Fact]
    public void ThreeLevelLoss_Gradients_MatchFiniteDifferences()
    {
        var c = ConfigLoader.Parse("""
            { "space": { "m": 32 }, "agents": { "count": 8, "init": "random" },
              "demand": { "kind": "peaks", "peaks": 3, "width": 0.3 },
              "levels": [
                { "size": 2, "topology": { "kind": "complete", "weight": 0.3 }, "lambdaC": 0.1,
                  "demand": { "kind": "uniform" }, "demandWeight": 0.2 },
                { "size": 2, "topology": { "kind": "complete", "learned": true }, "lambdaC": 0.2, "fixedShare": true },
                { "size": 2, "topology": { "kind": "complete", "learned": true }, "lambdaC": 0.4 } ] }
            """);
        var s = Spread(NestedBuilder.Create(c));
        for (int i = 0; i < s.N; i++) s.Alpha[i] = 0.3 * Math.Cos(i);
        Assert.Equal(5, s.Parameters().Count);
        AssertGradients(_ => s.Loss().Total, s.Parameters().ToArray());
    }

    [Fact]
    public void FixedShare_GivesEveryGroupOfThatLevelAnEqualShareOfTheBudget()
    {
        var c = ConfigLoader.Parse("""
            { "space": { "m": 16 }, "agents": { "count": 8, "init": "random", "jitter": 0.5 }, "demand": { "kind": "uniform" },
              "levels": [ { "size": 2 }, { "size": 2, "fixedShare": true }, { "size": 2 } ] }
            """);
        var s = NestedBuilder.Create(c);
        Assert.Equal(4, s.BudgetBlock);
        using var _ = TensorEngine.NoGrad();
        var a = s.Resources().ToArray();
        Assert.Equal(4.0, a[0] + a[1] + a[2] + a[3], 12);
        Assert.Equal(4.0, a[4] + a[5] + a[6] + a[7], 12);
        Assert.NotEqual(a[0], a[1]);
    }

    [Fact]
    public void HomogeneousFleet_Gradients_MatchFiniteDifferences_AndAllLeavesAreAlike()
    {
        var c = ConfigLoader.Parse("""
            { "space": { "m": 32 }, "agents": { "count": 6 }, "demand": { "kind": "peaks", "peaks": 2, "width": 0.4 },
              "levels": [ { "size": 3, "topology": { "kind": "complete", "learned": true }, "lambdaC": 0.1 }, { "size": 2 } ] }
            """);
        var s = Spread(NestedBuilder.Create(c, homogeneous: true));
        AssertGradients(_ => s.Loss().Total, s.Parameters().ToArray());
        using var _ = TensorEngine.NoGrad();
        var a = s.Resources().ToArray();
        var sigma = s.Sigma().ToArray();
        for (int i = 1; i < s.N; i++) { Assert.Equal(a[0], a[i], 14); Assert.Equal(sigma[0], sigma[i]); }
    }

    private static string Flat(string objective, string topologyJson, double lambdaC) => $$"""
        { "space": { "m": 32 }, "agents": { "count": 5, "init": "random", "resources": "soft" },
          "demand": { "kind": "peaks", "peaks": 2, "width": 0.4 },
          "topology": {{topologyJson}},
          "objective": { "kind": "{{objective}}", "lambdaC": {{lambdaC}}, "lambdaR": 0.2, "lambdaSigma": 0.05 } }
        """;

    private static string AsLevels(string objective, string topologyJson, double lambdaC, string? top = null) => $$"""
        { "space": { "m": 32 }, "agents": { "count": 5, "init": "random", "resources": "soft" },
          "demand": { "kind": "peaks", "peaks": 2, "width": 0.4 },
          "objective": { "kind": "{{objective}}", "lambdaR": 0.2, "lambdaSigma": 0.05 },
          "levels": [ { "size": 5, "topology": {{topologyJson}}, "lambdaC": {{lambdaC}} }{{top}} ] }
        """;

    private const string LearnedRing = """{ "kind": "ring", "k": 1, "learned": true }""";
    private const string FixedRing = """{ "kind": "ring", "k": 1, "weight": 0.3 }""";

    private static void AssertIdentical(DpsModel flat, NestedSystem nested)
    {
        var fp = flat.Parameters();
        var np = nested.Parameters();
        Assert.Equal(fp.Count, np.Count);
        for (int k = 0; k < fp.Count; k++) Assert.Equal(fp[k].ToArray(), np[k].ToArray());
        var fl = flat.Loss().Total;
        var nl = nested.Loss().Total;
        Assert.Equal(fl.Item(), nl.Item());
        fl.Backward();
        nl.Backward();
        for (int k = 0; k < fp.Count; k++) Assert.Equal(fp[k].Grad!.ToArray(), np[k].Grad!.ToArray());
    }

    [Theory]
    [InlineData("system", LearnedRing)]
    [InlineData("local", LearnedRing)]
    [InlineData("system", FixedRing)]
    public void FlatSystem_AndTheSameSystemAsOneLevel_GiveIdenticalLossAndGradients(string objective, string topology)
    {
        // The nested system composes engine ops; compare with the flat model's composed path (its fused kernels agree
        // with that path to 1e-12, DpsModelFusedTests) so that identity can be asserted bit for bit.
        var flat = SystemBuilder.Create(ConfigLoader.Parse(Flat(objective, topology, 0.1)));
        flat.UseFusedKernels = false;
        var nested = NestedBuilder.Create(ConfigLoader.Parse(AsLevels(objective, topology, 0.1)));
        AssertIdentical(flat, nested);
    }

    [Fact]
    public void FlatSystem_AsOneGroupUnderATopLevelWithoutEdges_GivesIdenticalLossAndGradients()
    {
        const string top = """, { "size": 1, "topology": { "kind": "none" }, "lambdaC": 0.7 }""";
        var flat = SystemBuilder.Create(ConfigLoader.Parse(Flat("system", LearnedRing, 0.1)));
        flat.UseFusedKernels = false;
        var nested = NestedBuilder.Create(ConfigLoader.Parse(AsLevels("system", LearnedRing, 0.1, top)));
        Assert.Equal(2, nested.Levels.Count);
        AssertIdentical(flat, nested);
    }

    [Fact]
    public void CompositeProduction_IsTheSumOfItsGroupsProductionRows()
    {
        var c = ConfigLoader.Parse("""
            { "space": { "m": 16 }, "agents": { "count": 4, "init": "random" }, "demand": { "kind": "uniform" },
              "levels": [ { "size": 2, "topology": { "kind": "complete", "weight": 0.5 } }, { "size": 2, "topology": { "kind": "complete", "weight": 0.25 } } ] }
            """);
        var s = NestedBuilder.Create(c);
        using var _ = TensorEngine.NoGrad();
        var tiers = s.TierProduction();
        var w = tiers[0].ToArray();
        int m = 16;
        // Level 0: groups {0,1}, {2,3}, Q = 0.5 inside each: W_g = (1 + 0.5)(w_a + w_b).
        var expectedTier1 = new double[2 * m];
        for (int g = 0; g < 2; g++)
            for (int x = 0; x < m; x++) expectedTier1[g * m + x] = 1.5 * (w[(2 * g) * m + x] + w[(2 * g + 1) * m + x]);
        AssertClose(expectedTier1, tiers[1].ToArray(), 1e-12);
        var expectedW = new double[m];
        for (int x = 0; x < m; x++) expectedW[x] = 1.25 * (expectedTier1[x] + expectedTier1[m + x]);
        AssertClose(expectedW, s.SystemProduction().ToArray(), 1e-12);
    }

    [Fact]
    public void RemovingLeaves_DeletesTheirRowsAndColumns_AndEmptyGroupsDisappear()
    {
        var c = ConfigLoader.Parse("""
            { "space": { "m": 16 }, "agents": { "count": 4, "init": "random" }, "demand": { "kind": "uniform" },
              "levels": [ { "size": 2, "topology": { "kind": "complete", "weight": 0.5 } }, { "size": 2, "topology": { "kind": "complete", "weight": 0.25 } } ] }
            """);
        var s = NestedBuilder.Create(c);
        using var _ = TensorEngine.NoGrad();
        var w = s.LeafProduction().ToArray();
        int m = 16;
        // Leaves 1, 2 and 3 removed: group 1 is empty, so the top edge is gone and W = w_0 alone.
        AssertClose(w.AsSpan(0, m).ToArray(), s.SystemProduction([true, false, false, false]).ToArray(), 1e-12);
        // Leaf 1 removed: group 0 is w_0 alone; group 1 = 1.5 (w_2 + w_3); W = 1.25 (both).
        var expected = new double[m];
        for (int x = 0; x < m; x++) expected[x] = 1.25 * (w[x] + 1.5 * (w[2 * m + x] + w[3 * m + x]));
        AssertClose(expected, s.SystemProduction([true, false, true, true]).ToArray(), 1e-12);
    }
}
