using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using DpsTorch.Runs;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Model;
using DpsTorch.Reports;
using Xunit.Abstractions;

namespace DpsTorch.Tests.Reports;

public class ReportPageTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly Lazy<ExperimentResult> Tiny = new(() => Experiment.Run(ConfigLoader.Parse("""
        { "name": "tiny <ring> & report", "description": "A \"tiny\" ring for the report test.",
          "space": { "m": 32 }, "agents": { "count": 6 }, "demand": { "peaks": 2, "width": 0.3 },
          "topology": { "kind": "ring", "k": 1 }, "training": { "steps": 30, "restarts": 1, "logEvery": 5 },
          "measures": { "resilienceSteps": 5, "maxRadius": 3 } }
        """)));

    private string TinyRun()
    {
        string run = Path.Combine(_dir, "run");
        RunOutput.Write(run, Tiny.Value);
        return run;
    }

    [Fact]
    public void Build_OnATinyRun_HasEveryFigure_NoNetwork_NoNonFiniteText_AndTheSummaryNumbers()
    {
        string html = ReportPage.Build(TinyRun());
        var m = Tiny.Value.Measures;

        // polar, unrolled, residual, densities, topology, loss, heterogeneity, coverage, robustness, local heterogeneity.
        Assert.Equal(10, Regex.Matches(html, "<svg class=\"chart\"").Count);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.DoesNotContain("http://", html.Replace("xmlns=\"http://www.w3.org/2000/svg\"", ""));
        Assert.DoesNotContain("https://", html);
        InteractiveTests.AssertOnlyTheChartScript(html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotMatch(new Regex(@"url\((?!#)"), html);   // only fragment references within the page (bar hatching)
        Assert.DoesNotContain("NaN", html.Replace(Interactive.HtmlScript, ""));   // the script itself may say NaN
        Assert.DoesNotContain("Infinity", html.Replace(Interactive.HtmlScript, ""));
        foreach (var v in new[] { m.Loss, m.Heterogeneity.Q1, m.Coverage, m.Specialisation, m.Efficiency })
            Assert.Contains($"<td>{Svg.Num(v)}</td>", html);
        // Text from the config is escaped, never raw markup.
        Assert.Contains("tiny &lt;ring&gt; &amp; report", html);
        Assert.DoesNotContain("<ring>", html);
        Assert.Contains("<details><summary>Resolved config</summary><pre>", html);
        // Every SVG number is plain invariant culture: no commas inside coordinates.
        Assert.DoesNotMatch(new Regex("\\s(?:x|y|cx|cy|r|d)=\"[^\"]*\\d,\\d"), html);
    }

    /// <summary>The HTML of the card titled <paramref name="title"/>.</summary>
    private static string Card(string html, string title)
    {
        var m = Regex.Match(html, $"<h2>{Regex.Escape(title)}</h2>(.*?)</section>", RegexOptions.Singleline);
        Assert.True(m.Success, $"no card \"{title}\"");
        return m.Groups[1].Value;
    }

    [Fact]
    public void Build_ShowsTheResidual_ThePeaksLine_AndTheHeadlineFirst()
    {
        string html = ReportPage.Build(TinyRun());
        // Residual W − D: its values are production minus demand at every grid point (the zero line is series 0).
        var residual = Card(html, "Residual W − D");
        var ys = Regex.Matches(residual, "data-y=\"([^\"]*)\"").Select(x => x.Groups[1].Value).ToList();
        Assert.Equal(2, ys.Count);
        Assert.Equal("0,0", ys[0]);
        static double[] Numbers(string text) => [.. text.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture))];
        var r = Numbers(ys[1]);
        Assert.Equal(33, r.Length); // 32 grid points and the repeat at 2π
        var unrolled = Regex.Matches(Card(html, "Demand and production, unrolled"), "data-y=\"([^\"]*)\"").Select(x => Numbers(x.Groups[1].Value)).ToList();
        for (int k = 0; k < 33; k++) Assert.Equal(unrolled[1][k] - unrolled[0][k], r[k], 3); // W − D (both as drawn, rounded)
        // The heterogeneity trace has the demand's two peaks as a dashed reference line, with its own legend entry.
        var het = Card(html, "Heterogeneity");
        Assert.Contains("demand peaks K = 2", het);
        Assert.Contains("data-y=\"2,2\"", het);
        // The headline (coverage by default) is the first row of the summary card.
        var summary = Card(html, "Summary");
        Assert.StartsWith("<table class=\"summary\"><tbody><tr class=\"headline\"><th>coverage</th>", summary);
        Assert.Contains(Svg.Escape("utilisation ∫min(W, D)/∫W"), summary);
        Assert.Contains($"<td>{Svg.Num(Tiny.Value.Measures.Efficiencies.Amplification)}</td>", summary);
    }

    [Fact]
    public void Build_EveryLegendTellsItsSeriesApartWithoutColour_AndTheRobustnessBandStaysInTheUnitInterval()
    {
        string html = ReportPage.Build(TinyRun());
        int legends = 0;
        foreach (var chart in html.Split("<svg class=\"chart\"").Skip(1))
        {
            var items = Regex.Matches(chart, "<g class=\"legend-item\" data-series=\"\\d+\">(.*?)<text", RegexOptions.Singleline)
                .Select(i => Regex.Replace(i.Groups[1].Value, "(stroke|fill)=\"#[0-9a-f]{6}\"|(?<![\\w-])[xy][12]?=\"[^\"]*\"|c[xy]=\"[^\"]*\"|data-c[xy]=\"[^\"]*\"|transform=\"[^\"]*\"", "")).ToList();
            Assert.Equal(items.Count, items.Distinct().Count());
            if (items.Count > 1) legends++;
        }
        Assert.True(legends >= 4, $"only {legends} legends with several entries"); // unrolled, residual, loss, heterogeneity, robustness
        var band = Card(html, "Robustness and resilience");
        foreach (Match m in Regex.Matches(band, "data-(?:lo|hi)=\"([^\"]*)\""))
            Assert.All(m.Groups[1].Value.Split(','), v => Assert.InRange(double.Parse(v, CultureInfo.InvariantCulture), 0, 1));
    }

    [Fact]
    public void Build_LocalObjective_DrawsEachNeighbourhoodsDensityAgainstTheDemandsShape()
    {
        var local = Experiment.Run(ConfigLoader.Parse("""
            { "space": { "m": 32 }, "agents": { "count": 5 }, "demand": { "peaks": 2, "width": 0.3 },
              "topology": { "kind": "ring", "k": 1 }, "objective": { "kind": "local" }, "training": { "steps": 10, "restarts": 1 },
              "measures": { "resilienceSteps": 0, "headline": "heterogeneity" } }
            """));
        string run = Path.Combine(_dir, "local");
        RunOutput.Write(run, local);
        string html = ReportPage.Build(run);
        Assert.DoesNotContain("<h2>Demand and production, unrolled</h2>", html);
        var card = Card(html, "Neighbourhood densities P_i against the demand shape D/∫D");
        var ys = Regex.Matches(card, "data-y=\"([^\"]*)\"").Select(x => x.Groups[1].Value.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToList();
        Assert.Equal(1 + 5, ys.Count); // the demand's shape and one P_i per agent
        double delta = 2 * Math.PI / 32;
        foreach (var y in ys) Assert.Equal(1.0, y[..32].Sum() * delta, 3); // all of them are densities (∫ = 1), not W
        Assert.Contains("<h2>Residual P_i − D/∫D</h2>", html);
        Assert.StartsWith($"<table class=\"summary\"><tbody><tr class=\"headline\"><th>{Svg.Escape("heterogeneity ¹D (q = 1)")}</th>", Card(html, "Summary"));
    }

    [Theory]
    [InlineData(1000.6, 0.2, "1000.6")]
    [InlineData(1000.8, 0.2, "1000.8")]
    [InlineData(0.30000000000000004, 0.1, "0.3")]
    [InlineData(-0.25, 0.05, "-0.25")]
    [InlineData(100, 20, "100")]
    [InlineData(2.5e-5, 5e-6, "2.5e-5")]
    [InlineData(3e6, 1e6, "3e6")]
    public void TickLabel_HasTheDigitsTheStepNeeds(double v, double step, string label)
        => Assert.Equal(label, LineChart.TickLabel(v, step));

    [Fact]
    public void NiceTicks_AreExactMultiplesOfTheStep()
    {
        Assert.Equal([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], LineChart.NiceTicks(0.01, 0.99));
        Assert.Contains(0.3, LineChart.NiceTicks(0.05, 0.62));
        Assert.True(LineChart.LogTicks(6.8, 12).Count >= 3, "a range inside one decade gets linear ticks");
    }

    [Fact]
    public void Build_IsTheSameUnderACultureWithDecimalCommas()
    {
        string run = TinyRun();
        string invariant = ReportPage.Build(run);
        var before = CultureInfo.CurrentCulture;
        try
        {
            // The test host runs in globalization-invariant mode, so build a decimal-comma culture by hand.
            var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
            comma.NumberFormat.NumberDecimalSeparator = ",";
            comma.NumberFormat.NumberGroupSeparator = ".";
            CultureInfo.CurrentCulture = comma;
            Assert.Equal("0,5", 0.5.ToString());
            Assert.Equal(invariant, ReportPage.Build(run));
        }
        finally { CultureInfo.CurrentCulture = before; }
    }

    [Fact]
    public void Build_NamesTheMissingFile()
    {
        var ex = Assert.Throws<ConfigException>(() => ReportPage.Build(_dir));
        Assert.Contains(RunFiles.Summary, ex.Message);
        string run = TinyRun();
        File.Delete(Path.Combine(run, RunFiles.Model));
        Assert.Contains(RunFiles.Model, Assert.Throws<ConfigException>(() => ReportPage.Build(run)).Message);
        File.WriteAllText(Path.Combine(run, RunFiles.Summary), "{ not json");
        Assert.Contains(RunFiles.Summary, Assert.Throws<ConfigException>(() => ReportPage.Build(run)).Message);
    }

    [Fact]
    public void Write_LeavesReportHtml_AndNoTemporaryFiles()
    {
        string run = TinyRun();
        ReportPage.Write(run);
        Assert.True(new FileInfo(Path.Combine(run, RunFiles.Report)).Length > 10_000);
        Assert.Empty(Directory.GetFiles(run, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Build_ThinsLargeSystems_AndSaysSo()
    {
        var c = ConfigLoader.Parse("""
            { "space": { "m": 16 }, "agents": { "count": 260 }, "topology": { "kind": "complete" },
              "training": { "steps": 1, "restarts": 1 } }
            """);
        var r = Experiment.Run(c, measureRobustness: false);
        string run = Path.Combine(_dir, "big");
        RunOutput.Write(run, r);
        string html = ReportPage.Build(run);
        Assert.Contains($"Only {ReportPage.MaxDensityLines} of 260 agents are drawn", html);
        Assert.Contains($"only the {GraphPlot.MaxEdges} heaviest edges drawn", html);
        Assert.Equal(GraphPlot.MaxEdges, Regex.Matches(html, "<line x1=\"[^\"]*\" y1=\"[^\"]*\" x2=\"[^\"]*\" y2=\"[^\"]*\" stroke-opacity").Count);
    }

    [SkippableFact]
    public async Task ScreenshotScript_RendersTheReport_WhenChromiumIsInstalled()
    {
        string chromium = Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium"; // as the script finds it
        Skip.IfNot(File.Exists(chromium), $"{chromium} is not installed (apt-get install -y chromium); the report is not rendered.");
        string script = Path.Combine(TestUtil.RepoRoot(), "scripts", "screenshot-report.sh");
        string run = TinyRun();
        ReportPage.Write(run);
        string png = Path.Combine(_dir, "report.png");
        var psi = new ProcessStartInfo("bash", [script, run, png]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        var stderrTask = p.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(limit.Token);
        string stdout = await stdoutTask, stderr = await stderrTask;
        output.WriteLine(stdout + stderr);
        Assert.True(p.ExitCode == 0, $"screenshot-report.sh exited {p.ExitCode}: {stdout}{stderr}");
        var bytes = File.ReadAllBytes(png);
        Assert.True(bytes.Length > 10_000);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
    }
}
