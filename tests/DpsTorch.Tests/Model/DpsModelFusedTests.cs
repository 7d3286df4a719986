using DpsTorch.Config;
using DpsTorch.Model;
using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Model;

/// <summary>The fused loss paths of <see cref="DpsModel.Loss"/> against the composed ops (UseFusedKernels = false).</summary>
public class DpsModelFusedTests
{
    private static DpsModel Make(string objective, string topology, bool learned, int n = 20, string mismatch = "squared")
    {
        var c = ConfigLoader.Parse($$"""
            { "space": { "m": 48 }, "agents": { "count": {{n}}, "init": "random" },
              "demand": { "kind": "peaks", "peaks": 3, "width": 0.3 },
              "topology": { "kind": "{{topology}}", "k": 2, "learned": {{(learned ? "true" : "false")}}, "weight": 0.4 },
              "objective": { "kind": "{{objective}}", "mismatch": "{{mismatch}}", "lambdaC": 0.1, "lambdaSigma": 0.05 } }
            """);
        var model = SystemBuilder.Create(c);
        for (int i = 0; i < model.N; i++) model.Rho[i] = Initialization.SoftplusInverse(0.2 + 0.15 * i - model.SigmaMin);
        if (model.Interaction.Theta is { } theta)
            for (int e = 0; e < theta.Numel; e++) theta[e] = 0.5 * Math.Sin(e + 1.0);
        return model;
    }

    private static (double loss, double[][] grads) LossAndGrads(DpsModel model, bool fused)
    {
        model.UseFusedKernels = fused;
        foreach (var p in model.Parameters()) p.ZeroGrad();
        var loss = model.Loss().Total;
        loss.Backward();
        return (loss.Item(), model.Parameters().Select(p => p.Grad!.ToArray()).ToArray());
    }

    [Theory]
    [InlineData("system", "complete", false)]
    [InlineData("system", "ring", true)]
    [InlineData("system", "none", false)]
    [InlineData("local", "complete", true)]   // dense I + Q
    [InlineData("local", "ring", true)]       // sparse I + Q
    [InlineData("local", "ring", false)]
    [InlineData("local", "none", false)]
    [InlineData("system", "ring", true, "unmet")]
    public void FusedLoss_EqualsComposedLoss_ValueAndGradients(string objective, string topology, bool learned, string mismatch = "squared")
    {
        var model = Make(objective, topology, learned, mismatch: mismatch);
        var (l1, g1) = LossAndGrads(model, fused: true);
        var (l0, g0) = LossAndGrads(model, fused: false);
        Assert.True(Math.Abs(l1 - l0) <= 1e-12 * Math.Abs(l0), $"loss: fused {l1:G17}, composed {l0:G17}");
        for (int k = 0; k < g0.Length; k++)
            AssertClose(g0[k], g1[k], 1e-12 * Math.Max(1, g0[k].Max(Math.Abs)));
    }

    [Fact]
    public void Interaction_ApplyWithIdentity_EqualsXPlusQx_DenseAndSparse()
    {
        foreach (var topology in new[] { "complete", "ring" })
        {
            var model = Make("local", topology, learned: true, n: 20);
            Assert.Equal(topology == "complete", model.Interaction.UsesDense);
            var q = model.Interaction.Weights();
            var x = Param(3, [20, 5]);
            AssertClose((x + model.Interaction.Apply(q, x)).ToArray(), model.Interaction.ApplyWithIdentity(q, x).ToArray(), 1e-12);
        }
    }

    [Fact]
    public void Interaction_WeightedDegree_IsRowSumOfQ()
    {
        var model = Make("system", "ring", learned: true, n: 10);
        var q = model.Interaction.Weights().Data;
        var expected = new double[10];
        for (int e = 0; e < q.Length; e++) { var (i, j) = model.Interaction.Edges[e]; expected[i] += q[e]; expected[j] += q[e]; }
        AssertClose(expected, model.Interaction.WeightedDegree(model.Interaction.Weights()).ToArray(), 1e-14);
    }
}
