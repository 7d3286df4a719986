using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Ops;

public class TensorFusedTests
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
            var o = Tensor.WrappedNormalDensity(Tensor.FromArray(mus), Tensor.FromArray(Sigmas), grid, method);
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
        AssertGradients(x => (Tensor.WrappedNormalDensity(x[0], x[1], grid, method) * w).Sum(), [mu, sigma]);
        AssertGradients(x => Tensor.WrappedNormalDensity(x[0], x[1], grid, method).Pow(2.0).Sum(), [mu, sigma]);
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
        Tensor.WrappedNormalDensity(mu, sigma, grid).Backward(g.Data);
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
        int saved = Torch.NumThreads;
        try
        {
            (double[] o, double[] gm, double[] gs) Run(int threads)
            {
                Torch.SetNumThreads(threads);
                var mu = Param(33, [400], 0, 6.3);
                var sigma = Param(34, [400], 0.03, 3.0);
                var o = Tensor.WrappedNormalDensity(mu, sigma, UniformGrid(64));
                o.Backward(Tensor.Rand(new Random(35), [400, 64]).Data);
                return (o.ToArray(), mu.Grad!.ToArray(), sigma.Grad!.ToArray());
            }
            var one = Run(1);
            var two = Run(2);
            Assert.Equal(one.o, two.o);
            Assert.Equal(one.gm, two.gm);
            Assert.Equal(one.gs, two.gs);
        }
        finally { Torch.SetNumThreads(saved); }
    }

    [Fact]
    public void WrappedNormalDensity_Throws_NamingTheBadAgent()
    {
        var grid = UniformGrid(8);
        var ex = Assert.Throws<ArgumentException>(() => Tensor.WrappedNormalDensity(Tensor.Zeros(3), Tensor.FromArray([1.0, 0.0, 1.0]), grid));
        Assert.Contains("wrapped_normal", ex.Message);
        Assert.Contains("sigma[1]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Tensor.WrappedNormalDensity(Tensor.Zeros(3), Tensor.Ones(4), grid));
        Assert.Contains("[3]", ex.Message);
        Assert.Contains("[4]", ex.Message);
    }
}
