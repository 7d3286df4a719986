using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Nested;
using DpsTorch.Reports;
using DpsTorch.Runs;
using DpsTorch.Tests.Nested;

namespace DpsTorch.Tests.Reports;

/// <summary>The run report of a nested run: the one page of ReportPage with its per-level section.</summary>
public class NestedReportPageTests : IDisposable
{
    /// <summary>The tiny nested config run through the one pipeline, with its homogeneous baseline.</summary>
    private static readonly Lazy<ExperimentResult> Run = new(() => Experiment.Run(ConfigLoader.Parse(TestConfigs.TinyNested), baseline: true));

    /// <summary>Writes every file of the tiny nested run (trajectory.csv included) into a fresh folder.</summary>
    internal static string WriteFullRun(string parent)
    {
        string dir = Path.Combine(parent, "full");
        RunOutput.Write(dir, Run.Value);
        return dir;
    }

    /// <summary>The HTML of the card titled <paramref name="title"/>.</summary>
    private static string Card(string html, string title)
    {
        var m = Regex.Match(html, $"<h2>{Regex.Escape(title)}</h2>(.*?)</section>", RegexOptions.Singleline);
        Assert.True(m.Success, $"no card \"{title}\"");
        return m.Groups[1].Value;
    }

    private static double[] Numbers(string text) => [.. text.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture))];

    [Fact]
    public void FullRun_HasTheFlatSections_TheHeadlineFirst_TheResidual_ThePeaksLine_AndTheEfficiencies()
    {
        string run = WriteFullRun(_dir);
        string html = ReportPage.Build(run);
        AssertSelfContained(html);
        // The per-level ten, plus the heterogeneity and coverage traces of trajectory.csv.
        Assert.Equal(12, Regex.Matches(html, "<svg class=\"chart\"").Count);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(run, RunFiles.Summary)))!;

        // The headline (coverage by default) is the first row; the top level's efficiencies are on the card.
        var card = Card(html, "Summary");
        Assert.StartsWith("<table class=\"summary\"><tbody><tr class=\"headline\"><th>coverage</th>", card);
        Assert.Contains($"<td>{Svg.Num(summary["coverage"]!.GetValue<double>())}</td>", card);
        foreach (var key in new[] { "resourceEfficiency", "amplification", "utilisation", "communicationEfficiency", "shapeCoverage" })
            Assert.Contains($"<td>{Svg.Num(summary[key]!.GetValue<double>())}</td>", card);

        // Residual W − D: production minus demand as drawn on the unrolled figure.
        var ys = Regex.Matches(Card(html, "Residual W − D"), "data-y=\"([^\"]*)\"").Select(x => x.Groups[1].Value).ToList();
        Assert.Equal(["0,0"], ys.Take(1));
        var r = Numbers(ys[1]);
        var unrolled = Regex.Matches(Card(html, "Demand and production, unrolled"), "data-y=\"([^\"]*)\"").Select(x => Numbers(x.Groups[1].Value)).ToList();
        Assert.Equal(33, r.Length);
        for (int k = 0; k < 33; k++) Assert.Equal(unrolled[1][k] - unrolled[0][k], r[k], 3);

        // The heterogeneity trace has the demand's two peaks as a reference line.
        var het = Card(html, "Heterogeneity");
        Assert.Contains("demand peaks K = 2", het);
        Assert.Contains("data-y=\"2,2\"", het);
        // Per level: amplification and communication efficiency in the tier table.
        var tiers = summary["nested"]!["measures"]!["tiers"]!.AsArray();
        var table = Card(html, "Where the heterogeneity sits");
        foreach (var t in tiers)
            Assert.Contains($"<td>{Svg.Num(t!["amplification"]!.GetValue<double>())}</td>", table);
    }

    [Fact]
    public void FullRun_EveryLegendTellsItsSeriesApartWithoutColour_AndTheRobustnessBandStaysInTheUnitInterval()
    {
        string html = ReportPage.Build(WriteFullRun(_dir));
        int legends = 0;
        foreach (var chart in html.Split("<svg class=\"chart\"").Skip(1))
        {
            var items = Regex.Matches(chart, "<g class=\"legend-item\" data-series=\"\\d+\">(.*?)<text", RegexOptions.Singleline)
                .Select(i => Regex.Replace(i.Groups[1].Value, "(stroke|fill)=\"#[0-9a-f]{6}\"|(?<![\\w-])[xy][12]?=\"[^\"]*\"|c[xy]=\"[^\"]*\"|data-c[xy]=\"[^\"]*\"|transform=\"[^\"]*\"", "")).ToList();
            Assert.Equal(items.Count, items.Distinct().Count());
            if (items.Count > 1) legends++;
        }
        // unrolled, residual, loss, heterogeneity, robustness, and the two per-tier bar charts (their series hatched apart)
        Assert.True(legends >= 7, $"only {legends} legends with several entries");
        var band = Card(html, "Robustness");
        Assert.Contains("coverage, homogeneous", band);
        foreach (Match m in Regex.Matches(band, "data-(?:lo|hi)=\"([^\"]*)\""))
            Assert.All(m.Groups[1].Value.Split(','), v => Assert.InRange(double.Parse(v, CultureInfo.InvariantCulture), 0, 1));
    }

    private readonly string _dir = Directory.CreateTempSubdirectory("dps-nested-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void AssertSelfContained(string html)
    {
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.DoesNotContain("http://", html.Replace("xmlns=\"http://www.w3.org/2000/svg\"", ""));
        Assert.DoesNotContain("https://", html);
        InteractiveTests.AssertOnlyTheChartScript(html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotMatch(new Regex(@"url\((?!#)"), html);   // only fragment references within the page (bar hatching)
        Assert.DoesNotContain("NaN", html.Replace(Interactive.HtmlScript, ""));   // the script itself may say NaN
        Assert.DoesNotContain("Infinity", html.Replace(Interactive.HtmlScript, ""));
        Assert.DoesNotMatch(new Regex("\\s(?:x|y|cx|cy|r|d|width|height)=\"[^\"]*\\d,\\d"), html);
    }

    [Fact]
    public void Build_WithBaseline_HasEveryFigure_TheTierTable_AndTheComparison()
    {
        string run = NestedStateTests.WriteTinyRun(_dir);
        string html = ReportPage.Build(run);
        AssertSelfContained(html);
        // heterogeneity bars, coverage-alone bars, circle, unrolled, residual, composites, leaf densities, topology, loss,
        // robustness (a folder without trajectory.csv: no heterogeneity and coverage traces).
        Assert.Equal(10, Regex.Matches(html, "<svg class=\"chart\"").Count);
        foreach (var title in new[] { "Where the heterogeneity sits", "Heterogeneity per tier", "Each rack&#39;s normalised production",
            "Leaf skill densities", "Loss", "Robustness", "Nested design versus the homogeneous fleet" })
            Assert.Contains($"<h2>{title}</h2>", html);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(run, RunFiles.Summary)))!;
        var tiers = summary["nested"]!["measures"]!["tiers"]!.AsArray();
        Assert.Equal(3, tiers.Count);
        foreach (var t in tiers)
            Assert.Contains($"<td>{Svg.Num(t!["among"]!.GetValue<double>())}</td>", html);
        Assert.Contains($"<td>{Svg.Num(summary["comparison"]!["coverage"]!["homogeneous"]!.GetValue<double>())}</td>", html);
        Assert.Contains("coverage, homogeneous", html);   // overlaid robustness curve
        Assert.Contains("<td>hall groups of 2</td>", html);
        Assert.Contains("tiny nested", html);
    }

    [Fact]
    public void Build_WithoutBaseline_LeavesOutTheComparison_AndIsCultureInvariant()
    {
        string run = NestedStateTests.WriteTinyRun(_dir, baseline: false);
        string html = ReportPage.Build(run);
        AssertSelfContained(html);
        Assert.Equal(10, Regex.Matches(html, "<svg class=\"chart\"").Count);
        Assert.DoesNotContain("homogeneous fleet", html);
        Assert.DoesNotContain("coverage, homogeneous", html);
        var before = CultureInfo.CurrentCulture;
        try
        {
            var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
            comma.NumberFormat.NumberDecimalSeparator = ",";
            CultureInfo.CurrentCulture = comma;
            Assert.Equal(html, ReportPage.Build(run));
        }
        finally { CultureInfo.CurrentCulture = before; }
    }

    /// <summary>Two racks of two nodes of two leaves, scored locally at the top and by each node's own local demand.</summary>
    private const string TinyNestedLocal = """
        { "space": { "m": 32 }, "agents": { "count": 8 },
          "demand": { "kind": "peaks", "peaks": 2, "width": 0.3 }, "objective": { "kind": "local" },
          "training": { "steps": 10, "restarts": 1, "logEvery": 5 },
          "measures": { "seeds": 1, "fractions": [0, 1] },
          "levels": [
            { "name": "node", "size": 2, "topology": { "kind": "complete", "weight": 0.2 }, "demandObjective": "local",
              "demand": { "kind": "mixture", "centers": [1, 4], "widths": [0.3, 0.5], "weights": [2, 1] } },
            { "name": "rack", "size": 2, "topology": { "kind": "complete", "weight": 0.3 } },
            { "name": "hall", "size": 2, "topology": { "kind": "complete", "weight": 0.1 } } ] }
        """;

    [Fact]
    public void LocalObjective_DrawsEachScoredLevelsNeighbourhoodDensities_NotWMinusD()
    {
        var config = ConfigLoader.Parse(TinyNestedLocal);
        string run = Path.Combine(_dir, "local");
        RunOutput.Write(run, Experiment.Run(config));
        string html = ReportPage.Build(run);
        AssertSelfContained(html);
        // The top level is scored by P_i, so W − D is not drawn as if it were the objective.
        Assert.DoesNotContain("<h2>Residual W − D</h2>", html);
        var system = NestedState.Load(Path.Combine(run, RunFiles.Model)).ToSystem();
        var levelDensities = system.LevelDensities();
        foreach (var (level, k) in new[] { ("hall", 2), ("node", 0) })
        {
            var card = Card(html, $"Neighbourhood densities P_i at the {level} level against its demand shape D/∫D");
            var expected = levelDensities[k]!.ToArray();
            int rows = expected.Length / 32;
            // Series: the filled demand shape first, then one line per member (wrapped: 33 points, the first repeated).
            var ys = Regex.Matches(card, "data-y=\"([^\"]*)\"").Select(x => Numbers(x.Groups[1].Value)).ToList();
            Assert.Equal(1 + rows, ys.Count);
            for (int i = 0; i < rows; i++)
                for (int m = 0; m < 32; m++) Assert.True(Math.Abs(expected[i * 32 + m] - ys[1 + i][m]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i * 32 + m])), $"{level} P_{i}[{m}]");
            Assert.Contains($"<h2>Residual P_i − D/∫D at the {level} level</h2>", html);
        }
        // The rack level has no demand of its own, so nothing of it is scored by densities.
        Assert.Null(levelDensities[1]);
    }

    [Fact]
    public void Build_NamesTheMissingFile()
    {
        Assert.Contains(RunFiles.Summary, Assert.Throws<ConfigException>(() => ReportPage.Build(_dir)).Message);
        string run = NestedStateTests.WriteTinyRun(_dir);
        File.Delete(Path.Combine(run, RunFiles.Model));
        Assert.Contains(RunFiles.Model, Assert.Throws<ConfigException>(() => ReportPage.Build(run)).Message);
    }

    [Fact]
    public void Build_RefusesAFlatRunSummary_NamingTheMissingField()
    {
        string run = NestedStateTests.WriteTinyRun(_dir);
        File.WriteAllText(Path.Combine(run, RunFiles.Summary), """{ "loss": 1 }""");
        Assert.Contains("summary.json: nested", Assert.Throws<ConfigException>(() => ReportPage.Build(run)).Message);
    }

    [Fact]
    public void Write_WritesReportHtml_AndNoTemporaryFiles()
    {
        string run = NestedStateTests.WriteTinyRun(_dir);
        ReportPage.Write(run);
        Assert.True(File.Exists(Path.Combine(run, RunFiles.Report)));
        Assert.Empty(Directory.GetFiles(run, "*.tmp"));
    }
}
