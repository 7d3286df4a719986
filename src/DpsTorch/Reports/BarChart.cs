// A grouped bar chart as inline SVG (categories along x, one bar per series in each), for the per-level figures of
// the nested report. Bars start at zero; each bar carries its value above it; the legend runs in one row above the plot.
// Series after the first are hatched (stripes, dots, cross-hatch, in turn) over their colour, so that the bars and their
// legend swatches tell the series apart without colour too.
using System.Text;

namespace DpsTorch.Reports;

/// <summary>One series of a <see cref="BarChart"/>: a value per category (non-finite values draw no bar).</summary>
internal sealed record BarSeries(string Label, string Color, double[] Values);

/// <summary>A grouped bar chart written as inline SVG.</summary>
internal sealed class BarChart
{
    public string YLabel { get; init; } = "";
    public double? YMax { get; init; }
    public int Width { get; init; } = 560;
    public int Height { get; init; } = 300;
    public List<string> Categories { get; } = [];
    public List<BarSeries> Series { get; } = [];

    private const double Left = 58, Right = 14, Top = 30, Bottom = 30, GroupFill = 0.72;

    public string ToSvg()
    {
        double hi = 0;
        foreach (var s in Series) foreach (var v in s.Values) if (double.IsFinite(v)) hi = Math.Max(hi, v);
        hi = YMax ?? (hi > 0 ? hi * 1.1 : 1);
        double pw = Width - Left - Right, ph = Height - Top - Bottom;
        double Py(double v) => Top + ph - Math.Clamp(v, 0, hi) / hi * ph;

        var sb = new StringBuilder();
        sb.Append($"<svg class=\"chart\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\" role=\"img\"");
        sb.Append(Interactive.Csv(["category", .. Series.Select(s => s.Label)],
            Categories.Select((c, k) => (IReadOnlyList<string>)[c, .. Series.Select(s => k < s.Values.Length ? Interactive.Value(s.Values[k]) : "")]))).Append('>');
        string ids = PatternPrefix();
        sb.Append("<defs>");
        for (int s = 1; s < Series.Count; s++) sb.Append(Pattern($"{ids}{s}", s));
        sb.Append("</defs>");
        sb.Append($"<rect x=\"{Svg.C(Left)}\" y=\"{Svg.C(Top)}\" width=\"{Svg.C(pw)}\" height=\"{Svg.C(ph)}\" fill=\"#fff\" stroke=\"{Colors.Axis}\" stroke-width=\"0.8\"/>");
        foreach (var t in LineChart.NiceTicks(0, hi))
        {
            double py = Py(t);
            sb.Append($"<line x1=\"{Svg.C(Left)}\" y1=\"{Svg.C(py)}\" x2=\"{Svg.C(Left + pw)}\" y2=\"{Svg.C(py)}\" stroke=\"{Colors.Grid}\"/>");
            sb.Append($"<text x=\"{Svg.C(Left - 5)}\" y=\"{Svg.C(py + 4)}\" text-anchor=\"end\">{Svg.Escape(Svg.Num(t))}</text>");
        }
        sb.Append($"<text transform=\"translate(14 {Svg.C(Top + ph / 2)}) rotate(-90)\" text-anchor=\"middle\" class=\"axis-label\">{Svg.Escape(YLabel)}</text>");
        int cats = Math.Max(Categories.Count, 1), n = Math.Max(Series.Count, 1);
        double group = pw / cats, bar = group * GroupFill / n;
        for (int c = 0; c < Categories.Count; c++)
        {
            double gx = Left + c * group + group * (1 - GroupFill) / 2;
            for (int s = 0; s < Series.Count; s++)
            {
                double v = c < Series[s].Values.Length ? Series[s].Values[c] : double.NaN;
                if (!double.IsFinite(v)) continue;
                double x = gx + s * bar, y = Py(v);
                sb.Append(Swatch(x + 1, y, Math.Max(bar - 2, 1), Top + ph - y, Series[s].Color, s, ids));
                sb.Append($"<text x=\"{Svg.C(x + bar / 2)}\" y=\"{Svg.C(y - 3)}\" text-anchor=\"middle\" class=\"small\">{Svg.Escape(Svg.Num(Math.Round(v, 2)))}</text>");
            }
            sb.Append($"<text x=\"{Svg.C(Left + (c + 0.5) * group)}\" y=\"{Svg.C(Top + ph + 16)}\" text-anchor=\"middle\">{Svg.Escape(Categories[c])}</text>");
        }
        double lx = Left;
        for (int s = 0; s < Series.Count; s++)
        {
            var series = Series[s];
            sb.Append($"<g class=\"legend-item\" data-series=\"{s}\">").Append(Swatch(lx, Top - 20, 14, 10, series.Color, s, ids));
            sb.Append($"<text x=\"{Svg.C(lx + 18)}\" y=\"{Svg.C(Top - 11)}\">{Svg.Escape(series.Label)}</text></g>");
            lx += 36 + 6.2 * series.Label.Length;
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    // A bar (or legend swatch) of series s: its colour, with series s's hatching over it after the first series.
    private static string Swatch(double x, double y, double w, double h, string color, int s, string ids)
    {
        string rect = $"<rect x=\"{Svg.C(x)}\" y=\"{Svg.C(y)}\" width=\"{Svg.C(w)}\" height=\"{Svg.C(h)}\"";
        return s == 0 ? $"{rect} fill=\"{color}\"/>" : $"{rect} fill=\"{color}\"/>{rect} fill=\"url(#{ids}{s})\"/>";
    }

    // The hatching of series s (1: stripes, 2: dots, 3: cross-hatch, then again with a wider pitch), in white over the colour.
    private static string Pattern(string id, int s)
    {
        int kind = (s - 1) % 3, pitch = 5 + 2 * ((s - 1) / 3);
        string body = kind switch
        {
            0 => $"<path d=\"M0 {pitch} L{pitch} 0\" stroke=\"#fff\" stroke-width=\"1.4\"/>",
            1 => $"<circle cx=\"{Svg.C(pitch / 2.0)}\" cy=\"{Svg.C(pitch / 2.0)}\" r=\"1.1\" fill=\"#fff\"/>",
            _ => $"<path d=\"M0 0 L{pitch} {pitch} M0 {pitch} L{pitch} 0\" stroke=\"#fff\" stroke-width=\"1\"/>",
        };
        return $"<pattern id=\"{id}\" width=\"{pitch}\" height=\"{pitch}\" patternUnits=\"userSpaceOnUse\">{body}</pattern>";
    }

    // Pattern ids unique to this chart's content (a page holds several charts), and the same for the same chart.
    private string PatternPrefix()
    {
        uint h = 2166136261;
        foreach (char c in string.Join("\u0001", [YLabel, .. Categories, .. Series.Select(s => s.Label)])) h = (h ^ c) * 16777619;
        return $"bar{h:x8}-";
    }
}
