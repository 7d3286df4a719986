using System.Text.RegularExpressions;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Measures;
using DpsTorch.Model;
using DpsTorch.Reports;
using DpsTorch.Runs;
using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Model;

/// <summary>Full-covariance agents on T^2 and T^3 (agents.covariance "full", issue 16 item 1).</summary>
public class FullCovarianceTests
{
    private static DpsConfig Config(int d, string objective, string covariance = "full", string topology = "ring", int n = 4, int m = 8) => ConfigLoader.Parse($$"""
        { "space": { "m": {{m}}, "dimensions": {{d}} }, "agents": { "count": {{n}}, "init": "random", "sigmaMin": 0.2, "covariance": "{{covariance}}" },
          "demand": { "kind": "peaks", "peaks": 2, "width": 0.5 }, "topology": { "kind": "{{topology}}", "k": 1, "learned": true },
          "objective": { "kind": "{{objective}}", "lambdaC": 0.1, "lambdaSigma": 0.05 } }
        """);

    private static void Tilt(DpsModel model)
    {
        for (int k = 0; k < model.Lower!.Numel; k++) model.Lower[k] = 0.4 * Math.Sin(k + 1);
    }

    [Theory]
    [InlineData(2, "system")]
    [InlineData(2, "local")]
    [InlineData(3, "system")]
    public void Loss_GradientsMatchFiniteDifferences(int d, string objective)
    {
        var model = SystemBuilder.Create(Config(d, objective, m: d == 3 ? 6 + 2 : 8));
        Assert.Equal(4 * d * (d - 1) / 2, model.Lower!.Numel);
        Assert.Equal("lower", model.ParameterNames()[^1]);
        Tilt(model);
        AssertGradients(_ => model.Loss().Total, model.Parameters().ToArray(), 1e-6);
    }

    [Theory]
    [InlineData("system")]
    [InlineData("local")]
    public void UntiltedFullCovariance_HasTheDiagonalModelsLoss(string objective)
    {
        var full = SystemBuilder.Create(Config(2, objective));
        var diagonal = SystemBuilder.Create(Config(2, objective, "diagonal"));
        Assert.Null(diagonal.Lower);
        Assert.Equal(diagonal.Loss().Total.Item(), full.Loss().Total.Item(), 12);
    }

    [Fact]
    public void TheDefault_IsDiagonal_AndWritesNoKey_WhileFullRoundTrips()
    {
        var plain = ConfigLoader.Parse("""{ "space": { "dimensions": 2 } }""");
        Assert.Equal(CovarianceKind.Diagonal, plain.Agents.Covariance);
        Assert.DoesNotContain("covariance", ConfigLoader.ToJson(plain));
        var full = ConfigLoader.Parse("""{ "space": { "dimensions": 2 }, "agents": { "covariance": "full" } }""");
        Assert.Equal(CovarianceKind.Full, ConfigLoader.Parse(ConfigLoader.ToJson(full)).Agents.Covariance);
    }

