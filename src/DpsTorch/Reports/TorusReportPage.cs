// The run report of a system on the torus T^d, d > 1 (issue 16): demand and production drawn as heat maps over the
// first two axes (summed over the others for d = 3), the agents as markers at (μ_0, μ_1) with breadth ellipses of
// semi-axes (σ_0, σ_1), and the same summary, training and robustness cards as the circle's page.
using System.Text;
using System.Text.Json.Nodes;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Model;

namespace DpsTorch.Reports;

/// <summary>The report page of a run on T^d with d &gt; 1.</summary>
internal static class TorusReportPage
{
    /// <summary>The page of the run in <paramref name="runDir"/> from its already read files.</summary>
    public static string Build(string runDir, JsonObject summary, List<TrajectoryPoint> trajectory, ModelState state)
    {
        var config = state.Config;
        int d = config.Space.Dimensions, m = config.Space.M;
        double[] demand, production, mu, sigma, a;
        double[]? covariances;
        using (TensorEngine.NoGrad())
        {
            var model = state.ToModel();
            production = model.SystemProduction(model.Production(model.Interaction.Weights())).ToArray();
            demand = new double[model.Space.Points];
            foreach (var frame in model.DemandFrames)
                for (int k = 0; k < demand.Length; k++) demand[k] += frame[k] / model.DemandFrames.Count;
            (mu, sigma, a) = (model.Mu.ToArray(), model.Sigma().ToArray(), model.Resources().ToArray());
            covariances = model.FullCovariance ? model.Covariances() : null;
        }
        string title = string.IsNullOrWhiteSpace(config.Name) ? Path.GetFileName(Path.GetFullPath(runDir).TrimEnd(Path.DirectorySeparatorChar)) : config.Name!;
        var html = new StringBuilder();
        HtmlPage.Begin(html, title, config.Description,
            $"N = {state.N} agents · T^{d}, M = {m} points per axis ({config.Space.Points} in all) · topology {Svg.Escape(Choices.Name(config.Topology.Kind))}{(config.Topology.Learned ? " (learned)" : "")} · {state.Edges.Length} edges · objective {Svg.Escape(Choices.Name(config.Objective.Kind))}");
        string headline = config.Measures.Headline;
        HtmlPage.Card(html, "Summary", ReportPage.SummaryTable(summary, summary, headline),
            $"First row: {Svg.Escape(ReportPage.Label(headline))}, the measure this experiment is about (measures.headline).");
        Maps(html, config, demand, production, mu, sigma, a, "agents", covariances);
        ReportPage.FlatTail(html, summary, trajectory, config);
        return html.ToString();
    }

    /// <summary>
    /// The cards "Demand D", "Production W" and "Residual W − D" on T^d: heat maps over the first two axes (summed over
    /// the others) with the agents (<paramref name="agentsName"/>: agents or leaves) as crosses and breadth ellipses
    /// (one-σ ellipses of the first two axes' covariance when <paramref name="covariances"/>, d×d per agent, is given).
    /// </summary>
    internal static void Maps(StringBuilder html, DpsConfig config, double[] demand, double[] production, double[] mu, double[] sigma, double[] a, string agentsName,
        double[]? covariances = null)
    {
        int d = config.Space.Dimensions, m = config.Space.M, n = a.Length;
        var demandMap = TorusMap.Marginal(demand, m, d, config.Space.Points);
        var productionMap = TorusMap.Marginal(production, m, d, config.Space.Points);
        double vmax = Math.Max(demandMap.Max(), productionMap.Max());
        string axes = d > 2 ? $" Summed over axes 3 to {d} (times their cell width), so the map shows the marginal on the first two axes." : "";
        var agents = ReportSampling.Even(n, ReportPage.MaxDensityLines);
        HtmlPage.Card(html, "Demand D", TorusMap.ToSvg(demandMap, m, vmax, mu, sigma, a, d, agents, "demand D", covariances: covariances),
            $"Heat map of the demand over the first two axes (darker is more); crosses mark the {agentsName}' locations (μ_0, μ_1), ellipses their breadths "
            + (covariances is null ? "(σ_0, σ_1)." : "(the one-σ ellipse of each covariance on the first two axes, turned with its correlation).") + axes);
        HtmlPage.Card(html, "Production W", TorusMap.ToSvg(productionMap, m, vmax, mu, sigma, a, d, agents, "production W", covariances: covariances),
            "System production on the same colour scale as the demand, with the same markers." + axes + HtmlPage.Sampled(agents.Length, n));
        var residual = demandMap.Select((v, k) => productionMap[k] - v).ToArray();
        HtmlPage.Card(html, "Residual W − D", TorusMap.ToSvg(residual, m, Math.Max(1e-300, residual.Max(Math.Abs)), mu, sigma, a, d, [], "W − D", diverging: true),
            "Production minus demand: orange is over-production (idle output), blue unmet demand." + axes);
    }
}

