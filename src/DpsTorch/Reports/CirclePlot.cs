// Demand D and production W drawn around the circle: each curve is a radius r(x) = r0 + (R − r0)·v(x)/max, so zero
// sits on the inner circle and the largest value on the outer one. Agents' locations μ are dots on the inner circle.
using System.Text;

namespace DpsTorch.Reports;

/// <summary>The polar figure of the report.</summary>
internal static class CirclePlot
{
    /// <summary>
    /// An inline SVG of <paramref name="demand"/> (filled) and <paramref name="production"/> (line) over the grid
    /// <paramref name="x"/> around a circle, with a dot at each μ in <paramref name="mu"/> coloured by position.
    /// </summary>
    public static string ToSvg(double[] x, double[] demand, double[] production, double[] mu, int size = 440)
    {
        double cx = size / 2.0, cy = size / 2.0 - 6, outer = size / 2.0 - 46, inner = outer * 0.35;
        double vmax = 0;
        foreach (var v in demand) if (double.IsFinite(v)) vmax = Math.Max(vmax, v);
        foreach (var v in production) if (double.IsFinite(v)) vmax = Math.Max(vmax, v);
        if (vmax <= 0) vmax = 1;
        // The outer ring at a round value at or above the largest one (2.4, not 2.367), so its label is a nice number.
        double step = LineChart.TickStep(0, vmax);
        vmax = Math.Ceiling(vmax / step - 1e-9) * step;
        double R(double v) => inner + (outer - inner) * Math.Clamp(double.IsFinite(v) ? v : 0, 0, vmax) / vmax;
        (double, double) P(double angle, double r) => (cx + r * Math.Cos(angle), cy - r * Math.Sin(angle));

        var sb = new StringBuilder();
        sb.Append($"<svg class=\"chart\" viewBox=\"0 0 {size} {size}\" width=\"{size}\" height=\"{size}\" role=\"img\"");
        sb.Append(Interactive.Csv(["x", "demand D", "production W"], x.Select((v, k) => (IReadOnlyList<string>)[Interactive.Value(v), Interactive.Value(demand[k]), Interactive.Value(production[k])]))).Append('>');
        // Reference circles at 0, max/2 and max (their values are written last, over the curves).
        var rings = new[] { (0.0, "0"), (0.5, LineChart.TickLabel(vmax / 2, step / 2)), (1.0, LineChart.TickLabel(vmax, step)) };
        foreach (var (frac, _) in rings)
            sb.Append($"<circle cx=\"{Svg.C(cx)}\" cy=\"{Svg.C(cy)}\" r=\"{Svg.C(inner + (outer - inner) * frac)}\" fill=\"none\" stroke=\"{(frac == 0 ? Colors.Axis : Colors.Grid)}\"/>");
        // Spokes and angle labels every π/2.
        for (int k = 0; k < 4; k++)
        {
            double a = k * Math.PI / 2;
            var (x1, y1) = P(a, inner);
            var (x2, y2) = P(a, outer + 6);
            var (tx, ty) = P(a, outer + 20);
            sb.Append($"<line x1=\"{Svg.C(x1)}\" y1=\"{Svg.C(y1)}\" x2=\"{Svg.C(x2)}\" y2=\"{Svg.C(y2)}\" stroke=\"{Colors.Grid}\"/>");
            sb.Append($"<text x=\"{Svg.C(tx)}\" y=\"{Svg.C(ty + 4)}\" text-anchor=\"middle\">{Svg.PiLabel(a)}</text>");
        }
        // Demand: the ring between the inner circle and the curve, filled (even-odd).
        var curve = Closed(x, demand, R, P);
        var (ix, iy) = P(0, inner);
        sb.Append($"<path d=\"{curve} M{Svg.C(ix)} {Svg.C(iy)} A{Svg.C(inner)} {Svg.C(inner)} 0 1 0 {Svg.C(cx - inner)} {Svg.C(cy)} A{Svg.C(inner)} {Svg.C(inner)} 0 1 0 {Svg.C(ix)} {Svg.C(iy)} Z\" fill=\"{Colors.Demand}\" fill-opacity=\"0.45\" fill-rule=\"evenodd\" stroke=\"{Colors.Demand}\"/>");
        sb.Append($"<path d=\"{Closed(x, production, R, P)}\" fill=\"none\" stroke=\"{Colors.Production}\" stroke-width=\"2\" stroke-linejoin=\"round\"/>");
        foreach (var m in mu)
        {
            var (px, py) = P(m, inner - 7);
            sb.Append($"<circle cx=\"{Svg.C(px)}\" cy=\"{Svg.C(py)}\" r=\"3\" fill=\"{Colors.Cyclic(m)}\" stroke=\"#fff\" stroke-width=\"0.6\"/>");
        }
        foreach (var (frac, label) in rings)
        {
            var (tx, ty) = P(Math.PI / 4, inner + (outer - inner) * frac);
            sb.Append($"<text x=\"{Svg.C(tx + 3)}\" y=\"{Svg.C(ty - 3)}\" class=\"small\">{Svg.Escape(label)}</text>");
        }
        // Legend under the circle.
        double ly = size - 12;
        sb.Append($"<rect x=\"{Svg.C(cx - 150)}\" y=\"{Svg.C(ly - 9)}\" width=\"14\" height=\"10\" fill=\"{Colors.Demand}\" fill-opacity=\"0.6\"/>");
        sb.Append($"<text x=\"{Svg.C(cx - 132)}\" y=\"{Svg.C(ly)}\">demand D</text>");
        sb.Append($"<line x1=\"{Svg.C(cx - 60)}\" y1=\"{Svg.C(ly - 4)}\" x2=\"{Svg.C(cx - 46)}\" y2=\"{Svg.C(ly - 4)}\" stroke=\"{Colors.Production}\" stroke-width=\"2.5\"/>");
        sb.Append($"<text x=\"{Svg.C(cx - 42)}\" y=\"{Svg.C(ly)}\">production W</text>");
        sb.Append($"<circle cx=\"{Svg.C(cx + 55)}\" cy=\"{Svg.C(ly - 4)}\" r=\"3\" fill=\"{Colors.Cyclic(1)}\"/>");
        sb.Append($"<text x=\"{Svg.C(cx + 62)}\" y=\"{Svg.C(ly)}\">agent μ</text>");
        sb.Append("</svg>");
        return sb.ToString();
    }

    private static string Closed(double[] x, double[] v, Func<double, double> r, Func<double, double, (double, double)> p)
    {
        var d = new StringBuilder();
        for (int i = 0; i < x.Length; i++)
        {
            var (px, py) = p(x[i], r(v[i]));
            d.Append(i == 0 ? 'M' : 'L').Append(Svg.C(px)).Append(' ').Append(Svg.C(py)).Append(' ');
        }
        return d.Append('Z').ToString();
    }
}
