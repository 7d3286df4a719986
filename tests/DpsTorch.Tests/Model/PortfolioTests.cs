// Mean-variance portfolios (Model/Portfolio.cs): the closed-form two-fund optimum lies on the frontier and maximises the
// utility; the active-set no-short-sales solve meets the Kuhn-Tucker conditions; the optimiser reaches both.
using DpsTorch.Model;

namespace DpsTorch.Tests.Model;

public class PortfolioTests
{
    [Theory]
    [InlineData(1.0)]
    [InlineData(8.0)]
    public void TwoFund_IsOnTheFrontier_AndBeatsPerturbations(double gamma)
    {
        var market = MeanVarianceMarket.OneFactor(6, new Random(3));
        var w = market.TwoFund(gamma);
        Assert.Equal(1.0, w.Sum(), 12);
        Assert.Equal(market.FrontierSd(market.Mean(w)), market.Sd(w), 10);
        var rng = new Random(5);
        for (int t = 0; t < 20; t++)
        {
            // A budget-neutral perturbation can only lower the utility.
            var d = Enumerable.Range(0, 6).Select(_ => rng.NextDouble() - 0.5).ToArray();
            double mean = d.Average();
            var v = w.Select((x, i) => x + 0.01 * (d[i] - mean)).ToArray();
            Assert.True(market.Utility(v, gamma) < market.Utility(w, gamma));
        }
    }

    [Fact]
    public void LongOnly_MeetsTheKuhnTuckerConditions()
    {
        var market = MeanVarianceMarket.OneFactor(10, new Random(7));
        foreach (double gamma in new[] { 0.5, 2.0, 16.0, 256.0 })
        {
            var w = market.LongOnly(gamma);
            Assert.Equal(1.0, w.Sum(), 12);
            Assert.All(w, x => Assert.True(x >= 0));
            // ∂U/∂w_i equal (= ν) on held assets, at most ν on the others.
            var grad = Enumerable.Range(0, 10).Select(i => Gradient(market, w, gamma, i)).ToArray();
            double nu = grad.Where((_, i) => w[i] > 0).Average();
            for (int i = 0; i < 10; i++)
                if (w[i] > 0) Assert.True(Math.Abs(nu - grad[i]) < 1e-7, $"γ = {gamma}: held asset {i} pays {grad[i]}, ν = {nu}");
                else Assert.True(grad[i] <= nu + 1e-7, $"γ = {gamma}: asset {i} pays {grad[i]} > ν = {nu}");
        }
    }

    private static double Gradient(MeanVarianceMarket market, double[] w, double gamma, int i)
    {
        const double h = 1e-6;
        var up = (double[])w.Clone(); up[i] += h;
        var down = (double[])w.Clone(); down[i] -= h;
        return (market.Utility(up, gamma) - market.Utility(down, gamma)) / (2 * h);
    }

    [Theory]
    [InlineData(1.0, 11)]
    [InlineData(32.0, 12)]
    public void Optimiser_ReachesTheTwoFundAndTheLongOnlyOptimum(double gamma, int seed)
    {
        var market = MeanVarianceMarket.OneFactor(8, new Random(seed));
        var shorts = market.Optimise(gamma, shortSales: true, new Random(seed + 100));
        Assert.True(shorts.Converged, $"gap {shorts.Gap}");
        var exact = market.TwoFund(gamma);
        for (int i = 0; i < 8; i++) Assert.True(Math.Abs(exact[i] - shorts.Weights[i]) < 1e-6, $"asset {i}: {shorts.Weights[i]} vs two-fund {exact[i]}");
        Assert.True(Math.Abs(market.Sd(shorts.Weights) / market.FrontierSd(market.Mean(shorts.Weights)) - 1) < 1e-9);
        var longOnly = market.Optimise(gamma, shortSales: false, new Random(seed + 200));
        Assert.True(longOnly.Converged, $"gap {longOnly.Gap}");
        var exactLong = market.LongOnly(gamma);
        for (int i = 0; i < 8; i++) Assert.True(Math.Abs(exactLong[i] - longOnly.Weights[i]) < 1e-6, $"asset {i}: {longOnly.Weights[i]} vs {exactLong[i]}");
    }

    [Fact]
    public void Market_RejectsBadInput_InOneLine()
    {
        var ex = Assert.Throws<ArgumentException>(() => new MeanVarianceMarket([0.1, 0.2], new double[,] { { 1, 2 }, { 2, 1 } }));
        Assert.Contains("positive definite", ex.Message);
        Assert.Throws<ArgumentException>(() => new MeanVarianceMarket([0.1, double.NaN], new double[,] { { 1, 0 }, { 0, 1 } }));
        Assert.Throws<ArgumentOutOfRangeException>(() => MeanVarianceMarket.OneFactor(4, new Random(1)).TwoFund(-1));
    }
}
