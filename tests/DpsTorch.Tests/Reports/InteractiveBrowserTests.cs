// The report charts' script in a real headless browser (PuppeteerSharp driving Debian's /usr/bin/chromium, never a
// downloaded one): hover read-outs give the value drawn there, a legend click hides a series, dragging zooms and a
// double-click resets, every figure offers its data as CSV, nothing is fetched and nothing is logged to the console.
// Skipped, with the reason, where chromium is not installed (.ci/run installs it).
using System.Globalization;
using System.Text.RegularExpressions;
using DpsTorch.Runs;
using DpsTorch.Config;
using DpsTorch.Fitting;
using DpsTorch.IO;
using DpsTorch.Model;
using DpsTorch.Reports;
using PuppeteerSharp;
using PuppeteerSharp.Input;
using Xunit.Abstractions;

namespace DpsTorch.Tests.Reports;

public sealed partial class InteractiveBrowserTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Debian's chromium; CHROMIUM names another binary (as for scripts/screenshot-report.sh).</summary>
    private static readonly string Chromium = Environment.GetEnvironmentVariable("CHROMIUM") is { Length: > 0 } c ? c : "/usr/bin/chromium";
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-browser-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly Lazy<ExperimentResult> Tiny = new(() => Experiment.Run(ConfigLoader.Parse("""
        { "name": "browser test", "space": { "m": 32 }, "agents": { "count": 6 }, "demand": { "peaks": 2, "width": 0.3 },
          "topology": { "kind": "ring", "k": 1 }, "training": { "steps": 40, "restarts": 1, "logEvery": 5 },
          "measures": { "resilienceSteps": 5, "maxRadius": 3, "fractions": [0, 0.25, 0.5, 0.75, 1] } }
        """)));

    private static void SkipWithoutChromium() =>
        Skip.IfNot(File.Exists(Chromium), $"{Chromium} is not installed (apt-get install -y chromium; .ci/run installs it).");

    /// <summary>The tiny run's report.html, written into this test's folder.</summary>
    private string TinyReport()
    {
        string run = Path.Combine(_dir, "run");
        RunOutput.Write(run, Tiny.Value);
        ReportPage.Write(run);
        return Path.Combine(run, RunFiles.Report);
    }

    /// <summary>A fresh browser with its own profile folder; no browser is ever downloaded.</summary>
    private async Task<IBrowser> Launch()
    {
        string profile = Path.Combine(_dir, "profile");
        Directory.CreateDirectory(profile);
        return await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            UserDataDir = profile,
            Timeout = 60_000,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
            DefaultViewport = new ViewPortOptions { Width = 1400, Height = 1000 },
        });
    }

    /// <summary>Records console errors, uncaught exceptions and every request that is not for the page's own file.</summary>
    private static async Task<List<string>> Watch(IPage page, string file)
    {
        var problems = new List<string>();
        page.Console += (_, e) => { if (e.Message.Type is ConsoleType.Error or ConsoleType.Warning) lock (problems) problems.Add($"console {e.Message.Type}: {e.Message.Text}"); };
        page.PageError += (_, e) => { lock (problems) problems.Add($"page error: {e.Message}"); };
        await page.SetRequestInterceptionAsync(true);
        string own = new Uri(file).AbsoluteUri;
        page.Request += async (_, e) =>
        {
            if (e.Request.Url == own || e.Request.Url.StartsWith("data:", StringComparison.Ordinal)) await e.Request.ContinueAsync();
            else { lock (problems) problems.Add($"request: {e.Request.Url}"); await e.Request.AbortAsync(); }
        };
        return problems;
    }

    // Page-side helpers: the chart in the card titled t, and the screen centre of marker i of series s.
    private const string ChartJs = "t => [...document.querySelectorAll('section')].find(c => c.querySelector('h2')?.textContent === t).querySelector('svg[data-dps-chart]')";
    private static string MarkerCentre(string title, int series, int i) => $$"""
        (() => { const svg = ({{ChartJs}})({{Quote(title)}});
          if (svg.getBoundingClientRect().bottom > innerHeight || svg.getBoundingClientRect().top < 0) svg.scrollIntoView({ block: 'center' });
          const r = svg.querySelectorAll('g.series')[{{series}}].querySelectorAll('circle, .dps-mark')[{{i}}].getBoundingClientRect();
          return [r.left + r.width / 2, r.top + r.height / 2]; })()
        """;
    private static string Readout(string title) => $"(({ChartJs})({Quote(title)})).querySelector('.dps-readout')";
    private static string Quote(string s) => "'" + s.Replace("'", "\\'") + "'";

    private static async Task<string> Hover(IPage page, string title, int series, int i)
    {
        var at = await page.EvaluateExpressionAsync<double[]>(MarkerCentre(title, series, i));
        await page.Mouse.MoveAsync((decimal)at[0] + 1, (decimal)at[1] + 1);
        return await page.EvaluateExpressionAsync<string>($"(r => r.getAttribute('display') === 'none' ? '' : r.textContent)({Readout(title)})");
    }

    [GeneratedRegex(@"x = (\S+), y = (\S+?)(?:$| |±)")]
    private static partial Regex XY();

    private static (double X, double Y) Read(string readout)
    {
        var m = XY().Match(readout);
        Assert.True(m.Success, $"no \"x = .., y = ..\" in the read-out \"{readout}\"");
        return (double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    private static void Near(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-3 * Math.Max(1e-9, Math.Abs(expected)), $"{what}: expected {expected}, the page shows {actual}");

    [SkippableFact]
    public async Task RunReport_HoverShowsTheValue_LegendHides_DragZooms_DataDownloads_NoErrors()
    {
        SkipWithoutChromium();
        string file = TinyReport();
        var robustness = Tiny.Value.Measures.Robustness!;
        var local = Tiny.Value.Measures.LocalHeterogeneity;

        await using var browser = await Launch();
        var page = await browser.NewPageAsync();
        var problems = await Watch(page, file);
        await page.GoToAsync(new Uri(file).AbsoluteUri, WaitUntilNavigation.Load);
        int charts = await page.EvaluateExpressionAsync<int>("document.querySelectorAll('svg[data-dps-chart]').length");
        Assert.True(charts >= 6, $"only {charts} interactive charts");
        int figures = await page.EvaluateExpressionAsync<int>("document.querySelectorAll('svg.chart').length");   // with bars, circle, graph
        Assert.Equal(figures, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('svg[data-dps-ready]').length"));

        // Hover: the marker drawn for radius 2 reads back radius 2 and the measured local heterogeneity.
        var (r, h) = Read(await Hover(page, "Local heterogeneity", 0, 2));
        await Shot(page, "run-hover");
        Assert.Equal(2, r);
        Near(local[2], h, "local heterogeneity at r = 2");

        // Legend: hiding "robustness" hides its series; the same spot then reads the resilience curve, or nothing.
        const string rob = "Robustness and resilience";
        int k = 2;
        string before = await Hover(page, rob, 0, k);
        Assert.StartsWith("robustness: ", before);
        Near(robustness.Fractions[k], Read(before).X, "fraction removed");
        Near(robustness.Coverage[k], Read(before).Y, "coverage kept");
        await page.EvaluateExpressionAsync($"(({ChartJs})({Quote(rob)})).querySelector('.legend-item[data-series=\"0\"]').dispatchEvent(new MouseEvent('click', {{ bubbles: true }}))");
        Assert.Equal("none", await page.EvaluateExpressionAsync<string>($"getComputedStyle((({ChartJs})({Quote(rob)})).querySelectorAll('g.series')[0]).display"));
        Assert.Equal("0.35", await page.EvaluateExpressionAsync<string>($"(({ChartJs})({Quote(rob)})).querySelector('.legend-item[data-series=\"0\"]').getAttribute('opacity')"));
        await page.Mouse.MoveAsync(1, 1);
        var at = await page.EvaluateExpressionAsync<double[]>(MarkerCentre(rob, 0, k));
        Assert.Equal([0, 0], at.Select(v => Math.Round(v)));   // a hidden marker has no box
        string after = await Hover(page, rob, 1, k);
        Assert.StartsWith("resilience: ", after);
        await page.EvaluateExpressionAsync($"(({ChartJs})({Quote(rob)})).querySelector('.legend-item[data-series=\"0\"]').dispatchEvent(new MouseEvent('click', {{ bubbles: true }}))");
        Assert.NotEqual("none", await page.EvaluateExpressionAsync<string>($"getComputedStyle((({ChartJs})({Quote(rob)})).querySelectorAll('g.series')[0]).display"));

        // Zoom: drag over the middle of the plot; the view narrows, new ticks replace the static ones, markers follow
        // (hovering a moved marker still reads its own value), and a double-click restores the figure.
        var box = await DragZoom(page, rob, 0.1, 0.6);
        double w = box[2] - box[0];
        await Shot(page, "run-zoomed");
        string view = await page.EvaluateExpressionAsync<string>($"(({ChartJs})({Quote(rob)})).getAttribute('data-view')") ?? "";
        var v = view.Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        Assert.True(v.Length == 4 && v[0] > 0 && v[1] < 1 && v[1] - v[0] < 0.7, $"the view after the drag is \"{view}\"");
        Assert.Equal("none", await page.EvaluateExpressionAsync<string>($"(({ChartJs})({Quote(rob)})).querySelector('.dps-ticks').getAttribute('display')"));
        Assert.True(await page.EvaluateExpressionAsync<int>($"(({ChartJs})({Quote(rob)})).querySelectorAll('.dps-zoom-ticks text').length") >= 4);
        int inView = Enumerable.Range(0, robustness.Fractions.Count).First(i => robustness.Fractions[i] > v[0] && robustness.Fractions[i] < v[1]);
        var zoomed = Read(await Hover(page, rob, 0, inView));
        Near(robustness.Fractions[inView], zoomed.X, "fraction removed, zoomed");
        Near(robustness.Coverage[inView], zoomed.Y, "coverage kept, zoomed");
        await page.Mouse.ClickAsync((decimal)(box[0] + 0.5 * w), (decimal)(box[1] + 0.5 * (box[3] - box[1])), new ClickOptions { Count = 2 });
        Assert.Null(await page.EvaluateExpressionAsync<string>($"(({ChartJs})({Quote(rob)})).getAttribute('data-view')"));
        Assert.Equal("inline", await page.EvaluateExpressionAsync<string>($"(({ChartJs})({Quote(rob)})).querySelector('.dps-ticks').getAttribute('display')"));

        // Download: one CSV link per chart; the local heterogeneity one holds the measured values.
        Assert.Equal(figures, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('a.dps-download[download][href^=\"data:text/csv\"]').length"));
        string csv = await page.EvaluateExpressionAsync<string>($"decodeURIComponent((({ChartJs})({Quote("Local heterogeneity")})).nextElementSibling.getAttribute('href').split(',').slice(1).join(','))");
        var lines = csv.TrimEnd('\n').Split('\n');
        Assert.Equal("series,radius r (hops),local heterogeneity", lines[0]);
        Assert.Equal(local.Length, lines.Length - 1);
        for (int i = 0; i < local.Length; i++)
        {
            var cells = lines[i + 1].Split(',');
            Assert.Equal(i, double.Parse(cells[1], CultureInfo.InvariantCulture));
            Near(local[i], double.Parse(cells[2], CultureInfo.InvariantCulture), $"CSV row {i}");
        }

        // The topology figure's data is the edge list, every edge with its weight.
        string edges = await page.EvaluateExpressionAsync<string>("decodeURIComponent([...document.querySelectorAll('section')].find(c => c.querySelector('h2')?.textContent === 'Topology').querySelector('a.dps-download').getAttribute('href').split(',').slice(1).join(','))");
        var edgeLines = edges.TrimEnd('\n').Split('\n');
        Assert.Equal("agent i,agent j,weight", edgeLines[0]);
        Assert.Equal(6, edgeLines.Length - 1);   // a ring of 6 with k = 1

        output.WriteLine($"{charts} charts; problems: {string.Join("; ", problems)}");
        Assert.Empty(problems);
    }

    /// <summary>
    /// Scrolls the chart titled <paramref name="title"/> into view and drags across its plot from the fraction
    /// <paramref name="from"/> of its width (near the top) to <paramref name="to"/> (near the bottom): a zoom. Returns the
    /// plot area on screen (left, top, right, bottom).
    /// </summary>
    private static async Task<double[]> DragZoom(IPage page, string title, double from, double to)
    {
        var box = await page.EvaluateExpressionAsync<double[]>($$"""
            (() => { const svg = ({{ChartJs}})({{Quote(title)}}); svg.scrollIntoView({ block: 'center' }); const p = svg.dataset.plot.split(' ').map(Number), m = svg.getScreenCTM();
              const a = new DOMPoint(p[0], p[1]).matrixTransform(m), b = new DOMPoint(p[0] + p[2], p[1] + p[3]).matrixTransform(m);
              return [a.x, a.y, b.x, b.y]; })()
            """);
        double w = box[2] - box[0];
        await page.Mouse.MoveAsync((decimal)(box[0] + from * w), (decimal)(box[1] + 5));
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync((decimal)(box[0] + (from + to) / 2 * w), (decimal)(box[3] - 5), new MoveOptions { Steps = 5 });
        await page.Mouse.MoveAsync((decimal)(box[0] + to * w), (decimal)(box[3] - 5), new MoveOptions { Steps = 5 });
        await page.Mouse.UpAsync();
        return box;
    }

    /// <summary>With DPS_BROWSER_SHOTS=DIR set, saves a PNG of the page as the test sees it (for looking at the charts).</summary>
    private static async Task Shot(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("DPS_BROWSER_SHOTS") is { Length: > 0 } dir)
            await page.ScreenshotAsync(Path.Combine(dir, name + ".png"));
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task NestedReport_EveryChartIsInteractive_HoverReadsTheUnrolledProduction_NoErrors(bool fullRun)
    {
        SkipWithoutChromium();
        // A full run folder (trajectory.csv included, written by the one pipeline) and one of summary.json and model.json only.
        string run = fullRun ? NestedReportPageTests.WriteFullRun(_dir) : Nested.NestedStateTests.WriteTinyRun(_dir);
        ReportPage.Write(run);
        string file = Path.Combine(run, DpsTorch.IO.RunFiles.Report);

        await using var browser = await Launch();
        var page = await browser.NewPageAsync();
        var problems = await Watch(page, file);
        await page.GoToAsync(new Uri(file).AbsoluteUri, WaitUntilNavigation.Load);
        int charts = await page.EvaluateExpressionAsync<int>("document.querySelectorAll('svg[data-dps-chart]').length");
        Assert.True(charts >= 4, $"only {charts} interactive charts");
        int figures = await page.EvaluateExpressionAsync<int>("document.querySelectorAll('svg.chart').length");   // with bars, circle, graph
        Assert.Equal(figures, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('svg[data-dps-ready]').length"));
        Assert.Equal(figures, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('a.dps-download').length"));
        // Hover where the page draws the production's 8th grid point: the read-out gives that point.
        if (fullRun)
            foreach (var title in new[] { "Residual W − D", "Heterogeneity", "Coverage", "Where the heterogeneity sits" })
                Assert.True(await page.EvaluateExpressionAsync<bool>($"[...document.querySelectorAll('section h2')].some(h => h.textContent === {Quote(title)})"), $"no card \"{title}\"");
        const string unrolled = "Demand and production, unrolled";
        var at = await page.EvaluateExpressionAsync<double[]>($$"""
            (() => { const svg = ({{ChartJs}})({{Quote(unrolled)}}); svg.scrollIntoView({ block: 'center' });
              const p = svg.dataset.plot.split(' ').map(Number), ax = svg.dataset.xaxis.split(' ').map(Number), ay = svg.dataset.yaxis.split(' ').map(Number);
              const g = svg.querySelectorAll('g.series')[1], x = Number(svg.dataset.x.split(',')[8]), y = Number(g.dataset.y.split(',')[8]);
              const q = new DOMPoint(p[0] + (x - ax[1]) / (ax[2] - ax[1]) * p[2], p[1] + p[3] - (y - ay[1]) / (ay[2] - ay[1]) * p[3]).matrixTransform(svg.getScreenCTM());
              return [q.x, q.y, x, y]; })()
            """);
        await page.Mouse.MoveAsync((decimal)at[0], (decimal)at[1]);
        string readout = await page.EvaluateExpressionAsync<string>($"{Readout(unrolled)}.textContent");
        Assert.StartsWith("production W: ", readout);
        Near(at[2], Read(readout).X, "x of grid point 8");
        Near(at[3], Read(readout).Y, "production at grid point 8");
        await Shot(page, fullRun ? "nested-full-hover" : "nested-hover");
        Assert.Empty(problems);
    }

    [SkippableFact]
    public async Task SweepReport_RendersWithoutErrors_HoverReadsTheMean_ZoomKeepsMarkerShapes()
    {
        SkipWithoutChromium();
        string sweep = Path.Combine(_dir, "sweep");
        Sweeps.SweepStatisticsTests.RunSweep(sweep);
        DpsTorch.Sweeps.SweepReport.Write(sweep);
        string file = Path.Combine(sweep, RunFiles.Report);
        var stats = DpsTorch.Sweeps.SweepResults.Statistics(sweep);

        await using var browser = await Launch();
        var page = await browser.NewPageAsync();
        var problems = await Watch(page, file);
        await page.GoToAsync(new Uri(file).AbsoluteUri, WaitUntilNavigation.Load);
        int charts = await page.EvaluateExpressionAsync<int>("document.querySelectorAll('svg[data-dps-chart]').length");
        Assert.True(charts >= 10, $"only {charts} interactive charts");
        Assert.Equal(charts, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('svg[data-dps-ready]').length"));
        Assert.Equal(12, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('a[href$=\"/report.html\"]').length"));

        // Series 0 (topology.kind=none) at its second point (agents.count = 4) reads back the mean over its seeds.
        const string chart = "loss against agents.count";
        var (x, y) = Read(await Hover(page, chart, 0, 1));
        Assert.Equal(4, x);
        Near(stats.Points.Single(p => p.Values.SequenceEqual(["4", "none"])).Measures["loss"].Mean, y, "mean loss at agents.count = 4 without links");

        // Zoom: the square markers of series 1 move with the view but keep their size (the second one, in the middle of
        // the plot, moves to its right edge).
        const string mark = "svg.querySelectorAll('g.series')[1].querySelectorAll('.dps-mark')[1]";
        string size = $"(() => {{ const svg = ({ChartJs})({Quote(chart)}); const r = {mark}.getBoundingClientRect(); return [r.width, r.height, r.left]; }})()";
        await page.EvaluateExpressionAsync($"(({ChartJs})({Quote(chart)})).scrollIntoView({{ block: 'center' }})");
        var before = await page.EvaluateExpressionAsync<double[]>(size);
        await DragZoom(page, chart, 0.02, 0.5);
        Assert.NotNull(await page.EvaluateExpressionAsync<string>($"(({ChartJs})({Quote(chart)})).getAttribute('data-view')"));
        var after = await page.EvaluateExpressionAsync<double[]>(size);
        Assert.True(Math.Abs(after[0] - before[0]) < 0.5 && Math.Abs(after[1] - before[1]) < 0.5, $"marker size {before[0]}x{before[1]} became {after[0]}x{after[1]}");
        Assert.True(Math.Abs(after[2] - before[2]) > 1, "the marker moved with the view");
        await Shot(page, "sweep-zoomed");
        Assert.Empty(problems);
    }

    [SkippableFact]
    public async Task RunReport_WithScriptsOff_ShowsEveryFigure_WithoutTheInteractiveParts()
    {
        SkipWithoutChromium();
        string file = TinyReport();
        int inHtml = Regex.Matches(File.ReadAllText(file), "<svg class=\"chart\"").Count;

        await using var browser = await Launch();
        var page = await browser.NewPageAsync();
        await page.SetJavaScriptEnabledAsync(false);
        var problems = await Watch(page, file);
        await page.GoToAsync(new Uri(file).AbsoluteUri, WaitUntilNavigation.Load);
        Assert.Equal(inHtml, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('svg.chart').length"));
        Assert.Equal(0, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('[data-dps-ready], a.dps-download').length"));
        // Every chart is laid out at full size: nothing waits for the script to appear.
        var widths = await page.EvaluateExpressionAsync<double[]>("[...document.querySelectorAll('svg.chart')].map(s => s.getBoundingClientRect().width)");
        Assert.All(widths, width => Assert.True(width > 300, $"a chart is {width} px wide"));
        Assert.Empty(problems);
    }

    [SkippableFact]
    public async Task StandaloneFitSvg_RunsItsOwnScript_HoverAndToggle()
    {
        SkipWithoutChromium();
        var table = FitTable.Parse("N,loss\n" + string.Join("\n", new[] { 2, 4, 8, 16, 32, 64 }.Select(n => $"{n},{(3.0 * Math.Pow(n, -0.5)).ToString("R", CultureInfo.InvariantCulture)}")), "t.csv");
        // One form, so no faded alternative curves lie near the markers the test hovers.
        var study = ScalingStudy.Run(table, new FitRequest("N", "loss") { Form = ScalingForm.Power }, new FitOptions { BootstrapResamples = 20 });
        string file = Path.Combine(_dir, "fit.svg");
        FitReport.WriteSvg(file, study);

        await using var browser = await Launch();
        var page = await browser.NewPageAsync();
        var problems = await Watch(page, file);
        await page.GoToAsync(new Uri(file).AbsoluteUri, WaitUntilNavigation.Load);
        // The fit figure nests two charts (the fit and its residuals); the one script makes both interactive.
        Assert.Equal(2, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('svg[data-dps-ready]').length"));
        // Hide the fitted curve (it passes through the data), then the marker at N = 16 reads its own value.
        const string main = "document.querySelector('svg.fit-main')";
        int fit = await page.EvaluateExpressionAsync<int>($"[...{main}.querySelectorAll('g.series')].findIndex(g => g.dataset.name.includes(' fit, '))");
        int data = await page.EvaluateExpressionAsync<int>($"[...{main}.querySelectorAll('g.series')].findIndex(g => g.dataset.name === 'data' || g.dataset.name.startsWith('mean'))");
        Assert.True(fit >= 0 && data >= 0, $"fit series {fit}, data series {data}");
        await page.EvaluateExpressionAsync($"{main}.querySelector('.legend-item[data-series=\"{fit}\"]').dispatchEvent(new MouseEvent('click', {{ bubbles: true }}))");
        Assert.Equal("none", await page.EvaluateExpressionAsync<string>($"getComputedStyle({main}.querySelectorAll('g.series')[{fit}]).display"));
        var at = await page.EvaluateExpressionAsync<double[]>($"(() => {{ const r = {main}.querySelectorAll('g.series')[{data}].querySelectorAll('circle')[3].getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; }})()");
        await page.Mouse.MoveAsync((decimal)at[0], (decimal)at[1]);
        var (x, y) = Read(await page.EvaluateExpressionAsync<string>("document.querySelector('.dps-readout').textContent"));
        Assert.Equal(16, x);
        Near(3.0 / 4, y, "loss at N = 16");
        Assert.Equal(2, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('a.dps-download[download]').length"));
        Assert.Empty(problems);
    }
}
