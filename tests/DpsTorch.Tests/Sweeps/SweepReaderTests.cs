// The sweep block: grid and list expansion, seeds, run names, and errors that name the key in the sweep block.
using DpsTorch.Config;
using DpsTorch.Sweeps;

namespace DpsTorch.Tests.Sweeps;

public class SweepReaderTests
{
    private const string Base = """
        "space": { "m": 32 }, "training": { "steps": 10, "restarts": 1, "seed": 5 }, "measures": { "resilienceSteps": 0 }
        """;

    private static SweepPlan Plan(string sweep) => SweepReader.Parse($$"""{ {{Base}}, "sweep": {{sweep}} }""");

    [Fact]
    public void Grid_IsCartesianProduct_FirstKeySlowest_SeedsInnermost()
    {
        var plan = Plan("""{ "grid": { "agents.count": [3, 4, 6], "demand.peaks": [2, 5] }, "seeds": 2 }""");
        Assert.Equal(["agents.count", "demand.peaks"], plan.Keys);
        Assert.Equal(12, plan.Points.Count);
        var p7 = plan.Points[7]; // count index 1, peaks index 1, seed 1
        Assert.Equal("run-0007", p7.Run);
        Assert.Equal(["4", "5"], p7.Values.Select(v => v.Text));
        Assert.Equal(1, p7.Seed);
        var c = plan.ConfigFor(p7);
        Assert.Equal(4, c.Agents.Count);
        Assert.Equal(5, c.Demand.Peaks);
        Assert.Equal(1, c.Training.Seed);
        Assert.Equal(32, c.Space.M);
        Assert.Equal(Enumerable.Range(0, 12), plan.Points.Select(p => p.Index));
        Assert.Equal(12, plan.Points.Select(p => p.Describe()).Distinct().Count());
    }

    [Fact]
    public void List_GivesExplicitPoints_CrossedWithGrid_MissingKeysLeftOut()
    {
        var plan = Plan("""{ "grid": { "agents.count": [6, 8] }, "list": [ { "topology.kind": "ring", "topology.k": 1 }, { "topology.kind": "star" } ], "seeds": [5] }""");
        Assert.Equal(["agents.count", "topology.kind", "topology.k"], plan.Keys);
        Assert.Equal(4, plan.Points.Count);
        Assert.Equal("agents.count=8, topology.kind=star, seed=5", plan.Points[3].Describe());
        var ring = plan.ConfigFor(plan.Points[2]);
        Assert.Equal((TopologyKind.Ring, 1, 8), (ring.Topology.Kind, ring.Topology.K, ring.Agents.Count));
        Assert.Equal(TopologyKind.Star, plan.ConfigFor(plan.Points[1]).Topology.Kind);
    }

    [Fact]
    public void Seeds_CountOrList_SetTrainingSeed_AndDefaultIsFiveFromTheBaseSeed()
    {
        Assert.Equal([0, 1, 2], Plan("""{ "seeds": 3 }""").Points.Select(p => p.Seed));
        var listed = Plan("""{ "seeds": [7, 11] }""");
        Assert.Equal([7, 11], listed.Points.Select(p => listed.ConfigFor(p).Training.Seed));
        // Statistics by default (issue 16): without seeds every point runs with five seeds from the base training.seed.
        var none = Plan("""{ "grid": { "agents.count": [3, 4] } }""");
        Assert.Equal(2 * SweepReader.DefaultSeeds, none.Points.Count);
        Assert.Equal([5, 6, 7, 8, 9, 5, 6, 7, 8, 9], none.Points.Select(p => none.ConfigFor(p).Training.Seed));
        Assert.True(none.SeedsSwept);
        // "seeds": 1 keeps one run per point, and a grid that sweeps training.seed itself gets no default seeds.
        var one = Plan("""{ "grid": { "agents.count": [3] }, "seeds": 1 }""");
        Assert.Equal(0, Assert.Single(one.Points).Seed);
        var own = Plan("""{ "grid": { "agents.count": [3], "training.seed": [2, 4] } }""");
        Assert.Equal([2, 4], own.Points.Select(p => own.ConfigFor(p).Training.Seed));
        Assert.False(own.SeedsSwept);
        var e = Assert.Throws<ConfigException>(() => SweepReader.Parse($$"""{ "training": { "seed": {{int.MaxValue}} }, "sweep": { "grid": { "agents.count": [3] } } }"""));
        Assert.Equal("training.seed", e.Key);
    }

