// The run report (issue 4): one self-contained HTML page (inline SVG and CSS, no scripts, no network) built from a
// run folder's summary.json, trajectory.csv and model.json. Production and densities are recomputed from the saved
// state, so the page shows exactly the system that was saved.
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DpsTorch.IO;
using DpsTorch.Model;

namespace DpsTorch.Reports;

/// <summary>Builds and writes report.html for a run folder.</summary>
public static class ReportPage
{
    /// <summary>Most agent density lines drawn (evenly sampled by index beyond this).</summary>
    public const int MaxDensityLines = 200;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// The report of the run in <paramref name="runDir"/>: title, summary measures, demand and production around the
    /// circle and unrolled, agent densities, training curves, topology, robustness and local heterogeneity (when
    /// measured), and the resolved config. Missing or malformed files give a <see cref="ConfigException"/> naming the file.
    /// </summary>
    public static string Build(string runDir)
    {
        var summary = ReadSummary(Path.Combine(runDir, RunFiles.Summary));
        var trajectory = RunFiles.ReadTrajectory(Path.Combine(runDir, RunFiles.Trajectory));
        var state = ModelState.Load(Path.Combine(runDir, RunFiles.Model));
        var sys = Recompute(state);
        var config = state.Config;

        string title = string.IsNullOrWhiteSpace(config.Name) ? Path.GetFileName(Path.GetFullPath(runDir).TrimEnd(Path.DirectorySeparatorChar)) : config.Name!;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append($"<title>{Svg.Escape(title)} · DpsTorch report</title>\n<style>{Css}</style>\n</head>\n<body>\n");
        html.Append($"<header><h1>{Svg.Escape(title)}</h1>");
        if (!string.IsNullOrWhiteSpace(config.Description)) html.Append($"<p class=\"lead\">{Svg.Escape(config.Description)}</p>");
        html.Append($"<p class=\"meta\">N = {state.N} agents · M = {config.Space.M} grid points · topology {Svg.Escape(config.Topology.Kind)}{(config.Topology.Learned ? " (learned)" : "")} · {state.Edges.Length} edges · objective {Svg.Escape(config.Objective.Kind)}</p></header>\n");
        html.Append("<main class=\"grid\">\n");

        Card(html, "Summary", SummaryTable(summary), "");

        var agents = ReportSampling.Even(state.N, MaxDensityLines);
        var muShown = agents.Select(i => sys.Mu[i]).ToArray();
        Card(html, "Demand and production around the circle", CirclePlot.ToSvg(sys.Grid, sys.Demand, sys.W, muShown),
            "Radius grows with the value; the inner circle is zero. Dots mark the agents' locations μ, coloured by position." + Sampled(agents.Length, state.N));
        Card(html, "Demand and production, unrolled", Unrolled(sys), sys.FrameCount > 1 ? $"D is the mean of the {sys.FrameCount} demand frames the loss averages." : "");
        Card(html, "Agent skill densities", Densities(sys, agents),
            $"One line per agent: s_i(x), coloured by μ_i <span class=\"hue\"></span> (0 → 2π), opacity by resource a_i." + Sampled(agents.Length, state.N));

        var (graph, graphNote) = GraphPlot.ToSvg(sys.Mu, sys.Resources, state.Edges, state.Weights);
        Card(html, "Topology", graph, "Agents on a circle in index order, coloured by μ, sized by resource; edge opacity grows with the weight."
            + (state.Edges.Length == 0 ? " The system has no edges." : "") + (graphNote.Length > 0 ? $" Note: {graphNote}." : ""));

        double[] steps = trajectory.Select(p => (double)p.Step).ToArray();
        Card(html, "Loss", new LineChart { XLabel = "step", YLabel = "loss (log scale)", LogY = true, Series =
        {
            new(steps, trajectory.Select(p => p.Loss).ToArray(), Colors.Production) { Label = "loss" },
            new(steps, trajectory.Select(p => p.CoverageLoss).ToArray(), Colors.Primary) { Label = "coverage term", Width = 1.4, Dashed = true },
        } }.ToSvg(), trajectory.Count == 0 ? "The trajectory is empty." : "");
        Card(html, "Heterogeneity", new LineChart { XLabel = "step", YLabel = "heterogeneity ¹D", Series =
            { new(steps, trajectory.Select(p => p.Heterogeneity).ToArray(), Colors.Tertiary) } }.ToSvg(), "Hill number of order 1 of the agents' skills (effective number of distinct agents).");
        Card(html, "Coverage", new LineChart { XLabel = "step", YLabel = "coverage", Series =
            { new(steps, trajectory.Select(p => p.Coverage).ToArray(), Colors.Secondary) } }.ToSvg(), "");

        if (Robustness(summary) is { } robustness)
            Card(html, "Robustness and resilience", robustness, "Coverage kept as a fraction of agents is removed (shaded: spread over removal orders); resilience re-optimises the survivors.");
        if (Doubles(summary["localHeterogeneity"]) is { Length: > 0 } local)
            Card(html, "Local heterogeneity", new LineChart { XLabel = "radius r (hops)", YLabel = "local heterogeneity", YMin = 0, Series =
                { new(local.Select((_, r) => (double)r).ToArray(), local, Colors.Tertiary) { Markers = true } } }.ToSvg(),
                "Mean heterogeneity of each agent's neighbourhood of radius r.");

        string configJson = summary["config"] is JsonNode c ? c.ToJsonString(Indented) : ConfigLoader.ToJson(config);
        html.Append($"<section class=\"card wide\"><details><summary>Resolved config</summary><pre>{Svg.Escape(configJson)}</pre></details></section>\n");
        html.Append("</main>\n<footer>Written by DpsTorch from ").Append(Svg.Escape(RunFiles.Summary)).Append(", ")
            .Append(Svg.Escape(RunFiles.Trajectory)).Append(" and ").Append(Svg.Escape(RunFiles.Model)).Append(".</footer>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>Writes <c>runDir/report.html</c> (atomically) from <see cref="Build"/>.</summary>
    public static void Write(string runDir) => AtomicFile.WriteAllText(Path.Combine(runDir, RunFiles.Report), Build(runDir));

    // The saved system recomputed: grid, mean demand, W = Σ_i p_i, μ, σ, a.
    private sealed record Saved(double[] Grid, double[] Demand, int FrameCount, double[] W, double[] Mu, double[] Sigma, double[] Resources);

    private static Saved Recompute(ModelState state)
    {
        using var _ = Torch.NoGrad();
        var model = SystemBuilder.FromState(state);
        var w = model.SystemProduction(model.Production(model.Interaction.Weights())).ToArray();
        int m = model.Space.M;
        var demand = new double[m];
        foreach (var frame in model.DemandFrames)
            for (int k = 0; k < m; k++) demand[k] += frame[k] / model.DemandFrames.Count;
        return new Saved(model.Space.Grid.ToArray(), demand, model.DemandFrames.Count, w, model.Mu.ToArray(),
            model.Sigma().ToArray(), model.Resources().ToArray());
    }

    private static JsonObject ReadSummary(string path)
    {
        if (!File.Exists(path)) throw new ConfigException(path, "summary file not found; is this a run folder (written by dps run)?");
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new ConfigException(path, "not a valid summary file: the top level must be a JSON object.");
        }
        catch (JsonException e) { throw new ConfigException(path, $"not a valid summary file: JSON error at line {e.LineNumber + 1}."); }
    }

    private static void Card(StringBuilder html, string title, string body, string note)
    {
        html.Append($"<section class=\"card\"><h2>{Svg.Escape(title)}</h2>{body}");
        if (note.Length > 0) html.Append($"<p class=\"note\">{note}</p>");
        html.Append("</section>\n");
    }

    private static string Sampled(int shown, int n) => shown < n ? $" Only {shown} of {n} agents are drawn (evenly sampled by index)." : "";

    private static readonly (string Key, string Label)[] SummaryRows =
    [
        ("loss", "loss"), ("coverage", "coverage"), ("efficiency", "efficiency"),
        ("heterogeneity", "heterogeneity ¹D (q = 1)"), ("heterogeneityQ0", "heterogeneity ⁰D"), ("heterogeneityQ2", "heterogeneity ²D"),
        ("heterogeneityQInf", "heterogeneity ∞D"), ("specialisation", "specialisation"), ("productivity", "productivity"),
        ("totalProduction", "total production"), ("communicationCost", "communication cost"), ("robustness", "robustness (area)"),
        ("resilience", "resilience (area)"), ("spatialScale", "spatial scale"), ("steps", "steps"), ("seconds", "seconds"),
        ("stopReason", "stop reason"), ("complete", "complete"), ("bestRestart", "best restart"),
    ];

    private static string SummaryTable(JsonObject summary)
    {
        var sb = new StringBuilder("<table class=\"summary\"><tbody>");
        foreach (var (key, label) in SummaryRows)
            sb.Append($"<tr><th>{Svg.Escape(label)}</th><td>{Svg.Escape(Show(summary[key]))}</td></tr>");
        if (Doubles(summary["restartLosses"]) is { Length: > 1 } losses)
            sb.Append($"<tr><th>restart losses</th><td>{Svg.Escape(string.Join(", ", losses.Select(v => Svg.Num(v))))}</td></tr>");
        return sb.Append("</tbody></table>").ToString();
    }

    private static string Show(JsonNode? node) => node switch
    {
        null => "–",
        JsonValue v when v.TryGetValue(out double d) => Svg.Num(d),
        JsonValue v when v.TryGetValue(out bool b) => b ? "yes" : "no",
        JsonValue v when v.TryGetValue(out string? s) => s ?? "–",
        _ => node.ToJsonString(),
    };

    private static double[]? Doubles(JsonNode? node)
    {
        if (node is not JsonArray a) return null;
        var d = new double[a.Count];
        for (int i = 0; i < d.Length; i++)
            d[i] = a[i] is JsonValue v && v.TryGetValue(out double x) ? x : double.NaN;
        return d;
    }

    private static readonly (double, string)[] PiTicks = [.. Enumerable.Range(0, 5).Select(k => (k * Math.PI / 2, Svg.PiLabel(k * Math.PI / 2)))];

    /// <summary>x and v with the first point repeated at 2π, so a periodic curve reaches the right edge.</summary>
    private static (double[], double[]) Wrap(double[] x, double[] v) => ([.. x, 2 * Math.PI], [.. v, v[0]]);

    private static string Unrolled(Saved s)
    {
        var (x, d) = Wrap(s.Grid, s.Demand);
        var (_, w) = Wrap(s.Grid, s.W);
        return new LineChart
        {
            XLabel = "x (position on the circle)", YLabel = "value", XMin = 0, XMax = 2 * Math.PI, YMin = 0, XTicks = PiTicks, Series =
            {
                new(x, d, Colors.Demand) { Label = "demand D", Fill = true },
                new(x, w, Colors.Production) { Label = "production W", Width = 2 },
            },
        }.ToSvg();
    }

    private static string Densities(Saved s, int[] agents)
    {
        using var _ = Torch.NoGrad();
        var dens = Tensor.WrappedNormalDensity(Tensor.FromArray(agents.Select(i => s.Mu[i]).ToArray()),
            Tensor.FromArray(agents.Select(i => s.Sigma[i]).ToArray()), s.Grid).Data;
        int m = s.Grid.Length;
        double amax = 0;
        foreach (int i in agents) if (double.IsFinite(s.Resources[i])) amax = Math.Max(amax, s.Resources[i]);
        var chart = new LineChart { XLabel = "x (position on the circle)", YLabel = "skill density s_i(x)", XMin = 0, XMax = 2 * Math.PI, YMin = 0, XTicks = PiTicks };
        for (int k = 0; k < agents.Length; k++)
        {
            int i = agents[k];
            var (x, y) = Wrap(s.Grid, dens.AsSpan(k * m, m).ToArray());
            double share = amax > 0 && double.IsFinite(s.Resources[i]) ? Math.Max(s.Resources[i], 0) / amax : 1;
            chart.Series.Add(new(x, y, Colors.Cyclic(s.Mu[i])) { Width = agents.Length > 50 ? 0.8 : 1.4, Opacity = 0.2 + 0.8 * share });
        }
        return chart.ToSvg();
    }

    private static string? Robustness(JsonObject summary)
    {
        var chart = new LineChart { XLabel = "fraction of agents removed", YLabel = "coverage kept", XMin = 0, XMax = 1, YMin = 0 };
        foreach (var (key, label, color) in new[] { ("robustnessCurve", "robustness", Colors.Primary), ("resilienceCurve", "resilience", Colors.Secondary) })
        {
            if (summary[key] is not JsonObject curve || Doubles(curve["fractions"]) is not { Length: > 0 } f || Doubles(curve["coverage"]) is not { } c || c.Length != f.Length)
                continue;
            var spread = Doubles(curve["spread"]);
            var band = spread is { } sp && sp.Length == f.Length
                ? (c.Select((v, i) => v - sp[i]).ToArray(), c.Select((v, i) => v + sp[i]).ToArray())
                : ((double[], double[])?)null;
            chart.Series.Add(new(f, c, color) { Label = label, Markers = true, Band = band });
        }
        return chart.Series.Count == 0 ? null : chart.ToSvg();
    }

    private const string Css = """
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
        .hue { display: inline-block; width: 80px; height: 9px; border-radius: 3px; vertical-align: middle;
               background: linear-gradient(to right, hsl(0 70% 45%), hsl(60 70% 45%), hsl(120 70% 45%), hsl(180 70% 45%),
                                                     hsl(240 70% 45%), hsl(300 70% 45%), hsl(360 70% 45%)); }
        details summary { cursor: pointer; font-weight: 600; color: #343a40; }
        pre { background: #f8f9fa; padding: 10px 12px; border-radius: 6px; overflow: auto; font-size: 12px; max-height: 600px; }
        footer { margin-top: 18px; color: #adb5bd; font-size: 12px; }
        """;
}
