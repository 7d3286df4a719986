// The page chrome shared by the report pages (run report and sweep report): the document head with the inline CSS,
// header, cards, tables, the resolved-config card and footer; and the figures both pages draw (demand and production
// unrolled, skill densities, robustness curves), so the two pages look alike and change together.
using DpsTorch.Ops;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DpsTorch.Config;

namespace DpsTorch.Reports;

/// <summary>Shared page chrome and figures of the report pages.</summary>
internal static class HtmlPage
{
    /// <summary>Opens the document: head with the CSS, header with title, lead and meta line, and the card grid.</summary>
    public static void Begin(StringBuilder html, string title, string? description, string meta)
    {
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append($"<title>{Svg.Escape(title)} · DpsTorch report</title>\n<style>{Css}</style>\n</head>\n<body>\n");
        html.Append($"<header><h1>{Svg.Escape(title)}</h1>");
        if (!string.IsNullOrWhiteSpace(description)) html.Append($"<p class=\"lead\">{Svg.Escape(description)}</p>");
        html.Append($"<p class=\"meta\">{meta}</p></header>\n");
        html.Append("<main class=\"grid\">\n");
    }

    /// <summary>Closes the grid with the resolved config card, and the document with a footer naming the source files.</summary>
    public static void End(StringBuilder html, string configJson, params string[] files)
    {
        html.Append($"<section class=\"card wide\"><details><summary>Resolved config</summary><pre>{Svg.Escape(configJson)}</pre></details></section>\n");
        html.Append("</main>\n<footer>Written by DpsTorch from ");
        for (int i = 0; i < files.Length; i++)
            html.Append(i == 0 ? "" : i == files.Length - 1 ? " and " : ", ").Append(Svg.Escape(files[i]));
        html.Append(".</footer>\n").Append(Interactive.HtmlScript).Append("</body>\n</html>\n");
    }

    /// <summary>A card: title, body (HTML), and an optional note (HTML) under it.</summary>
    public static void Card(StringBuilder html, string title, string body, string note, bool wide = false)
    {
        html.Append($"<section class=\"card{(wide ? " wide" : "")}\"><h2>{Svg.Escape(title)}</h2>{body}");
        if (note.Length > 0) html.Append($"<p class=\"note\">{note}</p>");
        html.Append("</section>\n");
    }

