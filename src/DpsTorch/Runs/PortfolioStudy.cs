// The portfolio case study (issue 16 part 2, economics; experiments/14-portfolio): per replicate a synthetic
// one-factor market of case.assets assets (Model/Portfolio.cs), and at every risk aversion of case.riskAversion the
// optimiser's portfolio with short sales (against the closed-form two-fund solution and the efficient frontier) and
// without (against the exact active-set optimum), and the effective number of assets held (Hill numbers of the
// no-short-sales weights, q = 1 and 2), with 95% intervals over the replicates.
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DpsTorch.Config;
using DpsTorch.Measures;
using DpsTorch.Model;
using DpsTorch.Reports;
using DpsTorch.Sweeps;

namespace DpsTorch.Runs;

/// <summary>One replicate at one risk aversion.</summary>
/// <param name="Seed">Replicate seed (market and start).</param>
/// <param name="Gamma">Risk aversion γ.</param>
/// <param name="Shorts">The optimiser with short sales.</param>
/// <param name="TwoFund">The closed-form two-fund weights.</param>
/// <param name="FrontierSdError">|sd / frontier sd at the same mean − 1| of the optimiser's short-sales portfolio.</param>
/// <param name="LongOnly">The optimiser without short sales.</param>
/// <param name="Exact">The exact no-short-sales weights.</param>
/// <param name="Mean">Mean return of the optimiser's no-short-sales portfolio.</param>
/// <param name="Sd">Its standard deviation.</param>
/// <param name="Hill1">Its effective number of assets, Hill number q = 1, exp(−Σ w ln w).</param>
/// <param name="Hill2">Hill number q = 2, 1 / Σ w².</param>
/// <param name="BoundHill1">Hill q = 1 of the no-short-sales minimum-variance portfolio (the limit γ → ∞) of the same market.</param>
public sealed record PortfolioRun(int Seed, double Gamma, PortfolioOptimum Shorts, double[] TwoFund, double FrontierSdError,
    PortfolioOptimum LongOnly, double[] Exact, double Mean, double Sd, double Hill1, double Hill2, double BoundHill1)
{
    /// <summary>Largest |w − w_two-fund| over the assets.</summary>
    public double TwoFundError => Shorts.Weights.Select((w, i) => Math.Abs(w - TwoFund[i])).Max();
    /// <summary>Largest |w − w_exact| over the assets (no short sales).</summary>
    public double LongOnlyError => LongOnly.Weights.Select((w, i) => Math.Abs(w - Exact[i])).Max();
}

/// <summary>Runs the `portfolio` case of a config.</summary>
public static class PortfolioStudy
{
    /// <summary>The tolerance the note states for the weights: max |w − w_reference| (two-fund or exact).</summary>
    public const double WeightTolerance = 1e-5;
    /// <summary>The tolerance for the frontier: |sd / frontier sd − 1| of the short-sales portfolios.</summary>
    public const double FrontierTolerance = 1e-8;
    /// <summary>Risk aversion standing for γ → ∞: the minimum-variance portfolio (μ weighs 1e-8 of the variance).</summary>
    private const double MinimumVarianceGamma = 1e8;

    /// <summary>Every (replicate, risk aversion) of the case, replicates outermost.</summary>
    public static IReadOnlyList<PortfolioRun> Run(DpsConfig config, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = config.Case ?? throw new ArgumentException("The config has no case section.");
        var runs = new List<PortfolioRun>();
        for (int r = 0; r < c.Seeds; r++)
        {
            int seed = c.Seed + r;
            var rng = new Random(seed);
            var market = MeanVarianceMarket.OneFactor(c.Assets, rng);
            double bound = Hill(market.LongOnly(MinimumVarianceGamma), 1);
            foreach (double gamma in c.RiskAversion)
            {
                cancel.ThrowIfCancellationRequested();
                var shorts = market.Optimise(gamma, shortSales: true, rng);
                var longOnly = market.Optimise(gamma, shortSales: false, rng);
                double frontier = Math.Abs(market.Sd(shorts.Weights) / market.FrontierSd(market.Mean(shorts.Weights)) - 1);
                runs.Add(new PortfolioRun(seed, gamma, shorts, market.TwoFund(gamma), frontier, longOnly, market.LongOnly(gamma),
                    market.Mean(longOnly.Weights), market.Sd(longOnly.Weights), Hill(longOnly.Weights, 1), Hill(longOnly.Weights, 2), bound));
            }
        }
        return runs;
    }

