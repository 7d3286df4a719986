// The report's one chart writer: line series (optionally filled, with a shaded band, with markers) on linear or
// logarithmic y, with ticks, axis labels and a legend, as an inline <svg>. Kept small and self-contained so that it
// can later be swapped for a general plotting module without touching ReportPage.
using System.Text;

namespace DpsTorch.Reports;

/// <summary>Shape of a series' point markers.</summary>
internal enum MarkerShape
{
    /// <summary>A filled circle.</summary>
    Circle,
    /// <summary>A filled square.</summary>
    Square,
    /// <summary>A filled triangle, point up.</summary>
    Triangle,
    /// <summary>A filled diamond.</summary>
    Diamond,
    /// <summary>An open circle (white inside).</summary>
    OpenCircle,
}

/// <summary>One line of a <see cref="LineChart"/>. Non-finite points (and non-positive ones on a log axis) break the line.</summary>
internal sealed record Series(double[] X, double[] Y, string Color)
{
    public double Width { get; init; } = 1.6;
    public double Opacity { get; init; } = 1.0;
    public string? Label { get; init; }
    /// <summary>Name in the hover read-out and the CSV download when the series has no <see cref="Label"/> ("agent 3").</summary>
    public string? Name { get; init; }
    /// <summary>Fill the area between the line and the bottom of the plot.</summary>
    public bool Fill { get; init; }
    /// <summary>Lower and upper edges of a shaded band (e.g. mean ± spread), same length as X.</summary>
    public (double[] Low, double[] High)? Band { get; init; }
    public bool Markers { get; init; }
    /// <summary>Shape of the markers (with <see cref="Markers"/>).</summary>
    public MarkerShape Marker { get; init; }
    /// <summary>Draw the line dashed (to tell apart curves that may coincide); <see cref="Dash"/> picks the pattern.</summary>
    public bool Dashed { get; init; }
    /// <summary>An SVG stroke-dasharray for the line ("6 3 1 3"); null: the plain dash when <see cref="Dashed"/>, else solid.</summary>
    public string? Dash { get; init; }
    /// <summary>Draw the line at all (false: markers only).</summary>
    public bool Line { get; init; } = true;

    /// <summary>The stroke-dasharray the line is drawn with; null when solid.</summary>
    public string? DashArray => Dash ?? (Dashed ? "5 4" : null);
}

/// <summary>Line styles that tell series apart without colour: dash patterns and marker shapes.</summary>
internal static class LineStyles
{
    /// <summary>Dash patterns in order of use; null is solid.</summary>
    public static readonly string?[] Dashes = [null, "6 4", "2 3", "8 3 2 3", "12 4"];

    /// <summary>The style of series <paramref name="k"/> of a family (k = 0, 1, ...): dash pattern and marker shape,
    /// distinct for the first 25.</summary>
    public static (string? Dash, MarkerShape Marker) For(int k)
    {
        int shapes = Enum.GetValues<MarkerShape>().Length;
        return (Dashes[k % Dashes.Length], (MarkerShape)((k / Dashes.Length + k) % shapes));
    }
}

/// <summary>A line chart written as inline SVG.</summary>
internal sealed class LineChart
{
    public string XLabel { get; init; } = "";
    public string YLabel { get; init; } = "";
    /// <summary>Names the figure's CSV download (the y label when null).</summary>
    public string? Title { get; init; }
    public bool LogY { get; init; }
    public double? XMin { get; init; }
    public double? XMax { get; init; }
    public double? YMin { get; init; }
    public double? YMax { get; init; }
    /// <summary>Fixed x ticks with their labels; null chooses round numbers.</summary>
    public (double Value, string Label)[]? XTicks { get; init; }
    public int Width { get; init; } = 560;
    public int Height { get; init; } = 300;
    public List<Series> Series { get; } = [];

    private const double Left = 58, Right = 14, Top = 12, Bottom = 42;

