using System.Text.RegularExpressions;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Measures;
using DpsTorch.Model;
using DpsTorch.Nested;
using DpsTorch.Ops;
using DpsTorch.Reports;
using DpsTorch.Runs;
using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Nested;

/// <summary>Nested systems on the torus T^d (issue 16, item 1): leaves with a location and a breadth per axis.</summary>
public class NestedTorusTests
{
    private static DpsConfig TwoLevels(string objective, string extra = "") => ConfigLoader.Parse($$"""
        { "space": { "m": 8, "dimensions": 2 }, "agents": { "count": 6, "init": "random", "resources": "soft", "sigmaMin": 0.2 },
          "demand": { "kind": "peaks", "peaks": 2, "width": 0.5 },
          "objective": { "kind": "{{objective}}", "lambdaR": 0.2, "lambdaSigma": 0.05 },
          "levels": [
            { "size": 3, "topology": { "kind": "complete", "learned": true }, "lambdaC": 0.1,
              "demand": { "kind": "mixture", "centers": [1, 2], "widths": [0.6, 0.5] }, "demandObjective": "local", "demandWeight": 0.5 },
            { "size": 2, "topology": { "kind": "complete", "learned": true, "embedding": "index" }, "lambdaC": 0.3 } ]{{extra}} }
        """);

    [Theory]
    [InlineData("system")]
    [InlineData("local")]
    public void TwoLevelLoss_OnT2_GradientsMatchFiniteDifferences(string objective)
    {
        var s = NestedSystemTests.Spread(NestedBuilder.Create(TwoLevels(objective)));
        Assert.Equal(12, s.Mu.Numel);
        Assert.Equal(64, s.SystemProduction().Numel);
        AssertGradients(_ => s.Loss().Total, s.Parameters().ToArray(), 1e-6);
    }

    [Fact]
    public void HomogeneousFleet_OnT2_SharesOneLocationPerAxis_AndItsGradientsMatchFiniteDifferences()
    {
        var s = NestedSystemTests.Spread(NestedBuilder.Create(TwoLevels("system"), homogeneous: true));
        Assert.Equal(2, s.Mu.Numel);
        Assert.Equal(2, s.Rho.Numel);
        s.Mu[0] = 1.0; s.Mu[1] = 2.5;
        var mu = s.LeafMu().ToArray();
        for (int i = 0; i < s.N; i++) { Assert.Equal(1.0, mu[2 * i]); Assert.Equal(2.5, mu[2 * i + 1]); }
        AssertGradients(_ => s.Loss().Total, s.Parameters().ToArray(), 1e-6);
    }

    /// <summary>One level holding every leaf with fixed links computes what the flat system of the same graph computes.</summary>
    [Theory]
    [InlineData(2, "system")]
    [InlineData(3, "local")]
    public void OneLevel_OnTd_EqualsTheFlatSystem(int d, string objective)
    {
        string body = $$"""
            "space": { "m": 8, "dimensions": {{d}} }, "agents": { "count": 4, "init": "random", "sigmaMin": 0.2 },
            "demand": { "kind": "peaks", "peaks": 2, "width": 0.5 }, "objective": { "kind": "{{objective}}" }
            """;
        var flat = SystemBuilder.Create(ConfigLoader.Parse($$"""{ {{body}}, "topology": { "kind": "ring", "k": 1, "weight": 0.3 } }"""));
        flat.UseFusedKernels = false;
        var nested = NestedBuilder.Create(ConfigLoader.Parse($$"""{ {{body}}, "levels": [ { "size": 4, "topology": { "kind": "ring", "k": 1, "weight": 0.3 } } ] }"""));
        Assert.Equal(flat.Mu.ToArray(), nested.Mu.ToArray());
        Assert.Equal(flat.Loss().Total.Item(), nested.Loss().Total.Item(), 12);
        flat.Loss().Total.Backward();
        nested.Loss().Total.Backward();
        AssertClose(flat.Mu.Grad!.ToArray(), nested.Mu.Grad!.ToArray(), 1e-12);
        AssertClose(flat.Rho.Grad!.ToArray(), nested.Rho.Grad!.ToArray(), 1e-12);
    }

    /// <summary>d = 1 written out is the nested circle system to the last bit: training, the search moves and every measure.</summary>
    [Fact]
    public void ANestedCircleConfig_WithDimensionsOne_TrainsAndMeasuresToTheSameBitsAsWithoutTheKey()
    {
        const string body = """
            "agents": { "count": 8 }, "demand": { "kind": "peaks", "peaks": 3, "width": 0.3 },
            "training": { "steps": 60, "restarts": 2, "polish": 20 }, "measures": { "seeds": 2, "resilienceSteps": 0 },
            "levels": [ { "size": 4, "topology": { "kind": "complete", "learned": true }, "lambdaC": 0.05 }, { "size": 2 } ] }
            """;
        var without = Experiment.Run(ConfigLoader.Parse("{ \"space\": { \"m\": 32 }, " + body));
        var with = Experiment.Run(ConfigLoader.Parse("{ \"space\": { \"m\": 32, \"dimensions\": 1 }, " + body));
        var (a, b) = ((NestedSystem)without.System, (NestedSystem)with.System);
        Assert.Equal(a.Mu.ToArray(), b.Mu.ToArray());
        Assert.Equal(a.Rho.ToArray(), b.Rho.ToArray());
        Assert.Equal(a.Alpha.ToArray(), b.Alpha.ToArray());
        Assert.Equal(without.Loss, with.Loss);
        string Summary(ExperimentResult r) => NestedRunFiles.SummaryJson(r.Config, r.NestedOutcome, null).ToJsonString();
        Assert.Equal(Regex.Replace(Summary(without), "\"seconds\":[^,}]*", ""), Regex.Replace(Summary(with), "\"seconds\":[^,}]*", ""));
    }