    /// <summary>A table with a header row; cells are HTML (escape text before passing it).</summary>
    public static string Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var sb = new StringBuilder("<table class=\"data\"><thead><tr>");
        foreach (var h in headers) sb.Append($"<th>{h}</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            sb.Append("<tr>");
            foreach (var cell in row) sb.Append($"<td>{cell}</td>");
            sb.Append("</tr>");
        }
        return sb.Append("</tbody></table>").ToString();
    }

    /// <summary>
    /// The JSON object in <paramref name="path"/>; a missing file or one that is not a JSON object gives a
    /// <see cref="ConfigException"/> naming the file (<paramref name="hint"/> says which command writes it).
    /// </summary>
    public static JsonObject ReadSummary(string path, string hint)
    {
        if (!File.Exists(path)) throw new ConfigException(path, $"summary file not found; is this a run folder ({hint})?");
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new ConfigException(path, "not a valid summary file: the top level must be a JSON object.");
        }
        catch (JsonException e) { throw new ConfigException(path, $"not a valid summary file: JSON error at line {e.LineNumber + 1}."); }
    }

    /// <summary>A JSON value for people: numbers through <see cref="Svg.Num"/>, booleans as yes/no, "–" when missing.</summary>
    public static string Show(JsonNode? node) => node switch
    {
        null => "–",
        JsonValue v when v.TryGetValue(out double d) => Svg.Num(d),
        JsonValue v when v.TryGetValue(out bool b) => b ? "yes" : "no",
        JsonValue v when v.TryGetValue(out string? s) => s ?? "–",
        _ => node.ToJsonString(),
    };

    /// <summary>A JSON array of numbers (non-numbers become NaN, so the charts break the line there), or null.</summary>
    public static double[]? Doubles(JsonNode? node)
    {
        if (node is not JsonArray a) return null;
        var d = new double[a.Count];
        for (int i = 0; i < d.Length; i++)
            d[i] = a[i] is JsonValue v && v.TryGetValue(out double x) ? x : double.NaN;
        return d;
    }

    /// <summary>Ticks at multiples of π/2 over [0, 2π].</summary>
    public static readonly (double, string)[] PiTicks = [.. Enumerable.Range(0, 5).Select(k => (k * Math.PI / 2, Svg.PiLabel(k * Math.PI / 2)))];

    /// <summary>x and v with the first point repeated at 2π, so a periodic curve reaches the right edge.</summary>
    public static (double[], double[]) Wrap(double[] x, double[] v) => ([.. x, 2 * Math.PI], [.. v, v[0]]);

    /// <summary>Demand (filled) and production (line) over the circle, unrolled onto [0, 2π].</summary>
    public static string Unrolled(double[] grid, double[] demand, double[] production)
    {
        var (x, d) = Wrap(grid, demand);
        var (_, w) = Wrap(grid, production);
        return new LineChart
        {
            XLabel = "x (position on the circle)", YLabel = "value", XMin = 0, XMax = 2 * Math.PI, YMin = 0, XTicks = PiTicks, Series =
            {
                new(x, d, Colors.Demand) { Label = "demand D", Fill = true },
                new(x, w, Colors.Production) { Label = "production W", Width = 2 },
            },
        }.ToSvg();
    }

    /// <summary>
    /// One line per agent in <paramref name="agents"/>: its skill density s_i(x) = wrapped normal (μ_i, σ_i), coloured
    /// by <paramref name="color"/>(i), opacity growing with its resource a_i.
    /// </summary>
    public static string Densities(double[] grid, double[] mu, double[] sigma, double[] resources, int[] agents, Func<int, string> color)
    {
        using var _ = TensorEngine.NoGrad();
        var dens = DpsKernels.WrappedNormalDensity(Tensor.FromArray(agents.Select(i => mu[i]).ToArray()),
            Tensor.FromArray(agents.Select(i => sigma[i]).ToArray()), grid).ToArray();
        int m = grid.Length;
        double amax = 0;
        foreach (int i in agents) if (double.IsFinite(resources[i])) amax = Math.Max(amax, resources[i]);
        var chart = new LineChart { XLabel = "x (position on the circle)", YLabel = "skill density s_i(x)", XMin = 0, XMax = 2 * Math.PI, YMin = 0, XTicks = PiTicks };
        for (int k = 0; k < agents.Length; k++)
        {
            int i = agents[k];
            var (x, y) = Wrap(grid, dens.AsSpan(k * m, m).ToArray());
            double share = amax > 0 && double.IsFinite(resources[i]) ? Math.Max(resources[i], 0) / amax : 1;
            chart.Series.Add(new(x, y, color(i)) { Name = $"agent {i}", Width = agents.Length > 50 ? 0.8 : 1.4, Opacity = 0.2 + 0.8 * share });
        }
        return chart.ToSvg();
    }

    /// <summary>" Only k of n agents are drawn ..." when a figure is thinned, else "".</summary>
    public static string Sampled(int shown, int n) => shown < n ? $" Only {shown} of {n} agents are drawn (evenly sampled by index)." : "";

    /// <summary>
    /// Robustness-style curves (JSON objects with fractions, coverage and optional spread, as summaries write them),
    /// with a shaded spread band (mean ± spread, clipped to [0, 1] since coverage kept lies there); curves that are
    /// missing or malformed are left out; null when none is left.
    /// <paramref name="yMax"/> fixes the top of the axis (room for a long legend). The k-th curve drawn gets the k-th
    /// line style (<see cref="LineStyles.For"/>: dash pattern and marker shape), so the legend tells them apart without colour.
    /// </summary>
    public static string? CurveChart(IEnumerable<(JsonNode? Curve, string Label, string Color)> curves, double? yMax = null)
    {
        var chart = new LineChart { XLabel = "fraction of agents removed", YLabel = "coverage kept", XMin = 0, XMax = 1, YMin = 0, YMax = yMax };
        foreach (var (node, label, color) in curves)
        {
            if (node is not JsonObject curve || Doubles(curve["fractions"]) is not { Length: > 0 } f || Doubles(curve["coverage"]) is not { } c || c.Length != f.Length)
                continue;
            var spread = Doubles(curve["spread"]);
            // Coverage kept lies in [0, 1], so its band does too: mean ± spread clipped to [0, 1].
            var band = spread is { } sp && sp.Length == f.Length
                ? (c.Select((v, i) => Math.Clamp(v - sp[i], 0, 1)).ToArray(), c.Select((v, i) => Math.Clamp(v + sp[i], 0, 1)).ToArray())
                : ((double[], double[])?)null;
            var (dash, marker) = LineStyles.For(chart.Series.Count);
            chart.Series.Add(new(f, c, color) { Label = label, Markers = true, Band = band, Dash = dash, Marker = marker });
        }
        return chart.Series.Count == 0 ? null : chart.ToSvg();
    }

    public const string Css = """
        :root { color-scheme: light; }
        body { margin: 0; padding: 24px 28px; background: #f1f3f5; color: #212529;
               font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
        header h1 { margin: 0 0 4px; font-size: 26px; font-weight: 600; }
        header .lead { margin: 0 0 4px; font-size: 15px; color: #495057; }
        header .meta { margin: 0 0 18px; color: #868e96; font-size: 13px; }
        .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(600px, 1fr)); gap: 18px; }
        .card { background: #fff; border-radius: 10px; box-shadow: 0 1px 3px rgba(0,0,0,.08), 0 1px 2px rgba(0,0,0,.05);
                padding: 14px 18px 12px; min-width: 0; }
        .card.wide { grid-column: 1 / -1; }
        .card h2 { margin: 0 0 8px; font-size: 15px; font-weight: 600; color: #343a40; }
        .note { margin: 6px 0 0; color: #6c757d; font-size: 12.5px; }
        svg.chart { display: block; max-width: 100%; height: auto; margin: 0 auto; }
        svg.chart text { font-size: 11px; fill: #495057; font-family: inherit; }
        svg.chart text.axis-label { font-size: 12px; fill: #343a40; }
        svg.chart text.small { font-size: 9.5px; fill: #868e96; }
        table.summary { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
        table.summary th { text-align: left; font-weight: 500; color: #495057; padding: 3px 12px 3px 0; }
        table.summary td { text-align: right; padding: 3px 0; }
        table.summary tr + tr { border-top: 1px solid #f1f3f5; }
        table.summary tr.headline th, table.summary tr.headline td { font-size: 16px; font-weight: 600; color: #212529; padding: 4px 0 6px; }
        table.summary tr.headline th { padding-right: 12px; }
        .hue { display: inline-block; width: 80px; height: 9px; border-radius: 3px; vertical-align: middle;
               background: linear-gradient(to right, hsl(0 70% 45%), hsl(60 70% 45%), hsl(120 70% 45%), hsl(180 70% 45%),
                                                     hsl(240 70% 45%), hsl(300 70% 45%), hsl(360 70% 45%)); }
        table.data { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 13px; }
        table.data th { font-weight: 500; color: #495057; padding: 3px 6px; border-bottom: 1px solid #dee2e6; text-align: right; }
        table.data td { text-align: right; padding: 3px 6px; }
        table.data th:first-child, table.data td:first-child { text-align: left; padding-left: 0; }
        table.data tr + tr td { border-top: 1px solid #f1f3f5; }
        .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
        details summary { cursor: pointer; font-weight: 600; color: #343a40; }
        pre { background: #f8f9fa; padding: 10px 12px; border-radius: 6px; overflow: auto; font-size: 12px; max-height: 600px; }
        footer { margin-top: 18px; color: #adb5bd; font-size: 12px; }
        """;
}
