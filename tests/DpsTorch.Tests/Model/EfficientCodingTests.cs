// The efficient-coding objective (objective.kind "fisher"): its Fisher information against a direct evaluation, its
// invariance to the overall gain (the rate budget is built in), its gradients against central finite differences, and
// the config rules that keep it to flat, unlinked, managed systems.
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Ops;
using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Model;

public class EfficientCodingTests
{
    private static DpsModel Small(string resources = "budget", string topology = "none")
    {
        var c = ConfigLoader.Parse($$"""
            { "space": { "m": 32 }, "agents": { "count": 5, "init": "random", "resources": "{{resources}}" },
              "topology": { "kind": "{{topology}}", "k": 1, "weight": 0.4 },
              "demand": { "kind": "mixture", "centers": [2.0, 4.5], "widths": [0.5, 2.0], "weights": [0.4, 0.6] },
              "objective": { "kind": "fisher", "lambdaR": 0.2, "lambdaSigma": 0.05 } }
            """);
        var model = SystemBuilder.Create(c);
        // Narrow and broad tuning (more images for the broad ones), μ outside [0, 2π) as well.
        double[] sigmas = [0.2, 0.45, 0.7, 1.2, 2.5];
        double[] mus = [0.3, 2.9, -1.0, 7.5, 4.0];
        for (int i = 0; i < model.N; i++)
        {
            model.Rho[i] = Initialization.SoftplusInverse(sigmas[i] - model.SigmaMin);
            model.Mu[i] = mus[i];
            model.Alpha[i] = 0.3 * Math.Sin(i + 1.0);
        }
        return model;
    }

    /// <summary>f'(x)²/f(x) summed over neurons, with f and f' as plain image sums of the Gaussian.</summary>
    private static double[] DirectFisher(double[] mu, double[] sigma, double[] a, double[] grid)
    {
        var fi = new double[grid.Length];
        for (int i = 0; i < mu.Length; i++)
            for (int m = 0; m < grid.Length; m++)
            {
                double f = 0, df = 0;
                for (int k = -8; k <= 8; k++)
                {
                    double d = grid[m] - mu[i] + 2 * Math.PI * k;
                    double phi = a[i] * Math.Exp(-d * d / (2 * sigma[i] * sigma[i])) / (sigma[i] * Math.Sqrt(2 * Math.PI));
                    f += phi;
                    df += -d / (sigma[i] * sigma[i]) * phi;
                }
                fi[m] += df * df / f;
            }
        return fi;
    }

    [Fact]
    public void FisherInformation_MatchesTheDirectImageSum()
    {
        var model = Small();
        using var _ = TensorEngine.NoGrad();
        var grid = model.Space.Grid.ToArray();
        var fi = EfficientCoding.FisherInformation(model.Mu, model.Sigma(), model.Resources(), grid).ToArray();
        var direct = DirectFisher(model.Mu.ToArray(), model.Sigma().ToArray(), model.Resources().ToArray(), grid);
        for (int m = 0; m < grid.Length; m++)
            Assert.True(Math.Abs(fi[m] - direct[m]) <= 1e-10 * Math.Max(1, direct[m]), $"x[{m}]: {fi[m]:G17} vs {direct[m]:G17}");
    }

    [Fact]
    public void FisherInformation_OfNarrowTuning_IsFiniteWhereTheTailsUnderflow()
    {
        var grid = new Space(256).Grid.ToArray();
        var fi = EfficientCoding.FisherInformation(Tensor.FromArray([1.0]), Tensor.FromArray([0.01]), Tensor.FromArray([1.0]), grid).ToArray();
        Assert.All(fi, v => Assert.True(double.IsFinite(v) && v >= 0, $"FI = {v}"));
        Assert.Equal(0.0, fi[128]); // π away from μ: e^{-(π−1)²/2σ²} underflows, and the term is 0, not 0/0
        Assert.True(fi.Max() > 0);
    }

