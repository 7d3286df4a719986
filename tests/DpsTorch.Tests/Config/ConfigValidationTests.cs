using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Nested;

namespace DpsTorch.Tests.Config;

/// <summary>
/// A config built in C# is checked by the same rules, with the same one-line errors, as a config file at
/// <see cref="ConfigLoader.Validate"/>; its choices are checked by the builders and by the parts that hold them.
/// </summary>
public class ConfigValidationTests
{
    private static readonly DpsConfig Tiny = new()
    {
        Space = new SpaceConfig { M = 32 },
        Agents = new AgentsConfig { Count = 6 },
        Training = new TrainingConfig { Steps = 3, Restarts = 1 },
    };

    [Fact]
    public void AnObjectiveWithAnUndefinedMismatch_CannotTrainOnALossOfZero()
    {
        var c = Tiny with { Objective = new ObjectiveConfig { Mismatch = (MismatchKind)7 } };
        var e = Assert.Throws<ConfigException>(() => SystemBuilder.Create(c));
        Assert.Equal("objective.mismatch", e.Key);
        Assert.Contains("expected one of \"squared\", \"unmet\", \"both\"", e.Message);
        // The formula itself refuses it too, instead of summing no terms.
        var x = Tensor.FromArray([1.0, 2.0]);
        Assert.Throws<ConfigException>(() => Mismatch.Of(c.Objective, 0.1, x, x * 0.5));
    }

    [Fact]
    public void AModelWithAnUndefinedPropagation_FailsAtConstruction_NotAtTheFirstLoss()
    {
        var m = SystemBuilder.Create(Tiny);
        var e = Assert.Throws<ConfigException>(() => new DpsModel(m.Space, m.DemandFrames, m.Interaction, m.Objective, m.SigmaMin, m.Budget,
            m.SoftBudget, m.Mu.ToArray(), m.Rho.ToArray(), m.Alpha.ToArray(), (Propagation)5));
        Assert.Equal("topology.propagation", e.Key);
        Assert.Contains("\"communicability\"", e.Message);
        var bad = Tiny with { Topology = new TopologyConfig { Propagation = (Propagation)5 } };
        Assert.Equal("topology.propagation", Assert.Throws<ConfigException>(() => SystemBuilder.Create(bad)).Key);
    }

    [Fact]
    public void UndefinedChoices_InsideLevels_AreNamedByTheirPath()
    {
        var c = Tiny with
        {
            Levels = [new LevelConfig { Size = 2 }, new LevelConfig { Size = 3, Topology = new TopologyConfig { Embedding = (EmbeddingKind)11 } }],
        };
        Assert.Equal("levels[1].topology.embedding", Assert.Throws<ConfigException>(() => NestedBuilder.Create(c)).Key);
        var objective = Tiny with { Levels = [new LevelConfig { Size = 6, DemandObjective = (ObjectiveKind)3 }] };
        Assert.Equal("levels[0].demandObjective", Assert.Throws<ConfigException>(() => ConfigLoader.Validate(objective)).Key);
    }

    public static TheoryData<string, string> FileAndCode() => new()
    {
        { """{ "demand": { "kind": "mixture" } }""", "mixture without centres" },
        { """{ "agents": { "count": 0 } }""", "no agents" },
        { """{ "agents": { "jitter": -1 } }""", "negative jitter" },
        { """{ "topology": { "kind": "ring", "k": 6 } }""", "ring too wide" },
        { """{ "training": { "lr": 0 } }""", "zero learning rate" },
        { """{ "training": { "device": "cuda" } }""", "cuda on the managed backend" },
        { """{ "agents": { "count": 4 }, "topology": { "kind": "hierarchical", "modules": 3 } }""", "hierarchy of the wrong size" },
        { """{ "training": { "backend": "torchsharp" }, "levels": [ { "size": 12 } ] }""", "nested on torchsharp" },
        { """{ "levels": [ { "size": 5 }, { "size": 3 } ] }""", "sizes that do not divide" },
    };

    private static DpsConfig Edit(string name) => name switch
    {
        "mixture without centres" => new DpsConfig { Demand = new DemandConfig { Kind = DemandKind.Mixture } },
        "no agents" => new DpsConfig { Agents = new AgentsConfig { Count = 0 } },
        "negative jitter" => new DpsConfig { Agents = new AgentsConfig { Jitter = -1 } },
        "ring too wide" => new DpsConfig { Topology = new TopologyConfig { Kind = TopologyKind.Ring, K = 6 } },
        "zero learning rate" => new DpsConfig { Training = new TrainingConfig { Lr = 0 } },
        "cuda on the managed backend" => new DpsConfig { Training = new TrainingConfig { Device = "cuda" } },
        "hierarchy of the wrong size" => new DpsConfig
        {
            Agents = new AgentsConfig { Count = 4 },
            Topology = new TopologyConfig { Kind = TopologyKind.Hierarchical, Modules = 3 },
        },
        "nested on torchsharp" => new DpsConfig { Training = new TrainingConfig { Backend = TrainingBackend.Torchsharp }, Levels = [new LevelConfig { Size = 12 }] },
        "sizes that do not divide" => new DpsConfig { Levels = [new LevelConfig { Size = 5 }, new LevelConfig { Size = 3 }] },
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such case"),
    };

    [Theory]
    [MemberData(nameof(FileAndCode))]
    public void ACSharpBuiltConfig_BreaksTheSameRuleWithTheSameLine_AsTheConfigFile(string json, string name)
    {
        var fromFile = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(json));
        var fromCode = Assert.Throws<ConfigException>(() => ConfigLoader.Validate(Edit(name)));
        Assert.Equal(fromFile.Key, fromCode.Key);
        Assert.Equal(fromFile.Message, fromCode.Message);
        Assert.DoesNotContain('\n', fromCode.Message);
    }

    [Fact]
    public void ANonFiniteNumber_IsNamedByItsKey()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Validate(Tiny with { Agents = Tiny.Agents with { Jitter = double.NaN } }));
        Assert.Equal("agents.jitter", e.Key);
        Assert.Contains("a finite number", e.Message);
    }

    [Fact]
    public void AValidConfig_PassesUnchanged()
    {
        Assert.Same(Tiny, ConfigLoader.Validate(Tiny));
        var parsed = ConfigLoader.Parse(ConfigLoader.ToJson(Tiny));
        Assert.Equal(ConfigLoader.ToJson(Tiny), ConfigLoader.ToJson(parsed));
    }
}
