// The spatial insurance case (experiments/16-spatial-insurance) reproduces Loreau, Mouquet and Gonzalez (2003) at small
// size, within the tolerance its note states: mean productivity and local diversity peak, and the temporal variability
// of local productivity is lowest, strictly inside the dispersal range in every seed, the peak above both ends by more
// than their 95% intervals; regional diversity at the highest dispersal is at most half of its value at low dispersal.
using DpsTorch.Config;
using DpsTorch.Runs;

namespace DpsTorch.Tests.Runs;

public class SpatialInsuranceStudyTests
{
    private static readonly double[] Rates = [0, 1e-4, 1e-3, 1e-2, 0.1, 1];

    private static CaseConfig Small() => new()
    {
        Kind = CaseKind.SpatialInsurance, Seeds = 5, Species = 9, Patches = 6, Period = 1500, Dispersal = Rates,
    };

    [Fact]
    public void SmallCase_HasTheHumps()
    {
        var runs = SpatialInsuranceStudy.Run(Small());
        Assert.Equal(5 * Rates.Length, runs.Count);
        Assert.All(SpatialInsuranceStudy.Extremes(runs, m => m.Productivity, maximum: true), e => Assert.True(e.Inside, $"seed {e.Seed}: productivity peaks at a = {e.Rate}"));
        Assert.All(SpatialInsuranceStudy.Extremes(runs, m => m.LocalCv, maximum: false), e => Assert.True(e.Inside, $"seed {e.Seed}: local CV lowest at a = {e.Rate}"));
        Assert.All(SpatialInsuranceStudy.Extremes(runs, m => m.Alpha, maximum: true), e => Assert.True(e.Inside, $"seed {e.Seed}: α peaks at a = {e.Rate}"));
        var p = Rates.Select(a => SpatialInsuranceStudy.At(runs, a, m => m.Productivity)).ToArray();
        var best = p.MaxBy(x => x.Mean)!;
        foreach (var end in new[] { p[0], p[^1] })
            Assert.True(best.Low > end.High, $"peak {best.Text()} does not clear the end {end.Text()}");
        var gammaLow = SpatialInsuranceStudy.At(runs, 1e-3, m => m.Gamma);
        var gammaHigh = SpatialInsuranceStudy.At(runs, 1, m => m.Gamma);
        Assert.True(gammaHigh.Mean <= gammaLow.Mean / 2, $"γ at a = 1: {gammaHigh.Text()}, at 1e-3: {gammaLow.Text()}");
    }

    [Fact]
    public void CaseRun_WritesSummaryResultsAndCharts()
    {
        using var tmp = new TempDir();
        string dir = tmp.File("run");
        var config = ConfigLoader.Validate(new DpsConfig { Case = Small() with { Seeds = 2, Dispersal = [0, 1e-3, 1] } });
        var folder = CaseStudies.Execute(config, dir, DpsTorch.IO.RunMetadata.Capture());
        foreach (var f in new[] { "summary.json", "results.csv", "config.json", "report.svg", "productivity.svg" }) Assert.True(File.Exists(Path.Combine(dir, f)), f);
        Assert.Equal("spatial-insurance", (string?)folder.Summary["kind"]);
        Assert.Equal(3, folder.Summary["rates"]!.AsArray().Count);
        Assert.Equal(1 + 2 * 3, File.ReadAllLines(Path.Combine(dir, "results.csv")).Length);
        var reread = ConfigLoader.Load(Path.Combine(dir, "config.json"));
        Assert.Equal(CaseKind.SpatialInsurance, reread.Case!.Kind);
        Assert.Equal(new[] { 0, 1e-3, 1 }, reread.Case.Dispersal);
    }
}
