using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Measures;
using DpsTorch.Model;
using DpsTorch.Model.Search;
using DpsTorch.Runs;
using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Model;

/// <summary>The flat system on the torus T^d (issue 16 part 1).</summary>
public class TorusModelTests
{
    private static DpsConfig Config(int d, string objective = "system", string topology = "none", int n = 6, int m = 12, string demand = """{ "kind": "peaks", "peaks": 3, "width": 0.4 }""")
        => ConfigLoader.Parse($$"""
            { "space": { "m": {{m}}, "dimensions": {{d}} }, "agents": { "count": {{n}}, "init": "random", "sigmaMin": 0.05 }, "demand": {{demand}},
              "topology": { "kind": "{{topology}}", "k": 1, "weight": 0.4 }, "objective": { "kind": "{{objective}}", "lambdaSigma": 0.05 } }
            """);

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Build_GivesDLocationsPerAgent_AndADemandOfTheRequestedMassOnTheProductGrid(int d)
    {
        var model = SystemBuilder.Create(Config(d, m: 10));
        Assert.Equal(6, model.N);
        Assert.Equal(6 * d, model.Mu.Numel);
        Assert.Equal(6 * d, model.Rho.Numel);
        Assert.Equal((int)Math.Pow(10, d), model.DemandFrames[0].Length);
        Assert.Equal(model.Budget, model.Space.Integrate(model.DemandFrames[0]), 10);
        using var _ = TensorEngine.NoGrad();
        Assert.Equal(new[] { 6, (int)Math.Pow(10, d) }, model.Skills().Shape);
        // Each skill density integrates to one on the product grid.
        var s = model.Skills().ToArray();
        for (int i = 0; i < 6; i++) Assert.Equal(1.0, model.Space.Delta * s.Skip(i * model.Space.Points).Take(model.Space.Points).Sum(), 4); // rectangle rule, σ ≈ 0.8 spacings
    }

    [Theory]
    [InlineData(2, "system", "none")]
    [InlineData(2, "system", "ring")]
    [InlineData(2, "local", "ring")]
    [InlineData(2, "local", "complete")]
    [InlineData(3, "system", "ring")]
    [InlineData(3, "local", "ring")]
    public void FusedLoss_EqualsComposedLoss_ValueAndGradients(int d, string objective, string topology)
    {
        var model = SystemBuilder.Create(Config(d, objective, topology, m: 8));
        (double, double[][]) Run(bool fused)
        {
            model.UseFusedKernels = fused;
            foreach (var p in model.Parameters()) p.ZeroGrad();
            var loss = model.Loss().Total;
            loss.Backward();
            return (loss.Item(), [.. model.Parameters().Select(p => p.Grad!.ToArray())]);
        }
        var (l1, g1) = Run(true);
        var (l0, g0) = Run(false);
        Assert.True(Math.Abs(l1 - l0) <= 1e-12 * Math.Abs(l0), $"loss: fused {l1:G17}, composed {l0:G17}");
        for (int k = 0; k < g0.Length; k++) AssertClose(g0[k], g1[k], 1e-11 * Math.Max(1, g0[k].Max(Math.Abs)));
    }

    [Theory]
    [InlineData("system")]
    [InlineData("local")]
    public void Loss_GradientsMatchFiniteDifferences_OnT2(string objective)
    {
        var model = SystemBuilder.Create(Config(2, objective, "ring", n: 4, m: 8));
        var ps = model.Parameters().ToArray();
        AssertGradients(_ => model.Loss().Total, ps, 1e-6);
    }

    [Fact]
    public void ACircleConfig_WithDimensionsOne_TrainsToTheSameBitsAsWithoutTheKey()
    {
        const string body = """
            "agents": { "count": 5 }, "demand": { "kind": "peaks", "peaks": 2, "width": 0.3 },
            "training": { "steps": 40, "restarts": 2, "polish": 5 }, "measures": { "seeds": 2, "resilienceSteps": 0 } }
            """;
        var without = Experiment.Run(ConfigLoader.Parse("{ \"space\": { \"m\": 32 }, " + body));
        var with = Experiment.Run(ConfigLoader.Parse("{ \"space\": { \"m\": 32, \"dimensions\": 1 }, " + body));
        Assert.Equal(without.Model.Mu.ToArray(), with.Model.Mu.ToArray());
        Assert.Equal(without.Model.Rho.ToArray(), with.Model.Rho.ToArray());
        Assert.Equal(without.Model.Alpha.ToArray(), with.Model.Alpha.ToArray());
        Assert.Equal(without.Loss, with.Loss);
        Assert.Equal(ConfigLoader.ToJson(without.Config), ConfigLoader.ToJson(with.Config));
    }

