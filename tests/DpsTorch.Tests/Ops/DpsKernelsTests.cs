using DpsTorch.Ops;
using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Ops;

public class DpsKernelsTests
{
    private static double[] UniformGrid(int m)
    {
        var g = new double[m];
        for (int j = 0; j < m; j++) g[j] = 2 * Math.PI * j / m;
        return g;
    }

    /// <summary>σ on both sides of the image/Fourier switch (√π ≈ 1.77), from a near-Dirac specialist to a generalist.</summary>
    private static readonly double[] Sigmas = [0.02, 0.15, 0.5, 1.3, 2.2, 4.0, 6.0];

    [Theory]
    [InlineData(WrappedNormalMethod.Auto)]
    [InlineData(WrappedNormalMethod.Images)]
    [InlineData(WrappedNormalMethod.Fourier)]
    public void WrappedNormalDensity_EqualsScalarDensity(WrappedNormalMethod method)
    {
        double[] mus = [0.0, 1.0, -2.5, 3.1, 6.2, 12.0, 0.7];
        var grids = new[] { UniformGrid(64), [-1.0, 0.0, 0.3, 2.0, 2.0001, 6.5, 9.0] };
        foreach (var grid in grids)
        {
            var o = DpsKernels.WrappedNormalDensity(Tensor.FromArray(mus), Tensor.FromArray(Sigmas), grid, method);
            Assert.Equal(new[] { mus.Length, grid.Length }, o.Shape);
            for (int i = 0; i < mus.Length; i++)
            {
                double peak = Math.Max(1.0, WrappedNormal.Density(mus[i], mus[i], Sigmas[i]));
                for (int j = 0; j < grid.Length; j++)
                {
                    double expected = WrappedNormal.Density(grid[j], mus[i], Sigmas[i], method);
                    Assert.True(Math.Abs(o[i, j] - expected) <= 1e-12 * peak,
                        $"agent {i} (σ={Sigmas[i]}), x={grid[j]}: fused {o[i, j]:G17}, scalar {expected:G17}");
                }
            }
        }
    }

    [Theory]
    [InlineData(WrappedNormalMethod.Auto)]
    [InlineData(WrappedNormalMethod.Images)]
    [InlineData(WrappedNormalMethod.Fourier)]
    public void WrappedNormalDensity_Gradients_MatchFiniteDifferences(WrappedNormalMethod method)
    {
        var grid = UniformGrid(32);
        var mu = Tensor.FromArray([0.3, 2.0, 4.5, -1.0, 7.0]).RequiresGrad_();
        var sigma = Tensor.FromArray([0.25, 0.8, 1.5, 2.4, 5.0]).RequiresGrad_();
        var w = Tensor.Rand(new Random(31), [5, 32], -1, 1);
        AssertGradients(x => (DpsKernels.WrappedNormalDensity(x[0], x[1], grid, method) * w).Sum(), [mu, sigma]);
        AssertGradients(x => DpsKernels.WrappedNormalDensity(x[0], x[1], grid, method).Pow(2.0).Sum(), [mu, sigma]);
    }

    [Fact]
    public void WrappedNormalDensity_Gradients_MatchScalarDerivatives_ForNarrowAgents()
    {
        // σ of a few grid spacings, where finite differences of the fused op are hardest; compare with the scalar formulas.
        var grid = UniformGrid(128);
        double[] mus = [0.05, 3.3, 6.0];
        double[] sigmas = [0.02, 0.06, 0.12];
        var mu = Tensor.FromArray(mus).RequiresGrad_();
        var sigma = Tensor.FromArray(sigmas).RequiresGrad_();
        var g = Tensor.Rand(new Random(32), [3, 128], -1, 1);
        DpsKernels.WrappedNormalDensity(mu, sigma, grid).Backward(g.ToArray());
        for (int i = 0; i < 3; i++)
        {
            double eMu = 0, eSigma = 0;
            for (int j = 0; j < grid.Length; j++)
            {
                WrappedNormal.Evaluate(grid[j], mus[i], sigmas[i], WrappedNormalMethod.Images, out var dm, out var ds);
                eMu += g[i, j] * dm;
                eSigma += g[i, j] * ds;
            }
            Assert.True(Math.Abs(mu.Grad![i] - eMu) <= 1e-11 * Math.Max(1, Math.Abs(eMu)), $"dMu[{i}]: {mu.Grad![i]:G17} vs {eMu:G17}");
            Assert.True(Math.Abs(sigma.Grad![i] - eSigma) <= 1e-11 * Math.Max(1, Math.Abs(eSigma)), $"dSigma[{i}]: {sigma.Grad![i]:G17} vs {eSigma:G17}");
        }
    }