    /// <summary>
    /// Types at both levels on T^2: four separated peaks, two groups of four leaves under one top level, each group
    /// with a fixed equal share of the budget and no links (W = Σ a_i s_i, so no output is amplified past the demand).
    /// Trained from the defaults (init auto, four restarts, the polish and merges), the run converges with four leaf
    /// types, two in each group, and two distinct composites.
    /// Which peaks a group takes is not set by the loss (any two-and-two split is an optimum); the test checks that the
    /// optimum reached has heterogeneity at both levels and that the T^2 measures read it.
    /// </summary>
    [Fact]
    public void TwoGroupsOnT2_EachCoverItsOwnPeaks_Converged_WithTypesAtBothLevels()
    {
        var c = ConfigLoader.Parse("""
            { "space": { "m": 20, "dimensions": 2 }, "agents": { "count": 8 }, "demand": { "kind": "peaks", "peaks": 4, "width": 0.35 },
              "measures": { "seeds": 2, "resilienceSteps": 0 },
              "levels": [ { "name": "group", "size": 4, "fixedShare": true },
                          { "name": "system", "size": 2 } ] }
            """);
        var r = Experiment.Run(c);
        Assert.True(r.Training.Converged, $"not converged: {r.Training.Reason}, gradient {r.Training.GradientNorm}");
        var leaves = r.LevelMeasures!.Tiers[0];
        var groups = r.LevelMeasures.Tiers[1];
        Assert.InRange(leaves.Types, 3.9, 4.1);
        Assert.InRange(leaves.Among, 3.9, 4.1);
        Assert.All(leaves.WithinGroups, h => Assert.InRange(h, 1.9, 2.1));
        Assert.InRange(groups.Among, 1.9, 2.1);
        Assert.InRange(groups.Types, 1.9, 2.1);
        Assert.True(r.LevelMeasures.Coverage > 0.99, $"coverage {r.LevelMeasures.Coverage}");
    }

    [Fact]
    public void SavedState_OnT2_RoundTrips_AndTheReportDrawsMaps()
    {
        var c = ConfigLoader.Parse("""
            { "name": "nested torus", "space": { "m": 10, "dimensions": 2 }, "agents": { "count": 4 }, "demand": { "kind": "peaks", "peaks": 2, "width": 0.4 },
              "training": { "steps": 20, "restarts": 1, "polish": 5 }, "measures": { "seeds": 2, "resilienceSteps": 0 },
              "levels": [ { "size": 2, "topology": { "kind": "complete", "learned": true } }, { "size": 2 } ] }
            """);
        var r = Experiment.Run(c, baseline: true);
        using var dir = new TempDir();
        string run = Path.Combine(dir.Path, "run");
        RunOutput.Write(run, r);
        var state = NestedState.Load(Path.Combine(run, RunFiles.Model));
        var system = (NestedSystem)r.System;
        Assert.Equal(system.Mu.ToArray(), state.Nested.Mu);
        Assert.Equal(system.Loss().Total.Item(), state.ToSystem().Loss().Total.Item());
        Assert.Equal(2, state.Baseline!.Mu.Length);
        Assert.Equal(r.Homogeneous!.System.Loss().Total.Item(), state.ToSystem(baseline: true).Loss().Total.Item());

        string html = ReportPage.Build(run);
        foreach (var title in new[] { "Demand D", "Production W", "Residual W − D", "Where the heterogeneity sits", "Loss" })
            Assert.Contains($"<h2>{title}</h2>", html);
        Assert.Contains("T^2, M = 10 points per axis (100 in all)", html);
        Assert.True(Regex.Matches(html, "<ellipse ").Count >= 2 * 4);
        Assert.DoesNotContain("NaN", html.Replace(Interactive.HtmlScript, ""));
    }

    [Fact]
    public void CompositeTypeCount_OnT2_ReadsTwoSeparatedCompositesAsTwo_AndTwoAlikeAsOne()
    {
        var space = new Space(16, 2);
        double[] Density(double x, double y) => DpsKernels.ProductWrappedNormalDensity(Tensor.FromArray([x, y]), Tensor.FromArray([0.3, 0.3]), null, space.Grid.ToArray(), 2).ToArray();
        double[] Rows(params double[][] rows) => [.. rows.SelectMany(v => v)];
        Assert.Equal(2.0, TypeCount.OfDensities(Rows(Density(1, 1), Density(4, 4)), [1.0, 1.0], space), 6);
        Assert.Equal(1.0, TypeCount.OfDensities(Rows(Density(1, 1), Density(1.05, 1)), [1.0, 1.0], space), 6);
    }
}
