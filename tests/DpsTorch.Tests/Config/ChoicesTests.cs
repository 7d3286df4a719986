using System.Text.Json;
using DpsTorch.Config;

namespace DpsTorch.Tests.Config;

/// <summary>The choice enums: one naming rule for the reader, config.json and the schema; unknown names refused with the key.</summary>
public class ChoicesTests
{
    [Fact]
    public void Names_AreTheConfigStrings_InDeclarationOrder()
    {
        Assert.Equal(["none", "complete", "ring", "lattice", "star", "small-world", "random", "modular", "core-periphery", "hierarchical", "file"],
            Choices.Names<TopologyKind>());
        Assert.Equal(["peaks", "mixture", "uniform", "dirac", "histogram", "drifting"], Choices.Names<DemandKind>());
        Assert.Equal(["ring", "grid", "hops", "index", "coordinates"], Choices.Names<EmbeddingKind>());
        Assert.Equal("lbfgs", Choices.Name(OptimizerKind.Lbfgs));
        Assert.Equal("torchsharp", Choices.Name(TrainingBackend.Torchsharp));
        Assert.Equal("7", Choices.Name((MismatchKind)7));
    }

    [Fact]
    public void Parse_IsCaseInsensitive_AndInvertsName()
    {
        Assert.Equal(TopologyKind.SmallWorld, Choices.Parse<TopologyKind>("topology.kind", "Small-World"));
        foreach (var v in Enum.GetValues<TopologyKind>())
            Assert.Equal(v, Choices.Parse<TopologyKind>("topology.kind", Choices.Name(v).ToUpperInvariant()));
        Assert.Null(Choices.Find<ScheduleKind>("linear"));
    }

    [Fact]
    public void Parse_UnknownName_IsOneLine_NamingTheKeyTheValueAndTheAllowedNames()
    {
        var e = Assert.Throws<ConfigException>(() => Choices.Parse<MismatchKind>("objective.mismatch", "sqaured"));
        Assert.Equal("objective.mismatch", e.Key);
        Assert.Equal("objective.mismatch: \"sqaured\" is not allowed; expected one of \"squared\", \"unmet\", \"both\".", e.Message);
        // The config file reader gives the same line.
        var fromFile = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""{ "objective": { "mismatch": "sqaured" } }"""));
        Assert.Equal(e.Message, fromFile.Message);
    }

    [Fact]
    public void Check_RefusesACastIntegerThatIsNoMember()
    {
        Choices.Check("topology.propagation", Propagation.Power);
        var e = Assert.Throws<ConfigException>(() => Choices.Check("topology.propagation", (Propagation)9));
        Assert.Equal("topology.propagation: 9 is not allowed; expected one of \"direct\", \"power\", \"communicability\".", e.Message);
    }

    [Fact]
    public void ConfigJson_WritesChoicesByTheirNames_AndReadsThemBack()
    {
        var c = new DpsConfig
        {
            Agents = new AgentsConfig { Count = 12, Resources = ResourceMode.Soft, Init = InitKind.Homogeneous },
            Topology = new TopologyConfig { Kind = TopologyKind.SmallWorld, Embedding = EmbeddingKind.Hops, Propagation = Propagation.Communicability },
            Objective = new ObjectiveConfig { Kind = ObjectiveKind.Local, Mismatch = MismatchKind.Both },
            Training = new TrainingConfig { Optimizer = OptimizerKind.Lbfgs, Schedule = ScheduleKind.Step },
            Measures = new MeasuresConfig { Removal = RemovalKind.Degree },
        };
        string json = ConfigLoader.ToJson(c);
        Assert.Contains("\"kind\": \"small-world\"", json);
        Assert.Contains("\"optimizer\": \"lbfgs\"", json);
        var back = ConfigLoader.Parse(json);
        Assert.Equal(TopologyKind.SmallWorld, back.Topology.Kind);
        Assert.Equal(RemovalKind.Degree, back.Measures.Removal);
        Assert.Equal(json, ConfigLoader.ToJson(back));
    }

    [Fact]
    public void JsonSerializer_RefusesAnUnknownOrNumericChoice()
    {
        Assert.Equal(MismatchKind.Unmet, JsonSerializer.Deserialize<MismatchKind>("\"Unmet\""));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<MismatchKind>("\"sqaured\""));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<MismatchKind>("1"));
    }
}
