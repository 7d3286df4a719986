using System.Text.RegularExpressions;
using DpsTorch.Config;
using DpsTorch.Reports;
using DpsTorch.Runs;
using PuppeteerSharp;

namespace DpsTorch.Tests.Reports;

/// <summary>The report of a run on T^2: maps of D, W and W − D with agent markers and breadth ellipses.</summary>
public class TorusReportPageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-torus-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static readonly Lazy<ExperimentResult> Tiny = new(() => Experiment.Run(ConfigLoader.Parse("""
        { "name": "tiny torus", "space": { "m": 12, "dimensions": 2 }, "agents": { "count": 5 },
          "demand": { "kind": "peaks", "peaks": 2, "width": 0.4 }, "topology": { "kind": "ring", "k": 1 },
          "training": { "steps": 30, "restarts": 1, "logEvery": 5 }, "measures": { "seeds": 2, "resilienceSteps": 0, "maxRadius": 2 } }
        """)));

    internal static string WriteTinyRun(string dir)
    {
        string run = Path.Combine(dir, "torus-run");
        RunOutput.Write(run, Tiny.Value);
        ReportPage.Write(run);
        return run;
    }

    [Fact]
    public void Build_DrawsTheMaps_WithOneMarkerAndEllipsePerAgent_AndTheTrainingCards()
    {
        string html = ReportPage.Build(WriteTinyRun(_dir));
        foreach (var title in new[] { "Demand D", "Production W", "Residual W − D", "Loss", "Heterogeneity", "Coverage" })
            Assert.Contains($"<h2>{title}</h2>", html);
        Assert.Contains("T^2, M = 12 points per axis (144 in all)", html);
        // 12×12 shaded cells on the demand's map.
        int from = html.IndexOf("<h2>Demand D</h2>", StringComparison.Ordinal), to = html.IndexOf("<h2>Production W</h2>", StringComparison.Ordinal);
        Assert.Equal(144, Regex.Matches(html[from..to], "<rect [^>]*fill=\"#").Count);
        // Every agent has an ellipse on the two agent maps (more where it wraps across an edge).
        Assert.True(Regex.Matches(html, "<ellipse ").Count >= 2 * 5);
        Assert.DoesNotContain("NaN", html.Replace(Interactive.HtmlScript, ""));
    }
}

public sealed partial class InteractiveBrowserTests
{
    [SkippableFact]
    public async Task TorusReport_RendersEveryFigure_NoErrors()
    {
        SkipWithoutChromium();
        string run = TorusReportPageTests.WriteTinyRun(_dir);
        string file = Path.Combine(run, DpsTorch.IO.RunFiles.Report);
        await using var browser = await Launch();
        var page = await browser.NewPageAsync();
        var problems = await Watch(page, file);
        await page.GoToAsync(new Uri(file).AbsoluteUri, WaitUntilNavigation.Load);
        int figures = await page.EvaluateExpressionAsync<int>("document.querySelectorAll('svg.chart').length");
        Assert.True(figures >= 6, $"only {figures} figures");
        Assert.Equal(figures, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('svg[data-dps-ready]').length"));
        await Shot(page, "torus-report");
        Assert.Empty(problems);
    }
}
