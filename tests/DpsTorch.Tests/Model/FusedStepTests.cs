// The graph-free step (Model/FusedStep.cs) gives the graph's loss and gradients bit for bit, alone and for stacked starts.
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Ops;
using DpsTorch.Optim;

namespace DpsTorch.Tests.Model;

public class FusedStepTests
{
    private static DpsConfig Config(string topology, string resources, double lambdaC, double lambdaR, double lambdaSigma, int n = 7,
        string objective = "system", bool learned = false)
        => ConfigLoader.Parse($$"""
            { "space": { "m": 48 }, "agents": { "count": {{n}}, "init": "random", "resources": "{{resources}}" },
              "demand": { "kind": "peaks", "peaks": 2, "width": 0.4 },
              "topology": { "kind": "{{topology}}", "k": 1, "learned": {{(learned ? "true" : "false")}}, "weight": 0.3 },
              "objective": { "kind": "{{objective}}", "lambdaC": {{lambdaC}}, "lambdaR": {{lambdaR}}, "lambdaSigma": {{lambdaSigma}} } }
            """);

    /// <summary>σ on both sides of the wrapped normal's series switch and with one and several images.</summary>
    private static DpsModel Model(DpsConfig c, int start)
    {
        var model = SystemBuilder.Create(c, start);
        double[] sigmas = [0.12, 0.3, 0.45, 0.7, 1.2, 2.5, 0.2];
        for (int i = 0; i < model.N; i++) model.Rho[i] = Initialization.SoftplusInverse(sigmas[(i + start) % sigmas.Length]); // σ = σ_min + this
        for (int i = 0; i < model.N; i++) model.Alpha[i] = 0.2 * Math.Cos(i + start);
        if (model.Interaction.Theta is { } theta)
            for (int e = 0; e < theta.Numel; e++) theta[e] = 0.7 * Math.Sin(e + 1.0 + start);
        return model;
    }

    /// <summary>Three frames (as a drifting demand or the continuation gives them), each with one value per grid point.</summary>
    private static double[][] Frames(DpsModel m)
    {
        var grid = m.Space.Grid.ToArray();
        return [.. Enumerable.Range(0, 3).Select(f => grid.Select(x => 0.05 + Math.Exp(Math.Cos(x - f)) / (3.0 + f)).ToArray())];
    }

    private static double[][] Gradients(IReadOnlyList<Tensor> ps) => [.. ps.Select(p => p.Grad?.ToArray() ?? [])];

