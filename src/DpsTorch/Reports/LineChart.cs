// The report's one chart writer: line series (optionally filled, with a shaded band, with markers) on linear or
// logarithmic y, with ticks, axis labels and a legend, as an inline <svg>. Kept small and self-contained so that it
// can later be swapped for a general plotting module without touching ReportPage.
using System.Text;

namespace DpsTorch.Reports;

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
    /// <summary>Draw the line dashed (to tell apart curves that may coincide).</summary>
    public bool Dashed { get; init; }
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
        foreach (var (v, label) in XTicks ?? NiceTicks(x0, x1).Select(t => (t, Svg.Num(t))).ToArray())
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
            sb.Append($"<text x=\"{Svg.C(Left - 5)}\" y=\"{Svg.C(py + 4)}\" text-anchor=\"end\">{Svg.Escape(Svg.Num(v))}</text>");
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
            sb.Append($"<path d=\"{d}\" fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"{Svg.O(s.Width)}\" stroke-opacity=\"{Svg.O(s.Opacity)}\" stroke-linejoin=\"round\"{(s.Dashed ? " stroke-dasharray=\"5 4\"" : "")}/>");
            if (s.Markers)
                for (int i = 0; i < s.X.Length; i++)
                    if (Ok(s.X[i], s.Y[i]))
                        sb.Append($"<circle cx=\"{Svg.C(Px(s.X[i]))}\" cy=\"{Svg.C(Py(s.Y[i]))}\" r=\"2.6\" fill=\"{s.Color}\"/>");
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
                sb.Append($"<line x1=\"{Svg.C(lx + 5)}\" y1=\"{Svg.C(y - 4)}\" x2=\"{Svg.C(lx + 19)}\" y2=\"{Svg.C(y - 4)}\" stroke=\"{labelled[k].s.Color}\" stroke-width=\"2.5\"{(labelled[k].s.Dashed ? " stroke-dasharray=\"4 3\"" : "")}/>");
                sb.Append($"<text x=\"{Svg.C(lx + 23)}\" y=\"{Svg.C(y)}\">{Svg.Escape(labelled[k].s.Label)}</text></g>");
            }
        }
        sb.Append("</svg>");
        return sb.ToString();
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

    /// <summary>About five round-numbered ticks (steps 1, 2 or 5 times a power of ten) covering [lo, hi].</summary>
    internal static List<double> NiceTicks(double lo, double hi)
    {
        double raw = (hi - lo) / 5, mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = raw / mag >= 5 ? 5 * mag : raw / mag >= 2 ? 2 * mag : mag;
        var ticks = new List<double>();
        for (double t = Math.Ceiling(lo / step) * step; t <= hi + 1e-9 * step && ticks.Count < 50; t += step)
            ticks.Add(Math.Abs(t) < 1e-12 * step ? 0 : t);
        return ticks;
    }

    /// <summary>Powers of ten in [lo, hi], with 2 and 5 times them when the range spans fewer than three decades.</summary>
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
        return ticks;
    }
}
