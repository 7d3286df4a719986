using System.Globalization;
using System.Xml.Linq;
using DpsTorch.Reports;

namespace DpsTorch.Tests.Reports;

public class SvgPlotTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static IEnumerable<XElement> WithClass(XDocument doc, string element, string cls)
        => doc.Descendants(Svg + element).Where(e => (string?)e.Attribute("class") == cls);

    [Fact]
    public void Render_IsWellFormedSvg_WithOneMarkerPerFinitePoint()
    {
        var series = new[]
        {
            new PlotSeries("a", [1, 2, 3, 4], [1, 4, 9, 16]),
            new PlotSeries("b", [1, 2, double.NaN, 4], [2, 3, 4, 5]) { Style = SeriesStyle.LineAndMarkers },
            new PlotSeries("c", [1, 4], [0, 10]) { Style = SeriesStyle.Line, Dashed = true },
        };
        var doc = XDocument.Parse(SvgPlot.Render(series, new PlotOptions { Title = "t", XLabel = "x", YLabel = "y" }));
        Assert.Equal(Svg + "svg", doc.Root!.Name);
        Assert.Equal(4 + 3, WithClass(doc, "circle", "marker").Count());
        Assert.Equal(2, WithClass(doc, "path", "line").Count());
        Assert.Equal(3, doc.Descendants(Svg + "g").Single(g => (string?)g.Attribute("class") == "legend").Descendants(Svg + "text").Count());
        // The NaN point breaks series b's line into two pieces.
        var bLine = doc.Descendants(Svg + "g").Single(g => (string?)g.Attribute("data-name") == "b").Elements(Svg + "path").Single();
        Assert.Equal(2, bLine.Attribute("d")!.Value.Count(c => c == 'M'));
        Assert.DoesNotContain("href", doc.ToString());
    }

    [Fact]
    public void Render_EscapesText()
    {
        string svg = SvgPlot.Render([new PlotSeries("a < b & \"c\"", [1], [1])], new PlotOptions { Title = "<script>x</script>", XLabel = "N's" });
        var doc = XDocument.Parse(svg);
        Assert.Contains(doc.Descendants(Svg + "text"), t => t.Value == "<script>x</script>");
        Assert.Contains(doc.Descendants(Svg + "text"), t => t.Value == "a < b & \"c\"");
        Assert.DoesNotContain("<script>", svg);
    }

    [Fact]
    public void Render_UsesInvariantCulture_UnderACommaDecimalCulture()
    {
        var saved = CultureInfo.CurrentCulture;
        try
        {
            var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
            comma.NumberFormat.NumberDecimalSeparator = ",";
            CultureInfo.CurrentCulture = comma;
            Assert.Equal("0,5", 0.5.ToString(CultureInfo.CurrentCulture));
            string svg = SvgPlot.Render([new PlotSeries("a", [0.5, 1.5], [0.25, 2.75])]);
            XDocument.Parse(svg);
            Assert.Contains(">0.5<", svg);
            Assert.DoesNotContain("0,5", svg);
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public void LogAxis_RejectsNonPositiveValues_NamingSeriesPointAndAxis()
    {
        var e = Assert.Throws<ArgumentException>(() => SvgPlot.Render(
            [new PlotSeries("loss", [1, 10, 100], [1, 0, 3])], new PlotOptions { YScale = AxisScale.Log }));
        Assert.Contains("'loss' point 1 has y = 0", e.Message);
        Assert.Contains("log y axis", e.Message);
        var ex = Assert.Throws<ArgumentException>(() => SvgPlot.Render(
            [new PlotSeries("s", [-1, 10], [1, 2])], new PlotOptions { XScale = AxisScale.Log }));
        Assert.Contains("x = -1", ex.Message);
    }

    [Fact]
    public void LogAxis_TicksArePowersOfTen_AcrossDecades()
    {
        string svg = SvgPlot.Render([new PlotSeries("p", [1, 10, 100, 1000, 10000], [1e-3, 1e-2, 1e-1, 1, 10])],
            new PlotOptions { XScale = AxisScale.Log, YScale = AxisScale.Log });
        var labels = XDocument.Parse(svg).Descendants(Svg + "text").Select(t => t.Value).ToList();
        foreach (var l in new[] { "1", "10", "100", "1000", "10000", "0.001", "0.01", "0.1" }) Assert.Contains(l, labels);
    }

    [Fact]
    public void LogAxis_ErrorBarReachingBelowZero_IsCutAtTheAxis()
    {
        string svg = SvgPlot.Render([new PlotSeries("m", [1, 10], [1, 2]) { YError = [2, double.NaN] }],
            new PlotOptions { YScale = AxisScale.Log });
        Assert.Single(WithClass(XDocument.Parse(svg), "path", "error-bar"));
    }

    [Theory]
    [InlineData(0.0, 1.0, new[] { 0.0, 0.2, 0.4, 0.6, 0.8, 1.0 })]
    [InlineData(-3.0, 27.0, new[] { 0.0, 5.0, 10.0, 15.0, 20.0, 25.0 })]
    public void LinearTicks_AreRoundNumbersInsideTheRange(double lo, double hi, double[] expected)
        => Assert.Equal(expected, SvgPlot.LinearTicks(lo, hi));

    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(0.30000000000000004, "0.3")]
    [InlineData(1e6, "1e6")]
    [InlineData(2.5e-5, "2.5e-5")]
    [InlineData(-1234.5, "-1234.5")]
    public void FormatNumber_IsShortAndInvariant(double v, string expected) => Assert.Equal(expected, SvgPlot.FormatNumber(v));

    [Fact]
    public void Render_EmptyOrConstantData_StillDrawsAxes()
    {
        XDocument.Parse(SvgPlot.Render([]));
        var doc = XDocument.Parse(SvgPlot.Render([new PlotSeries("c", [2, 2], [5, 5])]));
        Assert.Equal(2, WithClass(doc, "circle", "marker").Count());
        Assert.True(doc.Descendants(Svg + "text").Count() >= 4);
    }
}