    [Fact]
    public void PeakLattice_KeepsFourPeaksOnT2AtLeastPiApart()
    {
        var c = Demand.PeakLattice(4, 2);
        double min = double.PositiveInfinity;
        for (int a = 0; a < 4; a++)
            for (int b = a + 1; b < 4; b++)
            {
                double s2 = 0;
                for (int k = 0; k < 2; k++) { double t = Math.Abs(Math.IEEERemainder(c[a * 2 + k] - c[b * 2 + k], 2 * Math.PI)); s2 += t * t; }
                min = Math.Min(min, Math.Sqrt(s2));
            }
        Assert.Equal(Math.PI, min, 12);
        // The circle's lattice is the even spacing of EvenPeaks.
        Assert.Equal(Enumerable.Range(0, 5).Select(j => 2 * Math.PI * j / 5), Demand.PeakLattice(5, 1));
    }

    [Fact]
    public void TorusModes_FindEachPeak_ItsWidthAndAnEqualMassShare()
    {
        var space = new Space(32, 2);
        var demand = Demand.TorusMixture(space, [1.0, 2.0, 4.0, 5.0, 2.5, 0.5], [0.3, 0.25, 0.3, 0.25, 0.3, 0.25], [1, 1, 1], 3.0);
        var modes = StructuredStarts.TorusModes(space, [demand.ToArray()]);
        Assert.Equal(3, modes.Count);
        foreach (var (cx, cy) in new[] { (1.0, 2.0), (4.0, 5.0), (2.5, 0.5) })
        {
            var mode = Assert.Single(modes, x => Math.Abs(x.Center[0] - cx) < 0.1 && Math.Abs(x.Center[1] - cy) < 0.1);
            Assert.InRange(mode.Mass, 1.0 / 3 - 0.01, 1.0 / 3 + 0.01);
            Assert.InRange(mode.Width[0], 0.29, 0.31);
            Assert.InRange(mode.Width[1], 0.24, 0.26);
        }
    }

    [Fact]
    public void SavedState_RoundTripsOnT2()
    {
        var c = Config(2);
        var model = SystemBuilder.Create(c);
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "model.json");
        ModelState.From(model, c).Save(path);
        var loaded = ModelState.Load(path).ToModel();
        Assert.Equal(model.Mu.ToArray(), loaded.Mu.ToArray());
        Assert.Equal(model.Rho.ToArray(), loaded.Rho.ToArray());
        Assert.Equal(model.Loss().Total.Item(), loaded.Loss().Total.Item());
    }

    /// <summary>
    /// Issue 16, must show (small): four separated peaks on a 24×24 grid and eight agents, trained from the defaults
    /// (init auto, four restarts, Adam then the polish), end converged with four types; tolerance ±0.1 on both counts.
    /// </summary>
    [Fact]
    public void FourPeaksOnT2_TrainFromDefaults_ToFourTypes_Converged()
    {
        var c = ConfigLoader.Parse("""
            { "space": { "m": 24, "dimensions": 2 }, "agents": { "count": 8 }, "demand": { "kind": "peaks", "peaks": 4, "width": 0.35 },
              "measures": { "seeds": 2, "resilienceSteps": 0 } }
            """);
        var r = Experiment.Run(c);
        Assert.True(r.Training.Converged, $"not converged: {r.Training.Reason}, gradient {r.Training.GradientNorm}");
        Assert.InRange(r.Measures.Types, 3.9, 4.1);
        Assert.InRange(r.Measures.Heterogeneity.Q1, 3.9, 4.1);
        Assert.True(r.Measures.Coverage > 0.99, $"coverage {r.Measures.Coverage}");
    }
}
