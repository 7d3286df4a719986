// The batched starts' Fourier-space path (Ops/DpsKernels.Spectral.cs) equals the grid's graph to rounding, its
// gradients match central finite differences, and it steps aside when a breadth leaves the band limit.
using DpsTorch.Config;
using DpsTorch.Model;
using System.Runtime.Intrinsics;
using DpsTorch.Ops;

namespace DpsTorch.Tests.Model;

public class SpectralStartsTests
{
    private const int Starts = 5; // one full lane group of 4 and one with a single start

    private static DpsConfig Config(string objective, string topology, bool learned, string resources, int m = 64, int n = 5)
        => ConfigLoader.Parse($$"""
            { "space": { "m": {{m}} }, "agents": { "count": {{n}}, "init": "random", "resources": "{{resources}}" },
              "demand": { "kind": "peaks", "peaks": 2, "width": 0.3 },
              "topology": { "kind": "{{topology}}", "k": 1, "learned": {{(learned ? "true" : "false")}}, "weight": 0.3 },
              "objective": { "kind": "{{objective}}", "lambdaC": 0.1, "lambdaR": 0.2, "lambdaSigma": 0.05 } }
            """);

    /// <summary>Starts 0..R-1 with breadths between 0.35 and 2.5 (all within M = 64's band limit, σ ≥ 0.31) and θ varied.</summary>
    private static DpsModel[] Models(DpsConfig c, double narrowest = 0.35)
    {
        var models = new DpsModel[Starts];
        for (int r = 0; r < Starts; r++)
        {
            var model = SystemBuilder.Create(c, r);
            double[] sigmas = [narrowest, 0.5, 0.8, 1.4, 2.5, 0.6];
            for (int i = 0; i < model.N; i++) model.Rho[i] = Initialization.SoftplusInverse(sigmas[(i + r) % sigmas.Length] - model.SigmaMin);
            for (int i = 0; i < model.N; i++) model.Mu[i] = model.Mu[i] + 7.0 * r; // μ far outside [0, 2π) is read modulo 2π
            if (model.Interaction.Theta is { } theta)
                for (int e = 0; e < theta.Numel; e++) theta[e] = 0.7 * Math.Sin(e + 1.0 + 2 * r);
            models[r] = model;
        }
        return models;
    }

    /// <summary>Two demand frames (the frames' mean and spread enter the Fourier path separately).</summary>
    private static IReadOnlyList<double[]> Frames(DpsModel m)
    {
        var d = m.DemandFrames[0];
        var shifted = new double[d.Length];
        for (int k = 0; k < d.Length; k++) shifted[k] = 0.5 * d[(k + 5) % d.Length] + 0.1 * d[k];
        return [d, shifted];
    }

    private static void Close(double expected, double actual, double scale, string what)
        => Assert.True(Math.Abs(expected - actual) <= 1e-12 * scale, $"{what}: Fourier {actual:R}, graph {expected:R}");

    [Theory]
    [InlineData("system", "complete", false, "budget")]
    [InlineData("system", "ring", false, "soft")]
    [InlineData("system", "none", false, "fixed-equal")]
    [InlineData("local", "complete", true, "budget")]
    [InlineData("local", "ring", true, "soft")]
    [InlineData("local", "ring", false, "budget")]
    [InlineData("local", "none", false, "budget")]
    public void LossesAndGradients_EqualTheGraphOfEachStart(string objective, string topology, bool learned, string resources)
    {
        var c = Config(objective, topology, learned, resources);
        var alone = Models(c);
        AssertEachStartEqualsItsGraph(alone, new BatchedStarts(Models(c)), Frames(alone[0]));
    }

