// A small, dependency-free SVG chart writer: scatter and line series, error bars, linear or log axes with
// readable ticks, title, axis labels and legend. Output is one self-contained <svg> element for files or HTML.
using System.Globalization;
using System.Text;

namespace DpsTorch.Reports;

/// <summary>Scale of one axis.</summary>
public enum AxisScale
{
    /// <summary>Linear axis.</summary>
    Linear,
    /// <summary>Base-10 logarithmic axis; every value drawn on it must be positive.</summary>
    Log,
}

/// <summary>How a series is drawn.</summary>
public enum SeriesStyle
{
    /// <summary>A circle at each point.</summary>
    Markers,
    /// <summary>A polyline through the points in the given order.</summary>
    Line,
    /// <summary>Both.</summary>
    LineAndMarkers,
}

/// <summary>One series of (x, y) points. Points with a non-finite x or y are skipped and break a line.</summary>
public sealed record PlotSeries(string Name, double[] X, double[] Y)
{
    /// <summary>Markers, line or both (default markers).</summary>
    public SeriesStyle Style { get; init; } = SeriesStyle.Markers;
    /// <summary>Symmetric error-bar half-widths in y (NaN or ≤ 0: no bar); null: no error bars.</summary>
    public double[]? YError { get; init; }
    /// <summary>CSS colour; null picks the next colour of the palette.</summary>
    public string? Color { get; init; }
    /// <summary>Whether the series gets a legend entry (default true).</summary>
    public bool InLegend { get; init; } = true;
    /// <summary>Draws the line dashed.</summary>
    public bool Dashed { get; init; }
    /// <summary>Opacity of the whole series in (0, 1] (default 1; e.g. 0.35 for faded alternatives).</summary>
    public double Opacity { get; init; } = 1;
    /// <summary>Lower edge of a filled band drawn under the series (with <see cref="BandHigh"/>); null: no band.</summary>
    public double[]? BandLow { get; init; }
    /// <summary>Upper edge of the band; non-finite edges break it.</summary>
    public double[]? BandHigh { get; init; }
}

/// <summary>Chart settings.</summary>
public sealed record PlotOptions
{
    /// <summary>Title above the chart (none when null).</summary>
    public string? Title { get; init; }
    /// <summary>Label under the x axis.</summary>
    public string? XLabel { get; init; }
    /// <summary>Label beside the y axis.</summary>
    public string? YLabel { get; init; }
    /// <summary>x axis scale (default linear).</summary>
    public AxisScale XScale { get; init; } = AxisScale.Linear;
    /// <summary>y axis scale (default linear).</summary>
    public AxisScale YScale { get; init; } = AxisScale.Linear;
    /// <summary>Width in pixels (default 640).</summary>
    public int Width { get; init; } = 640;
    /// <summary>Height in pixels (default 420).</summary>
    public int Height { get; init; } = 420;
    /// <summary>Values the x range must include besides the data (e.g. 0); never narrows it.</summary>
    public double[] XInclude { get; init; } = [];
    /// <summary>Values the y range must include besides the data (e.g. 0 or 1); never narrows it.</summary>
    public double[] YInclude { get; init; } = [];
    /// <summary>Embed the charts' script (<see cref="Interactive"/>) for a standalone SVG file; leave false for an SVG
    /// that goes into a page which includes the script once.</summary>
    public bool Interactive { get; init; }
}

/// <summary>Renders <see cref="PlotSeries"/> into an SVG string.</summary>
/// <remarks>
/// Numbers are written in the invariant culture and all text is XML-escaped. Markers carry class="marker",
/// lines class="line", error bars class="error-bar", so tests and style sheets can find them. The data range is
/// padded by <see cref="Padding"/> of its span (in log10 units on a log axis). On a log y axis an error bar whose
/// lower end is not positive is cut at the bottom of the plot. A non-positive value on a log axis is an error.
/// </remarks>
public static class SvgPlot
{
    /// <summary>Fraction of the data span added on each side of an axis.</summary>
    public const double Padding = 0.04;
    /// <summary>About how many ticks a linear axis gets.</summary>
    public const int TargetTicks = 6;
    /// <summary>Largest fraction of the chart width a legend may take beside the plot before it moves below.</summary>
    public const double LegendShare = 0.3;

    /// <summary>The default palette (Tableau 10), used in series order.</summary>
    public static readonly IReadOnlyList<string> Palette =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const double FontSize = 12;
    private const double MarkerRadius = 3.5;