    [Fact]
    public void Loss_IsInvariantToTheOverallGain()
    {
        var model = Small();
        using var _ = TensorEngine.NoGrad();
        var grid = model.Space.Grid.ToArray();
        var a = model.Resources();
        double l1 = EfficientCoding.Loss(model.Mu, model.Sigma(), a, grid, model.Space.Delta, model.DemandFrames[0]).Item();
        double l2 = EfficientCoding.Loss(model.Mu, model.Sigma(), a * 7.3, grid, model.Space.Delta, model.DemandFrames[0]).Item();
        Assert.Equal(l1, l2, 1e-12);
    }

    [Theory]
    [InlineData("budget")]
    [InlineData("soft")]
    public void FullLoss_Gradients_MatchFiniteDifferences(string resources)
    {
        var model = Small(resources);
        AssertGradients(_ => model.Loss().Total, model.Parameters().ToArray());
    }

    [Fact]
    public void PooledLoss_WithoutLinks_IsTheLoss_AndKeepsTheGainInvariance()
    {
        var model = Small();
        using var _ = TensorEngine.NoGrad();
        var grid = model.Space.Grid.ToArray();
        var (mu, sigma, a, prior) = (model.Mu, model.Sigma(), model.Resources(), model.DemandFrames[0]);
        double plain = EfficientCoding.Loss(mu, sigma, a, grid, model.Space.Delta, prior).Item();
        double pooled = EfficientCoding.PooledLoss(mu, sigma, a, grid, model.Space.Delta, prior, x => x).Item();
        Assert.Equal(plain, pooled, 1e-10);
        var ring = Small(topology: "ring");
        Func<Tensor, Tensor> pool = x => ring.Interaction.ApplyWithIdentity(ring.Interaction.Weights(), x);
        double l1 = EfficientCoding.PooledLoss(mu, sigma, a, grid, model.Space.Delta, prior, pool).Item();
        double l2 = EfficientCoding.PooledLoss(mu, sigma, a * 7.3, grid, model.Space.Delta, prior, pool).Item();
        Assert.Equal(l1, l2, 1e-12);
        Assert.NotEqual(plain, l1, 1e-3); // pooling through the ring changes the information
        Assert.Equal(l1, ring.Loss().Coverage.Item(), 1e-12); // the model's loss is the pooled one when it has links
    }

    [Theory]
    [InlineData("ring")]
    [InlineData("star")]
    public void PooledLoss_Gradients_MatchFiniteDifferences(string topology)
    {
        var model = Small(topology: topology);
        AssertGradients(_ => model.Loss().Total, model.Parameters().ToArray());
    }

    [Fact]
    public void EveryStartOfABatch_HasTheLossOfItsModelAlone()
    {
        var c = ConfigLoader.Parse("""
            { "space": { "m": 32 }, "agents": { "count": 4, "init": "random" },
              "demand": { "kind": "mixture", "centers": [2.0, 4.5], "widths": [0.5, 2.0], "weights": [0.4, 0.6] },
              "objective": { "kind": "fisher" } }
            """);
        var models = Enumerable.Range(0, 3).Select(r => SystemBuilder.Create(c, r)).ToArray();
        var batch = new BatchedStarts(models);
        var losses = batch.StartLossParts().Total.ToArray();
        for (int r = 0; r < models.Length; r++)
            Assert.Equal(models[r].Loss().Total.Item(), losses[r], 1e-12);
    }

    [Theory]
    [InlineData("""{ "objective": { "kind": "fisher" }, "topology": { "kind": "ring", "learned": true } }""", "topology.learned")]
    [InlineData("""{ "objective": { "kind": "fisher" }, "topology": { "kind": "ring", "propagation": "hops" } }""", "topology.propagation")]
    [InlineData("""{ "objective": { "kind": "fisher" }, "training": { "backend": "torchsharp" } }""", "training.backend")]
    [InlineData("""{ "agents": { "count": 4 }, "objective": { "kind": "fisher" }, "levels": [ { "size": 2 }, { "size": 2 } ] }""", "objective.kind")]
    [InlineData("""{ "agents": { "count": 4 }, "levels": [ { "size": 2, "demandObjective": "fisher", "demand": {} }, { "size": 2 } ] }""", "levels[0].demandObjective")]
    public void Config_RefusesFisherWhereItDoesNotApply_InOneLine(string json, string key)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(json));
        Assert.StartsWith(key, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }
}
