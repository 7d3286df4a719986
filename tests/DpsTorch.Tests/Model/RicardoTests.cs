// The two-country Ricardian economy (Model/Ricardo.cs): DFS77's equilibrium on the grid agrees with its closed form in
// the symmetric case, and the world planner's optimum (L-BFGS, Negishi weights) is that equilibrium: the same relative
// wage, the same cutoffs up to the marginal good, production by comparative advantage only, the same welfare.
using DpsTorch.Model;

namespace DpsTorch.Tests.Model;

public class RicardoTests
{
    private static RicardoEconomy Economy(int m, double[] labour, double width = 1.2, double[]? demand = null)
    {
        var space = new Space(m);
        demand ??= Enumerable.Repeat(1.0, m).ToArray();
        return new RicardoEconomy(space, demand, labour, [Math.PI / 2, 3 * Math.PI / 2], [width, width]);
    }

    /// <summary>The continuum boundary of the symmetric economy (ω = 1): the distance d from home's peak at which
    /// ln π_H − ln π_F = t, i.e. A = e^t.</summary>
    private static double Boundary(double width, double t)
    {
        double lo = 0, hi = Math.PI;
        for (int i = 0; i < 200; i++)
        {
            double d = (lo + hi) / 2;
            double f = Math.Log(WrappedNormal.Density(d, 0, width)) - Math.Log(WrappedNormal.Density(Math.PI - d, 0, width)) - t;
            if (f > 0) lo = d; else hi = d;
        }
        return (lo + hi) / 2;
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void Reference_Symmetric_HasUnitWageAndTheContinuumCutoffs(double tau)
    {
        const int m = 256;
        var e = Economy(m, [1, 1]);
        var r = e.Reference(tau);
        Assert.Equal(1.0, r.RelativeWage, 9);
        // Home exports the goods within d_x of its peak, where A = e^τ, and serves its own market out to d_h (A = e^−τ).
        double exports = 2 * Boundary(1.2, tau) / (2 * Math.PI), home = 2 * Boundary(1.2, -tau) / (2 * Math.PI);
        Assert.True(Math.Abs(r.ExportShare - exports) <= 2.0 / m, $"export share {r.ExportShare} vs continuum {exports}");
        Assert.True(Math.Abs(r.HomeShare - home) <= 2.0 / m, $"home share {r.HomeShare} vs continuum {home}");
    }

    [Fact]
    public void Reference_NonTradedBand_WidensWithTheTradeCost()
    {
        var e = Economy(256, [1, 2]);
        double[] taus = [0, 0.25, 0.5, 1, 2];
        var bands = taus.Select(t => e.Reference(t).NonTradedShare).ToArray();
        Assert.True(bands[0] <= 1.0 / 256, $"free trade leaves {bands[0]} of the goods untraded");
        for (int k = 1; k < bands.Length; k++) Assert.True(bands[k] > bands[k - 1], $"band {string.Join(", ", bands)}");
    }

    [Theory]
    [InlineData(0.0, 1)]
    [InlineData(0.5, 2)]
    public void Optimum_IsTheDfsEquilibrium(double tau, int seed)
    {
        const int m = 96;
        var e = Economy(m, [1, 2], demand: [.. Enumerable.Range(0, m).Select(i => 1 + 0.5 * Math.Cos(2 * Math.PI * i / m))]);
        var reference = e.Reference(tau);
        var opt = e.Optimise(tau, new Random(seed));
        Assert.True(opt.Converged, $"not converged after {opt.Iterations} iterations, {opt.NegishiRounds} rounds: gap {opt.Gap}, ω = {opt.Equilibrium.RelativeWage} vs DFS {reference.RelativeWage}, shares {opt.Equilibrium.ExportShare}/{reference.ExportShare} {opt.Equilibrium.HomeShare}/{reference.HomeShare} shared {opt.SharedGoods} viol {opt.Violations} W {opt.Equilibrium.Welfare[0]}/{reference.Welfare[0]}");
        Assert.True(Math.Abs(opt.Equilibrium.RelativeWage / reference.RelativeWage - 1) < 1e-6,
            $"ω = {opt.Equilibrium.RelativeWage} vs DFS {reference.RelativeWage}");
        Assert.True(Math.Abs(opt.Equilibrium.ExportShare - reference.ExportShare) <= 2.0 / m, $"{opt.Equilibrium.ExportShare} vs {reference.ExportShare}");
        Assert.True(Math.Abs(opt.Equilibrium.HomeShare - reference.HomeShare) <= 2.0 / m, $"{opt.Equilibrium.HomeShare} vs {reference.HomeShare}");
        Assert.Equal(0, opt.Violations);
        Assert.Equal(0, e.MadeAgainst(opt, reference));
        Assert.True(opt.Slack <= RicardoEconomy.SlackTolerance, $"slack {opt.Slack}");
        if (tau == 0) Assert.True(opt.SharedGoods <= 2, $"{opt.SharedGoods} goods made by both countries under free trade");
        for (int d = 0; d < 2; d++)
        {
            Assert.True(Math.Abs(reference.Welfare[d] - opt.Equilibrium.Welfare[d]) < 1e-5, $"welfare of country {d}: {opt.Equilibrium.Welfare[d]} vs DFS {reference.Welfare[d]}");
            Assert.True(opt.Equilibrium.Welfare[d] > e.AutarkyWelfare(d), $"country {d} loses from trade");
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    public void Optimality_SeesLabourLeftWhereItPaysLessThanTheWage(double tau)
    {
        const int m = 64;
        var e = Economy(m, [1, 2]);
        var opt = e.Optimise(tau, new Random(3));
        Assert.True(opt.Converged, $"gap {opt.Gap}, slack {opt.Slack}");
        var at = e.Optimality(tau, opt.Own, opt.Export, opt.HomeWeight);
        Assert.True(at.Optimal);
        Assert.Equal(opt.Gap, at.Gap, 12);
        Assert.Equal(opt.Slack, at.Slack, 12);
        // Home takes over a little of foreign's home-market supply of the good just past the cutoff (where it pays
        // less than the wage): a little labour, so the excess return over the wage barely moves, but labour idle.
        var reference = e.Reference(tau);
        double g = Math.Exp(-tau);
        int wrong = Enumerable.Range(0, m).Where(x => e.Advantage[x] < g * reference.RelativeWage).MaxBy(x => e.Advantage[x]);
        var own = opt.Own.Select(a => a.ToArray()).ToArray();
        var export = opt.Export.Select(a => a.ToArray()).ToArray();
        double consumption = e.Productivity(0)[wrong] * own[0][wrong] + g * e.Productivity(1)[wrong] * export[1][wrong];
        double moved = 2 * RicardoEconomy.SlackTolerance * consumption / e.Productivity(0)[wrong];
        double total = own[0].Sum() + export[0].Sum();
        for (int x = 0; x < m; x++) { own[0][x] *= 1 - moved / total; export[0][x] *= 1 - moved / total; }
        own[0][wrong] += moved;
        var off = e.Optimality(tau, own, export, opt.HomeWeight);
        Assert.True(off.Slack > RicardoEconomy.SlackTolerance, $"slack {off.Slack}");
        Assert.True(off.Gap <= RicardoEconomy.GapTolerance, $"gap {off.Gap}: the excess-return test alone would pass it");
        Assert.False(off.Optimal);
    }

    [Fact]
    public void Economy_RejectsBadInput_InOneLine()
    {
        var space = new Space(16);
        var ones = Enumerable.Repeat(1.0, 16).ToArray();
        var ex = Assert.Throws<ArgumentException>(() => new RicardoEconomy(space, ones, [1, 0], [0, 3], [1, 1]));
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Throws<ArgumentException>(() => new RicardoEconomy(space, new double[16], [1, 1], [0, 3], [1, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RicardoEconomy(space, ones, [1, 1], [0, 3], [1, 1]).Reference(double.NaN));
    }
}