    /// <summary>Draws the series; returns a self-contained &lt;svg&gt; element.</summary>
    /// <exception cref="ArgumentException">Mismatched lengths, or a non-positive value on a log axis (the message
    /// names the series, the point and the axis).</exception>
    public static string Render(IReadOnlyList<PlotSeries> series, PlotOptions? options = null)
    {
        options ??= new PlotOptions();
        if (options.Width < 100 || options.Height < 80)
            throw new ArgumentException($"The plot must be at least 100×80 pixels; got {options.Width}×{options.Height}.");
        Validate(series, options);

        var legend = series.Where(s => s.InLegend).ToList();
        double legendWidth = legend.Count == 0 ? 0 : 40 + legend.Max(s => s.Name.Length) * FontSize * 0.6;
        double lineHeight = FontSize * 1.6;
        // The legend sits right of the plot unless that would take more than LegendShare of the width; then below it.
        bool legendBelow = legendWidth > LegendShare * options.Width;
        double left = 70, top = options.Title is null ? 15 : 35;
        double right = legendBelow ? 15 : 15 + legendWidth;
        double bottom = legendBelow ? 50 + legend.Count * lineHeight + 5 : 50;
        double plotW = options.Width - left - right, plotH = options.Height - top - bottom;
        if (plotW < 40 || plotH < 40)
            throw new ArgumentException($"The plot area is too small ({plotW:0}×{plotH:0} pixels): widen the chart or shorten the legend names.");

        var xAxis = Axis.Build(Range(series, true, options), options.XScale);
        var yAxis = Axis.Build(Range(series, false, options), options.YScale);
        double Px(double v) => left + xAxis.Fraction(v) * plotW;
        double Py(double v) => top + (1 - yAxis.Fraction(v)) * plotH;

        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{options.Width}\" height=\"{options.Height}\" viewBox=\"0 0 {options.Width} {options.Height}\" role=\"img\" font-family=\"sans-serif\" font-size=\"{F(FontSize)}\"");
        sb.Append(Interactive.ChartAttributes(left, top, plotW, plotH, xAxis.Log, xAxis.Lo, xAxis.Hi, yAxis.Log, yAxis.Lo, yAxis.Hi, options.XLabel, options.YLabel, options.Title));
        sb.Append(">\n");
        if (options.Title is not null) sb.Append($"<title>{Escape(options.Title)}</title>\n");
        sb.Append($"<rect x=\"0\" y=\"0\" width=\"{options.Width}\" height=\"{options.Height}\" fill=\"white\"/>\n");

        // Grid, ticks and tick labels.
        sb.Append("<g class=\"axes dps-ticks\" stroke=\"#000\" stroke-width=\"1\">\n");
        foreach (var t in xAxis.Ticks)
        {
            double px = Px(t);
            sb.Append($"<line x1=\"{F(px)}\" y1=\"{F(top)}\" x2=\"{F(px)}\" y2=\"{F(top + plotH)}\" stroke=\"#e5e5e5\"/>\n");
            sb.Append($"<line x1=\"{F(px)}\" y1=\"{F(top + plotH)}\" x2=\"{F(px)}\" y2=\"{F(top + plotH + 5)}\"/>\n");
            sb.Append($"<text x=\"{F(px)}\" y=\"{F(top + plotH + 18)}\" text-anchor=\"middle\" stroke=\"none\">{Escape(FormatNumber(t))}</text>\n");
        }
        foreach (var t in yAxis.Ticks)
        {
            double py = Py(t);
            sb.Append($"<line x1=\"{F(left)}\" y1=\"{F(py)}\" x2=\"{F(left + plotW)}\" y2=\"{F(py)}\" stroke=\"#e5e5e5\"/>\n");
            sb.Append($"<line x1=\"{F(left - 5)}\" y1=\"{F(py)}\" x2=\"{F(left)}\" y2=\"{F(py)}\"/>\n");
            sb.Append($"<text x=\"{F(left - 8)}\" y=\"{F(py + 4)}\" text-anchor=\"end\" stroke=\"none\">{Escape(FormatNumber(t))}</text>\n");
        }
        sb.Append("</g>\n");
        sb.Append($"<rect class=\"frame\" x=\"{F(left)}\" y=\"{F(top)}\" width=\"{F(plotW)}\" height=\"{F(plotH)}\" fill=\"none\" stroke=\"#000\" stroke-width=\"1\"/>\n");
        if (options.Title is not null)
            sb.Append($"<text x=\"{F(left + plotW / 2)}\" y=\"22\" text-anchor=\"middle\" font-size=\"{F(FontSize + 3)}\">{Escape(options.Title)}</text>\n");
        if (options.XLabel is not null)
            sb.Append($"<text x=\"{F(left + plotW / 2)}\" y=\"{F(top + plotH + 40)}\" text-anchor=\"middle\">{Escape(options.XLabel)}</text>\n");
        if (options.YLabel is not null)
            sb.Append($"<text x=\"15\" y=\"{F(top + plotH / 2)}\" text-anchor=\"middle\" transform=\"rotate(-90 15 {F(top + plotH / 2)})\">{Escape(options.YLabel)}</text>\n");