    /// <summary>
    /// The 12-agent benchmark's systems (M = 256, three peaks of width 0.15, the spread start σ = 2π/48, complete graph):
    /// the harmonic cut keeps fewer harmonics there (Cut_CountsTheDemandsDecay) and every start still equals its graph.
    /// </summary>
    [Theory]
    [InlineData("system", false)]
    [InlineData("local", true)]
    public void TheBenchmarksSystems_EqualTheGraphOfEachStart(string objective, bool learned)
    {
        var c = ConfigLoader.Parse($$"""
            { "space": { "m": 256 }, "agents": { "count": 12, "init": "spread", "jitter": 0.01, "resources": "budget" },
              "demand": { "kind": "peaks", "peaks": 3, "width": 0.15 },
              "topology": { "kind": "complete", "learned": {{(learned ? "true" : "false")}}, "weight": 1.0 },
              "objective": { "kind": "{{objective}}" } }
            """);
        var alone = Enumerable.Range(0, Starts).Select(r => SystemBuilder.Create(c, r)).ToArray();
        AssertEachStartEqualsItsGraph(alone, new BatchedStarts([.. Enumerable.Range(0, Starts).Select(r => SystemBuilder.Create(c, r))]), alone[0].DemandFrames);
    }

    [Theory]
    [InlineData("system")]
    [InlineData("local")]
    public void ASharpDemand_EqualsTheGraphOfEachStart(string objective)
    {
        // A demand one grid spacing wide has coefficients that do not decay: the cut keeps the agents' own harmonics.
        var c = ConfigLoader.Parse($$"""
            { "space": { "m": 64 }, "agents": { "count": 5, "init": "random" }, "demand": { "kind": "dirac", "phase": 1.0 },
              "topology": { "kind": "complete", "learned": {{(objective == "local" ? "true" : "false")}} }, "objective": { "kind": "{{objective}}" } }
            """);
        var alone = Models(c);
        AssertEachStartEqualsItsGraph(alone, new BatchedStarts(Models(c)), alone[0].DemandFrames);
    }

    private static void AssertEachStartEqualsItsGraph(DpsModel[] alone, BatchedStarts batch, IReadOnlyList<double[]> frames)
    {
        batch.Evaluate(frames, backward: true);
        Assert.True(batch.LastEvaluationSpectral);
        var bps = batch.Parameters();
        for (int r = 0; r < alone.Length; r++)
        {
            var parts = alone[r].Loss(frames); // the graph
            parts.Total.Backward();
            double loss = parts.Total.Item(), coverage = parts.Coverage.Item();
            Close(loss, batch.StartLosses[r], Math.Abs(loss), $"start {r} loss");
            Close(coverage, batch.StartCoverages[r], Math.Abs(coverage), $"start {r} coverage");
            var ps = alone[r].Parameters();
            // Relative to the start's largest gradient (α's is rounding alone where no edge lets resources matter).
            double scale = ps.Where(p => p.Grad is not null).Max(p => p.Grad!.ToArray().Max(Math.Abs));
            for (int k = 0; k < ps.Count; k++)
            {
                if (ps[k].Grad is null) { Assert.Null(bps[k].Grad); continue; }
                var g = ps[k].Grad!.ToArray();
                var gb = bps[k].Grad!.ToArray();
                for (int i = 0; i < g.Length; i++)
                    Close(g[i], gb[r * g.Length + i], scale, $"start {r} {batch.ParameterNames()[k]}[{i}] gradient");
            }
        }
    }

    [Fact]
    public void Cut_CountsTheDemandsDecay_AndNeverExceedsTheOwnCut()
    {
        var space = new Space(256);
        var grid = space.Grid.ToArray();
        double sigma = 2 * Math.PI / 48;
        int own = DpsKernels.SpectralStarts.HarmonicsFor(sigma);
        double[] mu = [1.0, 2.5], sigmas = [sigma, sigma], w = [1.0, 2.0];
        var coverage = new double[1];
        // Three peaks of width 0.15: the products e^{−k²σ²/2}·(|C_k| + |D̄_k|) fall below 1e-20 near k = 9.6/(σ² + 0.15²)^½.
        var smooth = Demand.EvenPeaks(space, 3, 0.15, 1.0).Values.ToArray();
        var kernel = DpsKernels.SpectralStarts.For(grid, 1, 2)!;
        kernel.SystemForward(mu, sigmas, w, [smooth], coverage);
        int cut = kernel.Cut(sigma);
        Assert.InRange(cut, (int)(own / Math.Sqrt(2)) - 2, own - 10);
        kernel.LocalForward(mu, sigmas, w, [], [], [smooth], coverage);
        Assert.InRange(kernel.Cut(sigma), (int)(9.6 / Math.Sqrt(sigma * sigma + 0.15 * 0.15)) - 2, own - 10);
        // One grid point: |D̄_k| does not decay, so the cut is the agent's own (to the ceiling's one harmonic).
        var sharp = new double[grid.Length];
        sharp[17] = 1.0 / space.Delta;
        kernel.SystemForward(mu, sigmas, w, [sharp], coverage);
        Assert.InRange(kernel.Cut(sigma), own - 1, own);
        kernel.LocalForward(mu, sigmas, w, [], [], [sharp], coverage);
        Assert.InRange(kernel.Cut(sigma), own - 1, own);
    }

