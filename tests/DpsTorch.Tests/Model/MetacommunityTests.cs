// The spatial insurance metacommunity (Model/Metacommunity.cs): the fast scheme (resource at quasi-steady state,
// Strang splitting of dispersal and growth) follows the original equations integrated by RK4 with the resource as a
// state variable; without dispersal the patches are independent; the measures do not move when the step is halved.
using DpsTorch.Model;

namespace DpsTorch.Tests.Model;

public class MetacommunityTests
{
    private static readonly MetacommunityParameters Small = new() { Species = 5, Patches = 4, Period = 400 };

    private static double[] Start(int size, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, size).Select(_ => 0.5 + 2 * rng.NextDouble())];
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.05)]
    [InlineData(0.5)]
    public void FastScheme_FollowsTheFullEquations(double dispersal)
    {
        var model = new Metacommunity(Small);
        int size = Small.Species * Small.Patches;
        var fast = Start(size, 1);
        var full = (double[])fast.Clone();
        // The full model starts with its resource at the quasi-steady state of the initial consumers.
        var resource = new double[Small.Patches];
        for (int j = 0; j < Small.Patches; j++)
        {
            double uptake = 0;
            for (int i = 0; i < Small.Species; i++) uptake += model.Consumption(i, j, 0) * full[i * Small.Patches + j];
            resource[j] = Small.Inflow / (Small.Outflow + uptake);
        }
        model.Simulate(fast, dispersal, duration: 200, window: 100, step: 0.25, sampleEvery: 1);
        model.IntegrateFull(full, resource, dispersal, duration: 200, step: 0.002);
        double total = full.Sum();
        for (int q = 0; q < size; q++)
            Assert.True(Math.Abs(fast[q] - full[q]) < 0.01 * total / size + 0.01 * full[q], $"state {q}: fast {fast[q]}, full {full[q]}");
    }

    [Fact]
    public void WithoutDispersal_PatchesAreIndependent()
    {
        var model = new Metacommunity(Small);
        int size = Small.Species * Small.Patches;
        var a = Start(size, 2);
        var b = (double[])a.Clone();
        for (int i = 0; i < Small.Species; i++) b[i * Small.Patches + 3] *= 5; // change only patch 3
        model.Simulate(a, 0, 400, 100, 1, 10);
        model.Simulate(b, 0, 400, 100, 1, 10);
        for (int i = 0; i < Small.Species; i++)
            for (int j = 0; j < 3; j++) Assert.Equal(a[i * Small.Patches + j], b[i * Small.Patches + j]);
        Assert.NotEqual(a[3], b[3]);
    }

    [Fact]
    public void HighDispersal_EqualisesPatches_AndHalvingTheStepKeepsTheMeasures()
    {
        var p = Small with { Species = 8, Patches = 6, Period = 2000 };
        var model = new Metacommunity(p);
        var coarse = Start(p.Species * p.Patches, 3);
        var fine = (double[])coarse.Clone();
        var m1 = model.Simulate(coarse, 0.01, 6000, 2000, 1, 10);
        var m2 = model.Simulate(fine, 0.01, 6000, 2000, 0.5, 10);
        Assert.Equal(m2.Productivity, m1.Productivity, m2.Productivity * 2e-3);
        Assert.Equal(m2.Alpha, m1.Alpha, m2.Alpha * 1e-2);
        Assert.Equal(m2.Gamma, m1.Gamma, m2.Gamma * 1e-2);
        Assert.Equal(m2.LocalCv, m1.LocalCv, m2.LocalCv * 3e-2);
        var mixed = Start(p.Species * p.Patches, 4);
        var high = model.Simulate(mixed, 100, 6000, 2000, 1, 10);
        Assert.Equal(1, high.Beta, 1e-3); // one well-mixed community: γ = α
    }

    [Fact]
    public void BadInput_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new Metacommunity(new MetacommunityParameters { Species = 1 }));
        Assert.Throws<ArgumentException>(() => new Metacommunity(new MetacommunityParameters { Inflow = double.NaN }));
        var model = new Metacommunity(Small);
        Assert.Throws<ArgumentException>(() => model.Simulate(new double[3], 0.1, 10, 5, 1, 1));
        Assert.Throws<ArgumentException>(() => model.Simulate(new double[20], -1, 10, 5, 1, 1));
        Assert.Throws<ArgumentException>(() => model.Simulate(new double[20], 0.1, 10, 20, 1, 1));
    }
}