    [Fact]
    public void WrappedNormalDensity_IsBitwiseIdentical_ForOneAndTwoThreads()
    {
        int saved = TensorEngine.NumThreads;
        try
        {
            (double[] o, double[] gm, double[] gs) Run(int threads)
            {
                TensorEngine.SetNumThreads(threads);
                var mu = Param(33, [400], 0, 6.3);
                var sigma = Param(34, [400], 0.03, 3.0);
                var o = DpsKernels.WrappedNormalDensity(mu, sigma, UniformGrid(64));
                o.Backward(Tensor.Rand(new Random(35), [400, 64]).ToArray());
                return (o.ToArray(), mu.Grad!.ToArray(), sigma.Grad!.ToArray());
            }
            var one = Run(1);
            var two = Run(2);
            Assert.Equal(one.o, two.o);
            Assert.Equal(one.gm, two.gm);
            Assert.Equal(one.gs, two.gs);
        }
        finally { TensorEngine.SetNumThreads(saved); }
    }

    [Fact]
    public void WrappedNormalDensity_Throws_NamingTheBadAgent()
    {
        var grid = UniformGrid(8);
        var ex = Assert.Throws<ArgumentException>(() => DpsKernels.WrappedNormalDensity(Tensor.Zeros(3), Tensor.FromArray([1.0, 0.0, 1.0]), grid));
        Assert.Contains("wrapped_normal", ex.Message);
        Assert.Contains("sigma[1]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => DpsKernels.WrappedNormalDensity(Tensor.Zeros(3), Tensor.Ones(4), grid));
        Assert.Contains("[3]", ex.Message);
        Assert.Contains("[4]", ex.Message);
    }
}

public class TensorFusedProductionTests
{
    private static double[] Grid(int m)
    {
        var g = new double[m];
        for (int j = 0; j < m; j++) g[j] = 2 * Math.PI * j / m;
        return g;
    }

    // σ on both sides of the fused op's image/Fourier switch (0.5).
    private static Tensor Mu() => Tensor.FromArray([0.3, 2.0, 4.5, -1.0, 7.0, 3.3]).RequiresGrad_();
    private static Tensor Sigma() => Tensor.FromArray([0.12, 0.3, 0.6, 1.5, 2.4, 0.45]).RequiresGrad_();
    private static Tensor Weights() => Tensor.FromArray([0.7, 1.3, 0.2, 2.0, 0.9, 1.1]).RequiresGrad_();

    private static (double value, double[][] grads) ValueAndGrads(Func<Tensor[], Tensor> f, Tensor[] xs)
    {
        foreach (var x in xs) x.ZeroGrad();
        var y = f(xs);
        y.Backward();
        return (y.Item(), xs.Select(x => x.Grad!.ToArray()).ToArray());
    }

    private static void AssertSameValueAndGrads(Func<Tensor[], Tensor> fused, Func<Tensor[], Tensor> composed, Tensor[] xs, double tol = 1e-12)
    {
        var (v1, g1) = ValueAndGrads(fused, xs);
        var (v2, g2) = ValueAndGrads(composed, xs);
        Assert.True(Math.Abs(v1 - v2) <= tol * Math.Max(1, Math.Abs(v2)), $"value: fused {v1:G17}, composed {v2:G17}");
        for (int k = 0; k < xs.Length; k++)
        {
            double scale = Math.Max(1, g2[k].Max(Math.Abs));
            AssertClose(g2[k], g1[k], tol * scale);
        }
    }

    [Fact]
    public void ScaledWrappedNormalDensity_EqualsComposedTwin_ValueAndGradients()
    {
        var grid = Grid(48);
        var g = Tensor.Rand(new Random(5), [6, 48], -1, 1);
        AssertSameValueAndGrads(
            x => (DpsKernels.ScaledWrappedNormalDensity(x[0], x[1], x[2], grid) * g).Sum(),
            x => (x[2].Unsqueeze(1) * DpsKernels.WrappedNormalDensity(x[0], x[1], grid) * g).Sum(),
            [Mu(), Sigma(), Weights()]);
    }

