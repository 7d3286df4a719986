// The run report (issue 4): one self-contained HTML page (inline SVG, CSS and the small chart script of Interactive.cs, no network) built from a
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
        var summary = HtmlPage.ReadSummary(Path.Combine(runDir, RunFiles.Summary), "written by dps run");
        var trajectory = RunFiles.ReadTrajectory(Path.Combine(runDir, RunFiles.Trajectory));
        var state = ModelState.Load(Path.Combine(runDir, RunFiles.Model));
        var sys = Recompute(state);
        var config = state.Config;

        string title = string.IsNullOrWhiteSpace(config.Name) ? Path.GetFileName(Path.GetFullPath(runDir).TrimEnd(Path.DirectorySeparatorChar)) : config.Name!;
        var html = new StringBuilder();
        HtmlPage.Begin(html, title, config.Description,
            $"N = {state.N} agents · M = {config.Space.M} grid points · topology {Svg.Escape(config.Topology.Kind)}{(config.Topology.Learned ? " (learned)" : "")} · {state.Edges.Length} edges · objective {Svg.Escape(config.Objective.Kind)}");

        HtmlPage.Card(html, "Summary", SummaryTable(summary), "");

        var agents = ReportSampling.Even(state.N, MaxDensityLines);
        var muShown = agents.Select(i => sys.Mu[i]).ToArray();
        HtmlPage.Card(html, "Demand and production around the circle", CirclePlot.ToSvg(sys.Grid, sys.Demand, sys.W, muShown),
            "Radius grows with the value; the inner circle is zero. Dots mark the agents' locations μ, coloured by position." + HtmlPage.Sampled(agents.Length, state.N));
        HtmlPage.Card(html, "Demand and production, unrolled", HtmlPage.Unrolled(sys.Grid, sys.Demand, sys.W), sys.FrameCount > 1 ? $"D is the mean of the {sys.FrameCount} demand frames the loss averages." : "");
        HtmlPage.Card(html, "Agent skill densities", HtmlPage.Densities(sys.Grid, sys.Mu, sys.Sigma, sys.Resources, agents, i => Colors.Cyclic(sys.Mu[i])),
            $"One line per agent: s_i(x), coloured by μ_i <span class=\"hue\"></span> (0 → 2π), opacity by resource a_i." + HtmlPage.Sampled(agents.Length, state.N));

        var (graph, graphNote) = GraphPlot.ToSvg(sys.Mu, sys.Resources, state.Edges, state.Weights);
        HtmlPage.Card(html, "Topology", graph, "Agents on a circle in index order, coloured by μ, sized by resource; edge opacity grows with the weight."
            + (state.Edges.Length == 0 ? " The system has no edges." : "") + (graphNote.Length > 0 ? $" Note: {graphNote}." : ""));

        double[] steps = trajectory.Select(p => (double)p.Step).ToArray();
        HtmlPage.Card(html, "Loss", new LineChart { XLabel = "step", YLabel = "loss (log scale)", LogY = true, Series =
        {
            new(steps, trajectory.Select(p => p.Loss).ToArray(), Colors.Production) { Label = "loss" },
            new(steps, trajectory.Select(p => p.CoverageLoss).ToArray(), Colors.Primary) { Label = "coverage term", Width = 1.4, Dashed = true },
        } }.ToSvg(), trajectory.Count == 0 ? "The trajectory is empty." : "");
        HtmlPage.Card(html, "Heterogeneity", new LineChart { XLabel = "step", YLabel = "heterogeneity ¹D", Series =
            { new(steps, trajectory.Select(p => p.Heterogeneity).ToArray(), Colors.Tertiary) } }.ToSvg(), "Hill number of order 1 of the agents' skills (effective number of distinct agents).");
        HtmlPage.Card(html, "Coverage", new LineChart { XLabel = "step", YLabel = "coverage", Series =
            { new(steps, trajectory.Select(p => p.Coverage).ToArray(), Colors.Secondary) } }.ToSvg(), "");

        if (HtmlPage.CurveChart([(summary["robustnessCurve"], "robustness", Colors.Primary, false), (summary["resilienceCurve"], "resilience", Colors.Secondary, false)]) is { } robustness)
            HtmlPage.Card(html, "Robustness and resilience", robustness, "Coverage kept as a fraction of agents is removed (shaded: spread over removal orders); resilience re-optimises the survivors.");
        if (HtmlPage.Doubles(summary["localHeterogeneity"]) is { Length: > 0 } local)
            HtmlPage.Card(html, "Local heterogeneity", new LineChart { XLabel = "radius r (hops)", YLabel = "local heterogeneity", YMin = 0, Series =
                { new(local.Select((_, r) => (double)r).ToArray(), local, Colors.Tertiary) { Markers = true } } }.ToSvg(),
                "Mean heterogeneity of each agent's neighbourhood of radius r.");

        string configJson = summary["config"] is JsonNode c ? c.ToJsonString(Indented) : ConfigLoader.ToJson(config);
        HtmlPage.End(html, configJson, RunFiles.Summary, RunFiles.Trajectory, RunFiles.Model);
        return html.ToString();
    }

    /// <summary>Writes <c>runDir/report.html</c> (atomically) from <see cref="Build"/>.</summary>
    public static void Write(string runDir) => AtomicFile.WriteAllText(Path.Combine(runDir, RunFiles.Report), Build(runDir));

    // The saved system recomputed: grid, mean demand, W = Σ_i p_i, μ, σ, a.
    private sealed record Saved(double[] Grid, double[] Demand, int FrameCount, double[] W, double[] Mu, double[] Sigma, double[] Resources);

    private static Saved Recompute(ModelState state)
    {
        using var _ = TensorEngine.NoGrad();
        var model = SystemBuilder.FromState(state);
        var w = model.SystemProduction(model.Production(model.Interaction.Weights())).ToArray();
        int m = model.Space.M;
        var demand = new double[m];
        foreach (var frame in model.DemandFrames)
            for (int k = 0; k < m; k++) demand[k] += frame[k] / model.DemandFrames.Count;
        return new Saved(model.Space.Grid.ToArray(), demand, model.DemandFrames.Count, w, model.Mu.ToArray(),
            model.Sigma().ToArray(), model.Resources().ToArray());
    }

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
            sb.Append($"<tr><th>{Svg.Escape(label)}</th><td>{Svg.Escape(HtmlPage.Show(summary[key]))}</td></tr>");
        if (HtmlPage.Doubles(summary["restartLosses"]) is { Length: > 1 } losses)
            sb.Append($"<tr><th>restart losses</th><td>{Svg.Escape(string.Join(", ", losses.Select(v => Svg.Num(v))))}</td></tr>");
        return sb.Append("</tbody></table>").ToString();
    }
}