    [Fact]
    public void NoSweepBlock_IsOneRunOfTheConfig()
    {
        var plan = SweepReader.Parse($$"""{ {{Base}}, "agents": { "count": 7 } }""");
        Assert.Empty(plan.Keys);
        Assert.Equal(7, plan.ConfigFor(Assert.Single(plan.Points)).Agents.Count);
    }

    [Fact]
    public void BaseConfig_NeedOnlyBeValidWithTheSweptValues()
    {
        // topology.k = 2 needs agents.count > 4: invalid in the base (count 3), valid in every run.
        var plan = SweepReader.Parse($$"""{ {{Base}}, "agents": { "count": 3 }, "topology": { "kind": "ring", "k": 2 }, "sweep": { "grid": { "agents.count": [5, 8] }, "seeds": 1 } }""");
        Assert.Equal(2, plan.Points.Count);
    }

    [Theory]
    [InlineData("""{ "x": 1 }""", "sweep.x")]
    [InlineData("""{ "grid": { "x": [1] } }""", "sweep.grid.x")]
    [InlineData("""{ "grid": { "agents.cuont": [3] } }""", "sweep.grid.agents.cuont")]
    [InlineData("""{ "grid": { "agents.count": [3, 0] } }""", "sweep.grid.agents.count")]
    [InlineData("""{ "grid": { "agents.count": [] } }""", "sweep.grid.agents.count")]
    [InlineData("""{ "grid": { "agents.count": 3 } }""", "sweep.grid.agents.count")]
    [InlineData("""{ "grid": { "agents..count": [3] } }""", "sweep.grid.agents..count")]
    [InlineData("""{ "grid": [1, 2] }""", "sweep.grid")]
    [InlineData("""{ "list": [ { "demand.kind": "peaks" }, { "demand.kind": "zigzag" } ] }""", "sweep.list[1].demand.kind")]
    [InlineData("""{ "grid": { "agents.count": [3] }, "list": [ { "agents.count": 4 } ] }""", "sweep.list[0].agents.count")]
    [InlineData("""{ "seeds": 0 }""", "sweep.seeds")]
    [InlineData("""{ "seeds": [1, 1] }""", "sweep.seeds")]
    [InlineData("""{ "seeds": 2, "grid": { "training.seed": [1, 2] } }""", "sweep.seeds")]
    [InlineData("""{ "grid": { "sweep.seeds": [1] } }""", "sweep.grid.sweep.seeds")]
    [InlineData("""[1]""", "sweep")]
    public void BadSweep_ThrowsConfigException_NamingTheSweepKey(string sweep, string key)
    {
        var e = Assert.Throws<ConfigException>(() => Plan(sweep));
        Assert.Equal(key, e.Key);
    }

    [Fact]
    public void CombinationInvalidOnlyTogether_NamesTheRunAndItsValues()
    {
        var e = Assert.Throws<ConfigException>(() => SweepReader.Parse(
            $$"""{ {{Base}}, "topology": { "kind": "ring", "k": 2 }, "sweep": { "grid": { "agents.count": [8, 4] }, "seeds": [5] } }"""));
        Assert.Equal("sweep", e.Key);
        Assert.Contains("run-0001 (agents.count=4, seed=5)", e.Message);
        Assert.Contains("topology.k", e.Message);
    }

    [Fact]
    public void Overrides_ApplyToBaseAndSweepBlock()
    {
        var plan = SweepReader.Parse($$"""{ {{Base}} }""", overrides: ["sweep.seeds=2", "agents.count=9"]);
        Assert.Equal(2, plan.Points.Count);
        Assert.Equal(9, plan.ConfigFor(plan.Points[1]).Agents.Count);
    }

    [Theory]
    [InlineData(0, 10, "run-0000")]
    [InlineData(12345, 20000, "run-12345")]
    [InlineData(7, 100000, "run-00007")]
    public void RunName_IsZeroPadded_ToAtLeastFourDigits(int index, int count, string name)
        => Assert.Equal(name, SweepPlan.RunName(index, count));
}
