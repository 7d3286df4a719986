// The efficient-coding fit on constructed populations whose answer is known: Ganguli & Simoncelli's arrangement
// (preferred stimuli at the prior's quantiles, widths ∝ 1/p, equal peak rates) gives slopes 1, −1, 0; an even lattice
// of equal neurons gives density and width slopes 0.
using DpsTorch.Measures;
using DpsTorch.Model;

namespace DpsTorch.Tests.Measures;

public class EfficientCodingFitTests
{
    private static (double[] Grid, double[] Prior) Prior(int m)
    {
        var space = new Space(m);
        var d = Demand.Mixture(space, [2.0, 4.5], [0.5, 2.0], [0.4, 0.6], 1.0).ToArray();
        return (space.Grid.ToArray(), EfficientCoding.Prior(d, space.Delta));
    }

    [Fact]
    public void TheQuantileArrangement_HasSlopesOneMinusOneAndZero()
    {
        var (grid, p) = Prior(2048);
        int n = 200;
        var mu = Enumerable.Range(0, n).Select(i => Initialization.Quantile(p, (i + 0.5) / n)).ToArray();
        var sigma = mu.Select(x => 0.13 / (n * EfficientCodingFit.PriorAt(grid, p, x))).ToArray();
        var a = sigma.Select(s => 3.0 * s).ToArray();
        var fit = EfficientCodingFit.Of(mu, sigma, a, grid, p, information: 1.5);
        Assert.Equal(1.0, fit.DensitySlope, 0.05);
        Assert.Equal(-1.0, fit.WidthSlope, 1e-9);
        Assert.Equal(0.0, fit.GainSlope, 1e-9);
        Assert.Equal(1.0, fit.DensityRatio, 0.05);
        Assert.True(fit.DensityCorrelation > 0.99);
        Assert.Equal(1.5, fit.Information);
    }

    [Fact]
    public void AnEvenLatticeOfEqualNeurons_HasFlatDensityAndWidth()
    {
        var (grid, p) = Prior(512);
        int n = 24;
        var mu = Enumerable.Range(0, n).Select(i => 2 * Math.PI * (i + 0.3) / n).ToArray();
        var fit = EfficientCodingFit.Of(mu, [.. Enumerable.Repeat(0.05, n)], [.. Enumerable.Repeat(1.0, n)], grid, p, 0);
        Assert.Equal(0.0, fit.DensitySlope, 1e-9);
        Assert.Equal(0.0, fit.WidthSlope, 1e-9);
    }

    [Fact]
    public void Quantile_OfAUniformDemand_IsProportional()
    {
        var d = Enumerable.Repeat(2.0, 64).ToArray();
        Assert.Equal(Math.PI, Initialization.Quantile(d, 0.5), 1e-12);
        Assert.Equal(0.5 * Math.PI, Initialization.Quantile(d, 0.25), 1e-12);
    }
}

public class EfficientCodingPoolingSlopeTests
{
    [Fact]
    public void PeakRatesInverseToTheCostFactor_HavePoolingSlopeMinusOne_AndNoFactorsGiveNaN()
    {
        var space = new Space(256);
        var p = EfficientCoding.Prior([.. Enumerable.Repeat(1.0, 256)], space.Delta);
        int n = 6;
        var mu = Enumerable.Range(0, n).Select(i => 2 * Math.PI * (i + 0.5) / n).ToArray();
        var sigma = Enumerable.Repeat(0.1, n).ToArray();
        double[] cost = [1.0, 1.25, 1.5, 2.25, 1.25, 3.0];
        var a = cost.Select(c => 2.0 / c).ToArray(); // peak rate a/(σ√2π) ∝ 1/cost
        var grid = space.Grid.ToArray();
        var fit = EfficientCodingFit.Of(mu, sigma, a, grid, p, 0, cost);
        Assert.Equal(-1.0, fit.PoolingSlope, 1e-12);
        Assert.True(double.IsNaN(EfficientCodingFit.Of(mu, sigma, a, grid, p, 0).PoolingSlope));
        Assert.Throws<ArgumentException>(() => EfficientCodingFit.Of(mu, sigma, a, grid, p, 0, [1.0, 2.0]));
    }
}