    public string ToSvg()
    {
        DistinguishLabelled();
        var (x0, x1) = Range(s => s.X, XMin, XMax, log: false);
        var (y0, y1) = Range(s => s.Y, YMin, YMax, LogY, includeBands: true);
        double pw = Width - Left - Right, ph = Height - Top - Bottom;
        double Fy(double v) => LogY ? Math.Log10(v) : v;
        double ly0 = Fy(y0), ly1 = Fy(y1);
        double Px(double x) => Left + (x - x0) / (x1 - x0) * pw;
        double Py(double y) => Top + ph - (Fy(y) - ly0) / (ly1 - ly0) * ph;
        bool Ok(double x, double y) => double.IsFinite(x) && double.IsFinite(y) && (!LogY || y > 0);

        var sb = new StringBuilder();
        bool sharedX = Series.Count > 0 && Series.All(s => s.X.AsSpan().SequenceEqual(Series[0].X));
        sb.Append($"<svg class=\"chart\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\" role=\"img\"");
        sb.Append(Interactive.ChartAttributes(Left, Top, pw, ph, false, x0, x1, LogY, ly0, ly1, XLabel, YLabel, Title));
        if (sharedX) sb.Append(Interactive.Numbers("data-x", Series[0].X));
        sb.Append('>');
        sb.Append($"<rect x=\"{Svg.C(Left)}\" y=\"{Svg.C(Top)}\" width=\"{Svg.C(pw)}\" height=\"{Svg.C(ph)}\" fill=\"#fff\" stroke=\"{Colors.Axis}\" stroke-width=\"0.8\"/>");
        // Grid and ticks (the script draws its own while zoomed).
        sb.Append("<g class=\"dps-ticks\">");
        foreach (var (v, label) in XTicks ?? NiceTicks(x0, x1).Select(t => (t, TickLabel(t, TickStep(x0, x1)))).ToArray())
        {
            if (v < x0 - 1e-12 * Math.Abs(x1 - x0) || v > x1 + 1e-12 * Math.Abs(x1 - x0)) continue;
            double px = Px(v);
            sb.Append($"<line x1=\"{Svg.C(px)}\" y1=\"{Svg.C(Top)}\" x2=\"{Svg.C(px)}\" y2=\"{Svg.C(Top + ph)}\" stroke=\"{Colors.Grid}\"/>");
            sb.Append($"<text x=\"{Svg.C(px)}\" y=\"{Svg.C(Top + ph + 15)}\" text-anchor=\"middle\">{Svg.Escape(label)}</text>");
        }
        foreach (var v in LogY ? LogTicks(y0, y1) : NiceTicks(y0, y1))
        {
            double py = Py(v);
            if (py < Top - 0.5 || py > Top + ph + 0.5) continue;
            sb.Append($"<line x1=\"{Svg.C(Left)}\" y1=\"{Svg.C(py)}\" x2=\"{Svg.C(Left + pw)}\" y2=\"{Svg.C(py)}\" stroke=\"{Colors.Grid}\"/>");
            sb.Append($"<text x=\"{Svg.C(Left - 5)}\" y=\"{Svg.C(py + 4)}\" text-anchor=\"end\">{Svg.Escape(LogY ? Svg.Num(v) : TickLabel(v, TickStep(y0, y1)))}</text>");
        }
        sb.Append("</g>");
        sb.Append($"<text x=\"{Svg.C(Left + pw / 2)}\" y=\"{Svg.C(Height - 6)}\" text-anchor=\"middle\" class=\"axis-label\">{Svg.Escape(XLabel)}</text>");
        sb.Append($"<text transform=\"translate(14 {Svg.C(Top + ph / 2)}) rotate(-90)\" text-anchor=\"middle\" class=\"axis-label\">{Svg.Escape(YLabel)}</text>");

        sb.Append($"<svg x=\"{Svg.C(Left)}\" y=\"{Svg.C(Top)}\" width=\"{Svg.C(pw)}\" height=\"{Svg.C(ph)}\" viewBox=\"{Svg.C(Left)} {Svg.C(Top)} {Svg.C(pw)} {Svg.C(ph)}\" overflow=\"hidden\" class=\"dps-layer\">");
        for (int k = 0; k < Series.Count; k++)
        {
            var s = Series[k];
            sb.Append($"<g class=\"series\" data-series=\"{k}\" data-name=\"{Svg.Escape(s.Label ?? s.Name ?? $"series {k + 1}")}\"");
            if (!sharedX) sb.Append(Interactive.Numbers("data-x", s.X));
            sb.Append(Interactive.Numbers("data-y", s.Y));
            if (s.Band is var (bandLow, bandHigh)) sb.Append(Interactive.Numbers("data-lo", bandLow)).Append(Interactive.Numbers("data-hi", bandHigh));
            sb.Append('>');
            if (s.Band is var (low, high))
            {
                var upper = new StringBuilder();
                var lower = new List<string>();
                for (int i = 0; i < s.X.Length; i++)
                {
                    if (!Ok(s.X[i], low[i]) || !Ok(s.X[i], high[i])) continue;
                    upper.Append(upper.Length == 0 ? "M" : "L").Append(Svg.C(Px(s.X[i]))).Append(' ').Append(Svg.C(Py(high[i]))).Append(' ');
                    lower.Add($"L{Svg.C(Px(s.X[i]))} {Svg.C(Py(low[i]))} ");
                }
                lower.Reverse();
                if (upper.Length > 0)
                    sb.Append($"<path d=\"{upper}{string.Concat(lower)}Z\" fill=\"{s.Color}\" fill-opacity=\"0.15\" stroke=\"none\"/>");
            }
            var d = new StringBuilder();
            bool pen = false;
            double firstX = double.NaN, lastX = double.NaN;
            for (int i = 0; i < s.X.Length; i++)
            {
                if (!Ok(s.X[i], s.Y[i])) { pen = false; continue; }
                d.Append(pen ? 'L' : 'M').Append(Svg.C(Px(s.X[i]))).Append(' ').Append(Svg.C(Py(s.Y[i]))).Append(' ');
                if (double.IsNaN(firstX)) firstX = s.X[i];
                lastX = s.X[i];
                pen = true;
            }
            if (d.Length == 0) { sb.Append("</g>"); continue; }
            if (s.Fill)
                sb.Append($"<path d=\"{d}L{Svg.C(Px(lastX))} {Svg.C(Top + ph)} L{Svg.C(Px(firstX))} {Svg.C(Top + ph)} Z\" fill=\"{s.Color}\" fill-opacity=\"{Svg.O(0.3 * s.Opacity)}\" stroke=\"none\"/>");
            if (s.Line)
                sb.Append($"<path d=\"{d}\" fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"{Svg.O(s.Width)}\" stroke-opacity=\"{Svg.O(s.Opacity)}\" stroke-linejoin=\"round\"{(s.DashArray is { } da ? $" stroke-dasharray=\"{da}\"" : "")}/>");
            if (s.Markers)
                for (int i = 0; i < s.X.Length; i++)
                    if (Ok(s.X[i], s.Y[i]))
                        sb.Append(MarkerSvg(s.Marker, Px(s.X[i]), Py(s.Y[i]), s.Color));
            sb.Append("</g>");
        }
        sb.Append("</svg>");

