using DpsTorch.Config;
using DpsTorch.Model;
using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Model;

public class DpsModelGradientTests
{
    private static DpsModel Small(string objective, string topology, bool learned, string mismatch = "squared",
        string propagation = "direct", string resources = "budget")
    {
        var c = ConfigLoader.Parse($$"""
            { "space": { "m": 32 }, "agents": { "count": 5, "init": "random", "resources": "{{resources}}" },
              "demand": { "kind": "peaks", "peaks": 2, "width": 0.4 },
              "topology": { "kind": "{{topology}}", "k": 1, "learned": {{(learned ? "true" : "false")}}, "propagation": "{{propagation}}", "hops": 2, "weight": 0.3 },
              "objective": { "kind": "{{objective}}", "mismatch": "{{mismatch}}", "lambdaC": 0.1, "lambdaR": 0.2, "lambdaSigma": 0.05 } }
            """);
        var model = SystemBuilder.Create(c);
        // Spread σ over both evaluation paths of the wrapped normal (images below the switch, Fourier above).
        double[] sigmas = [0.3, 0.45, 0.7, 1.2, 2.5];
        for (int i = 0; i < model.N; i++) model.Rho[i] = Initialization.SoftplusInverse(sigmas[i] - model.SigmaMin);
        if (model.Interaction.Theta is { } theta)
            for (int e = 0; e < theta.Numel; e++) theta[e] = 0.3 * Math.Sin(e + 1.0);
        return model;
    }

    [Theory]
    [InlineData("system", "ring", false, "squared", "direct")]
    [InlineData("system", "ring", true, "squared", "direct")]
    [InlineData("local", "ring", false, "squared", "direct")]
    [InlineData("local", "complete", true, "squared", "direct")]
    [InlineData("system", "complete", true, "unmet", "direct")]
    [InlineData("system", "ring", true, "both", "power")]
    [InlineData("local", "ring", true, "squared", "communicability")]
    [InlineData("system", "none", false, "squared", "direct")]
    public void FullLoss_Gradients_MatchFiniteDifferences(string objective, string topology, bool learned, string mismatch, string propagation)
    {
        var model = Small(objective, topology, learned, mismatch, propagation);
        var ps = model.Parameters().ToArray();
        AssertGradients(_ => model.Loss().Total, ps);
    }

    [Fact]
    public void FullLoss_WithSoftBudget_Gradients_MatchFiniteDifferences()
    {
        var model = Small("system", "ring", true, resources: "soft");
        AssertGradients(_ => model.Loss().Total, model.Parameters().ToArray());
    }

    [Fact]
    public void Production_EqualsDenseFormula_IPlusQTimesW()
    {
        var model = Small("system", "ring", false);
        using var _ = TensorEngine.NoGrad();
        var q = model.Interaction.Weights();
        var p = model.Production(q).ToArray();
        var w = (model.Resources().Unsqueeze(1) * model.Skills()).ToArray();
        int n = model.N, m = model.Space.M;
        var dense = new double[n * n];
        for (int e = 0; e < model.Interaction.Edges.Count; e++)
        {
            var (i, j) = model.Interaction.Edges[e];
            dense[i * n + j] = dense[j * n + i] = q.Data[e];
        }
        for (int i = 0; i < n; i++)
            for (int x = 0; x < m; x++)
            {
                double expected = w[i * m + x];
                for (int j = 0; j < n; j++) expected += dense[i * n + j] * w[j * m + x];
                Assert.Equal(expected, p[i * m + x], 12);
            }
    }

    [Fact]
    public void Resources_UnderFixedBudget_SumToR()
    {
        var model = Small("system", "none", false);
        using var _ = TensorEngine.NoGrad();
        Assert.Equal(5.0, model.Resources().Sum().Item(), 12);
    }
}