    [Theory]
    [InlineData("""{ "agents": { "covariance": "full" } }""", "agents.covariance")]
    [InlineData("""{ "space": { "dimensions": 2 }, "agents": { "covariance": "tilted" } }""", "agents.covariance")]
    [InlineData("""{ "space": { "dimensions": 2 }, "agents": { "count": 4, "covariance": "full" }, "levels": [ { "size": 2 }, { "size": 2 } ] }""", "agents.covariance")]
    [InlineData("""{ "space": { "dimensions": 2 }, "agents": { "covariance": "full" }, "training": { "backend": "torchsharp" } }""", "training.backend")]
    public void WhatFullCovarianceCannotRun_IsRefusedInOneLineNamingTheKey(string json, string key)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(json));
        Assert.StartsWith(key, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    /// <summary>The closed-form similarity (the wrapped normal of μ_i − μ_j with Σ_i + Σ_j) against the overlap summed on a fine grid.</summary>
    [Fact]
    public void Similarity_MatchesTheOverlapOnTheGrid_AndTheProductFormWithoutTilt()
    {
        var model = SystemBuilder.Create(Config(2, "system", n: 3, m: 64));
        model.Mu.Copy_([0.5, 1.0, 1.2, 1.6, 4.0, 0.3]);
        Tilt(model);
        var s = model.Skills().ToArray();
        int points = model.Space.Points;
        double Dot(int i, int j) { double v = 0; for (int x = 0; x < points; x++) v += s[i * points + x] * s[j * points + x]; return v; }
        var z = Heterogeneity.SimilarityOfCovariances(model.Mu.ToArray(), model.Covariances(), 2);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                Assert.Equal(Dot(i, j) / Math.Sqrt(Dot(i, i) * Dot(j, j)), z[i * 3 + j], 9);
        model.Lower!.Copy_(new double[3]);
        double[] sigma;
        using (TensorEngine.NoGrad()) sigma = model.Sigma().ToArray();
        AssertClose(Heterogeneity.Similarity(model.Mu.ToArray(), sigma, 2), Heterogeneity.SimilarityOfCovariances(model.Mu.ToArray(), model.Covariances(), 2), 1e-13);
    }

    private const string Ridge = """
        { "name": "ridge", "space": { "m": 24, "dimensions": 2 }, "agents": { "count": 2, "covariance": "{0}" },
          "demand": { "kind": "mixture", "centers": [1.0, 1.0, 1.4, 1.4, 1.8, 1.8, 4.0, 1.2, 4.4, 0.8, 4.8, 0.4], "width": 0.25 },
          "training": { "restarts": 2 }, "measures": { "seeds": 2, "resilienceSteps": 0 } }
        """;

    /// <summary>
    /// Two tilted ridges (one along the diagonal, one against it) and two agents: full covariances tilt to follow them
    /// (correlations of opposite sign) and reach a clearly lower loss than axis-aligned breadths can.
    /// </summary>
    [Fact]
    public void TwoTiltedRidges_AreFollowedByTiltedAgents_WithALowerLossThanDiagonalBreadths()
    {
        var full = Experiment.Run(ConfigLoader.Parse(Ridge.Replace("{0}", "full")));
        var diagonal = Experiment.Run(ConfigLoader.Parse(Ridge.Replace("{0}", "diagonal")));
        Assert.True(full.Loss < 0.5 * diagonal.Loss, $"full {full.Loss:G4} against diagonal {diagonal.Loss:G4}");
        var cov = full.Model.Covariances();
        var correlation = Enumerable.Range(0, 2).Select(i => cov[i * 4 + 1] / Math.Sqrt(cov[i * 4] * cov[i * 4 + 3])).OrderBy(r => r).ToArray();
        Assert.True(correlation[0] < -0.5 && correlation[1] > 0.5, $"correlations {correlation[0]:F3}, {correlation[1]:F3}");
        Assert.InRange(full.Measures.Types, 1.9, 2.1);
    }

    [Fact]
    public void SavedState_RoundTrips_AndTheReportTurnsTheEllipses()
    {
        var c = ConfigLoader.Parse(Ridge.Replace("{0}", "full").Replace("\"restarts\": 2", "\"restarts\": 1, \"steps\": 40, \"polish\": 5"));
        var r = Experiment.Run(c);
        using var dir = new TempDir();
        string run = Path.Combine(dir.Path, "run");
        RunOutput.Write(run, r);
        var loaded = ModelState.Load(Path.Combine(run, RunFiles.Model)).ToModel();
        Assert.Equal(r.Model.Lower!.ToArray(), loaded.Lower!.ToArray());
        Assert.Equal(r.Model.Loss().Total.Item(), loaded.Loss().Total.Item());
        string html = ReportPage.Build(run);
        Assert.Contains("<h2>Production W</h2>", html);
        Assert.Matches(new Regex("<ellipse [^>]*transform=\"rotate\\("), html);
        Assert.DoesNotContain("NaN", html.Replace(Interactive.HtmlScript, ""));
    }
}