    [Fact]
    public void Exp_IsWithinAFewUlpOfMathExp()
    {
        var xs = Enumerable.Range(0, 4001).Select(i => -700.0 * i / 4000).Concat([-1e-300, -1e-12, -0.5 * Math.Log(2), -Math.Log(2), -709.0, -1e4]).ToArray();
        foreach (var x in xs)
        {
            double got = DpsKernels.SpectralStarts.Exp(Vector256.Create(x)).GetElement(0);
            double want = Math.Exp(Math.Max(x, -700.0)); // arguments below −700 give e^{−700}
            Assert.True(Math.Abs(got - want) <= 1e-15 * want, $"exp({x:R}) = {got:R}, Math.Exp {want:R}");
        }
    }

    [Theory]
    [InlineData("system", "complete", false, "soft")]
    [InlineData("local", "complete", true, "soft")]
    [InlineData("local", "ring", true, "budget")]
    public void Gradients_MatchCentralFiniteDifferences(string objective, string topology, bool learned, string resources)
    {
        var batch = new BatchedStarts(Models(Config(objective, topology, learned, resources)));
        var frames = Frames(batch.Engine);
        var ps = batch.Parameters();
        foreach (var p in ps) p.ZeroGrad();
        batch.Evaluate(frames, backward: true);
        Assert.True(batch.LastEvaluationSpectral);
        const double h = 1e-6;
        foreach (var p in ps)
        {
            var analytic = p.Grad!.ToArray();
            double scale = Math.Max(1e-3, analytic.Max(Math.Abs));
            for (int i = 0; i < p.Numel; i++)
            {
                double x = p.Data[i];
                p[i] = x + h;
                double up = batch.Evaluate(frames, backward: false).Total;
                p[i] = x - h;
                double down = batch.Evaluate(frames, backward: false).Total;
                p[i] = x;
                double fd = (up - down) / (2 * h);
                Assert.True(Math.Abs(fd - analytic[i]) <= 1e-6 * scale + 1e-7 * Math.Abs(fd),
                    $"parameter [{i}]: analytic {analytic[i]:R}, central difference {fd:R}");
            }
        }
    }

    [Fact]
    public void BelowTheBandLimit_TheGridPathRuns_AndTheLossesAgree()
    {
        var c = Config("system", "complete", false, "budget");
        var narrow = new BatchedStarts(Models(c, narrowest: 0.2)); // H = ⌈9.6/0.2⌉ = 49 > M/2 − 1 = 31
        narrow.Evaluate(null, backward: false);
        Assert.False(narrow.LastEvaluationSpectral);
        var grid = new BatchedStarts(Models(c)) { Spectral = false };
        var spectral = new BatchedStarts(Models(c));
        grid.Evaluate(null, backward: false);
        spectral.Evaluate(null, backward: false);
        Assert.False(grid.LastEvaluationSpectral);
        Assert.True(spectral.LastEvaluationSpectral);
        for (int r = 0; r < Starts; r++) Close(grid.StartLosses[r], spectral.StartLosses[r], grid.StartLosses[r], $"start {r}");
    }

    [Fact]
    public void BandLimit_IsTheHarmonicsOfTheNarrowestBreadth()
    {
        var grid = new Space(256).Grid.ToArray();
        var kernel = DpsKernels.SpectralStarts.For(grid, 3, 2)!;
        Assert.Equal(74, DpsKernels.SpectralStarts.HarmonicsFor(2 * Math.PI / 48)); // the 12-agent benchmark's spread σ
        Assert.True(kernel.Fits(0.076));
        Assert.False(kernel.Fits(0.075));
        Assert.False(kernel.Fits(double.NaN));
        Assert.Null(DpsKernels.SpectralStarts.For([0.0, 1.0, 2.0], 3, 2)); // not 2^p uniform points
    }
}
