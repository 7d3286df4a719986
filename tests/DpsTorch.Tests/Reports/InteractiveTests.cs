// The charts' inline script without a browser: small, hand-written, no network; and the data attributes it reads hold
// the plotted values. (InteractiveBrowserTests runs it in headless Chromium.)
using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DpsTorch.Reports;

namespace DpsTorch.Tests.Reports;

public class InteractiveTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    /// <summary>The page holds exactly one script, the charts' own, and it reaches for nothing outside the page.</summary>
    internal static void AssertOnlyTheChartScript(string html)
    {
        Assert.Single(Regex.Matches(html, "<script"));
        Assert.Contains(Interactive.HtmlScript, html);
    }

    [Fact]
    public void Script_IsSmall_AndHasNoNetworkOrDynamicCode()
    {
        string js = Interactive.Script;
        Assert.InRange(js.Split('\n').Length, 50, 300);
        foreach (var banned in new[] { "http:", "https:", "//cdn", "fetch(", "XMLHttpRequest", "WebSocket", "EventSource", "import(", "eval(",
                     "new Function", "sendBeacon", "src=", "localStorage", "document.cookie", "</script" })
            Assert.DoesNotContain(banned, js);
        Assert.DoesNotContain("]]>", js);   // it sits in a CDATA section in standalone SVG files
    }

    private static double[] Parse(string? attribute) =>
        attribute!.Split(',').Select(t => t.Length == 0 ? double.NaN : double.Parse(t, CultureInfo.InvariantCulture)).ToArray();

    [Fact]
    public void LineChart_WritesTheSeriesData_AxisRanges_AndALegendEntryPerLabelledSeries()
    {
        double[] x = [0, 1, 2, 3], y1 = [1, 2.5, double.NaN, 1e-7], y2 = [0.123456789, 2, 3, 4];
        string svg = new LineChart
        {
            XLabel = "step", YLabel = "loss", LogY = true, Series =
            {
                new(x, y1, "#000") { Label = "first" },
                new(x, y2, "#111") { Name = "agent 7" },
                new(x, y2, "#222") { Label = "third", Band = (y2, y2) },
            },
        }.ToSvg();
        var root = XElement.Parse(svg.Replace("<svg ", "<svg xmlns=\"http://www.w3.org/2000/svg\" "));   // inline SVG in HTML has no xmlns
        Assert.Equal("1", (string?)root.Attribute("data-dps-chart"));
        Assert.Equal(x, Parse((string?)root.Attribute("data-x")));   // shared by every series
        Assert.StartsWith("log ", (string?)root.Attribute("data-yaxis"));
        Assert.Equal("step", (string?)root.Attribute("data-xlabel"));
        var groups = root.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "series").ToList();
        Assert.Equal(["first", "agent 7", "third"], groups.Select(g => (string?)g.Attribute("data-name")));
        Assert.Equal(y1, Parse((string?)groups[0].Attribute("data-y")));   // NaN written as an empty entry
        Assert.Equal(0.123457, Parse((string?)groups[1].Attribute("data-y"))[0]);   // six significant digits
        Assert.Equal(Parse((string?)groups[2].Attribute("data-y")), Parse((string?)groups[2].Attribute("data-lo")));
        var legend = root.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "legend-item").ToList();
        Assert.Equal(["0", "2"], legend.Select(g => (string?)g.Attribute("data-series")));
        Assert.Single(root.Descendants(Svg + "svg"), e => (string?)e.Attribute("class") == "dps-layer");
        Assert.Single(root.Descendants(Svg + "g"), e => (string?)e.Attribute("class") == "dps-ticks");
    }

    [Fact]
    public void BarChart_CarriesItsTableAsCsv_QuotingCellsThatNeedIt()
    {
        var chart = new BarChart { YLabel = "heterogeneity" };
        chart.Categories.AddRange(["leaves (8)", "node, rack"]);
        chart.Series.Add(new("among", "#000", [3.5, 1.25]));
        chart.Series.Add(new("within", "#111", [1, double.NaN]));
        var root = XElement.Parse(chart.ToSvg());
        Assert.Equal("category,among,within\nleaves (8),3.5,1\n\"node, rack\",1.25,\n", (string?)root.Attribute("data-dps-csv"));
    }

    [Fact]
    public void SvgPlot_WritesTheSeriesData_AndEmbedsTheScriptOnlyWhenAsked()
    {
        PlotSeries[] series = [new("data", [1, 10, 100], [2, 20, 200]) { YError = [0.1, 1, double.NaN] }, new("fit", [1, 100], [2, 200]) { Style = SeriesStyle.Line }];
        string plain = SvgPlot.Render(series, new PlotOptions { XScale = AxisScale.Log });
        var root = XElement.Parse(plain);
        Assert.StartsWith("log ", (string?)root.Attribute("data-xaxis"));
        var data = root.Descendants(Svg + "g").First(g => (string?)g.Attribute("data-name") == "data");
        Assert.Equal([1, 10, 100], Parse((string?)data.Attribute("data-x")));
        Assert.Equal([0.1, 1, double.NaN], Parse((string?)data.Attribute("data-e")));
        Assert.DoesNotContain("<script", plain);
        string standalone = SvgPlot.Render(series, new PlotOptions { Interactive = true });
        Assert.Contains(Interactive.SvgScript, standalone);
        XElement.Parse(standalone);   // still well-formed XML
    }
}