    [Fact]
    public void ScaledWrappedNormalDensity_BackwardFromItsOutput_EqualsTheMixturesRecomputedBackward()
    {
        // The scaled density's backward reads one-image agents' densities (σ 0.12, 0.3 here) from its output; the
        // mixture's recomputes them. Summed over agents the two are the same function; scales 0 and 1e-120 take the
        // recomputing fallback.
        var grid = Grid(48);
        var d = Tensor.Rand(new Random(9), [48], 0, 1);
        foreach (double[] scale in new[] { new[] { 0.7, 1.3, 0.2, 2.0, 0.9, 1.1 }, new[] { 0.0, 1e-120, 0.2, 2.0, 0.9, 1e-120 } })
            AssertSameValueAndGrads(
                x => (DpsKernels.ScaledWrappedNormalDensity(x[0], x[1], x[2], grid).Sum(0) - d).Pow(2.0).Sum(),
                x => (DpsKernels.WrappedNormalMixture(x[0], x[1], x[2], grid) - d).Pow(2.0).Sum(),
                [Mu(), Sigma(), Tensor.FromArray(scale).RequiresGrad_()]);
    }

    [Fact]
    public void ScaledWrappedNormalDensity_Gradients_MatchFiniteDifferences()
    {
        var grid = Grid(24);
        AssertGradients(x => DpsKernels.ScaledWrappedNormalDensity(x[0], x[1], x[2], grid).Pow(2.0).Sum(), [Mu(), Sigma(), Weights()]);
    }

    [Fact]
    public void WrappedNormalMixture_EqualsComposedTwin_ValueAndGradients()
    {
        var grid = Grid(64);
        var d = Tensor.Rand(new Random(6), [64], 0, 1);
        AssertSameValueAndGrads(
            x => (DpsKernels.WrappedNormalMixture(x[0], x[1], x[2], grid) - d).Pow(2.0).Sum(),
            x => ((x[2].Unsqueeze(1) * DpsKernels.WrappedNormalDensity(x[0], x[1], grid)).Sum(0) - d).Pow(2.0).Sum(),
            [Mu(), Sigma(), Weights()]);
    }

    [Fact]
    public void WrappedNormalMixture_Gradients_MatchFiniteDifferences()
    {
        var grid = Grid(32);
        var d = Tensor.Rand(new Random(7), [32], 0, 1);
        AssertGradients(x => (DpsKernels.WrappedNormalMixture(x[0], x[1], x[2], grid) - d).Pow(2.0).Sum(), [Mu(), Sigma(), Weights()]);
    }

    [Theory]
    [InlineData(64, 0.0)]   // harmonics below M/2
    [InlineData(16, 0.0)]   // σ = 0.12 needs 62 harmonics: folded into 16 bins
    [InlineData(32, -1.3)]  // a uniform grid that does not start at 0
    public void WrappedNormalMixture_FourierSeries_EqualsImageSum_ValueAndGradients(int m, double x0)
    {
        var grid = Grid(m).Select(x => x + x0).ToArray();
        var d = Tensor.Rand(new Random(16), [m], 0, 1);
        AssertSameValueAndGrads(
            x => (DpsKernels.WrappedNormalMixture(x[0], x[1], x[2], grid, WrappedNormalMethod.Fourier) - d).Pow(2.0).Sum(),
            x => (DpsKernels.WrappedNormalMixture(x[0], x[1], x[2], grid, WrappedNormalMethod.Images) - d).Pow(2.0).Sum(),
            [Mu(), Sigma(), Weights()]);
    }

    [Fact]
    public void WrappedNormalMixture_FourierSeries_Gradients_MatchFiniteDifferences()
    {
        var grid = Grid(32);
        var d = Tensor.Rand(new Random(17), [32], 0, 1);
        AssertGradients(x => (DpsKernels.WrappedNormalMixture(x[0], x[1], x[2], grid, WrappedNormalMethod.Fourier) - d).Pow(2.0).Sum(),
            [Mu(), Sigma(), Weights()]);
    }

