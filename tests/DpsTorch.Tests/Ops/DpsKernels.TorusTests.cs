using DpsTorch.Ops;
using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Ops;

public class DpsKernelsTorusTests
{
    internal static double[] Grid(int m) => [.. Enumerable.Range(0, m).Select(j => 2 * Math.PI * j / m)];

    [Fact]
    public void ProductDensity_OnTheCircle_IsTheScaledDensityBitForBit()
    {
        double[] mu = [0.3, 2.0, 5.9, -1.0], sigma = [0.05, 0.3, 0.9, 2.5], a = [1.0, 0.5, 2.0, 0.1];
        var grid = Grid(40);
        var circle = DpsKernels.ScaledWrappedNormalDensity(Tensor.FromArray(mu), Tensor.FromArray(sigma), Tensor.FromArray(a), grid).ToArray();
        var torus = DpsKernels.ProductWrappedNormalDensity(Tensor.FromArray(mu), Tensor.FromArray(sigma), Tensor.FromArray(a), grid, 1).ToArray();
        Assert.Equal(circle, torus);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void ProductDensity_IsTheOuterProductOfTheAxes_AndTheMixtureItsWeightedSum(int d)
    {
        const int m = 9;
        var grid = Grid(m);
        var rng = new Random(d);
        int n = 3;
        var mu = Enumerable.Range(0, n * d).Select(_ => 2 * Math.PI * rng.NextDouble()).ToArray();
        var sigma = Enumerable.Range(0, n * d).Select(k => new[] { 0.2, 0.45, 0.8, 2.0 }[k % 4]).ToArray();
        double[] a = [1.0, 0.3, 2.5];
        var dens = DpsKernels.ProductWrappedNormalDensity(Tensor.FromArray(mu), Tensor.FromArray(sigma), Tensor.FromArray(a), grid, d).ToArray();
        int points = (int)Math.Pow(m, d);
        Assert.Equal(n * points, dens.Length);
        for (int i = 0; i < n; i++)
            for (int p = 0; p < points; p++)
            {
                double expected = a[i];
                for (int k = d - 1, rest = p; k >= 0; k--, rest /= m) expected *= WrappedNormal.Density(grid[rest % m], mu[i * d + k], sigma[i * d + k]);
                Assert.True(Math.Abs(dens[i * points + p] - expected) <= 1e-12 * Math.Max(1, expected), $"agent {i}, point {p}: {dens[i * points + p]} vs {expected}");
            }
        var mix = DpsKernels.ProductWrappedNormalMixture(Tensor.FromArray(mu), Tensor.FromArray(sigma), Tensor.FromArray(a), grid, d).ToArray();
        for (int p = 0; p < points; p++)
            Assert.Equal(Enumerable.Range(0, n).Sum(i => dens[i * points + p]), mix[p], 12);
    }

    /// <summary>Breadths on both sides of the fused op's image/Fourier switch (0.5) and of the one-image shortcut (0.37).</summary>
    [Theory]
    [InlineData(2, 0.3)]
    [InlineData(2, 0.9)]
    [InlineData(3, 0.3)]
    [InlineData(3, 1.4)]
    public void ProductKernels_GradientsMatchFiniteDifferences(int d, double baseSigma)
    {
        var grid = Grid(7);
        int n = 2;
        var rng = new Random(17 + d);
        var mu = Tensor.FromArray([.. Enumerable.Range(0, n * d).Select(_ => 2 * Math.PI * rng.NextDouble())]).RequiresGrad_();
        var sigma = Tensor.FromArray([.. Enumerable.Range(0, n * d).Select(k => baseSigma * (1 + 0.3 * k))]).RequiresGrad_();
        var scale = Tensor.FromArray([0.7, 1.9]).RequiresGrad_();
        int points = (int)Math.Pow(grid.Length, d);
        var weightsOnGrid = Tensor.FromArray([.. Enumerable.Range(0, n * points).Select(k => Math.Sin(0.37 * k) + 0.2)]).Reshape(n, points);
        var weightsOnMix = Tensor.FromArray([.. Enumerable.Range(0, points).Select(k => Math.Cos(0.21 * k))]);
        AssertGradients(x => (DpsKernels.ProductWrappedNormalDensity(x[0], x[1], x[2], grid, d) * weightsOnGrid).Sum(), [mu, sigma, scale]);
        AssertGradients(x => (DpsKernels.ProductWrappedNormalDensity(x[0], x[1], null, grid, d) * weightsOnGrid).Sum(), [mu, sigma]);
        AssertGradients(x => (DpsKernels.ProductWrappedNormalMixture(x[0], x[1], x[2], grid, d) * weightsOnMix).Sum(), [mu, sigma, scale]);
        // A nonlinear loss too: the squared error against a target, as the model's mismatch.
        AssertGradients(x => (DpsKernels.ProductWrappedNormalMixture(x[0], x[1], x[2], grid, d) - weightsOnMix).Pow(2.0).Sum(), [mu, sigma, scale]);
    }

    [Fact]
    public void ProductKernels_RefuseBadShapes_InOneLine()
    {
        var grid = Grid(8);
        var e = Assert.Throws<ArgumentException>(() => DpsKernels.ProductWrappedNormalDensity(Tensor.FromArray([0.0, 1.0, 2.0]), Tensor.FromArray([0.3, 0.3, 0.3]), null, grid, 2));
        Assert.Contains("[N·d]", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        e = Assert.Throws<ArgumentException>(() => DpsKernels.ProductWrappedNormalMixture(Tensor.FromArray([0.0, 1.0]), Tensor.FromArray([0.3, 0.3]), Tensor.FromArray([1.0, 1.0]), grid, 2));
        Assert.Contains("shape [1]", e.Message);
        e = Assert.Throws<ArgumentException>(() => DpsKernels.ProductWrappedNormalMixture(Tensor.FromArray([0.0, 1.0]), Tensor.FromArray([0.3, -0.3]), Tensor.FromArray([1.0]), grid, 2));
        Assert.Contains("sigma[1]", e.Message);
    }
}

public class DpsKernelsTorusComposedTwinTests
{
    [Fact]
    public void ProductDensity_EqualsItsComposedTwin_ValueAndGradients()
    {
        const int m = 11, n = 3, d = 2;
        var grid = Enumerable.Range(0, m).Select(j => 2 * Math.PI * j / m).ToArray();
        double[] muValues = [0.4, 5.0, 2.2, 1.1, 3.9, 6.1], sigmaValues = [0.25, 0.6, 1.2, 0.3, 0.45, 2.0], aValues = [1.0, 0.4, 1.7];
        var target = Tensor.FromArray([.. Enumerable.Range(0, n * m * m).Select(k => Math.Sin(0.13 * k))]);
        (double[] Value, double[][] Grads) Run(bool fused)
        {
            var mu = Tensor.FromArray(muValues).RequiresGrad_();
            var sigma = Tensor.FromArray(sigmaValues).RequiresGrad_();
            var a = Tensor.FromArray(aValues).RequiresGrad_();
            Tensor dens;
            if (fused) dens = DpsKernels.ProductWrappedNormalDensity(mu, sigma, a, grid, d);
            else
            {
                // One wrapped normal per axis, their outer product per agent, scaled: s_i(x, y) = a_i f_i(x) g_i(y).
                int[] axis0 = [0, 2, 4], axis1 = [1, 3, 5];
                var f = DpsKernels.WrappedNormalDensity(mu.IndexSelect(0, axis0), sigma.IndexSelect(0, axis0), grid);
                var g = DpsKernels.WrappedNormalDensity(mu.IndexSelect(0, axis1), sigma.IndexSelect(0, axis1), grid);
                dens = (f.Unsqueeze(2) * g.Unsqueeze(1)).Reshape(n, m * m) * a.Unsqueeze(1);
            }
            var loss = ((dens - target.Reshape(n, m * m)).Pow(2.0)).Sum();
            loss.Backward();
            return (dens.ToArray(), [mu.Grad!.ToArray(), sigma.Grad!.ToArray(), a.Grad!.ToArray()]);
        }
        var (v1, g1) = Run(fused: true);
        var (v0, g0) = Run(fused: false);
        TestUtil.AssertClose(v0, v1, 1e-13);
        for (int k = 0; k < g0.Length; k++) TestUtil.AssertClose(g0[k], g1[k], 1e-12 * Math.Max(1, g0[k].Max(Math.Abs)));
    }
}