    private static void AssertSame(double[][] expected, double[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], actual[k]); // exact: bit for bit
    }

    [Theory]
    [InlineData("complete", "budget", 0.0, 0.0, 0.0, false)]
    [InlineData("complete", "budget", 0.1, 0.0, 0.05, true)]
    [InlineData("ring", "soft", 0.1, 0.2, 0.05, true)]
    [InlineData("ring", "soft", 0.0, 0.0, 0.0, false)]
    [InlineData("none", "fixed-equal", 0.0, 0.0, 0.05, true)]
    [InlineData("none", "budget", 0.0, 0.0, 0.0, true)]
    [InlineData("complete", "budget", 0.0, 0.0, 0.0, false, "local")]
    [InlineData("complete", "soft", 0.1, 0.2, 0.05, true, "local")]
    [InlineData("ring", "budget", 0.1, 0.0, 0.0, true, "local")]
    [InlineData("complete", "fixed-equal", 0.0, 0.0, 0.05, false, "local")]
    public void Evaluate_EqualsTheGraphsLossAndBackward_BitForBit(string topology, string resources, double lambdaC, double lambdaR,
        double lambdaSigma, bool frames, string objective = "system")
    {
        var c = Config(topology, resources, lambdaC, lambdaR, lambdaSigma, objective: objective, learned: objective == "local");
        var graph = Model(c, 0);
        var fused = Model(c, 0);
        Assert.True(FusedStep.Applies(fused));
        var f = frames ? Frames(graph) : null;
        // Gradients already present are added to, as Backward adds them.
        foreach (var p in graph.Parameters().Concat(fused.Parameters())) p.Grad = Tensor.Full(0.125, p.Numel);

        var parts = graph.Loss(f);
        parts.Total.Backward();
        var (total, coverage) = fused.Evaluate(f, backward: true);

        Assert.Equal(parts.Total.Item(), total);
        Assert.Equal(parts.Coverage.Item(), coverage);
        AssertSame(Gradients(graph.Parameters()), Gradients(fused.Parameters()));
        var (noGradTotal, _) = fused.Evaluate(f, backward: false);
        Assert.Equal(total, noGradTotal);
    }

    [Theory]
    [InlineData("system")]
    [InlineData("local")]
    public void AdamSteps_FollowTheGraphsTrajectory_BitForBit(string objective)
    {
        var c = Config("complete", "budget", 0.0, 0.0, 0.0, n: 16, objective: objective, learned: objective == "local");
        var graph = Model(c, 1);
        var fused = Model(c, 1);
        var optGraph = new Adam(graph.Parameters(), lr: 0.05);
        var optFused = new Adam(fused.Parameters(), lr: 0.05);
        for (int s = 0; s < 40; s++)
        {
            optGraph.ZeroGrad();
            var loss = graph.Loss().Total;
            loss.Backward();
            optGraph.Step();
            optFused.ZeroGrad();
            Assert.Equal(loss.Item(), fused.Evaluate(null, backward: true).Total);
            optFused.Step();
        }
        AssertSame([.. graph.Parameters().Select(p => p.ToArray())], [.. fused.Parameters().Select(p => p.ToArray())]);
    }

    [Fact]
    public void Evaluate_OnSeveralThreads_EqualsTheGraph_BitForBit()
    {
        // 200 agents: four mixture blocks and the agents' gradients split over the threads, as the op splits them.
        int before = TensorEngine.NumThreads;
        try
        {
            TensorEngine.SetNumThreads(2);
            var c = Config("ring", "budget", 0.0, 0.0, 0.0, n: 200);
            var graph = Model(c, 2);
            var fused = Model(c, 2);
            var loss = graph.Loss().Total;
            loss.Backward();
            Assert.Equal(loss.Item(), fused.Evaluate(null, backward: true).Total);
            AssertSame(Gradients(graph.Parameters()), Gradients(fused.Parameters()));
        }
        finally { TensorEngine.SetNumThreads(before); }
    }

    [Theory]
    [InlineData(1, 0.0, "complete", 604)]
    [InlineData(2, 0.1, "complete", 604)]
    [InlineData(2, 0.1, "random", 530)]
    public void LocalObjective_AboveTheSmallDenseSize_PacksIPlusQFromTheEdges_AndEqualsTheGraph_BitForBit(int threads, double lambdaC, string topology, int n)
    {
        // Above 512 agents the fused step writes I + Q straight into the matmul's packed layout (three depth blocks, a
        // ragged last row panel for both register tiles at 604): a complete graph by rows of q, any other dense support
        // (a random graph of density 0.6) at per-edge positions; the graph builds the dense matrix, mirrors it and packs it.
        int before = TensorEngine.NumThreads;
        try
        {
            TensorEngine.SetNumThreads(threads);
            var c = Config(topology, "budget", lambdaC, 0.0, 0.0, n: n, objective: "local", learned: true);
            c = c with { Topology = c.Topology with { P = 0.6 } };
            Assert.True(n > DenseInteractionKernel.SmallDenseMaxN);
            var graph = Model(c, 3);
            var fused = Model(c, 3);
            Assert.True(FusedStep.Applies(fused));
            AssertLocalStepsEqualTheGraph(graph, fused, frames: false, steps: 3);
        }
        finally { TensorEngine.SetNumThreads(before); }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(4, 2)]
    [InlineData(5, 1)]
    [InlineData(6, 3)]
    public void LocalObjective_RandomSizesEdgeSetsAndThreads_EqualsTheGraph_BitForBit(int seed, int threads)
    {
        // Random N (odd, prime, below and at a register tile), random supports (complete, Erdős–Rényi of any density,
        // a ring) and 1 to 3 threads: every index of the fused step's dense path is exercised against the graph's.
        var rng = new Random(seed);
        int before = TensorEngine.NumThreads;
        try
        {
            TensorEngine.SetNumThreads(threads);
            for (int round = 0; round < 4; round++)
            {
                int n = rng.Next(2, 40);
                string topology = rng.Next(3) switch { 0 => "complete", 1 => "random", _ => "ring" };
                AssertLocalStepsEqualTheGraph(n, topology, rng.NextDouble(), rng.Next(2) == 0 ? 0.0 : 0.1, frames: rng.Next(2) == 0, seed);
            }
        }
        finally { TensorEngine.SetNumThreads(before); }
    }

    [Theory]
    [InlineData(513, "complete", 0.0, 1, 2)]   // one past the small dense size: ragged last panel (513 = 42·12 + 9 = 85·6 + 3)
    [InlineData(517, "complete", 0.1, 3, 1)]   // three threads' row split, built at one thread count and run at another
    [InlineData(515, "random", 0.95, 2, 3)]    // nearly complete, but per-edge positions
    [InlineData(529, "random", 0.35, 1, 2)]
    public void LocalObjective_AboveTheSmallDenseSize_OddSizesAndThreadChanges_EqualTheGraph_BitForBit(int n, string topology, double p,
        int threads, int laterThreads)
    {
        int before = TensorEngine.NumThreads;
        try
        {
            TensorEngine.SetNumThreads(threads);
            var (graph, fused) = AssertLocalStepsEqualTheGraph(n, topology, p, 0.05, frames: true, n, steps: 2);
            // The fused step's thread split was fixed when it was built: a later thread count must still cover every row.
            TensorEngine.SetNumThreads(laterThreads);
            AssertLocalStepsEqualTheGraph(graph, fused, frames: true, steps: 1);
        }
        finally { TensorEngine.SetNumThreads(before); }
    }

    private static (DpsModel Graph, DpsModel Fused) AssertLocalStepsEqualTheGraph(int n, string topology, double p, double lambdaC, bool frames, int start,
        int steps = 2)
    {
        var c = Config(topology, "budget", lambdaC, 0.0, 0.0, n: n, objective: "local", learned: true);
        c = c with { Topology = c.Topology with { P = p } };
        var graph = Model(c, start);
        var fused = Model(c, start);
        if (topology == "complete") Assert.True(FusedStep.Applies(fused), $"the fused step should take N = {n}, complete");
        AssertLocalStepsEqualTheGraph(graph, fused, frames, steps);
        return (graph, fused);
    }

    /// <summary>Adam steps on both models: each step's loss and every gradient the same bits (with the fused step where it applies).</summary>
    private static void AssertLocalStepsEqualTheGraph(DpsModel graph, DpsModel fused, bool frames, int steps)
    {
        var f = frames ? Frames(graph) : null;
        var optGraph = new Adam(graph.Parameters(), lr: 0.05);
        var optFused = new Adam(fused.Parameters(), lr: 0.05);
        for (int s = 0; s < steps; s++)
        {
            optGraph.ZeroGrad();
            var loss = graph.Loss(f).Total;
            loss.Backward();
            optFused.ZeroGrad();
            Assert.Equal(loss.Item(), fused.Evaluate(f, backward: true).Total);
            AssertSame(Gradients(graph.Parameters()), Gradients(fused.Parameters()));
            optGraph.Step();
            optFused.Step();
        }
    }

    [Fact]
    public void BatchedStarts_WithTheImageSum_EqualTheirGraphAndTheLoneSteps_BitForBit()
    {
        var c = Config("ring", "soft", 0.1, 0.2, 0.05);
        const int starts = 3;
        var batch = new BatchedStarts([.. Enumerable.Range(0, starts).Select(r => Model(c, r))]) { MixtureMethod = WrappedNormalMethod.Images };
        var graph = new BatchedStarts([.. Enumerable.Range(0, starts).Select(r => Model(c, r))]) { MixtureMethod = WrappedNormalMethod.Images };
        var frames = Frames(batch.Engine);

        var (total, coverage) = batch.Evaluate(frames, backward: true);
        var parts = graph.StartLossParts(frames);
        var sum = parts.Total.Sum();
        sum.Backward();
        Assert.Equal(sum.Item(), total);
        Assert.Equal(parts.Coverage.Sum().Item(), coverage);
        Assert.Equal(parts.Total.ToArray(), batch.StartLosses.ToArray());
        AssertSame(Gradients(graph.Parameters()), Gradients(batch.Parameters()));

        // Each start's loss and gradient are also the lone model's, bit for bit.
        for (int r = 0; r < starts; r++)
        {
            var alone = Model(c, r);
            Assert.Equal(alone.Evaluate(frames, backward: true).Total, batch.StartLosses[r]);
            var ps = batch.Parameters();
            var lone = alone.Parameters();
            for (int k = 0; k < ps.Count; k++)
            {
                int len = lone[k].Numel;
                Assert.Equal(lone[k].Grad!.ToArray(), ps[k].Grad!.ToArray().AsSpan(r * len, len).ToArray());
            }
        }
    }

    [Fact]
    public void Applies_OnlyToTheFusedBranchesItReproduces()
    {
        var c = Config("complete", "budget", 0, 0, 0);
        var m = Model(c, 0);
        Assert.True(FusedStep.Applies(m));
        m.UseFusedKernels = false;
        Assert.False(FusedStep.Applies(m));
        var learned = SystemBuilder.Create(c with { Topology = c.Topology with { Learned = true } }, 0);
        Assert.False(FusedStep.Applies(learned));
        var local = SystemBuilder.Create(c with { Objective = c.Objective with { Kind = ObjectiveKind.Local } }, 0);
        Assert.False(FusedStep.Applies(local)); // local with a fixed Q: the graph
        var localLearned = SystemBuilder.Create(c with { Objective = c.Objective with { Kind = ObjectiveKind.Local }, Topology = c.Topology with { Learned = true } }, 0);
        Assert.True(FusedStep.Applies(localLearned));
        var share = SystemBuilder.Create(c with { Objective = c.Objective with { Kind = ObjectiveKind.LocalShare }, Topology = c.Topology with { Learned = true } }, 0);
        Assert.False(FusedStep.Applies(share));
        var unmet = SystemBuilder.Create(c with { Objective = c.Objective with { Mismatch = MismatchKind.Unmet } }, 0);
        Assert.False(FusedStep.Applies(unmet));
    }

    [Fact]
    public void Evaluate_RefusesANonFiniteMu_AsTheGraphDoes()
    {
        var m = Model(Config("complete", "budget", 0, 0, 0), 0);
        m.Mu[2] = double.NaN;
        var e = Assert.Throws<ArgumentException>(() => m.Evaluate(null, backward: true));
        Assert.Contains("mu[2]", e.Message);
    }
}
