// Issue 13's model options on nested systems: fixed equal resources (a_i = R/N, α not trained) and the volume-aware
// "local-share" objective at the top and as a level's demand objective: gradients against finite differences, the
// one-level system equal to the flat one, and the starved group that "local" lets off and "local-share" charges.
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Nested;
using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Nested;

public class NestedOptionsTests
{
    /// <summary><see cref="NestedSystemTests.Spread"/>, and α away from its initial constant where it is trained.</summary>
    private static NestedSystem Spread(NestedSystem s)
    {
        if (!s.FixedResources) for (int i = 0; i < s.Alpha.Numel; i++) s.Alpha[i] = 0.3 * Math.Cos(i);
        return NestedSystemTests.Spread(s);
    }

    private static DpsConfig TwoLevels(string resources, string objective, string levelObjective, string mismatch = "squared") => ConfigLoader.Parse($$"""
        { "space": { "m": 32 }, "agents": { "count": 6, "init": "random", "resources": "{{resources}}" },
          "demand": { "kind": "peaks", "peaks": 2, "width": 0.4 },
          "objective": { "kind": "{{objective}}", "mismatch": "{{mismatch}}", "lambdaR": 0.2, "lambdaSigma": 0.05 },
          "levels": [
            { "size": 3, "topology": { "kind": "complete", "learned": true }, "lambdaC": 0.1,
              "demand": { "kind": "peaks", "peaks": 1, "width": 0.6 }, "demandObjective": "{{levelObjective}}", "demandWeight": 0.5 },
            { "size": 2, "topology": { "kind": "complete", "learned": true, "embedding": "index" }, "lambdaC": 0.3 } ] }
        """);

    [Theory]
    [InlineData("fixed-equal", "system", "system", "squared")]
    [InlineData("fixed-equal", "local", "local", "both")]
    [InlineData("fixed-equal", "local-share", "local-share", "squared")]
    [InlineData("budget", "local-share", "system", "squared")]
    [InlineData("soft", "system", "local-share", "unmet")]
    [InlineData("budget", "local-share", "local-share", "both")]
    public void NestedLoss_WithFixedEqualResourcesOrLocalShare_GradientsMatchFiniteDifferences(string resources, string objective, string levelObjective, string mismatch)
    {
        var s = Spread(NestedBuilder.Create(TwoLevels(resources, objective, levelObjective, mismatch)));
        AssertGradients(_ => s.Loss().Total, s.Parameters().ToArray());
    }

    [Fact]
    public void FixedEqualResources_EveryLeafHoldsRoverN_AlphaIsNotTrained()
    {
        var s = NestedBuilder.Create(TwoLevels("fixed-equal", "local", "local"));
        Assert.True(s.FixedResources);
        Assert.DoesNotContain(s.Parameters(), p => ReferenceEquals(p, s.Alpha));
        Assert.DoesNotContain("alpha", s.ParameterNames());
        Assert.Equal(s.Parameters().Count, s.ParameterNames().Count);
        for (int i = 0; i < s.N; i++) s.Alpha[i] = i; // α is read by nothing
        using var _ = TensorEngine.NoGrad();
        var a = s.Resources().ToArray();
        Assert.All(a, v => Assert.Equal(s.Budget / s.N, v, 15));
        // So every composite of the level above the leaves holds R/2 before collaboration.
        Assert.Equal(a[0] + a[1] + a[2], a[3] + a[4] + a[5]);
    }

    private const string FlatPart = """
        "space": { "m": 32 }, "agents": { "count": 5, "init": "random", "resources": "RES" }, "demand": { "kind": "peaks", "peaks": 2, "width": 0.4 },
        """;

    [Theory]
    [InlineData("fixed-equal", "local-share", "unmet")]
    [InlineData("budget", "local-share", "unmet")]
    [InlineData("fixed-equal", "system", "unmet")]
    public void OneLevelSystem_IsTheFlatSystem_ToTheBit(string resources, string objective, string mismatch)
    {
        // The flat model on its composed path (the one a nested system always takes; the fused kernels agree with it
        // to 1e-12, not to the bit).
        string part = FlatPart.Replace("RES", resources);
        var flat = SystemBuilder.Create(ConfigLoader.Parse($$"""{ {{part}} "objective": { "kind": "{{objective}}", "mismatch": "{{mismatch}}", "lambdaC": 0.1 }, "topology": { "kind": "ring", "k": 1, "learned": true } }"""));
        flat.UseFusedKernels = false;
        var level = NestedBuilder.Create(ConfigLoader.Parse($$"""{ {{part}} "objective": { "kind": "{{objective}}", "mismatch": "{{mismatch}}" }, "levels": [ { "size": 5, "topology": { "kind": "ring", "k": 1, "learned": true }, "lambdaC": 0.1 } ] }"""));
        Assert.Equal(flat.ParameterNames().Count, level.ParameterNames().Count);
        var f = flat.Evaluate(null, backward: true);
        var l = level.Evaluate(null, backward: true);
        Assert.Equal(f.Total, l.Total);
        var fp = flat.Parameters();
        var lp = level.Parameters();
        for (int k = 0; k < fp.Count; k++) Assert.Equal(fp[k].Grad!.ToArray(), lp[k].Grad!.ToArray());
    }

    [Fact]
    public void LocalShareLevelDemand_ChargesAStarvedGroup_ThatLocalLetsOff()
    {
        // Two groups of two leaves, each group asked for two peaks; group 1's leaves hold e^-12 of group 0's resource but
        // the same skills. Under "local" every member's pooled density has the right shape in both groups (level term
        // 0); under "local-share" group 1's members owe the level's mean volume and deliver nothing.
        DpsConfig Config(string levelObjective) => ConfigLoader.Parse($$"""
            { "space": { "m": 64 }, "agents": { "count": 4 }, "demand": { "kind": "peaks", "peaks": 2, "width": 0.3 },
              "levels": [ { "size": 2, "topology": { "kind": "complete", "weight": 1 }, "demand": { "kind": "peaks", "peaks": 2, "width": 0.3 }, "demandObjective": "{{levelObjective}}" },
                          { "size": 2 } ] }
            """);
        double LevelTerm(string objective)
        {
            var s = NestedBuilder.Create(Config(objective));
            double[] mu = [0, Math.PI, 0, Math.PI], alpha = [0, 0, -12, -12];
            for (int i = 0; i < 4; i++) { s.Mu[i] = mu[i]; s.Rho[i] = Initialization.SoftplusInverse(0.3 - s.SigmaMin); s.Alpha[i] = alpha[i]; }
            using var _ = TensorEngine.NoGrad();
            return s.Loss().LevelDemand[0].Item();
        }
        double local = LevelTerm("local"), share = LevelTerm("local-share");
        Assert.True(local < 1e-20, $"local {local:G3}");
        // Half the members deliver ≈ 0 against a share of 2 × their mean volume: about (1/2)·∫D̂² over the members.
        Assert.True(share > 0.05, $"local-share {share:G3}");
    }
}
