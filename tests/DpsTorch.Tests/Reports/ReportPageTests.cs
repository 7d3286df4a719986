using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using DpsTorch.Runs;
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

        // polar, unrolled, densities, topology, loss, heterogeneity, coverage, robustness, local heterogeneity.
        Assert.Equal(9, Regex.Matches(html, "<svg class=\"chart\"").Count);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.DoesNotContain("http://", html.Replace("xmlns=\"http://www.w3.org/2000/svg\"", ""));
        Assert.DoesNotContain("https://", html);
        InteractiveTests.AssertOnlyTheChartScript(html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("url(", html);
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
