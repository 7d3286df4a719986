using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Nested;
using DpsTorch.Reports;
using DpsTorch.Tests.Nested;

namespace DpsTorch.Tests.Reports;

public class NestedReportPageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-nested-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void AssertSelfContained(string html)
    {
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.DoesNotContain("http://", html.Replace("xmlns=\"http://www.w3.org/2000/svg\"", ""));
        Assert.DoesNotContain("https://", html);
        InteractiveTests.AssertOnlyTheChartScript(html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("url(", html);
        Assert.DoesNotContain("NaN", html.Replace(Interactive.HtmlScript, ""));   // the script itself may say NaN
        Assert.DoesNotContain("Infinity", html.Replace(Interactive.HtmlScript, ""));
        Assert.DoesNotMatch(new Regex("\\s(?:x|y|cx|cy|r|d|width|height)=\"[^\"]*\\d,\\d"), html);
    }

    [Fact]
    public void Build_WithBaseline_HasEveryFigure_TheTierTable_AndTheComparison()
    {
        string run = NestedStateTests.WriteTinyRun(_dir);
        string html = NestedReportPage.Build(run);
        AssertSelfContained(html);
        // heterogeneity bars, coverage-alone bars, circle, unrolled, composites, leaf densities, loss, robustness.
        Assert.Equal(8, Regex.Matches(html, "<svg class=\"chart\"").Count);
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
        string html = NestedReportPage.Build(run);
        AssertSelfContained(html);
        Assert.Equal(8, Regex.Matches(html, "<svg class=\"chart\"").Count);
        Assert.DoesNotContain("homogeneous fleet", html);
        Assert.DoesNotContain("coverage, homogeneous", html);
        var before = CultureInfo.CurrentCulture;
        try
        {
            var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
            comma.NumberFormat.NumberDecimalSeparator = ",";
            CultureInfo.CurrentCulture = comma;
            Assert.Equal(html, NestedReportPage.Build(run));
        }
        finally { CultureInfo.CurrentCulture = before; }
    }

    [Fact]
    public void Build_NamesTheMissingFile()
    {
        Assert.Contains(RunFiles.Summary, Assert.Throws<ConfigException>(() => NestedReportPage.Build(_dir)).Message);
        string run = NestedStateTests.WriteTinyRun(_dir);
        File.Delete(Path.Combine(run, RunFiles.Model));
        Assert.Contains(RunFiles.Model, Assert.Throws<ConfigException>(() => NestedReportPage.Build(run)).Message);
    }

    [Fact]
    public void Build_RefusesAFlatRunSummary_NamingTheMissingField()
    {
        string run = NestedStateTests.WriteTinyRun(_dir);
        File.WriteAllText(Path.Combine(run, RunFiles.Summary), """{ "loss": 1 }""");
        Assert.Contains("summary.json: nested", Assert.Throws<ConfigException>(() => NestedReportPage.Build(run)).Message);
    }

    [Fact]
    public void Write_WritesReportHtml_AndNoTemporaryFiles()
    {
        string run = NestedStateTests.WriteTinyRun(_dir);
        NestedReportPage.Write(run);
        Assert.True(File.Exists(Path.Combine(run, RunFiles.Report)));
        Assert.Empty(Directory.GetFiles(run, "*.tmp"));
    }
}
