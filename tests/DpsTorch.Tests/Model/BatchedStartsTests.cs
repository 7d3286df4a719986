using DpsTorch.IO;
using DpsTorch.Model;
using DpsTorch.Optim;
using static DpsTorch.Tests.TestUtil;

using DpsTorch.Config;

namespace DpsTorch.Tests.Model;

public class BatchedStartsTests
{
    private const int Starts = 3;

    private static DpsConfig Config(string objective, string topology, bool learned, string mismatch = "squared",
        string propagation = "direct", string resources = "budget", int n = 5, string demand = "\"kind\": \"peaks\", \"peaks\": 2, \"width\": 0.4")
        => ConfigLoader.Parse($$"""
            { "space": { "m": 32 }, "agents": { "count": {{n}}, "init": "random", "resources": "{{resources}}" },
              "demand": { {{demand}} },
              "topology": { "kind": "{{topology}}", "k": 1, "learned": {{(learned ? "true" : "false")}}, "propagation": "{{propagation}}", "hops": 2, "weight": 0.3 },
              "objective": { "kind": "{{objective}}", "mismatch": "{{mismatch}}", "lambdaC": 0.1, "lambdaR": 0.2, "lambdaSigma": 0.05 } }
            """);

    /// <summary>Starts 0..R-1 of the config, with σ spread over both wrapped-normal paths and θ varied per start.</summary>
    private static DpsModel[] Models(DpsConfig c, bool composed = false)
    {
        var models = new DpsModel[Starts];
        for (int r = 0; r < Starts; r++)
        {
            var model = SystemBuilder.Create(c, r);
            model.UseFusedKernels = !composed;
            double[] sigmas = [0.3, 0.45, 0.7, 1.2, 2.5];
            for (int i = 0; i < model.N; i++) model.Rho[i] = Initialization.SoftplusInverse(sigmas[(i + r) % sigmas.Length] - model.SigmaMin);
            if (model.Interaction.Theta is { } theta)
                for (int e = 0; e < theta.Numel; e++) theta[e] = 0.3 * Math.Sin(e + 1.0 + r);
            models[r] = model;
        }
        return models;
    }

    private static void AssertClose(double expected, double actual, double scale, string what)
        => Assert.True(Math.Abs(expected - actual) <= 1e-12 * Math.Max(1.0, scale), $"{what}: batched {actual:R}, alone {expected:R}");

    [Theory]
    [InlineData("system", "complete", false, "squared", "direct", "budget", false)]
    [InlineData("system", "ring", true, "squared", "direct", "soft", false)]
    [InlineData("local", "complete", true, "squared", "direct", "budget", false)]
    [InlineData("local", "ring", false, "squared", "direct", "soft", false)]
    [InlineData("system", "complete", true, "unmet", "direct", "budget", false)]
    [InlineData("local", "ring", true, "both", "power", "budget", false)]
    [InlineData("system", "ring", true, "squared", "communicability", "soft", false)]
    [InlineData("local", "complete", true, "squared", "direct", "budget", true)]
    [InlineData("system", "none", false, "squared", "direct", "budget", false)]
    public void PerStartLossesAndGradients_EqualTheIndividualRuns(string objective, string topology, bool learned, string mismatch,
        string propagation, string resources, bool composed)
    {
        var c = Config(objective, topology, learned, mismatch, propagation, resources);
        var alone = Models(c, composed);
        var batch = new BatchedStarts(Models(c, composed));
        var (total, _) = batch.Evaluate(null, backward: true);
        double sum = 0;
        var bps = batch.Parameters();
        for (int r = 0; r < Starts; r++)
        {
            var (loss, coverage) = alone[r].Evaluate(null, backward: true);
            sum += loss;
            AssertClose(loss, batch.StartLosses[r], Math.Abs(loss), $"start {r} loss");
            AssertClose(coverage, batch.StartCoverages[r], Math.Abs(coverage), $"start {r} coverage");
            var ps = alone[r].Parameters();
            Assert.Equal(ps.Count, bps.Count);
            for (int k = 0; k < ps.Count; k++)
            {
                var g = ps[k].Grad!.ToArray();
                var gb = bps[k].Grad!.ToArray();
                double scale = g.Max(Math.Abs);
                for (int i = 0; i < g.Length; i++)
                    AssertClose(g[i], gb[r * g.Length + i], scale, $"start {r} {batch.ParameterNames()[k]}[{i}] gradient");
            }
            Assert.Equal(Convergence.GradientNorm(ps), batch.StartGradientNorms()[r], 12);
        }
        AssertClose(sum, total, Math.Abs(sum), "sum of the losses");
    }

