using DpsTorch.Config;

namespace DpsTorch.Tests.Config;

public class ConfigLoaderTests
{
    [Fact]
    public void Parse_EmptyObject_GivesDocumentedDefaults()
    {
        var c = ConfigLoader.Parse("{}");
        Assert.Equal(256, c.Space.M);
        Assert.Equal(12, c.Agents.Count);
        Assert.Equal(InitKind.Auto, c.Agents.Init);
        Assert.Equal(ObjectiveKind.System, c.Objective.Kind);
        Assert.Equal(OptimizerKind.Adam, c.Training.Optimizer);
        Assert.Equal(0.02, c.Training.Lr);
        Assert.Equal(0.0, c.Objective.LambdaC);
    }

    [Fact]
    public void Parse_ReadsNestedValues_AndRoundTripsThroughToJson()
    {
        var c = ConfigLoader.Parse("""
            { "agents": { "count": 24, "init": "homogeneous" },
              "demand": { "kind": "mixture", "centers": [1, 2], "widths": [0.1, 0.2], "weights": [1, 3] },
              "topology": { "kind": "ring", "k": 3, "learned": true },
              "objective": { "kind": "local", "lambdaC": 0.5 },
              "training": { "steps": 10, "seed": 7 } }
            """);
        Assert.Equal(24, c.Agents.Count);
        Assert.Equal([1.0, 2.0], c.Demand.Centers!);
        Assert.Equal(3, c.Topology.K);
        Assert.True(c.Topology.Learned);
        var again = ConfigLoader.Parse(ConfigLoader.ToJson(c));
        Assert.Equal(ConfigLoader.ToJson(c), ConfigLoader.ToJson(again));
    }

    [Theory]
    [InlineData("""{ "agents": { "cuont": 3 } }""", "agents.cuont", "unknown key")]
    [InlineData("""{ "agent": {} }""", "agent", "unknown key")]
    [InlineData("""{ "agents": { "count": -3 } }""", "agents.count", "-3")]
    [InlineData("""{ "agents": { "count": 2.5 } }""", "agents.count", "integer")]
    [InlineData("""{ "agents": { "count": "twelve" } }""", "agents.count", "\"twelve\"")]
    [InlineData("""{ "training": { "lr": 0 } }""", "training.lr", "> 0")]
    [InlineData("""{ "topology": { "kind": "torus" } }""", "topology.kind", "\"ring\"")]
    [InlineData("""{ "topology": { "kind": "ring", "k": 6 }, "agents": { "count": 12 } }""", "topology.k", "2k < agents.count")]
    [InlineData("""{ "demand": { "kind": "mixture" } }""", "demand.centers", "non-empty")]
    [InlineData("""{ "demand": { "kind": "histogram", "path": "nope.csv" } }""", "demand.path", "not found")]
    [InlineData("""{ "measures": { "fractions": [0, 1.5] } }""", "measures.fractions[1]", "1.5")]
    [InlineData("""[1, 2]""", "config", "JSON object")]
    [InlineData("""{ "space": { "m": 2 } }""", "space.m", "[8, 65536]")]
    public void Parse_BadInput_NamesKeyValueAndWhatIsAllowed(string json, string key, string fragment)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(json));
        Assert.StartsWith(key, ex.Message);
        Assert.Contains(fragment, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Parse_InvalidJson_NamesTheLine()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("{\n \"agents\": { \"count\": 3,, }\n}"));
        Assert.Contains("line 2", ex.Message);
    }

    [Fact]
    public void Overrides_SetNestedKeys_AndAreValidatedLikeTheFile()
    {
        var c = ConfigLoader.Parse("{}", overrides: ["agents.count=30", "topology.kind=ring", "training.lr=0.1"]);
        Assert.Equal(30, c.Agents.Count);
        Assert.Equal(TopologyKind.Ring, c.Topology.Kind);
        Assert.Equal(0.1, c.Training.Lr);
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("{}", overrides: ["agents.count=-1"]));
        Assert.StartsWith("agents.count", ex.Message);
        Assert.Throws<ConfigException>(() => ConfigLoader.Parse("{}", overrides: ["noequals"]));
    }

    [Fact]
    public void Load_MissingFile_NamesThePath()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Load("/nonexistent/x.json"));
        Assert.Contains("/nonexistent/x.json", ex.Message);
    }

    private const string TwoLevels = """
        { "space": { "m": 32 }, "agents": { "count": 4 },
          "demand": { "kind": "mixture", "centers": [1, 2], "widths": [0.1, 0.2], "weights": [1, 3] },
          "levels": [ { "size": 2, "lambdaC": 0.1 }, { "size": 2, "lambdaC": 0.3 } ] }
        """;

    [Fact]
    public void Set_WithANumericPart_IndexesAnExistingArrayElement()
    {
        var c = ConfigLoader.Parse(TwoLevels, overrides: ["levels.1.lambdaC=2", "levels.0.topology.kind=complete", "demand.centers.1=2.5"]);
        Assert.Equal(0.1, c.Levels![0].LambdaC);
        Assert.Equal(2.0, c.Levels[1].LambdaC);
        Assert.Equal(TopologyKind.Complete, c.Levels[0].Topology.Kind);
        Assert.Equal([1.0, 2.5], c.Demand.Centers!);
    }

    [Theory]
    [InlineData("levels.2.lambdaC=1", "levels.2", "0 to 1")]
    [InlineData("levels.-1.lambdaC=1", "levels.-1", "0 to 1")]
    [InlineData("levels.x.lambdaC=1", "levels.x", "0 to 1")]
    [InlineData("demand.centers.0.x=1", "demand.centers.0", "an object or array")]
    [InlineData("demand.centers.7=1", "demand.centers.7", "0 to 1")]
    public void Set_IntoAnArray_NamesTheKey_WhenTheIndexOrNodeIsWrong(string assignment, string key, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(TwoLevels, overrides: [assignment]));
        Assert.StartsWith($"{key}:", ex.Message);
        Assert.Contains(expected, ex.Message);
    }
}