        // Series, in a layer clipped to the plot area (the script zooms inside it).
        sb.Append($"<svg class=\"dps-layer\" x=\"{F(left)}\" y=\"{F(top)}\" width=\"{F(plotW)}\" height=\"{F(plotH)}\" viewBox=\"{F(left)} {F(top)} {F(plotW)} {F(plotH)}\" overflow=\"hidden\">\n");
        for (int s = 0; s < series.Count; s++)
        {
            var ser = series[s];
            string color = Escape(ser.Color ?? Palette[s % Palette.Count]);
            sb.Append($"<g class=\"series\" data-series=\"{s}\" data-name=\"{Escape(ser.Name)}\"{(ser.Opacity < 1 ? $" opacity=\"{F2(ser.Opacity)}\"" : "")}");
            sb.Append(Interactive.Numbers("data-x", ser.X)).Append(Interactive.Numbers("data-y", ser.Y));
            if (ser.YError is { } errors) sb.Append(Interactive.Numbers("data-e", errors));
            sb.Append(">\n");
            if (ser.BandLow is { } bl && ser.BandHigh is { } bh)
            {
                // One closed polygon per run of points where both edges are drawable.
                int i0 = 0;
                while (i0 < ser.X.Length)
                {
                    bool Ok(int i) => double.IsFinite(ser.X[i]) && double.IsFinite(bl[i]) && double.IsFinite(bh[i])
                        && (options.YScale != AxisScale.Log || (bl[i] > 0 && bh[i] > 0));
                    if (!Ok(i0)) { i0++; continue; }
                    int i1 = i0;
                    while (i1 + 1 < ser.X.Length && Ok(i1 + 1)) i1++;
                    var d = new StringBuilder();
                    for (int i = i0; i <= i1; i++) d.Append(i == i0 ? 'M' : 'L').Append(F(Px(ser.X[i]))).Append(' ').Append(F(Py(bh[i])));
                    for (int i = i1; i >= i0; i--) d.Append('L').Append(F(Px(ser.X[i]))).Append(' ').Append(F(Py(bl[i])));
                    sb.Append($"<path class=\"band\" d=\"{d}Z\" fill=\"{color}\" fill-opacity=\"0.18\" stroke=\"none\"/>\n");
                    i0 = i1 + 1;
                }
            }
            if (ser.YError is { } err)
                for (int i = 0; i < ser.X.Length; i++)
                {
                    if (!Finite(ser, i) || !(err[i] > 0) || !double.IsFinite(err[i])) continue;
                    double px = Px(ser.X[i]);
                    double lo = ser.Y[i] - err[i];
                    double y0 = options.YScale == AxisScale.Log && lo <= 0 ? top + plotH : Math.Min(Py(lo), top + plotH);
                    double y1 = Py(ser.Y[i] + err[i]);
                    sb.Append($"<path class=\"error-bar\" d=\"M{F(px)} {F(y0)}V{F(y1)}M{F(px - 3)} {F(y0)}H{F(px + 3)}M{F(px - 3)} {F(y1)}H{F(px + 3)}\" stroke=\"{color}\" fill=\"none\"/>\n");
                }
            if (ser.Style != SeriesStyle.Markers)
            {
                var d = new StringBuilder();
                bool pen = false;
                for (int i = 0; i < ser.X.Length; i++)
                {
                    if (!Finite(ser, i)) { pen = false; continue; }
                    d.Append(pen ? 'L' : 'M').Append(F(Px(ser.X[i]))).Append(' ').Append(F(Py(ser.Y[i])));
                    pen = true;
                }
                if (d.Length > 0)
                    sb.Append($"<path class=\"line\" d=\"{d}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.8\"{(ser.Dashed ? " stroke-dasharray=\"6 4\"" : "")}/>\n");
            }
            if (ser.Style != SeriesStyle.Line)
                for (int i = 0; i < ser.X.Length; i++)
                    if (Finite(ser, i))
                        sb.Append($"<circle class=\"marker\" cx=\"{F(Px(ser.X[i]))}\" cy=\"{F(Py(ser.Y[i]))}\" r=\"{F(MarkerRadius)}\" fill=\"{color}\"/>\n");
            sb.Append("</g>\n");
        }
        sb.Append("</svg>\n");

        // Legend, right of the plot area.
        if (legend.Count > 0)
        {
            double lx = legendBelow ? left : left + plotW + 15, ly = legendBelow ? top + plotH + 50 + lineHeight / 2 : top + 8;
            sb.Append("<g class=\"legend\">\n");
            foreach (var ser in legend)
            {
                int index = IndexOf(series, ser);
                string color = Escape(ser.Color ?? Palette[index % Palette.Count]);
                sb.Append($"<g class=\"legend-item\" data-series=\"{index}\">\n");
                if (ser.Style != SeriesStyle.Markers)
                    sb.Append($"<line x1=\"{F(lx)}\" y1=\"{F(ly)}\" x2=\"{F(lx + 22)}\" y2=\"{F(ly)}\" stroke=\"{color}\" stroke-width=\"1.8\"{(ser.Dashed ? " stroke-dasharray=\"6 4\"" : "")}/>\n");
                if (ser.Style != SeriesStyle.Line)
                    sb.Append($"<circle class=\"legend-marker\" cx=\"{F(lx + 11)}\" cy=\"{F(ly)}\" r=\"{F(MarkerRadius)}\" fill=\"{color}\"/>\n");
                sb.Append($"<text x=\"{F(lx + 28)}\" y=\"{F(ly + 4)}\">{Escape(ser.Name)}</text>\n</g>\n");
                ly += lineHeight;
            }
            sb.Append("</g>\n");
        }
        if (options.Interactive) sb.Append(Interactive.SvgScript);
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>Escapes &amp;, &lt;, &gt;, " and ' for XML text and attribute values.</summary>
    public static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&apos;",
                _ => char.IsControl(c) ? " " : c.ToString(),
            });
        return sb.ToString();
    }

    /// <summary>
    /// A short invariant-culture label: up to 10 significant digits without trailing zeros; exponent form
    /// ("2.5e-5", "1e6") outside [1e-4, 1e6).
    /// </summary>
    public static string FormatNumber(double v)
    {
        if (v == 0) return "0";
        double a = Math.Abs(v);
        if (a >= 1e-4 && a < 1e6) return double.Parse(v.ToString("G10", Inv), Inv).ToString("G10", Inv);
        string s = v.ToString("0.#########e+0", Inv);
        return s.Replace("e+", "e");
    }

    private static string F(double v) => v.ToString("0.##", Inv);

    private static string F2(double v) => Math.Clamp(v, 0, 1).ToString("0.###", Inv);

    private static bool Finite(PlotSeries s, int i) => double.IsFinite(s.X[i]) && double.IsFinite(s.Y[i]);

    private static int IndexOf(IReadOnlyList<PlotSeries> series, PlotSeries s)
    {
        for (int i = 0; i < series.Count; i++) if (ReferenceEquals(series[i], s)) return i;
        return 0;
    }

    private static void Validate(IReadOnlyList<PlotSeries> series, PlotOptions options)
    {
        foreach (var s in series)
        {
            if (s.X.Length != s.Y.Length)
                throw new ArgumentException($"Series '{s.Name}' has {s.X.Length} x values but {s.Y.Length} y values; they must match.");
            if ((s.BandLow is not null && s.BandLow.Length != s.X.Length) || (s.BandHigh is not null && s.BandHigh.Length != s.X.Length))
                throw new ArgumentException($"Series '{s.Name}' has a band whose length differs from its {s.X.Length} points; they must match.");
            if (s.YError is not null && s.YError.Length != s.X.Length)
                throw new ArgumentException($"Series '{s.Name}' has {s.YError.Length} error bars for {s.X.Length} points; they must match.");
            for (int i = 0; i < s.X.Length; i++)
            {
                if (!Finite(s, i)) continue;
                if (options.XScale == AxisScale.Log && s.X[i] <= 0)
                    throw new ArgumentException($"Series '{s.Name}' point {i} has x = {FormatNumber(s.X[i])}, which a log x axis cannot show; use a linear x axis or drop the point.");
                if (options.YScale == AxisScale.Log && s.Y[i] <= 0)
                    throw new ArgumentException($"Series '{s.Name}' point {i} has y = {FormatNumber(s.Y[i])}, which a log y axis cannot show; use a linear y axis or drop the point.");
            }
        }
        foreach (var v in options.XInclude)
            if (options.XScale == AxisScale.Log && !(v > 0)) throw new ArgumentException($"XInclude holds {FormatNumber(v)}, which a log x axis cannot show.");
        foreach (var v in options.YInclude)
            if (options.YScale == AxisScale.Log && !(v > 0)) throw new ArgumentException($"YInclude holds {FormatNumber(v)}, which a log y axis cannot show.");
    }

    /// <summary>Min and max of the finite data (with error bars and the Include values) along one axis.</summary>
    private static (double Min, double Max) Range(IReadOnlyList<PlotSeries> series, bool xAxis, PlotOptions options)
    {
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        void Take(double v) { if (double.IsFinite(v)) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); } }
        bool log = (xAxis ? options.XScale : options.YScale) == AxisScale.Log;
        foreach (var s in series)
            for (int i = 0; i < s.X.Length; i++)
            {
                if (!Finite(s, i)) continue;
                Take(xAxis ? s.X[i] : s.Y[i]);
                if (!xAxis && s.YError is { } e && e[i] > 0 && double.IsFinite(e[i]))
                {
                    Take(s.Y[i] + e[i]);
                    if (!log || s.Y[i] - e[i] > 0) Take(s.Y[i] - e[i]);
                }
            }
        foreach (var v in xAxis ? options.XInclude : options.YInclude) Take(v);
        return (lo, hi);
    }

    /// <summary>An axis: its range (in log10 units for a log axis) and tick values (in data units).</summary>
    private sealed record Axis(double Lo, double Hi, bool Log, double[] Ticks)
    {
        public double Fraction(double v) => ((Log ? Math.Log10(v) : v) - Lo) / (Hi - Lo);

        public static Axis Build((double Min, double Max) range, AxisScale scale)
        {
            bool log = scale == AxisScale.Log;
            double lo, hi;
            if (double.IsInfinity(range.Min)) (lo, hi) = log ? (0.0, 1.0) : (0.0, 1.0);
            else if (log) (lo, hi) = (Math.Log10(range.Min), Math.Log10(range.Max));
            else (lo, hi) = (range.Min, range.Max);
            if (hi - lo <= 1e-12 * Math.Max(1, Math.Abs(lo)))
            {
                double half = log ? 0.5 : Math.Max(Math.Abs(lo) * 0.1, 0.5);
                lo -= half;
                hi += half;
            }
            double pad = Padding * (hi - lo);
            lo -= pad;
            hi += pad;
            return new Axis(lo, hi, log, log ? LogTicks(lo, hi) : LinearTicks(lo, hi));
        }
    }

    /// <summary>Multiples of a 1-2-5 step inside [lo, hi], about <see cref="TargetTicks"/> of them.</summary>
    internal static double[] LinearTicks(double lo, double hi)
    {
        double raw = (hi - lo) / TargetTicks;
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double f = raw / mag;
        double step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
        var ticks = new List<double>();
        for (long k = (long)Math.Ceiling(lo / step); k * step <= hi; k++)
        {
            double t = k * step;
            ticks.Add(Math.Abs(t) < step * 1e-9 ? 0 : double.Parse(t.ToString("G12", Inv), Inv));
        }
        return ticks.ToArray();
    }

    /// <summary>
    /// Ticks for a log axis with range [lo, hi] in log10 units: powers of ten (every m-th decade when there are
    /// many); 1-2-5 multiples when fewer than two decades show; plain 1-2-5 linear ticks when even those are too few.
    /// </summary>
    internal static double[] LogTicks(double lo, double hi)
    {
        int k0 = (int)Math.Ceiling(lo - 1e-9), k1 = (int)Math.Floor(hi + 1e-9);
        var ticks = new List<double>();
        if (k1 - k0 + 1 >= 3)
        {
            int every = Math.Max(1, (int)Math.Ceiling((k1 - k0 + 1) / 8.0));
            for (int k = k0; k <= k1; k += every) ticks.Add(Pow10(k));
            return ticks.ToArray();
        }
        for (int k = k0 - 1; k <= k1; k++)
            foreach (var m in new[] { 1.0, 2.0, 5.0 })
            {
                double t = m * Pow10(k), l = Math.Log10(t);
                if (l >= lo - 1e-9 && l <= hi + 1e-9) ticks.Add(t);
            }
        if (ticks.Count >= 3) return ticks.ToArray();
        return LinearTicks(Math.Pow(10, lo), Math.Pow(10, hi)).Where(t => t > 0).ToArray();
    }

    private static double Pow10(int k) => double.Parse("1e" + k.ToString(Inv), Inv);
}
