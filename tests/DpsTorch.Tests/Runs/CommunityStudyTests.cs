// The ecology case study (experiments/10-community) reproduces its references at small size: MacArthur and Levins'
// limiting similarity (α ≈ 0.54, d*/w = 1.561) within 1e-6 relative, the Loreau-Hector identity to rounding, and
// overyielding that rises and saturates with richness.
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Runs;

namespace DpsTorch.Tests.Runs;

public class CommunityStudyTests
{
    [Theory]
    [InlineData(0.2, 0.0)]
    [InlineData(0.3, 0.3)]
    public void LimitingSimilarity_IsMacArthurAndLevins(double width, double mortality)
    {
        // The published numbers, not the code's own root: α ≈ 0.5437 (MacArthur & Levins 1967), d*/w = 2√(ln 1/α) ≈ 1.5613.
        Assert.Equal(0.5437, CommunityStudy.ReferenceOverlap, 4);
        Assert.Equal(1.5613, CommunityStudy.ReferenceSpacing, 4);
        var (d, alpha) = CommunityStudy.CriticalSpacing(new Space(256), width, mortality, 12);
        Assert.True(Math.Abs(d / CommunityStudy.ReferenceSpacing - 1) < 1e-6, $"d*/w = {d}");
        Assert.True(Math.Abs(alpha / CommunityStudy.ReferenceOverlap - 1) < 1e-6, $"α* = {alpha}");
    }

    private static DpsConfig Small() => new()
    {
        Space = new SpaceConfig { M = 128 },
        Demand = new DemandConfig { Kind = DemandKind.Uniform, Mass = 12 },
        Case = new CaseConfig { Kind = CaseKind.Community, Seeds = 5, Pool = 12, Richness = [1, 2, 4, 8], Assemblages = 4 },
    };

    [Fact]
    public void SmallCase_Overyields_SaturatesAndPartitionsExactly()
    {
        var config = ConfigLoader.Validate(Small());
        var r = CommunityStudy.Run(config);
        Assert.Equal(5 * 4 * 4, r.Mixtures.Count);
        Assert.All(r.Mixtures, m => Assert.Equal(m.Partition.Net, m.Partition.Complementarity + m.Partition.Selection, 12));
        var yields = new[] { 1, 2, 4, 8 }.Select(s => CommunityStudy.OverSeeds(r, s, m => m.Partition.Yield)).ToArray();
        for (int k = 1; k < yields.Length; k++) Assert.True(yields[k].Mean > yields[k - 1].Mean, $"yield does not rise from S level {k - 1} to {k}");
        // Rising and saturating: the yield an added species brings falls with S (from 1 to 2, then from 4 to 8).
        Assert.True((yields[3].Mean - yields[2].Mean) / 4 < yields[1].Mean - yields[0].Mean,
            $"no saturation: {string.Join(", ", yields.Select(y => y.Text()))}");
        var net = CommunityStudy.OverSeeds(r, 8, m => m.Partition.Net);
        var ce = CommunityStudy.OverSeeds(r, 8, m => m.Partition.Complementarity);
        Assert.True(net.Low > 0, $"no overyielding at S = 8: {net.Text()}");
        Assert.True(ce.Low > 0, $"complementarity not positive at S = 8: {ce.Text()}");
        var fit = CommunityStudy.Saturation(r, [1, 2, 4, 8]);
        Assert.NotNull(fit);
        Assert.True(fit!["y_inf"].Estimate > yields[3].Mean * 0.9, $"saturating level {fit["y_inf"].Estimate}");
    }

    [Fact]
    public void CaseRun_WritesSummaryResultsAndConfig_Atomically()
    {
        using var tmp = new TempDir();
        string dir = tmp.File("run");
        var folder = CaseStudies.Execute(ConfigLoader.Validate(Small()), dir, DpsTorch.IO.RunMetadata.Capture());
        foreach (var f in new[] { "summary.json", "results.csv", "config.json", "report.svg" }) Assert.True(File.Exists(Path.Combine(dir, f)), f);
        Assert.Equal("community", (string?)folder.Summary["kind"]);
        Assert.Empty(Directory.GetDirectories(dir, ".staging-*"));
        var reread = ConfigLoader.Load(Path.Combine(dir, "config.json"));
        Assert.Equal(CaseKind.Community, reread.Case!.Kind);
        Assert.Equal(new[] { 1, 2, 4, 8 }, reread.Case.Richness);
    }
}