/// <summary>A heat map of values on the first two axes of T^d with agent markers and breadth ellipses.</summary>
internal static class TorusMap
{
    /// <summary>The marginal on the first two axes, M×M (row = axis 0): values summed over the other axes times their cell width.</summary>
    public static double[] Marginal(double[] values, int m, int d, long points)
    {
        if (values.Length != points) throw new ArgumentException($"TorusMap: {values.Length} values for a grid of {points} points.", nameof(values));
        int rest = (int)(points / ((long)m * m));
        double width = rest == 1 ? 1.0 : Math.Pow(2 * Math.PI / m, d - 2);
        var map = new double[m * m];
        for (int cell = 0; cell < m * m; cell++)
        {
            double s = 0;
            for (int r = 0; r < rest; r++) s += values[cell * rest + r];
            map[cell] = s * width;
        }
        return map;
    }

    /// <summary>
    /// An inline SVG: one rectangle per cell (axis 0 to the right, axis 1 upwards, both over [0, 2π)), shaded by
    /// value/<paramref name="vmax"/> (two-sided around 0 when <paramref name="diverging"/>), and for each agent in
    /// <paramref name="agents"/> a cross at (μ_0, μ_1) mod 2π and an ellipse of semi-axes (σ_0, σ_1), drawn again across
    /// the edges where it wraps. With <paramref name="covariances"/> (d×d per agent, row-major) the ellipse is the one-σ
    /// contour of the covariance of the first two axes, turned along its principal axes.
    /// </summary>
    public static string ToSvg(double[] map, int m, double vmax, double[] mu, double[] sigma, double[] a, int d, int[] agents, string label, bool diverging = false, int size = 400,
        double[]? covariances = null)
    {
        const double left = 44, top = 10;
        double plot = size - 60, cell = plot / m;
        if (!(vmax > 0) || !double.IsFinite(vmax)) vmax = 1;
        var sb = new StringBuilder();
        sb.Append($"<svg class=\"chart\" viewBox=\"0 0 {size} {size}\" width=\"{size}\" height=\"{size}\" role=\"img\"");
        var rows = Enumerable.Range(0, m * m).Select(k => (IReadOnlyList<string>)[Interactive.Value(2 * Math.PI * (k / m) / m), Interactive.Value(2 * Math.PI * (k % m) / m), Interactive.Value(map[k])]);
        sb.Append(Interactive.Csv(["x0", "x1", label], rows)).Append('>');
        sb.Append($"<g><title>{Svg.Escape(label)}</title>");
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
            {
                double t = Math.Clamp(map[i * m + j] / vmax, -1, 1);
                string fill = diverging ? (t >= 0 ? Colors.Hsl(30, 0.9, 1 - 0.5 * t) : Colors.Hsl(210, 0.8, 1 + 0.5 * t)) : Colors.Hsl(220, 0.6, 0.97 - 0.6 * Math.Max(0, t));
                sb.Append($"<rect x=\"{Svg.C(left + i * cell)}\" y=\"{Svg.C(top + plot - (j + 1) * cell)}\" width=\"{Svg.C(cell + 0.6)}\" height=\"{Svg.C(cell + 0.6)}\" fill=\"{fill}\"/>");
            }
        sb.Append("</g>");
        sb.Append($"<rect x=\"{Svg.C(left)}\" y=\"{Svg.C(top)}\" width=\"{Svg.C(plot)}\" height=\"{Svg.C(plot)}\" fill=\"none\" stroke=\"{Colors.Axis}\"/>");
        double scale = plot / (2 * Math.PI);
        for (int k = 0; k <= 4; k++)
        {
            double v = k * Math.PI / 2, x = left + v * scale, y = top + plot - v * scale;
            sb.Append($"<text x=\"{Svg.C(x)}\" y=\"{Svg.C(top + plot + 16)}\" text-anchor=\"middle\" font-size=\"11\">{Svg.PiLabel(v)}</text>");
            sb.Append($"<text x=\"{Svg.C(left - 6)}\" y=\"{Svg.C(y + 4)}\" text-anchor=\"end\" font-size=\"11\">{Svg.PiLabel(v)}</text>");
        }
        sb.Append($"<text x=\"{Svg.C(left + plot / 2)}\" y=\"{Svg.C(size - 6)}\" text-anchor=\"middle\" font-size=\"12\">x₀ (axis 1)</text>");
        sb.Append($"<text x=\"12\" y=\"{Svg.C(top + plot / 2)}\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 12 {Svg.C(top + plot / 2)})\">x₁ (axis 2)</text>");
        sb.Append($"<clipPath id=\"torus-clip-{Svg.Escape(label.Replace(' ', '-'))}\"><rect x=\"{Svg.C(left)}\" y=\"{Svg.C(top)}\" width=\"{Svg.C(plot)}\" height=\"{Svg.C(plot)}\"/></clipPath>");
        sb.Append($"<g clip-path=\"url(#torus-clip-{Svg.Escape(label.Replace(' ', '-'))})\">");
        double aMax = agents.Length == 0 ? 1 : agents.Max(i => a[i]);
        foreach (int i in agents)
        {
            double x0 = Wrap(mu[i * d]), x1 = Wrap(mu[i * d + 1]);
            string color = Colors.Cyclic(x0);
            double opacity = aMax > 0 ? 0.35 + 0.65 * a[i] / aMax : 1;
            var (major, minor, degrees) = covariances is null ? (sigma[i * d], sigma[i * d + 1], 0.0) : Principal(covariances, i, d);
            string turn = degrees == 0 ? "" : $" transform=\"rotate({Svg.O(-degrees)} {{0}} {{1}})\"";
            foreach (double sx in (ReadOnlySpan<double>)[-2 * Math.PI, 0, 2 * Math.PI])
                foreach (double sy in (ReadOnlySpan<double>)[-2 * Math.PI, 0, 2 * Math.PI])
                {
                    double px = left + (x0 + sx) * scale, py = top + plot - (x1 + sy) * scale;
                    double rx = major * scale, ry = minor * scale, reach = degrees == 0 ? 0 : Math.Max(rx, ry);
                    if (px + Math.Max(rx, reach) < left || px - Math.Max(rx, reach) > left + plot || py + Math.Max(ry, reach) < top || py - Math.Max(ry, reach) > top + plot) continue;
                    sb.Append($"<ellipse cx=\"{Svg.C(px)}\" cy=\"{Svg.C(py)}\" rx=\"{Svg.C(rx)}\" ry=\"{Svg.C(ry)}\"{string.Format(turn, Svg.C(px), Svg.C(py))} fill=\"none\" stroke=\"{color}\" stroke-width=\"1.4\" opacity=\"{Svg.O(opacity)}\"/>");
                    sb.Append($"<path d=\"M{Svg.C(px - 4)} {Svg.C(py)}h8M{Svg.C(px)} {Svg.C(py - 4)}v8\" stroke=\"{color}\" stroke-width=\"2\" opacity=\"{Svg.O(opacity)}\"><title>agent {i}: μ = ({Svg.O(x0)}, {Svg.O(x1)}), σ = ({Svg.O(sigma[i * d])}, {Svg.O(sigma[i * d + 1])}), a = {Svg.O(a[i])}</title></path>");
                }
        }
        sb.Append("</g></svg>");
        return sb.ToString();
    }

    /// <summary>Semi-axes and turn (degrees, from axis 0 towards axis 1) of the one-σ ellipse of agent i's covariance on the first two axes.</summary>
    private static (double Major, double Minor, double Degrees) Principal(double[] covariances, int i, int d)
    {
        double a = covariances[i * d * d], b = covariances[i * d * d + 1], c = covariances[i * d * d + d + 1];
        double mean = (a + c) / 2, radius = Math.Sqrt((a - c) * (a - c) / 4 + b * b);
        return (Math.Sqrt(mean + radius), Math.Sqrt(Math.Max(mean - radius, 0)), 0.5 * Math.Atan2(2 * b, a - c) * 180 / Math.PI);
    }

    private static double Wrap(double x) => x - 2 * Math.PI * Math.Floor(x / (2 * Math.PI));
}
