// The MacArthur community (Model/Community.cs): its equilibrium is the stable end point of the Lotka-Volterra
// dynamics, satisfies the complementarity conditions and minimises MacArthur's quantity; the Loreau-Hector partition
// is an identity on computed monocultures and mixtures.
using DpsTorch.Model;

namespace DpsTorch.Tests.Model;

public class CommunityTests
{
    private static Community Pool(int n, int seed, double width = 0.3, int m = 128)
    {
        var space = new Space(m);
        var rng = new Random(seed);
        double[] mu = new double[n], sigma = new double[n], mort = new double[n];
        for (int i = 0; i < n; i++)
        {
            mu[i] = 2 * Math.PI * rng.NextDouble();
            sigma[i] = width * (0.6 + 0.8 * rng.NextDouble());
            mort[i] = 0.1 + 0.4 * rng.NextDouble();
        }
        var supply = Demand.EvenPeaks(space, 3, 0.6, 12).ToArray();
        return new Community(space, supply, mu, sigma, mort);
    }

    [Fact]
    public void Equilibrium_IsWhereTheLotkaVolterraDynamicsEnd()
    {
        var c = Pool(8, 1);
        var eq = c.Equilibrium();
        var end = c.Integrate(Enumerable.Repeat(0.1, 8).ToArray(), 0.05, 40_000);
        Assert.Contains(eq, v => v == 0); // some species are excluded, so the test covers the active set
        for (int i = 0; i < 8; i++) Assert.True(Math.Abs(eq[i] - end[i]) < 1e-6, $"species {i}: equilibrium {eq[i]}, dynamics {end[i]}");
    }

    [Fact]
    public void Equilibrium_MeetsTheComplementarityConditions_AndMinimisesMacArthursQuantity()
    {
        var c = Pool(12, 2);
        var eq = c.Equilibrium();
        for (int i = 0; i < 12; i++)
        {
            double g = c.GrowthRate(i, eq);
            if (eq[i] > 0) Assert.True(Math.Abs(g) < 1e-10, $"present species {i} has growth rate {g}");
            else Assert.True(g <= 1e-10, $"absent species {i} could invade: growth rate {g}");
        }
        double q = c.Objective(eq);
        var rng = new Random(3);
        for (int t = 0; t < 50; t++)
        {
            var p = eq.Select(v => Math.Max(0, v + 0.05 * (rng.NextDouble() - 0.5))).ToArray();
            Assert.True(c.Objective(p) >= q - 1e-12, $"perturbation {t} lowers Q: {c.Objective(p)} < {q}");
        }
    }

    [Fact]
    public void Monoculture_IsCapacityOverSelfCompetition_InClosedForm()
    {
        var space = new Space(256);
        var supply = Demand.Uniform(space, 10).ToArray();
        var c = new Community(space, supply, [1.0], [0.25], [0.2]);
        // Uniform supply D = 10/2π: K = 0.8·10/2π, α = ∫ s² = 1/(2σ√π) for a narrow wrapped normal.
        double expected = 0.8 * 10 / (2 * Math.PI) * 2 * 0.25 * Math.Sqrt(Math.PI);
        Assert.Equal(expected, c.Equilibrium([0])[0], 10);
    }

    [Fact]
    public void Partition_IsAnIdentity_OnComputedMonoculturesAndMixtures()
    {
        var c = Pool(16, 4);
        var mono = Enumerable.Range(0, 16).Select(i => c.Equilibrium([i])[i]).ToArray();
        var rng = new Random(5);
        foreach (int s in new[] { 2, 4, 8, 16 })
        {
            var members = Enumerable.Range(0, 16).OrderBy(_ => rng.Next()).Take(s).ToArray();
            var eq = c.Equilibrium(members);
            var p = BiodiversityPartition.Of([.. members.Select(i => eq[i])], [.. members.Select(i => mono[i])]);
            Assert.Equal(p.Net, p.Complementarity + p.Selection, 12);
            Assert.Equal(members.Sum(i => eq[i]), p.Yield, 12);
            Assert.True(p.Overyields, $"S = {s}: niche differences should give overyielding, got ΔY = {p.Net}");
        }
    }

    [Fact]
    public void Partition_MatchesAHandComputedExample()
    {
        // Two species: monocultures 2 and 4, mixture yields 1.5 and 1. ΔRY = (0.75 − 0.5, 0.25 − 0.5) = (0.25, −0.25);
        // Y_E = 3, ΔY = −0.5; CE = 2·0·3 = 0; SE = 2·cov((0.25, −0.25), (2, 4)) = 2·(−0.25) = −0.5.
        var p = BiodiversityPartition.Of([1.5, 1.0], [2.0, 4.0]);
        Assert.Equal(3.0, p.Expected, 14);
        Assert.Equal(-0.5, p.Net, 14);
        Assert.Equal(0.0, p.Complementarity, 14);
        Assert.Equal(-0.5, p.Selection, 14);
    }

    [Fact]
    public void BadInput_IsRefused_NamingTheValue()
    {
        var space = new Space(64);
        var supply = new double[64];
        Assert.Contains("sigma[0]", Assert.Throws<ArgumentException>(() => new Community(space, supply, [1.0], [0.0], [0.1])).Message);
        Assert.Contains("mortality[0]", Assert.Throws<ArgumentException>(() => new Community(space, supply, [1.0], [0.2], [1.0])).Message);
        Assert.Contains("must match", Assert.Throws<ArgumentException>(() => new Community(space, supply, [1.0, 2.0], [0.2], [0.1])).Message);
        Assert.Contains("monoculture[0]", Assert.Throws<ArgumentException>(() => BiodiversityPartition.Of([1.0], [0.0])).Message);
    }
}
