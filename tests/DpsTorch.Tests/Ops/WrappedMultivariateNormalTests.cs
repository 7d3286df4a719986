using DpsTorch.Ops;
using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Ops;

/// <summary>The wrapped multivariate normal on T^d (agents.covariance "full"): values, truncation, gradients.</summary>
public class WrappedMultivariateNormalTests
{
    private static double[] Grid(int m) => DpsKernelsTorusTests.Grid(m);

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void WithNoOffDiagonal_EqualsTheProductOfWrappedNormals(int d)
    {
        var grid = Grid(10);
        double[] mu = [.. Enumerable.Range(0, 3 * d).Select(k => 0.7 * k - 1.0)];
        double[] sigma = [.. Enumerable.Range(0, 3 * d).Select(k => new[] { 0.25, 0.6, 1.3, 2.2 }[k % 4])];
        var full = DpsKernels.WrappedMultivariateNormalDensity(Tensor.FromArray(mu), Tensor.FromArray(sigma),
            Tensor.Zeros(3 * WrappedMultivariateNormal.OffDiagonal(d)), grid, d).ToArray();
        var product = DpsKernels.ProductWrappedNormalDensity(Tensor.FromArray(mu), Tensor.FromArray(sigma), null, grid, d).ToArray();
        double peak = product.Max();
        for (int k = 0; k < full.Length; k++) Assert.True(Math.Abs(full[k] - product[k]) <= 1e-13 * peak, $"point {k}: {full[k]} vs {product[k]}");
    }

    /// <summary>The stated truncation: the image sum over |k_j| ≤ K differs from |k_j| ≤ K + 2 by less than 10⁻¹⁴ of the peak height.</summary>
    [Theory]
    [InlineData(0.2, 0.0, 0.3)]
    [InlineData(1.0, 0.8, 0.6)]
    [InlineData(2.5, -1.5, 1.2)]
    [InlineData(4.0, 3.0, 2.0)]
    public void Truncation_IsBelowItsStatedBound_AndTheDensityIntegratesToOne(double l00, double l10, double l11)
    {
        var wmn = new WrappedMultivariateNormal([l00, 0, l10, l11], 2);
        const int m = 48;
        var grid = Grid(m);
        double integral = 0, worst = 0;
        for (int a = 0; a < m; a++)
            for (int b = 0; b < m; b++)
            {
                double v = wmn.Density([grid[a] - 1.0, grid[b] + 2.0]);
                worst = Math.Max(worst, Math.Abs(v - wmn.Density([grid[a] - 1.0, grid[b] + 2.0], wmn.Shifts + 2)));
                integral += v;
            }
        Assert.True(worst <= 1e-14 * wmn.Normalizer, $"truncation error {worst:G3} with K = {wmn.Shifts}");
        Assert.Equal(1.0, integral * Math.Pow(2 * Math.PI / m, 2), 9);
    }

    /// <summary>An independent evaluation: the image sum written with the explicit inverse of a 2×2 covariance.</summary>
    [Fact]
    public void Density_MatchesTheImageSumWithTheExplicitInverseCovariance()
    {
        double l00 = 0.7, l10 = 0.5, l11 = 0.4;
        double s00 = l00 * l00, s01 = l00 * l10, s11 = l10 * l10 + l11 * l11, det = s00 * s11 - s01 * s01;
        var wmn = new WrappedMultivariateNormal([l00, 0, l10, l11], 2);
        foreach (var (x, y) in new[] { (0.0, 0.0), (0.4, -0.3), (3.0, 3.1), (-2.0, 1.0) })
        {
            double expected = 0;
            for (int i = -6; i <= 6; i++)
                for (int j = -6; j <= 6; j++)
                {
                    double zx = x + 2 * Math.PI * i, zy = y + 2 * Math.PI * j;
                    expected += Math.Exp(-0.5 * (s11 * zx * zx - 2 * s01 * zx * zy + s00 * zy * zy) / det);
                }
            expected /= 2 * Math.PI * Math.Sqrt(det);
            Assert.Equal(expected, wmn.Density([x, y]), 14);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Gradients_MatchFiniteDifferences(int d)
    {
        int n = 2, p = WrappedMultivariateNormal.OffDiagonal(d);
        var grid = Grid(7);
        var mu = Tensor.FromArray([.. Enumerable.Range(0, n * d).Select(k => 0.9 * k + 0.2)]).RequiresGrad_();
        var diag = Tensor.FromArray([.. Enumerable.Range(0, n * d).Select(k => new[] { 0.5, 0.8, 1.4 }[k % 3])]).RequiresGrad_();
        var lower = Tensor.FromArray([.. Enumerable.Range(0, n * p).Select(k => 0.3 * Math.Sin(k + 1))]).RequiresGrad_();
        int points = (int)Math.Pow(7, d);
        var weights = Tensor.FromArray([.. Enumerable.Range(0, n * points).Select(k => Math.Cos(0.37 * k))]).Reshape(n, points);
        AssertGradients(t => (DpsKernels.WrappedMultivariateNormalDensity(t[0], t[1], t[2], grid, d) * weights).Sum(), [mu, diag, lower], 1e-6);
    }

    [Fact]
    public void FromCovariance_IsTheCholeskyFactor()
    {
        var a = new WrappedMultivariateNormal([0.9, 0, 0, 0.3, 0.5, 0, -0.2, 0.1, 0.7], 3);
        // Σ = L Lᵀ of that L.
        double[] cov = [0.81, 0.27, -0.18, 0.27, 0.34, -0.01, -0.18, -0.01, 0.54];
        var b = WrappedMultivariateNormal.FromCovariance(cov, 3);
        Assert.Equal(a.Normalizer, b.Normalizer, 12);
        Assert.Equal(a.Density([0.3, -0.2, 0.5]), b.Density([0.3, -0.2, 0.5]), 12);
    }

    [Fact]
    public void ABadFactor_IsRefusedInOneLine()
    {
        var e = Assert.Throws<ArgumentException>(() => new WrappedMultivariateNormal([0.5, 0, 0.1, -0.2], 2));
        Assert.Contains("L[1,1]", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
