// The run report (issue 4): one self-contained HTML page (inline SVG, CSS and the small chart script of Interactive.cs, no network) built from a
// run folder's summary.json, trajectory.csv and model.json. Production and densities are recomputed from the saved
// state, so the page shows exactly the system that was saved.
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DpsTorch.Config;
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
        if (state.Config.Space.Dimensions > 1) return TorusReportPage.Build(runDir, summary, trajectory, state);
        var sys = Recompute(state);
        var config = state.Config;

        string title = string.IsNullOrWhiteSpace(config.Name) ? Path.GetFileName(Path.GetFullPath(runDir).TrimEnd(Path.DirectorySeparatorChar)) : config.Name!;
        var html = new StringBuilder();
        HtmlPage.Begin(html, title, config.Description,
            $"N = {state.N} agents · M = {config.Space.M} grid points · topology {Svg.Escape(Choices.Name(config.Topology.Kind))}{(config.Topology.Learned ? " (learned)" : "")} · {state.Edges.Length} edges · objective {Svg.Escape(Choices.Name(config.Objective.Kind))}");

        string headline = config.Measures.Headline;
        HtmlPage.Card(html, "Summary", SummaryTable(summary, headline),
            $"First row: {Svg.Escape(Label(headline))}, the measure this experiment is about (measures.headline). "
            + "Efficiency is ∫min(W, D)/(Σa + λ_C·C); met demand per resource, output per resource, utilisation and communication efficiency are defined in docs/CONFIG.md (“Efficiency that is not coverage”).");

        var agents = ReportSampling.Even(state.N, MaxDensityLines);
        var muShown = agents.Select(i => sys.Mu[i]).ToArray();
        HtmlPage.Card(html, "Demand and production around the circle", CirclePlot.ToSvg(sys.Grid, sys.Demand, sys.W, muShown),
            "Radius grows with the value; the inner circle is zero. Dots mark the agents' locations μ, coloured by position." + HtmlPage.Sampled(agents.Length, state.N));
        string frames = sys.FrameCount > 1 ? $" D is the mean of the {sys.FrameCount} demand frames the loss averages." : "";
        if (sys.Pooled is { } pooled)
        {
            HtmlPage.Card(html, "Neighbourhood densities P_i against the demand shape D/∫D", Neighbourhoods(sys, pooled, agents),
                "The local objective compares each agent's neighbourhood production as a density, P_i = p_i / ∫p_i (one line per agent, coloured by μ_i), "
                + "with the demand's shape D / ∫D (filled); the system production W is not what it scores." + frames + HtmlPage.Sampled(agents.Length, state.N));
            HtmlPage.Card(html, "Residual P_i − D/∫D", LocalResidual(sys, pooled),
                "Mean over the neighbourhoods of P_i − D/∫D (line) and its range over them (band); zero everywhere would be a perfect local fit." + frames);
        }
        else
        {
            HtmlPage.Card(html, "Demand and production, unrolled", HtmlPage.Unrolled(sys.Grid, sys.Demand, sys.W), frames.Trim());
            HtmlPage.Card(html, "Residual W − D", Residual(sys),
                "Production minus demand: above zero is over-production (idle output), below zero unmet demand." + frames);
        }
        HtmlPage.Card(html, "Agent skill densities", HtmlPage.Densities(sys.Grid, sys.Mu, sys.Sigma, sys.Resources, agents, i => Colors.Cyclic(sys.Mu[i])),
            $"One line per agent: s_i(x), coloured by μ_i <span class=\"hue\"></span> (0 → 2π), opacity by resource a_i." + HtmlPage.Sampled(agents.Length, state.N));

        var (graph, graphNote) = GraphPlot.ToSvg(sys.Mu, sys.Resources, state.Edges, state.Weights);
        HtmlPage.Card(html, "Topology", graph, "Agents on a circle in index order, coloured by μ, sized by resource; edge opacity grows with the weight."
            + (state.Edges.Length == 0 ? " The system has no edges." : "") + (graphNote.Length > 0 ? $" Note: {graphNote}." : ""));

        TrainingCards(html, summary, trajectory, config);
        return html.ToString();
    }

    /// <summary>The cards every flat run's page ends with: loss, heterogeneity, coverage, robustness and local
    /// heterogeneity when measured, and the resolved config.</summary>
    internal static void TrainingCards(StringBuilder html, JsonObject summary, IReadOnlyList<TrajectoryPoint> trajectory, DpsConfig config)
    {
        double[] steps = trajectory.Select(p => (double)p.Step).ToArray();
        HtmlPage.Card(html, "Loss", new LineChart { XLabel = "step", YLabel = "loss (log scale)", LogY = true, Series =
        {
            new(steps, trajectory.Select(p => p.Loss).ToArray(), Colors.Production) { Label = "loss" },
            new(steps, trajectory.Select(p => p.CoverageLoss).ToArray(), Colors.Primary) { Label = "coverage term", Width = 1.4, Dashed = true },
        } }.ToSvg(), trajectory.Count == 0 ? "The trajectory is empty." : "");
        var heterogeneityChart = new LineChart { XLabel = "step", YLabel = "heterogeneity ¹D", Series =
            { new(steps, trajectory.Select(p => p.Heterogeneity).ToArray(), Colors.Tertiary) { Label = "heterogeneity ¹D" } } };
        int? peaks = DemandPeaks(config.Demand);
        if (peaks is int k && steps.Length > 0)
            heterogeneityChart.Series.Add(new([steps[0], steps[^1]], [k, k], Colors.Axis) { Label = $"demand peaks K = {k}", Dashed = true, Width = 1.2 });
        HtmlPage.Card(html, "Heterogeneity", heterogeneityChart.ToSvg(), "Hill number of order 1 of the agents' skills (effective number of distinct agents)."
            + (peaks is int kk ? $" The dashed line is the demand's number of peaks, K = {kk}: the number of types a demand of K separated peaks needs." : ""));
        HtmlPage.Card(html, "Coverage", new LineChart { XLabel = "step", YLabel = "coverage", Series =
            { new(steps, trajectory.Select(p => p.Coverage).ToArray(), Colors.Secondary) } }.ToSvg(), "");

        if (HtmlPage.CurveChart([(summary["robustnessCurve"], "robustness", Colors.Primary, false), (summary["resilienceCurve"], "resilience", Colors.Secondary, true)]) is { } robustness)
            HtmlPage.Card(html, "Robustness and resilience", robustness, "Coverage kept as a fraction of agents is removed (shaded: mean ± one standard deviation over removal orders, clipped to [0, 1]); resilience re-optimises the survivors.");
        if (HtmlPage.Doubles(summary["localHeterogeneity"]) is { Length: > 0 } local)
            HtmlPage.Card(html, "Local heterogeneity", new LineChart { XLabel = "radius r (hops)", YLabel = "local heterogeneity", YMin = 0, Series =
                { new(local.Select((_, r) => (double)r).ToArray(), local, Colors.Tertiary) { Markers = true } } }.ToSvg(),
                "Mean heterogeneity of each agent's neighbourhood of radius r.");

        string configJson = summary["config"] is JsonNode c ? c.ToJsonString(Indented) : ConfigLoader.ToJson(config);
        HtmlPage.End(html, configJson, RunFiles.Summary, RunFiles.Trajectory, RunFiles.Model);
    }

    /// <summary>Writes <c>runDir/report.html</c> (atomically) from <see cref="Build"/>.</summary>
    public static void Write(string runDir) => AtomicFile.WriteAllText(Path.Combine(runDir, RunFiles.Report), Build(runDir));

    // The saved system recomputed: grid, mean demand, W = Σ_i p_i, μ, σ, a; for the local objective the pooled
    // densities P_i = p_i / ∫p_i (N×M, row-major).
    private sealed record Saved(double[] Grid, double[] Demand, int FrameCount, double[] W, double[] Mu, double[] Sigma, double[] Resources, double[]? Pooled);

    private static Saved Recompute(ModelState state)
    {
        using var _ = TensorEngine.NoGrad();
        var model = SystemBuilder.FromState(state);
        var p = model.Production(model.Interaction.Weights());
        var w = model.SystemProduction(p).ToArray();
        double[]? pooled = IsLocal(model.Objective.Kind) ? model.PooledDensities(p).ToArray() : null;
        int m = model.Space.M;
        var demand = new double[m];
        foreach (var frame in model.DemandFrames)
            for (int k = 0; k < m; k++) demand[k] += frame[k] / model.DemandFrames.Count;
        return new Saved(model.Space.Grid.ToArray(), demand, model.DemandFrames.Count, w, model.Mu.ToArray(),
            model.Sigma().ToArray(), model.Resources().ToArray(), pooled);
    }

    /// <summary>Whether an objective kind (a string or, later, an enum) is the local one.</summary>
    private static bool IsLocal(object kind) => string.Equals(kind.ToString(), "local", StringComparison.OrdinalIgnoreCase);

    /// <summary>The number of peaks of a peaks, drifting, mixture or Dirac demand; null for uniform or histogram demands.</summary>
    internal static int? DemandPeaks(DemandConfig demand) => demand.Kind.ToString()!.ToLowerInvariant() switch
    {
        "peaks" or "drifting" => demand.Centers?.Length ?? demand.Peaks,
        "mixture" => demand.Centers?.Length,
        "dirac" => 1,
        _ => null,
    };

    /// <summary>W − D over the circle, with the zero line.</summary>
    private static string Residual(Saved sys)
    {
        var (x, r) = HtmlPage.Wrap(sys.Grid, [.. sys.W.Select((v, k) => v - sys.Demand[k])]);
        return new LineChart
        {
            XLabel = "x (position on the circle)", YLabel = "W − D", XMin = 0, XMax = 2 * Math.PI, XTicks = HtmlPage.PiTicks, Series =
            {
                new([0, 2 * Math.PI], [0, 0], Colors.Axis) { Label = "zero", Width = 1, Dashed = true },
                new(x, r, Colors.Production) { Label = "W − D", Width = 1.8 },
            },
        }.ToSvg();
    }

    /// <summary>The demand's shape D/∫D (filled) and each sampled agent's neighbourhood density P_i.</summary>
    private static string Neighbourhoods(Saved sys, double[] pooled, int[] agents)
    {
        int m = sys.Grid.Length;
        var (x, shape) = HtmlPage.Wrap(sys.Grid, Shape(sys));
        var chart = new LineChart { XLabel = "x (position on the circle)", YLabel = "density", XMin = 0, XMax = 2 * Math.PI, YMin = 0, XTicks = HtmlPage.PiTicks };
        chart.Series.Add(new(x, shape, Colors.Demand) { Label = "demand shape D/∫D", Fill = true });
        foreach (int i in agents)
        {
            var (_, pi) = HtmlPage.Wrap(sys.Grid, pooled.AsSpan(i * m, m).ToArray());
            chart.Series.Add(new(x, pi, Colors.Cyclic(sys.Mu[i])) { Name = $"P_{i}", Width = agents.Length > 50 ? 0.8 : 1.3, Opacity = 0.7 });
        }
        return chart.ToSvg();
    }

    /// <summary>Mean of P_i − D/∫D over the neighbourhoods, with its range as a band.</summary>
    private static string LocalResidual(Saved sys, double[] pooled)
    {
        int m = sys.Grid.Length, n = pooled.Length / m;
        var shape = Shape(sys);
        double[] mean = new double[m], low = new double[m], high = new double[m];
        for (int k = 0; k < m; k++)
        {
            double sum = 0, lo = double.PositiveInfinity, hi = double.NegativeInfinity;
            for (int i = 0; i < n; i++)
            {
                double r = pooled[i * m + k] - shape[k];
                sum += r;
                lo = Math.Min(lo, r);
                hi = Math.Max(hi, r);
            }
            (mean[k], low[k], high[k]) = (sum / n, lo, hi);
        }
        var (x, y) = HtmlPage.Wrap(sys.Grid, mean);
        var (_, l) = HtmlPage.Wrap(sys.Grid, low);
        var (_, h) = HtmlPage.Wrap(sys.Grid, high);
        return new LineChart
        {
            XLabel = "x (position on the circle)", YLabel = "P_i − D/∫D", XMin = 0, XMax = 2 * Math.PI, XTicks = HtmlPage.PiTicks, Series =
            {
                new([0, 2 * Math.PI], [0, 0], Colors.Axis) { Label = "zero", Width = 1, Dashed = true },
                new(x, y, Colors.Production) { Label = "mean over neighbourhoods", Width = 1.8, Band = (l, h) },
            },
        }.ToSvg();
    }

    /// <summary>D / ∫D on the grid (∫ as the Δ-weighted sum).</summary>
    private static double[] Shape(Saved sys)
    {
        double mass = sys.Demand.Sum() * 2 * Math.PI / sys.Grid.Length;
        return [.. sys.Demand.Select(v => mass > 0 ? v / mass : 0)];
    }

    private static readonly (string Key, string Label)[] SummaryRows =
    [
        ("loss", "loss"), ("coverage", "coverage"), ("efficiency", "efficiency"),
        ("heterogeneity", "heterogeneity ¹D (q = 1)"), ("heterogeneityQ0", "heterogeneity ⁰D"), ("heterogeneityQ2", "heterogeneity ²D"),
        ("heterogeneityQInf", "heterogeneity ∞D"), ("types", "distinct types"), ("specialisation", "specialisation"), ("productivity", "productivity"),
        ("totalProduction", "total production"), ("communicationCost", "communication cost"),
        ("resourceEfficiency", "met demand per resource ∫min(W, D)/Σa"), ("amplification", "output per resource ∫W/Σa"),
        ("utilisation", "utilisation ∫min(W, D)/∫W"), ("communicationEfficiency", "met demand added per unit of communication"),
        ("robustness", "robustness (area)"),
        ("resilience", "resilience (area)"), ("spatialScale", "spatial scale"), ("steps", "steps"), ("seconds", "seconds"),
        ("stopReason", "stop reason"), ("complete", "complete"), ("bestRestart", "best restart"),
    ];

    /// <summary>The summary card's label of a summary.json field (the field name when it has none).</summary>
    internal static string Label(string key) => SummaryRows.FirstOrDefault(r => r.Key == key).Label ?? key;

    internal static string SummaryTable(JsonObject summary, string headline)
    {
        var sb = new StringBuilder("<table class=\"summary\"><tbody>");
        sb.Append($"<tr class=\"headline\"><th>{Svg.Escape(Label(headline))}</th><td>{Svg.Escape(HtmlPage.Show(summary[headline]))}</td></tr>");
        foreach (var (key, label) in SummaryRows)
            if (key != headline) sb.Append($"<tr><th>{Svg.Escape(label)}</th><td>{Svg.Escape(HtmlPage.Show(summary[key]))}</td></tr>");
        if (HtmlPage.Doubles(summary["restartLosses"]) is { Length: > 1 } losses)
            sb.Append($"<tr><th>restart losses</th><td>{Svg.Escape(string.Join(", ", losses.Select(v => Svg.Num(v))))}</td></tr>");
        return sb.Append("</tbody></table>").ToString();
    }
}