    [Theory]
    [InlineData("system", "complete", true, "squared")]
    [InlineData("local", "complete", true, "squared")]
    [InlineData("local", "ring", true, "unmet")]
    public void BatchedLoss_Gradients_MatchFiniteDifferences(string objective, string topology, bool learned, string mismatch)
    {
        var batch = new BatchedStarts(Models(Config(objective, topology, learned, mismatch, resources: "soft")));
        AssertGradients(_ => batch.StartLossParts().Total.Sum(), batch.Parameters().ToArray());
    }

    [Fact]
    public void AdamSteps_OnTheBatch_FollowEachStartsOwnTrajectory()
    {
        var c = Config("local", "complete", true, n: 6);
        var alone = Models(c);
        var batch = new BatchedStarts(Models(c));
        var adam = new Adam(batch.Parameters(), lr: 0.05);
        var adams = alone.Select(m => new Adam(m.Parameters(), lr: 0.05)).ToArray();
        for (int step = 0; step < 5; step++)
        {
            adam.ZeroGrad();
            batch.Evaluate(null, backward: true);
            adam.Step();
            for (int r = 0; r < Starts; r++)
            {
                adams[r].ZeroGrad();
                alone[r].Evaluate(null, backward: true);
                adams[r].Step();
            }
        }
        var copy = SystemBuilder.Create(c, 0);
        for (int r = 0; r < Starts; r++)
        {
            batch.CopyTo(r, copy);
            var expected = alone[r].Parameters();
            var actual = copy.Parameters();
            for (int k = 0; k < expected.Count; k++)
                for (int i = 0; i < expected[k].Numel; i++)
                    AssertClose(expected[k].Data[i], actual[k].Data[i], 1.0, $"start {r} parameter {k}[{i}] after 5 Adam steps");
        }
    }

    [Fact]
    public void Trainer_TrainsTheBatch_AndEachStartsLossIsItsOwn()
    {
        var c = Config("system", "complete", false) with { Training = new TrainingConfig { Steps = 30, Lr = 0.05, LogEvery = 10 } };
        var batch = new BatchedStarts(Models(c));
        var result = Trainer.Train(batch, c.Training, _ => (0.0, 0.0, 0.0));
        Assert.Equal(batch.StartLosses.Sum(), result.Loss, 9);
        var copy = SystemBuilder.Create(c, 0);
        for (int r = 0; r < Starts; r++)
        {
            batch.CopyTo(r, copy);
            double alone;
            using (TensorEngine.NoGrad()) alone = copy.Loss().Total.Item();
            AssertClose(alone, batch.StartLosses[r], Math.Abs(alone), $"start {r} final loss");
        }
    }

    [Fact]
    public void DifferentSystems_AreRejected_NamingTheField()
    {
        var a = SystemBuilder.Create(Config("system", "ring", false), 0);
        var b = SystemBuilder.Create(Config("system", "ring", false, n: 6), 1);
        var e = Assert.Throws<ArgumentException>(() => new BatchedStarts([a, b]));
        Assert.Contains("start 1 differs from start 0 in agents", e.Message);
        var d = SystemBuilder.Create(Config("local", "ring", false), 1);
        Assert.Contains("objective", Assert.Throws<ArgumentException>(() => new BatchedStarts([a, d])).Message);
        Assert.Throws<ArgumentException>(() => new BatchedStarts([]));
    }
}
