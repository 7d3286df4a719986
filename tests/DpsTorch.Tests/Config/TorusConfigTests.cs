using DpsTorch.Config;

namespace DpsTorch.Tests.Config;

public class TorusConfigTests
{
    [Fact]
    public void Dimensions_DefaultsToOne_AndIsWrittenOnlyAboveOne()
    {
        var circle = ConfigLoader.Parse("{}");
        Assert.Equal(1, circle.Space.Dimensions);
        Assert.DoesNotContain("dimensions", ConfigLoader.ToJson(circle));
        // Saying d = 1 out loud is the same config as leaving it out: same JSON, same checkpoint key.
        var explicitOne = ConfigLoader.Parse("""{ "space": { "dimensions": 1 } }""");
        Assert.Equal(ConfigLoader.ToJson(circle), ConfigLoader.ToJson(explicitOne));
        var torus = ConfigLoader.Parse("""{ "space": { "m": 16, "dimensions": 3 } }""");
        Assert.Equal(3, torus.Space.Dimensions);
        Assert.Equal(16L * 16 * 16, torus.Space.Points);
        Assert.Contains("\"dimensions\": 3", ConfigLoader.ToJson(torus));
        Assert.Equal(3, ConfigLoader.Parse(ConfigLoader.ToJson(torus)).Space.Dimensions);
    }

    [Theory]
    [InlineData("""{ "space": { "dimensions": 0 } }""", "space.dimensions")]
    [InlineData("""{ "space": { "dimensions": 4 } }""", "space.dimensions")]
    [InlineData("""{ "space": { "dimensions": 2 }, "demand": { "kind": "mixture", "centers": [1, 2, 3] } }""", "demand.centers")]
    [InlineData("""{ "space": { "dimensions": 2 }, "demand": { "kind": "mixture", "centers": [1, 2, 3, 4], "widths": [0.1, 0.2, 0.3] } }""", "demand.widths")]
    [InlineData("""{ "space": { "dimensions": 2 }, "demand": { "kind": "mixture", "centers": [1, 2, 3, 4], "weights": [1, 2, 3] } }""", "demand.weights")]
    [InlineData("""{ "space": { "dimensions": 2 }, "demand": { "kind": "drifting" } }""", "demand.kind")]
    [InlineData("""{ "space": { "dimensions": 2 }, "training": { "backend": "torchsharp" } }""", "training.backend")]
    [InlineData("""{ "space": { "dimensions": 2 }, "agents": { "homogeneous": true } }""", "agents.homogeneous")]
    [InlineData("""{ "space": { "dimensions": 2 }, "agents": { "count": 5000 } }""", "agents.count")]
    [InlineData("""{ "space": { "dimensions": 2 }, "agents": { "init": "quantiles" } }""", "agents.init")]
    [InlineData("""{ "space": { "dimensions": 3 }, "agents": { "init": "quantiles-spacing" } }""", "agents.init")]
    [InlineData("""{ "space": { "m": 4096, "dimensions": 3 } }""", "space.m")]
    [InlineData("""{ "space": { "dimensions": 2 }, "agents": { "count": 4 }, "levels": [ { "size": 2, "demand": { "kind": "mixture", "centers": [1, 2, 3] } }, { "size": 2 } ] }""", "levels[0].demand.centers")]
    public void Torus_RefusesWhatItCannotRun_InOneLineNamingTheKey(string json, string key)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(json));
        Assert.StartsWith(key, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TorusMixture_TakesOneOrDWidthsPerPeak()
    {
        var one = ConfigLoader.Parse("""{ "space": { "dimensions": 2 }, "demand": { "kind": "mixture", "centers": [1, 2, 3, 4], "widths": [0.2, 0.3] } }""");
        Assert.Equal(2, one.Demand.Widths!.Length);
        var perAxis = ConfigLoader.Parse("""{ "space": { "dimensions": 2 }, "demand": { "kind": "mixture", "centers": [1, 2, 3, 4], "widths": [0.2, 0.3, 0.4, 0.5] } }""");
        Assert.Equal(4, perAxis.Demand.Widths!.Length);
    }
}
