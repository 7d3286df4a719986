// The interactive layer of the report charts: the hand-written inline script (Reports/interactive.js, embedded in the
// assembly) and the data attributes LineChart and SvgPlot write for it. The script adds hover read-outs, drag-to-zoom,
// legend toggles and a CSV download; the SVG it works on reads the same with scripts off.
using System.Globalization;
using System.Text;

namespace DpsTorch.Reports;

/// <summary>The charts' inline script and the data attributes it reads (documented at the top of interactive.js).</summary>
public static class Interactive
{
    /// <summary>The script (no dependencies, no network access), to inline once per page after the charts.</summary>
    public static string Script { get; } = Load();

    /// <summary>The script as an HTML element, for the end of a page's body.</summary>
    public static string HtmlScript => $"<script>\n{Script}</script>\n";

    /// <summary>The script as an SVG element, for a standalone SVG file.</summary>
    public static string SvgScript => $"<script type=\"text/javascript\"><![CDATA[\n{Script}]]></script>\n";

    private static string Load()
    {
        using var stream = typeof(Interactive).Assembly.GetManifestResourceStream("DpsTorch.Reports.interactive.js")
            ?? throw new InvalidOperationException("The embedded resource DpsTorch.Reports.interactive.js is missing from the DpsTorch assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>data-* attributes of a chart's root &lt;svg&gt;: plot area, axes (in log10 units on a log axis) and labels.</summary>
    internal static string ChartAttributes(double left, double top, double width, double height,
        bool logX, double xLo, double xHi, bool logY, double yLo, double yHi, string? xLabel, string? yLabel, string? title)
    {
        var sb = new StringBuilder(" data-dps-chart=\"1\"");
        sb.Append($" data-plot=\"{N(left)} {N(top)} {N(width)} {N(height)}\"");
        sb.Append($" data-xaxis=\"{(logX ? "log" : "lin")} {N(xLo)} {N(xHi)}\" data-yaxis=\"{(logY ? "log" : "lin")} {N(yLo)} {N(yHi)}\"");
        if (!string.IsNullOrEmpty(xLabel)) sb.Append($" data-xlabel=\"{Svg.Escape(xLabel)}\"");
        if (!string.IsNullOrEmpty(yLabel)) sb.Append($" data-ylabel=\"{Svg.Escape(yLabel)}\"");
        if (!string.IsNullOrEmpty(title)) sb.Append($" data-title=\"{Svg.Escape(title)}\"");
        return sb.ToString();
    }

    /// <summary>A data attribute holding numbers (six significant digits, comma-separated, empty where not finite).</summary>
    internal static string Numbers(string name, double[] values)
    {
        var sb = new StringBuilder(values.Length * 8 + name.Length + 4).Append(' ').Append(name).Append("=\"");
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(Value(values[i]));
        }
        return sb.Append('"').ToString();
    }

    /// <summary>
    /// A data-dps-csv attribute holding a table as CSV text (header row first), for figures that are not line charts:
    /// the script offers it for download.
    /// </summary>
    internal static string Csv(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var sb = new StringBuilder();
        sb.AppendJoin(',', header.Select(Cell)).Append('\n');
        foreach (var row in rows) sb.AppendJoin(',', row.Select(Cell)).Append('\n');
        // Line breaks as character references: an XML parser (a standalone SVG file) would turn raw ones into spaces.
        return $" data-dps-csv=\"{Svg.Escape(sb.ToString()).Replace("\n", "&#10;", StringComparison.Ordinal)}\"";
    }

    /// <summary>A number as the data attributes write it (six significant digits; empty when not finite).</summary>
    internal static string Value(double v) => double.IsFinite(v) ? v.ToString("G6", CultureInfo.InvariantCulture) : "";

    private static string Cell(string s) => s.IndexOfAny([',', '"', '\n']) >= 0 ? $"\"{s.Replace("\"", "\"\"")}\"" : s;

    private static string N(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