        // Legend, top right inside the plot.
        var labelled = Series.Select((s, index) => (s, index)).Where(e => e.s.Label is not null).ToList();
        if (labelled.Count > 0)
        {
            double lw = 26 + 6.6 * labelled.Max(e => e.s.Label!.Length), lh = 16 * labelled.Count + 6;
            double lx = Left + pw - lw - 6, ly = Top + 6;
            sb.Append($"<rect x=\"{Svg.C(lx)}\" y=\"{Svg.C(ly)}\" width=\"{Svg.C(lw)}\" height=\"{Svg.C(lh)}\" fill=\"#fff\" fill-opacity=\"0.85\" stroke=\"{Colors.Grid}\"/>");
            for (int k = 0; k < labelled.Count; k++)
            {
                double y = ly + 14 + 16 * k;
                sb.Append($"<g class=\"legend-item\" data-series=\"{labelled[k].index}\">");
                var ls = labelled[k].s;
                if (ls.Fill)
                    sb.Append($"<rect x=\"{Svg.C(lx + 5)}\" y=\"{Svg.C(y - 9)}\" width=\"14\" height=\"9\" fill=\"{ls.Color}\" fill-opacity=\"0.3\"/>");
                if (ls.Line)
                    sb.Append($"<line x1=\"{Svg.C(lx + 5)}\" y1=\"{Svg.C(y - 4)}\" x2=\"{Svg.C(lx + 19)}\" y2=\"{Svg.C(y - 4)}\" stroke=\"{ls.Color}\" stroke-width=\"2.5\"{(ls.DashArray is { } da ? $" stroke-dasharray=\"{da}\"" : "")}/>");
                if (ls.Markers) sb.Append(MarkerSvg(ls.Marker, lx + 12, y - 4, ls.Color, legend: true));
                sb.Append($"<text x=\"{Svg.C(lx + 23)}\" y=\"{Svg.C(y)}\">{Svg.Escape(labelled[k].s.Label)}</text></g>");
            }
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    /// <summary>The look of a series in the legend: fill, line, dash pattern and marker.</summary>
    internal static string StyleKey(Series s) => $"{s.Fill}|{s.Line}|{s.DashArray}|{(s.Markers ? s.Marker.ToString() : "-")}";