    /// <summary>The Hill number of order q of the weights (no similarity: Z = I), weights below 1e-9 counted as not held.</summary>
    public static double Hill(IReadOnlyList<double> weights, double q)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return Heterogeneity.Distinct([.. weights.Select(x => x > 1e-9 ? x : 0)], q);
    }

    /// <summary>summary.json, results.csv and report.svg of the case.</summary>
    public static (JsonObject Summary, IReadOnlyDictionary<string, string> Tables) Compute(DpsConfig config, CancellationToken cancel = default)
    {
        var runs = Run(config, cancel);
        var c = config.Case!;
        var levels = new JsonArray();
        foreach (var group in runs.GroupBy(r => r.Gamma))
        {
            var rs = group.ToList();
            levels.Add((JsonNode)new JsonObject
            {
                ["gamma"] = group.Key,
                ["twoFundErrorMax"] = CaseStudies.Num(rs.Max(r => r.TwoFundError)),
                ["frontierSdErrorMax"] = CaseStudies.Num(rs.Max(r => r.FrontierSdError)),
                ["longOnlyErrorMax"] = CaseStudies.Num(rs.Max(r => r.LongOnlyError)),
                ["mean"] = CaseStudies.Interval(MeanInterval.Of(rs.Select(r => r.Mean))),
                ["sd"] = CaseStudies.Interval(MeanInterval.Of(rs.Select(r => r.Sd))),
                ["hill1"] = CaseStudies.Interval(MeanInterval.Of(rs.Select(r => r.Hill1))),
                ["hill2"] = CaseStudies.Interval(MeanInterval.Of(rs.Select(r => r.Hill2))),
                ["hill1OverBound"] = CaseStudies.Interval(MeanInterval.Of(rs.Select(r => r.Hill1 / r.BoundHill1))),
                ["held"] = CaseStudies.Interval(MeanInterval.Of(rs.Select(r => (double)r.Exact.Count(w => w > 0)))),
                ["converged"] = rs.Count(r => r.Shorts.Converged && r.LongOnly.Converged),
            });
        }
        var summary = new JsonObject
        {
            ["kind"] = "portfolio",
            ["complete"] = true,
            ["reference"] = "Markowitz 1952 (J Finance 7:77-91); the two-fund closed form w = S^-1 1/A + (S^-1 mu - (B/A) S^-1 1)/gamma on the frontier sd^2(m) = (A m^2 - 2 B m + C)/(A C - B^2) (Merton 1972, JFQA 7:1851-1872); no short sales: exact active-set QP",
            ["seeds"] = c.Seeds,
            ["assets"] = c.Assets,
            ["tolerance"] = new JsonObject { ["weights"] = WeightTolerance, ["frontierSd"] = FrontierTolerance, ["optimalityGap"] = MeanVarianceMarket.GapTolerance },
            ["minimumVarianceHill1"] = CaseStudies.Interval(MeanInterval.Of(runs.GroupBy(r => r.Seed).Select(g => g.First().BoundHill1))),
            ["riskAversion"] = levels,
        };
        return (summary, new Dictionary<string, string> { [CaseStudies.Results] = Csv(runs), [CaseStudies.Chart] = Chart(runs) });
    }

    private static string Csv(IReadOnlyList<PortfolioRun> runs)
    {
        var sb = new StringBuilder("seed,gamma,twoFundError,frontierSdError,longOnlyError,mean,sd,hill1,hill2,boundHill1,held,converged,weights\n");
        foreach (var r in runs)
            sb.Append(CultureInfo.InvariantCulture,
                $"{r.Seed},{r.Gamma:R},{r.TwoFundError:R},{r.FrontierSdError:R},{r.LongOnlyError:R},{r.Mean:R},{r.Sd:R},{r.Hill1:R},{r.Hill2:R},{r.BoundHill1:R},{r.Exact.Count(w => w > 0)},{(r.Shorts.Converged && r.LongOnly.Converged ? 1 : 0)},{string.Join(' ', r.LongOnly.Weights.Select(w => w.ToString("G6", CultureInfo.InvariantCulture)))}\n");
        return sb.ToString();
    }

    /// <summary>The effective number of assets held (Hill q = 1 and 2, no short sales) against γ, with 95% bands, and the minimum-variance bound.</summary>
    private static string Chart(IReadOnlyList<PortfolioRun> runs)
    {
        var groups = runs.GroupBy(r => r.Gamma).ToList();
        double[] x = [.. groups.Select(g => g.Key)];
        var series = new List<PlotSeries>();
        foreach (var (name, pick, dashed) in new (string, Func<PortfolioRun, double>, bool)[]
                 { ("Hill q = 1", r => r.Hill1, false), ("Hill q = 2", r => r.Hill2, true), ("minimum-variance bound (q = 1)", r => r.BoundHill1, true) })
        {
            var v = groups.Select(g => MeanInterval.Of(g.Select(pick))).ToArray();
            series.Add(new PlotSeries(name, x, [.. v.Select(m => m.Mean)])
            {
                Style = name.StartsWith("minimum", StringComparison.Ordinal) ? SeriesStyle.Line : SeriesStyle.LineAndMarkers, Dashed = dashed,
                BandLow = [.. v.Select(m => double.IsFinite(m.HalfWidth) ? m.Low : m.Mean)], BandHigh = [.. v.Select(m => double.IsFinite(m.HalfWidth) ? m.High : m.Mean)],
            });
        }
        return SvgPlot.Render(series, new PlotOptions { Title = "Diversification grows with risk aversion (no short sales), 95% bands over markets", XLabel = "risk aversion γ", YLabel = "effective number of assets", XScale = AxisScale.Log, YInclude = [1], Width = 760 });
    }
}
