using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.Tests.Model;

public class DemandTests
{
    private static readonly Space S = new(128);

    public static TheoryData<string> Kinds => new() { "mixture", "peaks", "uniform", "dirac", "custom" };

    private static Demand Make(string kind, double mass) => kind switch
    {
        "mixture" => Demand.Mixture(S, [0.5, 2.0, 7.0], [0.2, 0.6, 1.5], [1, 2, 0.5], mass),
        "peaks" => Demand.EvenPeaks(S, 3, 0.3, mass, phase: 0.1),
        "uniform" => Demand.Uniform(S, mass),
        "dirac" => Demand.NearDirac(S, 1.0, mass),
        _ => Demand.FromValues(S, Enumerable.Range(0, S.M).Select(m => 1.0 + Math.Sin(S.Grid[m])).ToArray(), mass),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Demand_IntegratesToItsMass(string kind)
    {
        foreach (var mass in new[] { 1.0, 7.5 })
        {
            var d = Make(kind, mass);
            Assert.Equal(mass, d.Mass);
            Assert.True(Math.Abs(S.Integrate(d.Values) - mass) < 1e-9, $"{kind}: ∫D = {S.Integrate(d.Values):G17}, mass {mass}");
            foreach (var v in d.Values) Assert.True(v >= 0);
        }
    }

    [Fact]
    public void EvenPeaks_HasKEqualMaxima_AtEvenlySpacedCentres()
    {
        var d = Demand.EvenPeaks(new Space(120), 4, 0.2, 1.0);
        // Peaks at 0, π/2, π, 3π/2 = grid indices 0, 30, 60, 90.
        foreach (int m in new[] { 0, 30, 60, 90 })
        {
            Assert.Equal(d.Values[0], d.Values[m], 12);
            Assert.True(d.Values[m] > d.Values[m + 1] && d.Values[m] > d.Values[(m + 119) % 120]);
        }
        Assert.True(d.Values[15] < 1e-3 * d.Values[0]);
    }

    [Fact]
    public void NearDirac_IsOneGridSpacingWide_AndCentredOnMu()
    {
        int i0 = 40;
        var d = Demand.NearDirac(S, S.Grid[i0], 1.0);
        Assert.Equal(DemandKind.Dirac, d.Kind);
        double mean = 0, var2 = 0;
        for (int m = 0; m < S.M; m++)
        {
            double x = WrappedNormal.Wrap(S.Grid[m] - S.Grid[i0]);
            mean += S.Delta * d.Values[m] * x;
            var2 += S.Delta * d.Values[m] * x * x;
        }
        Assert.True(Math.Abs(mean) < 1e-12, $"mean offset {mean}");
        Assert.True(Math.Abs(Math.Sqrt(var2) - S.Delta) < 1e-6 * S.Delta, $"width {Math.Sqrt(var2)} vs Δ {S.Delta}");
        Assert.Equal(i0, Array.IndexOf(d.ToArray(), d.ToArray().Max()));
    }

    [Fact]
    public void Uniform_IsConstantMassOverTwoPi()
    {
        var d = Demand.Uniform(S, 3.0);
        foreach (var v in d.Values) Assert.Equal(3.0 / (2 * Math.PI), v, 15);
    }

    [Fact]
    public void Values_AreACopy_DemandStaysImmutable()
    {
        var d = Demand.Uniform(S, 1.0);
        var copy = d.ToArray();
        copy[0] = 99;
        Assert.NotEqual(99, d.Values[0]);
    }

    [Fact]
    public void Factories_RejectBadParameters_NamingParameterAndValue()
    {
        var e1 = Assert.Throws<ArgumentException>(() => Demand.Mixture(S, [0.0], [-0.1], [1.0], 1.0));
        Assert.Contains("sigmas[0]", e1.Message);
        Assert.Contains("-0.1", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => Demand.Uniform(S, double.NaN));
        Assert.Contains("mass", e2.Message);
        Assert.Contains("NaN", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => Demand.Mixture(S, [0.0, 1.0], [0.1, 0.1], [1.0, -2.0], 1.0));
        Assert.Contains("weights[1]", e3.Message);
        Assert.Throws<ArgumentException>(() => Demand.EvenPeaks(S, 0, 0.1, 1.0));
        Assert.Contains("too narrow", Assert.Throws<ArgumentException>(() => Demand.Mixture(S, [S.Delta / 2], [1e-4], [1.0], 1.0)).Message);
    }

    [Fact]
    public void HistogramCsv_RoundTrip_ReproducesTheDemand()
    {
        var d = Make("mixture", 2.5);
        using var dir = new TempDir();
        var path = dir.File("d.csv");
        d.SaveCsv(path);
        var back = Demand.FromHistogramCsv(S, path, 2.5);
        Assert.Equal(DemandKind.Histogram, back.Kind);
        TestUtil.AssertClose(d.ToArray(), back.ToArray(), 1e-12);
    }

    [Fact]
    public void HistogramCsv_ValuesOnly_InterpolatesLinearlyOnTheCircle()
    {
        using var dir = new TempDir();
        var path = dir.File("v.csv");
        // Four values at x = 0, π/2, π, 3π/2; the grid of M = 8 falls on them and halfway between.
        File.WriteAllText(path, "# demand\n1\n3\n5\n3\n");
        var s8 = new Space(8);
        var d = Demand.FromHistogramCsv(s8, path, 1.0);
        double[] shape = [1, 2, 3, 4, 5, 4, 3, 2]; // halfway between 3 (3π/2) and 1 (wraps to 0) is 2
        double scale = 1.0 / s8.Integrate(shape);
        TestUtil.AssertClose(shape.Select(v => v * scale).ToArray(), d.ToArray(), 1e-14);
    }

    [Fact]
    public void HistogramCsv_Errors_NameTheProblem()
    {
        using var dir = new TempDir();
        var missing = dir.File("nope.csv");
        var e0 = Assert.Throws<FileNotFoundException>(() => Demand.FromHistogramCsv(S, missing, 1.0));
        Assert.Contains(missing, e0.Message);

        var bad = dir.File("bad.csv");
        File.WriteAllText(bad, "x,value\n0,1\n1,abc\n");
        var e1 = Assert.Throws<InvalidDataException>(() => Demand.FromHistogramCsv(S, bad, 1.0));
        Assert.Contains("line 3, column 2", e1.Message);
        Assert.Contains("not a number", e1.Message);
        Assert.DoesNotContain("abc", e1.Message); // the position, never the file's text

        var neg = dir.File("neg.csv");
        File.WriteAllText(neg, "1\n-2\n3\n");
        var e2 = Assert.Throws<InvalidDataException>(() => Demand.FromHistogramCsv(S, neg, 1.0));
        Assert.Contains("line 2", e2.Message);
        Assert.Contains("-2", e2.Message);

        var nan = dir.File("nan.csv");
        File.WriteAllText(nan, "1\nNaN\n");
        Assert.Contains("NaN", Assert.Throws<InvalidDataException>(() => Demand.FromHistogramCsv(S, nan, 1.0)).Message);

        var empty = dir.File("empty.csv");
        File.WriteAllText(empty, "# nothing\n\n");
        Assert.Contains("no data", Assert.Throws<InvalidDataException>(() => Demand.FromHistogramCsv(S, empty, 1.0)).Message);

        var zeros = dir.File("zeros.csv");
        File.WriteAllText(zeros, "0\n0\n");
        Assert.Throws<InvalidDataException>(() => Demand.FromHistogramCsv(S, zeros, 1.0));
    }

    [Fact]
    public void DemandSeries_Drifting_ShiftsPeaksByTheStep()
    {
        var s = new Space(64);
        double step = 2 * Math.PI / 64 * 3; // three grid points per step
        var series = DemandSeries.Drifting(s, 2, 0.3, 1.0, step, 4);
        Assert.Equal(4, series.Count);
        for (int t = 0; t < 4; t++)
        {
            Assert.Equal(1.0, s.Integrate(series[t].Values), 12);
            for (int m = 0; m < 64; m++) Assert.Equal(series[0].Values[m], series[t].Values[(m + 3 * t) % 64], 12);
        }
        Assert.Throws<ArgumentException>(() => DemandSeries.Drifting(s, 2, 0.3, 1.0, double.NaN, 4));
        Assert.Throws<ArgumentException>(() => new DemandSeries([Demand.Uniform(s, 1), Demand.Uniform(new Space(32), 1)]));
    }
}
