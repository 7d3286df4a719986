// The start at the demand's modes (issue 13): modes read off the demand, group sizes, the interleaving that makes a
// ring tiling, and that the start is (close to) the reference optimum it aims at.
using DpsTorch.IO;
using DpsTorch.Model;
using DpsTorch.Model.Search;

using DpsTorch.Config;

namespace DpsTorch.Tests.Model.Search;

public class StructuredStartsTests
{
    private static (Space Space, IReadOnlyList<double[]> Frames) Demand(string demand)
    {
        var c = ConfigLoader.Parse($$"""{ "demand": {{demand}} }""");
        var space = new Space(c.Space.M);
        return (space, SystemBuilder.DemandFrames(c, space));
    }

    [Fact]
    public void Modes_OfEqualPeaks_AreTheirCentresWidthsAndEqualMasses()
    {
        var (space, frames) = Demand("""{ "kind": "peaks", "peaks": 5, "width": 0.15 }""");
        var modes = StructuredStarts.Modes(space, frames);
        Assert.Equal(5, modes.Count);
        var centres = ReferenceStates.EvenCenters(5);
        foreach (var mode in modes)
        {
            Assert.Contains(centres, c => Math.Abs(Math.IEEERemainder(c - mode.Center, 2 * Math.PI)) <= 1e-6);
            Assert.Equal(0.15, mode.Width, 2);
            Assert.Equal(0.2, mode.Mass, 3);
        }
    }

    [Fact]
    public void Modes_OfTheBimodalMixture_CarryItsWidthsAndWeights()
    {
        var (space, frames) = Demand("""{ "kind": "mixture", "centers": [0.7, 3.9], "widths": [0.25, 0.4], "weights": [0.6, 0.4] }""");
        var modes = StructuredStarts.Modes(space, frames);
        Assert.Equal(2, modes.Count);
        Assert.Equal(0.7, modes[0].Center, 1);
        Assert.Equal(3.9, modes[1].Center, 1);
        Assert.Equal(0.25, modes[0].Width, 2);
        Assert.Equal(0.4, modes[1].Width, 1);
        Assert.Equal(0.6, modes[0].Mass, 2);
    }

    [Fact]
    public void AFlatDemand_HasNoModes_AndTheModesStartFallsBackToSpread()
    {
        var (space, frames) = Demand("""{ "kind": "uniform" }""");
        Assert.Empty(StructuredStarts.Modes(space, frames));
        Assert.Null(StructuredStarts.AtModes(6, [], 0.02, 0.01, 0, 6, false));
        var m = SystemBuilder.Create(ConfigLoader.Parse("""{ "agents": { "count": 6, "init": "modes", "jitter": 0 }, "demand": { "kind": "uniform" } }"""));
        var sorted = m.Mu.ToArray().Select(x => (x % (2 * Math.PI) + 2 * Math.PI) % (2 * Math.PI)).Order().ToArray();
        for (int i = 1; i < sorted.Length; i++) Assert.Equal(2 * Math.PI / 6, sorted[i] - sorted[i - 1], 9);
    }

    [Fact]
    public void Interleave_TilesEqualGroups_AndSpreadsUnequalOnes()
    {
        Assert.Equal([0, 1, 2, 0, 1, 2, 0, 1, 2], StructuredStarts.Interleave([3, 3, 3]));
        var order = StructuredStarts.Interleave([6, 4]);
        Assert.Equal(6, order.Count(g => g == 0));
        Assert.Equal(4, order.Count(g => g == 1));
        // No two agents of the smaller group side by side.
        for (int i = 0; i < order.Length; i++) Assert.False(order[i] == 1 && order[(i + 1) % order.Length] == 1, string.Join(",", order));
    }

    [Fact]
    public void TheModesStart_IsTheRingTiling_WithinTheJitter()
    {
        var c = ConfigLoader.Parse("""
            { "agents": { "count": 24, "init": "modes", "jitter": 0 }, "demand": { "kind": "peaks", "peaks": 3, "width": 0.1 },
              "objective": { "kind": "local" }, "topology": { "kind": "ring", "k": 1 } }
            """);
        var m = SystemBuilder.Create(c);
        using var _ = TensorEngine.NoGrad();
        Assert.True(m.Loss().Total.Item() < 1e-6, $"loss at the start {m.Loss().Total.Item()}");
        // Neighbours on the ring hold different centres.
        for (int i = 0; i < 24; i++) Assert.NotEqual(m.Mu.Data[i], m.Mu.Data[(i + 1) % 24]);
    }

    [Fact]
    public void ModesStarts_OfDifferentSeeds_Differ()
    {
        var a = SystemBuilder.Create(ConfigLoader.Parse("""{ "agents": { "count": 9, "init": "modes" }, "training": { "seed": 1 } }"""));
        var b = SystemBuilder.Create(ConfigLoader.Parse("""{ "agents": { "count": 9, "init": "modes" }, "training": { "seed": 2 } }"""));
        Assert.NotEqual(a.Mu.ToArray(), b.Mu.ToArray());
    }

    [Fact]
    public void AutoInit_StartsAtTheModes_ThenSpreadHomogeneousRandom()
    {
        Assert.Equal([InitKind.Modes, InitKind.Spread, InitKind.Homogeneous, InitKind.Random, InitKind.Random], Enumerable.Range(0, 5).Select(r => Initialization.KindForRestart(InitKind.Auto, r)));
        Assert.Equal(InitKind.Spread, Initialization.KindForRestart(InitKind.Spread, 0));
    }
}
