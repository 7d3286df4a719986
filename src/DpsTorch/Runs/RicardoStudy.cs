// The Ricardian trade case study (issue 16 part 2, economics; experiments/13-ricardo): the economy of Model/Ricardo.cs
// built from the config (the space's grid as the goods, the demand as the consumption shares, case.labour,
// case.skillLocation, case.skillBreadth), at every trade cost of case.tradeCosts: DFS77's equilibrium (deterministic)
// and the world planner's optimum from case.seeds random starts, compared in summary.json (relative wage, cutoffs,
// non-traded band, comparative-advantage violations, gains from trade) with 95% intervals over the starts.
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Reports;
using DpsTorch.Sweeps;

namespace DpsTorch.Runs;

/// <summary>One start of the planner at one trade cost, beside the reference.</summary>
/// <param name="Seed">The start's seed.</param>
/// <param name="Reference">DFS77's equilibrium at this trade cost.</param>
/// <param name="Optimum">What the optimiser found.</param>
/// <param name="Autarky">Each country's autarky welfare Σ b ln(b L_c π_c).</param>
/// <param name="AgainstReference">Goods made by a country DFS77 does not assign them to (<see cref="RicardoEconomy.MadeAgainst"/>).</param>
public sealed record RicardoRun(int Seed, RicardoEquilibrium Reference, RicardoOptimum Optimum, double[] Autarky, int AgainstReference)
{
    /// <summary>Country c's gain from trade in real income, exp(U_c − U_c^autarky) − 1 (the optimiser's).</summary>
    public double Gain(int c) => Math.Exp(Optimum.Equilibrium.Welfare[c] - Autarky[c]) - 1;
}

/// <summary>Runs the `ricardo` case of a config.</summary>
public static class RicardoStudy
{
    /// <summary>The economy of <paramref name="config"/>.</summary>
    public static RicardoEconomy Economy(DpsConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = config.Case ?? throw new ArgumentException("The config has no case section.");
        var space = new Space(config.Space.M);
        var demand = SystemBuilder.DemandFrames(config, space)[0];
        return new RicardoEconomy(space, demand, [.. c.Labour], [.. c.SkillLocation], [.. c.SkillBreadth]);
    }

    /// <summary>Every (trade cost, start) of the case, trade costs outermost.</summary>
    public static IReadOnlyList<RicardoRun> Run(DpsConfig config, CancellationToken cancel = default)
    {
        var economy = Economy(config);
        var c = config.Case!;
        double[] autarky = [economy.AutarkyWelfare(0), economy.AutarkyWelfare(1)];
        var runs = new List<RicardoRun>();
        foreach (double tau in c.TradeCosts)
        {
            var reference = economy.Reference(tau);
            for (int r = 0; r < c.Seeds; r++)
            {
                cancel.ThrowIfCancellationRequested();
                int seed = c.Seed + r;
                var optimum = economy.Optimise(tau, new Random(seed), cancel);
                runs.Add(new RicardoRun(seed, reference, optimum, autarky, economy.MadeAgainst(optimum, reference)));
            }
        }
        return runs;
    }

    /// <summary>summary.json, results.csv and report.svg of the case.</summary>
    public static (JsonObject Summary, IReadOnlyDictionary<string, string> Tables) Compute(DpsConfig config, CancellationToken cancel = default)
    {
        var runs = Run(config, cancel);
        var c = config.Case!;
        int goods = config.Space.M;
        var costs = new JsonArray();
        foreach (var group in runs.GroupBy(r => r.Reference.Tau))
        {
            var rs = group.ToList();
            var reference = rs[0].Reference;
            costs.Add((JsonNode)new JsonObject
            {
                ["tau"] = group.Key,
                ["arrives"] = Math.Exp(-group.Key),
                ["relativeWage"] = CaseStudies.Interval(MeanInterval.Of(rs.Select(r => r.Optimum.Equilibrium.RelativeWage)), reference.RelativeWage),
                ["relativeWageErrorMax"] = CaseStudies.Num(rs.Max(r => Math.Abs(r.Optimum.Equilibrium.RelativeWage / reference.RelativeWage - 1))),
                ["exportShare"] = CaseStudies.Interval(MeanInterval.Of(rs.Select(r => r.Optimum.Equilibrium.ExportShare)), reference.ExportShare),
                ["homeShare"] = CaseStudies.Interval(MeanInterval.Of(rs.Select(r => r.Optimum.Equilibrium.HomeShare)), reference.HomeShare),
                ["nonTraded"] = CaseStudies.Interval(MeanInterval.Of(rs.Select(r => r.Optimum.Equilibrium.NonTradedShare)), reference.NonTradedShare),
                ["cutoffErrorMaxGoods"] = rs.Max(r => Math.Round(goods * Math.Max(Math.Abs(r.Optimum.Equilibrium.ExportShare - reference.ExportShare),
                    Math.Abs(r.Optimum.Equilibrium.HomeShare - reference.HomeShare)))),
                ["violations"] = rs.Sum(r => r.Optimum.Violations),
                ["againstDfs"] = rs.Sum(r => r.AgainstReference),
                ["sharedGoods"] = CaseStudies.Interval(MeanInterval.Of(rs.Select(r => (double)r.Optimum.SharedGoods))),
                ["gainHome"] = CaseStudies.Interval(MeanInterval.Of(rs.Select(r => r.Gain(0)))),
                ["gainForeign"] = CaseStudies.Interval(MeanInterval.Of(rs.Select(r => r.Gain(1)))),
                ["welfareErrorMax"] = CaseStudies.Num(rs.Max(r => Math.Max(Math.Abs(r.Optimum.Equilibrium.Welfare[0] - reference.Welfare[0]),
                    Math.Abs(r.Optimum.Equilibrium.Welfare[1] - reference.Welfare[1])))),
                ["converged"] = rs.Count(r => r.Optimum.Converged),
                ["gapMax"] = CaseStudies.Num(rs.Max(r => r.Optimum.Gap)),
                ["slackMax"] = CaseStudies.Num(rs.Max(r => r.Optimum.Slack)),
            });
        }
        var summary = new JsonObject
        {
            ["kind"] = "ricardo",
            ["complete"] = true,
            ["reference"] = "Dornbusch, Fischer & Samuelson 1977 (AER 67:823-839): home makes the goods with A(z) >= g w, exports those with A(z) >= w/g, trade balances w L_H (1 - theta_home) = L_F theta_export; without trade costs A(z~) = theta(z~)/(1 - theta(z~)) L_F/L_H",
            ["seeds"] = c.Seeds,
            ["goods"] = goods,
            ["tolerance"] = new JsonObject
            {
                ["relativeWage"] = RelativeWageTolerance,
                ["cutoffGoods"] = CutoffToleranceGoods,
                ["optimalityGap"] = RicardoEconomy.GapTolerance,
                ["slack"] = RicardoEconomy.SlackTolerance,
            },
            ["tradeCosts"] = costs,
        };
        return (summary, new Dictionary<string, string> { [CaseStudies.Results] = Csv(runs), [CaseStudies.Chart] = Chart(runs) });
    }

