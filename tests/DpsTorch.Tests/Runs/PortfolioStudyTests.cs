// The portfolio case (experiments/14-portfolio) reproduces the Markowitz frontier within the tolerances its note states:
// the optimiser's short-sales portfolios are the two-fund solution (weights to 1e-5) on the frontier (sd to 1e-8
// relative), its no-short-sales portfolios the exact optimum (weights to 1e-5), and diversification grows with risk
// aversion towards the minimum-variance portfolio's.
using DpsTorch.Config;
using DpsTorch.Runs;

namespace DpsTorch.Tests.Runs;

public class PortfolioStudyTests
{
    [Fact]
    public void SmallCase_ReproducesTheFrontier_AndDiversifiesWithRiskAversion()
    {
        var config = ConfigLoader.Validate(new DpsConfig { Case = new CaseConfig { Kind = CaseKind.Portfolio, Seeds = 5, Assets = 6, RiskAversion = [0.25, 4, 1000] } });
        var runs = PortfolioStudy.Run(config);
        Assert.Equal(15, runs.Count);
        foreach (var r in runs)
        {
            Assert.True(r.Shorts.Converged && r.LongOnly.Converged, $"seed {r.Seed}, γ = {r.Gamma}: gaps {r.Shorts.Gap}, {r.LongOnly.Gap}");
            Assert.True(r.TwoFundError <= PortfolioStudy.WeightTolerance, $"two-fund error {r.TwoFundError}");
            Assert.True(r.FrontierSdError <= PortfolioStudy.FrontierTolerance, $"frontier error {r.FrontierSdError}");
            Assert.True(r.LongOnlyError <= PortfolioStudy.WeightTolerance, $"no-short-sales error {r.LongOnlyError}");
        }
        foreach (var market in runs.GroupBy(r => r.Seed))
        {
            var byGamma = market.OrderBy(r => r.Gamma).ToArray();
            Assert.True(byGamma[^1].Hill1 > byGamma[0].Hill1, $"seed {market.Key}: Hill {byGamma[0].Hill1} at γ = 0.25, {byGamma[^1].Hill1} at γ = 1000");
            // At γ = 1000 the portfolio is close to the minimum-variance one, whose Hill number bounds the diversification.
            Assert.True(Math.Abs(byGamma[^1].Hill1 / byGamma[^1].BoundHill1 - 1) < 0.05, $"seed {market.Key}: Hill {byGamma[^1].Hill1} at γ = 1000, minimum-variance {byGamma[^1].BoundHill1}");
        }
    }

    [Fact]
    public void Hill_CountsEqualWeightsAsDistinctAssets()
    {
        Assert.Equal(4, PortfolioStudy.Hill([0.25, 0.25, 0.25, 0.25], 1), 12);
        Assert.Equal(2, PortfolioStudy.Hill([0.5, 0.5, 0, 0], 2), 12);
        Assert.Equal(1, PortfolioStudy.Hill([1, 0, 0], 1), 12);
    }
}