    /// <summary>
    /// Every labelled series must be told apart by more than its colour: a labelled series drawn like an earlier one
    /// (same fill, line, dash and marker) gets the next unused dash pattern and marker of <see cref="LineStyles"/>.
    /// </summary>
    private void DistinguishLabelled()
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        int next = 0;
        for (int k = 0; k < Series.Count; k++)
        {
            var s = Series[k];
            if (s.Label is null) continue;
            while (!used.Add(StyleKey(s)) && next < 25)
            {
                var (dash, marker) = LineStyles.For(++next);
                s = s with { Dash = dash, Dashed = dash is not null, Markers = true, Marker = marker };
            }
            Series[k] = s;
        }
    }

    /// <summary>A marker of the given shape centred at (x, y); shapes other than circles carry class dps-mark and
    /// data-cx/data-cy, so that the charts' script moves them when zooming without stretching them.</summary>
    private static string MarkerSvg(MarkerShape shape, double x, double y, string color, bool legend = false)
    {
        double r = legend ? 3.4 : 2.8;
        string at = $"class=\"dps-mark\" data-cx=\"{Svg.C(x)}\" data-cy=\"{Svg.C(y)}\" transform=\"translate({Svg.C(x)} {Svg.C(y)})\"";
        string rr = Svg.C(r), r2 = Svg.C(2 * r);
        return shape switch
        {
            MarkerShape.Square => $"<rect {at} x=\"-{rr}\" y=\"-{rr}\" width=\"{r2}\" height=\"{r2}\" fill=\"{color}\"/>",
            MarkerShape.Triangle => $"<path {at} d=\"M0 -{Svg.C(1.25 * r)}L{Svg.C(1.15 * r)} {Svg.C(0.8 * r)}L-{Svg.C(1.15 * r)} {Svg.C(0.8 * r)}Z\" fill=\"{color}\"/>",
            MarkerShape.Diamond => $"<path {at} d=\"M0 -{Svg.C(1.3 * r)}L{Svg.C(1.3 * r)} 0L0 {Svg.C(1.3 * r)}L-{Svg.C(1.3 * r)} 0Z\" fill=\"{color}\"/>",
            MarkerShape.OpenCircle => $"<circle cx=\"{Svg.C(x)}\" cy=\"{Svg.C(y)}\" r=\"{rr}\" fill=\"#fff\" stroke=\"{color}\" stroke-width=\"1.4\"/>",
            _ => $"<circle cx=\"{Svg.C(x)}\" cy=\"{Svg.C(y)}\" r=\"{rr}\" fill=\"{color}\"/>",
        };
    }

    private (double, double) Range(Func<Series, double[]> pick, double? min, double? max, bool log, bool includeBands = false)
    {
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        void See(double v) { if (double.IsFinite(v) && (!log || v > 0)) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); } }
        foreach (var s in Series)
        {
            foreach (var v in pick(s)) See(v);
            if (includeBands && s.Band is var (l, h)) { foreach (var v in l) See(v); foreach (var v in h) See(v); }
        }
        if (min is double a) lo = a;
        if (max is double b) hi = b;
        if (!double.IsFinite(lo) || !double.IsFinite(hi)) (lo, hi) = log ? (0.1, 10) : (0, 1);
        if (hi <= lo) (lo, hi) = log ? (lo / 2, lo * 2) : (lo - 0.5 - Math.Abs(lo) * 0.1, hi + 0.5 + Math.Abs(hi) * 0.1);
        else if (log) { if (min is null) lo /= 1.15; if (max is null) hi *= 1.15; }
        else { double pad = 0.04 * (hi - lo); if (min is null) lo -= pad; if (max is null) hi += pad; }
        return (lo, hi);
    }

    /// <summary>The tick spacing of [lo, hi]: 1, 2 or 5 times a power of ten, about a fifth of the span.</summary>
    internal static double TickStep(double lo, double hi)
    {
        double raw = (hi - lo) / 5, mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        return raw / mag >= 5 ? 5 * mag : raw / mag >= 2 ? 2 * mag : mag;
    }

    /// <summary>About five round-numbered ticks (steps 1, 2 or 5 times a power of ten) covering [lo, hi], each an
    /// exact multiple of the step (no accumulated rounding: 0.3, not 0.30000000000000004).</summary>
    internal static List<double> NiceTicks(double lo, double hi)
    {
        double step = TickStep(lo, hi);
        var ticks = new List<double>();
        for (long k = (long)Math.Ceiling(lo / step - 1e-9); k * step <= hi + 1e-9 * step && ticks.Count < 50; k++)
        {
            double t = k * step;
            ticks.Add(k == 0 ? 0 : double.Parse(t.ToString("G12", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture));
        }
        return ticks;
    }

    /// <summary>
    /// A tick label with as many digits as the tick spacing needs, and no more: 1000.6 and 1000.8 stay apart (four
    /// significant digits would show both as 1001), 0.30000000000000004 reads 0.3; exponent form as "2.5e-5".
    /// </summary>
    internal static string TickLabel(double v, double step)
    {
        if (v == 0 || !double.IsFinite(v)) return Svg.Num(v);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        if (Math.Abs(v) >= 1e-4 && Math.Abs(v) < 1e6)
            return v.ToString("F" + Math.Clamp(-(int)Math.Floor(Math.Log10(step) + 1e-9), 0, 15).ToString(inv), inv);
        int digits = (int)Math.Floor(Math.Log10(Math.Abs(v)) + 1e-9) - (int)Math.Floor(Math.Log10(step) + 1e-9) + 1;
        digits = Math.Clamp(digits, 1, 15);
        return v.ToString("G" + digits.ToString(inv), inv)
            .Replace("E+0", "e").Replace("E+", "e").Replace("E-0", "e-").Replace("E-", "e-");
    }

    /// <summary>Powers of ten in [lo, hi], with 2 and 5 times them when the range spans fewer than three decades; round
    /// linear ticks when even those give fewer than three (a range inside one decade, e.g. 6.8 to 12).</summary>
    internal static List<double> LogTicks(double lo, double hi)
    {
        var ticks = new List<double>();
        int e0 = (int)Math.Floor(Math.Log10(lo)), e1 = (int)Math.Ceiling(Math.Log10(hi));
        int every = Math.Max(1, (e1 - e0) / 8);
        foreach (int e in Enumerable.Range(e0, e1 - e0 + 1))
            foreach (double m in e1 - e0 < 3 ? new[] { 1.0, 2.0, 5.0 } : [1.0])
            {
                double t = m * Math.Pow(10, e);
                if (t >= lo && t <= hi && (m != 1 || (e - e0) % every == 0)) ticks.Add(t);
            }
        return ticks.Count >= 3 ? ticks : [.. NiceTicks(lo, hi).Where(t => t > 0)];
    }
}