    /// <summary>The tolerance the note states for the relative wage: |ω / ω_DFS − 1|.</summary>
    public const double RelativeWageTolerance = 1e-4;
    /// <summary>The tolerance for the cutoffs, in goods: the marginal good (and its mirror image when the profiles are symmetric) may go either way.</summary>
    public const int CutoffToleranceGoods = 2;

    private static string Csv(IReadOnlyList<RicardoRun> runs)
    {
        var sb = new StringBuilder("tau,seed,relativeWage,relativeWageDfs,exportShare,exportShareDfs,homeShare,homeShareDfs,nonTraded,nonTradedDfs,sharedGoods,violations,againstDfs,gainHome,gainForeign,converged,gap,slack,iterations,negishiRounds\n");
        foreach (var r in runs)
        {
            var o = r.Optimum.Equilibrium;
            var d = r.Reference;
            sb.Append(CultureInfo.InvariantCulture,
                $"{d.Tau:R},{r.Seed},{o.RelativeWage:R},{d.RelativeWage:R},{o.ExportShare:R},{d.ExportShare:R},{o.HomeShare:R},{d.HomeShare:R},{o.NonTradedShare:R},{d.NonTradedShare:R},{r.Optimum.SharedGoods},{r.Optimum.Violations},{r.AgainstReference},{r.Gain(0):R},{r.Gain(1):R},{(r.Optimum.Converged ? 1 : 0)},{r.Optimum.Gap:R},{r.Optimum.Slack:R},{r.Optimum.Iterations},{r.Optimum.NegishiRounds}\n");
        }
        return sb.ToString();
    }

    /// <summary>The non-traded band and the relative wage against τ: DFS77 (lines) and the optimiser (markers, mean of the starts).</summary>
    private static string Chart(IReadOnlyList<RicardoRun> runs)
    {
        var groups = runs.GroupBy(r => r.Reference.Tau).ToList();
        double[] tau = [.. groups.Select(g => g.Key)];
        var series = new List<PlotSeries>
        {
            new("non-traded share: DFS77", tau, [.. groups.Select(g => g.First().Reference.NonTradedShare)]) { Style = SeriesStyle.Line, Color = SvgPlot.Palette[0] },
            new("non-traded share: optimiser", tau, [.. groups.Select(g => g.Average(r => r.Optimum.Equilibrium.NonTradedShare))]) { Color = SvgPlot.Palette[0] },
            new("home's export share: DFS77", tau, [.. groups.Select(g => g.First().Reference.ExportShare)]) { Style = SeriesStyle.Line, Color = SvgPlot.Palette[1], Dashed = true },
            new("home's export share: optimiser", tau, [.. groups.Select(g => g.Average(r => r.Optimum.Equilibrium.ExportShare))]) { Color = SvgPlot.Palette[1] },
            new("home's own-market share: DFS77", tau, [.. groups.Select(g => g.First().Reference.HomeShare)]) { Style = SeriesStyle.Line, Color = SvgPlot.Palette[2], Dashed = true },
            new("home's own-market share: optimiser", tau, [.. groups.Select(g => g.Average(r => r.Optimum.Equilibrium.HomeShare))]) { Color = SvgPlot.Palette[2] },
        };
        return SvgPlot.Render(series, new PlotOptions { Title = "Ricardian trade with iceberg costs: the band of non-traded goods (DFS 1977) and the optimiser", XLabel = "trade cost τ (g = exp(−τ) arrives)", YLabel = "fraction of the goods", YInclude = [0, 1], Width = 760 });
    }
}
