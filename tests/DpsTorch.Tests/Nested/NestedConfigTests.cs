using DpsTorch.Config;
using DpsTorch.Nested;

namespace DpsTorch.Tests.Nested;

public class NestedConfigTests
{
    private const string Body = """ "agents": { "count": 8 }, "demand": { "kind": "peaks", "peaks": 2 } """;

    [Fact]
    public void Levels_AreRead_BottomFirst_WithTheirOwnTopologyCostAndDemand()
    {
        var c = ConfigLoader.Parse($$"""
            { {{Body}}, "levels": [
                { "name": "node", "size": 4, "topology": { "kind": "ring", "k": 1, "learned": true, "gamma": 2 }, "lambdaC": 0.01,
                  "demand": { "kind": "uniform" }, "demandObjective": "local", "demandWeight": 0.5 },
                { "name": "rack", "size": 2, "topology": { "kind": "complete" }, "lambdaC": 1.5 } ] }
            """);
        Assert.NotNull(c.Levels);
        Assert.Equal(2, c.Levels!.Count);
        Assert.Equal("node", c.Levels[0].Name);
        Assert.Equal(4, c.Levels[0].Size);
        Assert.True(c.Levels[0].Topology.Learned);
        Assert.Equal(2.0, c.Levels[0].Topology.Gamma);
        Assert.Equal(DemandKind.Uniform, c.Levels[0].Demand!.Kind);
        Assert.Equal(ObjectiveKind.Local, c.Levels[0].DemandObjective);
        Assert.Equal(1.5, c.Levels[1].LambdaC);
        Assert.Null(c.Levels[1].Demand);
        var s = NestedBuilder.Create(c);
        Assert.Equal(2, s.Levels[0].Groups);
        Assert.Equal(8, s.Levels[0].Interaction.Edges.Count);   // two rings of 4
        Assert.Equal(1, s.Levels[1].Groups);
    }

    [Fact]
    public void FlatConfig_HasNoLevels()
        => Assert.Null(ConfigLoader.Parse($$"""{ {{Body}} }""").Levels);

    [Fact]
    public void Levels_RoundTripThroughToJson()
    {
        var c = ConfigLoader.Parse($$"""{ {{Body}}, "levels": [ { "size": 2, "lambdaC": 0.5 }, { "size": 4, "topology": { "kind": "star" } } ] }""");
        var back = ConfigLoader.Parse(ConfigLoader.ToJson(c));
        Assert.Equal(c.Levels!.Count, back.Levels!.Count);
        for (int k = 0; k < c.Levels.Count; k++) Assert.Equal(c.Levels[k], back.Levels[k]);
    }

    [Theory]
    [InlineData("""[ { "size": 3 }, { "size": 2 } ]""", "levels[0].size")]
    [InlineData("""[ { "size": 2 }, { "size": 2 } ]""", "levels")]
    [InlineData("""[]""", "levels")]
    [InlineData("""[ { "size": 8, "colour": 1 } ]""", "levels[0].colour")]
    [InlineData("""[ { "size": 8, "topology": { "kind": "ring", "k": 4 } } ]""", "levels[0].topology.k")]
    [InlineData("""[ { "size": 8, "topology": { "propagation": "power" } } ]""", "levels[0].topology.propagation")]
    [InlineData("""[ { "size": 8, "demand": { "kind": "uniform" } } ]""", "levels[0].demand")]
    [InlineData("""[ { "size": 8, "demandObjective": "global" } ]""", "levels[0].demandObjective")]
    public void BadLevels_AreRejected_NamingTheKeyPath(string levels, string keyPath)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse($$"""{ {{Body}}, "levels": {{levels}} }"""));
        Assert.Equal(keyPath, e.Key);
    }

    [Fact]
    public void RootTopologyOrLambdaC_WithLevels_IsRejected()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse($$"""{ {{Body}}, "topology": { "kind": "ring" }, "levels": [ { "size": 8 } ] }"""));
        Assert.Equal("topology", e.Key);
        e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse($$"""{ {{Body}}, "objective": { "lambdaC": 1 }, "levels": [ { "size": 8 } ] }"""));
        Assert.Equal("objective.lambdaC", e.Key);
    }
}