    [Theory]
    [InlineData(WrappedNormalMethod.Fourier)]
    [InlineData(WrappedNormalMethod.Images)]
    public void WrappedNormalMixtures_EachGroup_IsBitIdenticalToItsMixtureAlone_WithTheSameSeries(WrappedNormalMethod method)
    {
        // Group 0 is wide, group 1 a few near-Dirac agents (on the series, 3200 harmonics folded into 64 bins).
        var grid = Grid(64);
        double[] mus = [0.3, 2.0, 4.5, -1.0, 0.1, 1.7, 3.3, 5.0], sigmas = [0.6, 1.5, 2.4, 0.45, 0.004, 0.006, 0.005, 0.003];
        double[] ws = [0.7, 1.3, 0.2, 2.0, 0.9, 1.1, 0.5, 1.4];
        var g = Tensor.Rand(new Random(18), [2, 64], -1, 1);
        var (mu, sigma, w) = (Tensor.FromArray(mus).RequiresGrad_(), Tensor.FromArray(sigmas).RequiresGrad_(), Tensor.FromArray(ws).RequiresGrad_());
        var y = DpsKernels.WrappedNormalMixtures(mu, sigma, w, grid, 2, method);
        (y * g).Sum().Backward();
        for (int gi = 0; gi < 2; gi++)
        {
            var (m1, s1, w1) = (Tensor.FromArray(mus[(4 * gi)..(4 * gi + 4)]).RequiresGrad_(), Tensor.FromArray(sigmas[(4 * gi)..(4 * gi + 4)]).RequiresGrad_(),
                Tensor.FromArray(ws[(4 * gi)..(4 * gi + 4)]).RequiresGrad_());
            var alone = DpsKernels.WrappedNormalMixture(m1, s1, w1, grid, method);
            (alone * Tensor.FromArray(g.Data.Slice(64 * gi, 64).ToArray())).Sum().Backward();
            Assert.Equal(alone.Data.ToArray(), y.Data.Slice(64 * gi, 64).ToArray());
            Assert.Equal(m1.Grad!.ToArray(), mu.Grad!.Data.Slice(4 * gi, 4).ToArray());
            Assert.Equal(s1.Grad!.ToArray(), sigma.Grad!.Data.Slice(4 * gi, 4).ToArray());
            Assert.Equal(w1.Grad!.ToArray(), w.Grad!.Data.Slice(4 * gi, 4).ToArray());
        }
    }

    [Fact]
    public void WrappedNormalMixture_DoesNotDependOnThreadCount_AcrossManyBlocks()
    {
        var rng = new Random(8);
        var mu = Tensor.Rand(rng, [1000], 0, 7).RequiresGrad_();
        var sigma = Tensor.Rand(rng, [1000], 0.05, 2.0).RequiresGrad_();
        var w = Tensor.Rand(rng, [1000], 0.1, 2.0).RequiresGrad_();
        var grid = Grid(64);
        var g = Tensor.Rand(rng, [64], -1, 1);
        double[] Run(int threads)
        {
            int before = TensorEngine.NumThreads;
            TensorEngine.SetNumThreads(threads);
            try
            {
                foreach (var t in new[] { mu, sigma, w }) t.ZeroGrad();
                var y = DpsKernels.WrappedNormalMixture(mu, sigma, w, grid);
                (y * g).Sum().Backward();
                return [.. y.Data, .. mu.Grad!.Data, .. sigma.Grad!.Data, .. w.Grad!.Data];
            }
            finally { TensorEngine.SetNumThreads(before); }
        }
        Assert.Equal(Run(1), Run(3));
    }

    [Fact]
    public void WrappedNormalMixture_RejectsMismatchedWeights()
    {
        var e = Assert.Throws<ArgumentException>(() => DpsKernels.WrappedNormalMixture(Mu(), Sigma(), Tensor.Ones(5), Grid(8)));
        Assert.Contains("wrapped_normal_mixture", e.Message);
        Assert.Contains("[5]", e.Message);
    }

    [Fact]
    public void PooledSquaredError_EqualsComposedTwin_ValueAndGradients()
    {
        const int m = 40;
        double delta = 2 * Math.PI / m;
        var target = Tensor.Rand(new Random(9), [m], 0.05, 0.3).ToArray();
        var p = Param(10, [7, m], 0.1, 2.0);
        AssertSameValueAndGrads(
            x => DpsKernels.PooledSquaredError(x[0], target, delta),
            x => (x[0] / (x[0].Sum(1, keepDim: true) * delta) - Tensor.FromArray(target)).Pow(2.0).Sum() * delta,
            [p]);
    }

    [Fact]
    public void PooledSquaredError_Gradients_MatchFiniteDifferences()
    {
        const int m = 12;
        var target = Tensor.Rand(new Random(11), [m], 0.05, 0.3).ToArray();
        AssertGradients(x => DpsKernels.PooledSquaredError(x[0], target, 0.5) * 3.0, [Param(12, [4, m], 0.1, 2.0)]);
    }

    [Fact]
    public void PooledSquaredError_RejectsTargetOfWrongLength()
    {
        var e = Assert.Throws<ArgumentException>(() => DpsKernels.PooledSquaredError(Tensor.Ones(3, 8), new double[7], 0.1));
        Assert.Contains("pooled_squared_error", e.Message);
        Assert.Contains("[3, 8]", e.Message);
    }
}
