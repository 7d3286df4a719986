// agents.resources "fixed-equal" (issue 13 part 5): a_i = R/N for every agent, α not trained.
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Runs;
using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Model;

public class FixedResourcesTests
{
    private static DpsConfig Config(string objective = "local", string topology = """{ "kind": "none", "learned": true }""", string extra = "")
        => ConfigLoader.Parse($$"""
            { "space": { "m": 32 }, "agents": { "count": 6, "init": "random", "resources": "fixed-equal", "budget": 9 },
              "demand": { "kind": "peaks", "peaks": 3, "width": 0.3 }, "topology": {{topology}},
              "objective": { "kind": "{{objective}}", "lambdaC": 0.01, "lambdaSigma": 0.01 }{{extra}} }
            """);

    private static double[] Resources(DpsModel m)
    {
        using var _ = TensorEngine.NoGrad();
        return m.Resources().ToArray();
    }

    [Fact]
    public void Resources_AreRPerN_AndAlphaIsNoParameter()
    {
        var m = SystemBuilder.Create(Config());
        Assert.True(m.FixedResources);
        Assert.All(Resources(m), a => Assert.Equal(9.0 / 6, a, 14));
        Assert.Equal(["mu", "rho", "theta"], m.ParameterNames());
        Assert.DoesNotContain(m.Alpha, m.Parameters());
        Assert.All(m.Alpha.ToArray(), a => Assert.Equal(0.0, a));
        // Whatever α holds, the loss is the same: the resources do not read it.
        double before;
        using (TensorEngine.NoGrad()) before = m.Loss().Total.Item();
        for (int i = 0; i < m.N; i++) m.Alpha[i] = i - 2.5;
        using (TensorEngine.NoGrad()) Assert.Equal(before, m.Loss().Total.Item(), 15);
        Assert.All(Resources(m), a => Assert.Equal(1.5, a, 14));
    }

    [Fact]
    public void DefaultResourceRule_IsStillTheBudget()
    {
        var c = ConfigLoader.Parse("{}");
        Assert.Equal(ResourceMode.Budget, c.Agents.Resources);
        Assert.False(SystemBuilder.Create(c).FixedResources);
        Assert.Equal(ResourceMode.FixedEqual, ConfigLoader.Parse("""{ "agents": { "resources": "Fixed-Equal" } }""").Agents.Resources);
    }

    [Theory]
    [InlineData("local", """{ "kind": "none", "learned": true }""")]
    [InlineData("system", """{ "kind": "ring", "k": 1, "learned": true }""")]
    [InlineData("local-share", """{ "kind": "ring", "k": 1, "weight": 0.4 }""")]
    public void Gradients_OfTheOtherParameters_MatchFiniteDifferences(string objective, string topology)
    {
        var m = SystemBuilder.Create(Config(objective, topology));
        double[] sigmas = [0.3, 0.45, 0.7, 1.2, 2.5, 0.5];
        for (int i = 0; i < m.N; i++) m.Rho[i] = Initialization.SoftplusInverse(sigmas[i] - m.SigmaMin);
        if (m.Interaction.Theta is { } theta)
            for (int e = 0; e < theta.Numel; e++) theta[e] = 0.3 * Math.Sin(e + 1.0);
        AssertGradients(_ => m.Loss().Total, [.. m.Parameters()]);
    }

    [Fact]
    public void Training_NeverChangesAlpha_AndKeepsResourcesEqual()
    {
        // The whole pipeline: Adam, the L-BFGS polish, the merges, swaps, re-seeds, splits and basin hops.
        var config = Config(extra: """, "training": { "steps": 150, "restarts": 2, "polish": 50, "swaps": 2, "reseed": 2, "split": 2, "hops": 2 }, "measures": { "resilienceSteps": 0, "fractions": [0, 1], "seeds": 1 }""");
        double start;
        using (TensorEngine.NoGrad()) start = SystemBuilder.Create(config).Loss().Total.Item();
        var r = Experiment.Run(config);
        var m = r.Model;
        Assert.All(m.Alpha.ToArray(), a => Assert.Equal(0.0, a));
        Assert.All(Resources(m), a => Assert.Equal(1.5, a, 14));
        Assert.True(r.Training.Loss < start, $"trained loss {r.Training.Loss} against the start's {start}");
    }

    [Fact]
    public void Subset_KeepsEachSurvivorsShare()
    {
        var m = SystemBuilder.Create(Config());
        var sub = m.Subset([true, false, true, true, false, true]);
        Assert.True(sub.FixedResources);
        Assert.All(Resources(sub), a => Assert.Equal(1.5, a, 14));
    }

    [Fact]
    public void TheTorchBackend_RefusesIt_NestedSystemsTakeIt()
    {
        // Nested systems take it (tests/DpsTorch.Tests/Nested/NestedOptionsTests.cs).
        var nested = ConfigLoader.Parse("""
            { "agents": { "count": 4, "resources": "fixed-equal" }, "levels": [ { "size": 2 }, { "size": 2 } ] }
            """);
        Assert.Equal(ResourceMode.FixedEqual, nested.Agents.Resources);
        var torch = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            { "agents": { "resources": "fixed-equal" }, "training": { "backend": "torchsharp" } }
            """));
        Assert.Equal("agents.resources", torch.Key);
    }
}
