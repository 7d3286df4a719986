// The Ricardian trade case (experiments/13-ricardo) reproduces Dornbusch, Fischer & Samuelson (1977) within the
// tolerances its note states: the relative wage to 1e-4, the cutoffs to two goods, production by comparative advantage
// only, complete specialisation under free trade (every good made by the country DFS77 assigns it to, in every start),
// and a band of non-traded goods that widens with the trade cost.
using DpsTorch.Config;
using DpsTorch.Runs;

namespace DpsTorch.Tests.Runs;

public class RicardoStudyTests
{
    private static DpsConfig Small() => ConfigLoader.Validate(new DpsConfig
    {
        Space = new SpaceConfig { M = 64 },
        Demand = new DemandConfig { Kind = DemandKind.Uniform },
        Case = new CaseConfig { Kind = CaseKind.Ricardo, Seeds = 5, TradeCosts = [0, 0.25, 1] },
    });

    [Fact]
    public void SmallCase_ReproducesDfs_AndTheBandWidens()
    {
        var runs = RicardoStudy.Run(Small());
        Assert.Equal(15, runs.Count);
        foreach (var r in runs)
        {
            var o = r.Optimum.Equilibrium;
            Assert.True(r.Optimum.Converged, $"τ = {r.Reference.Tau}, seed {r.Seed}: gap {r.Optimum.Gap}, slack {r.Optimum.Slack}");
            Assert.Equal(0, r.AgainstReference);
            Assert.True(Math.Abs(o.RelativeWage / r.Reference.RelativeWage - 1) <= RicardoStudy.RelativeWageTolerance,
                $"τ = {r.Reference.Tau}: ω = {o.RelativeWage} vs DFS {r.Reference.RelativeWage}");
            Assert.True(Math.Abs(o.ExportShare - r.Reference.ExportShare) * 64 <= RicardoStudy.CutoffToleranceGoods + 1e-9);
            Assert.True(Math.Abs(o.HomeShare - r.Reference.HomeShare) * 64 <= RicardoStudy.CutoffToleranceGoods + 1e-9);
            Assert.Equal(0, r.Optimum.Violations);
            Assert.True(r.Gain(0) > 0 && r.Gain(1) > 0, "both countries gain from trade");
            if (r.Reference.Tau == 0) Assert.True(r.Optimum.SharedGoods <= 2, $"seed {r.Seed}: {r.Optimum.SharedGoods} goods made by both under free trade");
        }
        double free = runs.Where(r => r.Reference.Tau == 0).Average(r => r.Optimum.Equilibrium.NonTradedShare);
        Assert.True(free <= 1.0 / 64, $"free trade leaves {free} of the goods untraded");
        double low = runs.Where(r => r.Reference.Tau == 0.25).Average(r => r.Optimum.Equilibrium.NonTradedShare);
        double high = runs.Where(r => r.Reference.Tau == 1).Average(r => r.Optimum.Equilibrium.NonTradedShare);
        Assert.True(high > low, $"band {low} at τ = 0.25, {high} at τ = 1");
        Assert.True(runs.Where(r => r.Reference.Tau == 1).Average(r => r.Gain(0)) < runs.Where(r => r.Reference.Tau == 0.25).Average(r => r.Gain(0)),
            "the gains from trade fall as trade costs rise");
    }

    [Fact]
    public void CaseRun_WritesTheFolder()
    {
        using var tmp = new TempDir();
        string dir = tmp.File("run");
        var config = Small() with { Case = Small().Case! with { Seeds = 2, TradeCosts = [0.5] } };
        var folder = CaseStudies.Execute(config, dir, DpsTorch.IO.RunMetadata.Capture());
        foreach (var f in new[] { "summary.json", "results.csv", "config.json", "report.svg" }) Assert.True(File.Exists(Path.Combine(dir, f)), f);
        Assert.Equal("ricardo", (string?)folder.Summary["kind"]);
        var reread = ConfigLoader.Load(Path.Combine(dir, "config.json"));
        Assert.Equal(new[] { 0.5 }, reread.Case!.TradeCosts);
    }

    [Theory]
    [InlineData("\"labour\": [1]", "case.labour")]
    [InlineData("\"labour\": [1, -2]", "case.labour[1]")]
    [InlineData("\"tradeCosts\": [0.5, 0.2]", "case.tradeCosts[1]")]
    [InlineData("\"riskAversion\": [0]", "case.riskAversion[0]")]
    [InlineData("\"assets\": 1", "case.assets")]
    public void BadKeys_GetOneLineErrors(string fragment, string key)
    {
        using var tmp = new TempDir();
        string path = tmp.File("c.json");
        File.WriteAllText(path, $"{{ \"case\": {{ \"kind\": \"ricardo\", {fragment} }} }}");
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path));
        Assert.Contains(key, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }
}
