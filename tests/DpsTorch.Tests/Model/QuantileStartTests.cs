// The efficient-coding starts (agents.init "quantiles" and "quantiles-spacing", Model/Initialization.cs): the same
// preferred stimuli from the same seed, widths proportional to the local spacing of the placement for the second, equal
// widths on a flat demand, and the config value parsed by name with a one-line error for a wrong one.
using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.Tests.Model;

public class QuantileStartTests
{
    private static double[] Bumpy(int m)
    {
        var d = new double[m];
        for (int j = 0; j < m; j++)
        {
            double x = 2 * Math.PI * j / m;
            d[j] = 0.2 + Math.Exp(-0.5 * Math.Pow((x - 2.0) / 0.4, 2)) + 0.5 * Math.Exp(-0.5 * Math.Pow((x - 4.5) / 1.0, 2));
        }
        return d;
    }

    [Fact]
    public void QuantilesSpacing_PlacesAsQuantiles_WithWidthsProportionalToTheLocalSpacing()
    {
        var demand = Bumpy(512);
        const int n = 10;
        const double sigma = 0.1, sigmaMin = 1e-3;
        var q = Initialization.Create(InitKind.Quantiles, n, sigmaMin, sigma, jitter: 0, seed: 7, demand: demand);
        var s = Initialization.Create(InitKind.QuantilesSpacing, n, sigmaMin, sigma, jitter: 0, seed: 7, demand: demand);
        Assert.Equal(q.Mu, s.Mu);
        Assert.Equal(q.Alpha, s.Alpha);
        var spacing = Initialization.LocalSpacings(s.Mu);
        Assert.Equal(2 * Math.PI, spacing.Sum(), 1e-12);
        double Width(double rho) => sigmaMin + Math.Log(1 + Math.Exp(rho));
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(sigma, Width(q.Rho[i]), 1e-12);
            Assert.Equal(sigma * spacing[i] * n / (2 * Math.PI), Width(s.Rho[i]), 1e-12);
        }
        // The bump at 2.0 is dense: the narrowest start sits there, the broadest in the flat stretch.
        int narrowest = Enumerable.Range(0, n).MinBy(i => s.Rho[i]);
        Assert.InRange(s.Mu[narrowest], 1.5, 2.5);
        Assert.True(s.Rho.Max() - s.Rho.Min() > 1, "the widths should differ by a large factor on this demand");
    }

    [Fact]
    public void OnAFlatDemand_QuantilesSpacing_IsQuantiles()
    {
        var flat = Enumerable.Repeat(1.0, 360).ToArray();
        var q = Initialization.Create(InitKind.Quantiles, 8, 1e-3, null, jitter: 0.01, seed: 3, demand: flat);
        var s = Initialization.Create(InitKind.QuantilesSpacing, 8, 1e-3, null, jitter: 0.01, seed: 3, demand: flat);
        Assert.Equal(q.Mu, s.Mu);
        for (int i = 0; i < 8; i++) Assert.Equal(q.Rho[i], s.Rho[i], 1e-9);
    }

    [Fact]
    public void LocalSpacings_WrapAround()
    {
        var sp = Initialization.LocalSpacings([0.5, 1.0, 6.0]);
        Assert.Equal(0.5 * (1.0 - (6.0 - 2 * Math.PI)), sp[0], 12);
        Assert.Equal(0.5 * (6.0 - 0.5), sp[1], 12);
        Assert.Equal(0.5 * (0.5 + 2 * Math.PI - 1.0), sp[2], 12);
        Assert.Equal([2 * Math.PI], Initialization.LocalSpacings([1.0]));
    }

    [Fact]
    public void TheConfigValue_IsParsed_AndAWrongOneIsAOneLineError()
    {
        var c = ConfigLoader.Parse("""{ "agents": { "init": "quantiles-spacing" }, "training": { "newton": 3 } }""");
        Assert.Equal(InitKind.QuantilesSpacing, c.Agents.Init);
        Assert.Equal(3, c.Training.Newton);
        Assert.Null(ConfigLoader.Parse("{}").Training.Newton);
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""{ "agents": { "init": "quantile-spacing" } }"""));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("agents.init", e.Message);
        Assert.Contains("quantiles-spacing", e.Message);
        var n = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""{ "training": { "newton": -1 } }"""));
        Assert.Contains("training.newton", n.Message);
        Assert.DoesNotContain('\n', n.Message);
    }
}
