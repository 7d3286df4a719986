// The `case` section (Config/CaseConfig.cs): one-line errors naming the key, the value and what is allowed; every key
// documented in docs/CONFIG.md; absent for ordinary configs.
using DpsTorch.Config;

namespace DpsTorch.Tests.Config;

public class CaseConfigTests
{
    [Theory]
    [InlineData("""{ "case": { "kind": "forest" } }""", "case.kind")]
    [InlineData("""{ "case": { "kind": "community", "richness": [4, 2] } }""", "case.richness[1]")]
    [InlineData("""{ "case": { "kind": "community", "pool": 8, "richness": [1, 16] } }""", "case.richness[1]")]
    [InlineData("""{ "case": { "kind": "community", "richness": [1.5] } }""", "case.richness[0]")]
    [InlineData("""{ "case": { "kind": "community", "pool": 8 } }""", "case.pool")]
    [InlineData("""{ "case": { "kind": "community", "mortality": 0.8, "mortalitySpread": 0.5 } }""", "case.mortalitySpread")]
    [InlineData("""{ "case": { "kind": "chinchilla", "paramsMin": 1e9, "paramsMax": 1e8 } }""", "case.paramsMax")]
    [InlineData("""{ "case": { "kind": "chinchilla", "seeds": 0 } }""", "case.seeds")]
    [InlineData("""{ "case": { "kind": "chinchilla", "nosie": 0.1 } }""", "case.nosie")]
    [InlineData("""{ "agents": { "count": 4 }, "levels": [ { "size": 4 } ], "case": { "kind": "chinchilla" } }""", "case.kind")]
    [InlineData("""{ "space": { "m": 32, "dimensions": 2 }, "case": { "kind": "community" } }""", "space.dimensions")]
    [InlineData("""{ "case": { "kind": "spatial-insurance", "dispersal": [0, 0.1, 0.01] } }""", "case.dispersal[2]")]
    [InlineData("""{ "case": { "kind": "spatial-insurance", "dispersal": [0, 0.1] } }""", "case.dispersal")]
    [InlineData("""{ "case": { "kind": "spatial-insurance", "dispersal": [-1, 0.1, 1] } }""", "case.dispersal[0]")]
    [InlineData("""{ "case": { "kind": "spatial-insurance", "period": 100, "step": 20 } }""", "case.step")]
    [InlineData("""{ "case": { "kind": "spatial-insurance", "patches": 1 } }""", "case.patches")]
    [InlineData("""{ "case": { "kind": "spatial-insurance", "efficiency": 0 } }""", "case.efficiency")]
    [InlineData("""{ "case": { "kind": "fleet", "devices": ["h100", "tpu"] } }""", "case.devices[1]")]
    [InlineData("""{ "case": { "kind": "fleet", "devices": ["h100", "H100"] } }""", "case.devices[1]")]
    [InlineData("""{ "case": { "kind": "fleet", "devices": [] } }""", "case.devices")]
    [InlineData("""{ "case": { "kind": "fleet", "devices": "h100" } }""", "case.devices")]
    [InlineData("""{ "case": { "kind": "fleet", "shares": [0.5, 0.5] } }""", "case.shares")]
    [InlineData("""{ "case": { "kind": "fleet", "shares": [0, 0, 0] } }""", "case.shares")]
    [InlineData("""{ "case": { "kind": "fleet", "shares": [0.3, -0.1, 0.6] } }""", "case.shares[1]")]
    [InlineData("""{ "case": { "kind": "fleet", "swing": 1 } }""", "case.swing")]
    [InlineData("""{ "case": { "kind": "fleet", "budget": "energy" } }""", "case.budget")]
    [InlineData("""{ "case": { "kind": "fleet", "kvLink": "nvlink" } }""", "case.kvLink")]
    [InlineData("""{ "case": { "kind": "fleet", "decodeBatch": 0 } }""", "case.decodeBatch")]
    [InlineData("""{ "case": { "kind": "fleet", "idlePower": 1.5 } }""", "case.idlePower")]
    [InlineData("""{ "case": { "kind": "fleet", "solver": "gradient" } }""", "case.solver")]
    [InlineData("""{ "case": { "kind": "fleet", "solver": "dps", "dpsSharpness": 0 } }""", "case.dpsSharpness")]
    [InlineData("""{ "case": { "kind": "fleet", "solver": "dps", "dpsStages": 0 } }""", "case.dpsStages")]
    [InlineData("""{ "case": { "kind": "fleet", "solver": "dps", "dpsShares": "free" } }""", "case.dpsShares")]
    public void BadCase_IsOneLineNamingTheKey(string json, string key)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(json));
        Assert.Equal(key, e.Key);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void OrdinaryConfig_HasNoCase_AndACaseRoundTrips()
    {
        Assert.Null(ConfigLoader.Parse("{}").Case);
        Assert.DoesNotContain("\"case\"", ConfigLoader.ToJson(ConfigLoader.Parse("{}")));
        var c = ConfigLoader.Parse("""{ "case": { "kind": "community", "richness": [1, 3], "nicheWidth": 0.2 } }""");
        var back = ConfigLoader.Parse(ConfigLoader.ToJson(c));
        Assert.Equal(CaseKind.Community, back.Case!.Kind);
        Assert.Equal(new[] { 1, 3 }, back.Case.Richness);
        Assert.Equal(0.2, back.Case.NicheWidth);
    }

    [Fact]
    public void FleetSolver_DefaultsToTheProgram_AndDpsRoundTrips()
    {
        Assert.Equal(FleetSolverKind.Lp, ConfigLoader.Parse("""{ "case": { "kind": "fleet" } }""").Case!.Solver);
        var c = ConfigLoader.Parse("""{ "case": { "kind": "fleet", "solver": "dps", "dpsSharpness": 1000, "dpsStages": 2, "dpsShares": "trained" } }""");
        var back = ConfigLoader.Parse(ConfigLoader.ToJson(c)).Case!;
        Assert.Equal(FleetSolverKind.Dps, back.Solver);
        Assert.Equal(1000, back.DpsSharpness);
        Assert.Equal(2, back.DpsStages);
        Assert.Equal(FleetDpsShares.Trained, back.DpsShares);
    }

    [Fact]
    public void EveryCaseKey_IsDocumented()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DpsTorch.sln"))) dir = dir.Parent;
        string docs = File.ReadAllText(Path.Combine(dir!.FullName, "docs", "CONFIG.md"));
        var node = (System.Text.Json.Nodes.JsonObject)ConfigLoader.ToJsonNode(new DpsConfig { Case = new CaseConfig() })["case"]!;
        foreach (var (key, _) in node) Assert.Contains($"`case.{key}`", docs);
    }
}
