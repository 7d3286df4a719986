// The report of a nested run (issue 6): one self-contained HTML page (inline SVG, CSS and the small chart script of Interactive.cs, no network) built
// from a nested run folder's summary.json and model.json: where the heterogeneity sits level by level, demand and
// production, the top-level composites' productions, the leaves' skills by group, training, robustness, and the
// comparison with the homogeneous fleet. Productions are recomputed from the saved parameters (NestedState).
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Nested;

namespace DpsTorch.Reports;

/// <summary>Builds and writes report.html for a nested run folder (written by dps nested).</summary>
public static class NestedReportPage
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private const string BaselineColor = "#868e96";

    /// <summary>
    /// The report of the nested run in <paramref name="runDir"/>: title, summary, a per-level table and bar figures of
    /// where the heterogeneity sits, demand and system production (unrolled and around the circle), each top-level
    /// composite's normalised production, the leaves' skill densities coloured by top-level group, the loss curve,
    /// robustness, and (when the run has the homogeneous baseline) the comparison with it. Missing or malformed files
    /// give a <see cref="ConfigException"/> naming the file.
    /// </summary>
    public static string Build(string runDir)
    {
        string summaryPath = Path.Combine(runDir, RunFiles.Summary);
        var summary = HtmlPage.ReadSummary(summaryPath, "written by dps nested");
        var state = NestedState.Load(Path.Combine(runDir, RunFiles.Model));
        var config = state.Config;
        var nested = summary["nested"] as JsonObject ?? throw new ConfigException($"{summaryPath}: nested", "missing; not the summary of a nested run (written by dps nested).");
        var measures = nested["measures"] as JsonObject ?? throw new ConfigException($"{summaryPath}: nested.measures", "missing or not an object.");
        var tiers = measures["tiers"] as JsonArray ?? throw new ConfigException($"{summaryPath}: nested.measures.tiers", "missing or not an array.");
        var homogeneous = summary["homogeneous"] as JsonObject;
        var saved = Recompute(state.ToSystem());
        var levels = config.Levels!;

        string title = string.IsNullOrWhiteSpace(config.Name) ? Path.GetFileName(Path.GetFullPath(runDir).TrimEnd(Path.DirectorySeparatorChar)) : config.Name!;
        string levelText = string.Join(" · ", levels.Select((l, k) => $"{Svg.Escape(l.Name)}: {saved.Groups[k]} × {l.Size}{(l.Topology.Learned ? " (learned links)" : "")}"));
        var html = new StringBuilder();
        HtmlPage.Begin(html, title, config.Description,
            $"N = {config.Agents.Count} leaves · M = {config.Space.M} grid points · levels (bottom up) {levelText} · objective {Svg.Escape(Choices.Name(config.Objective.Kind))}"
            + (homogeneous is not null ? " · with the homogeneous baseline" : ""));

        HtmlPage.Card(html, "Summary", SummaryTable(nested, measures), "");
        if (summary["comparison"] is JsonObject comparison)
            HtmlPage.Card(html, "Nested design versus the homogeneous fleet", ComparisonTable(comparison),
                "The homogeneous fleet has one trainable leaf type shared by all leaves, equal resources, the same budget and the same (learned) network, trained on the same loss.");

        var rows = tiers.OfType<JsonObject>().ToArray();
        string[] names = [.. rows.Select(t => TierName(t, levels))];
        HtmlPage.Card(html, "Where the heterogeneity sits", TierTable(rows, names, levels),
            "Heterogeneity is ¹D (effective number of distinct agents, weighted by resource: leaves a_i, composites ∫W_g). "
            + "“among” counts over all agents of a tier, “within” is the mean over the groups that hold them; "
            + "“covers alone” is ∫min(s/∫s, D/∫D), the share of the demand's shape one agent (or one group) covers on its own; "
            + "C = Σ q_e d_e over the level's links, weighted by λ_C in the loss.", wide: true);

        var heterogeneity = new BarChart { YLabel = "heterogeneity ¹D" };
        heterogeneity.Categories.AddRange(names);
        heterogeneity.Series.Add(new("among all agents of the tier", Colors.Primary, Field(rows, "among")));
        heterogeneity.Series.Add(new("mean within a group", Colors.Tertiary, Field(rows, "meanWithin")));
        HtmlPage.Card(html, "Heterogeneity per tier", heterogeneity.ToSvg(),
            "A tier whose groups are each as diverse as the whole tier holds its heterogeneity inside the groups; “within” ≈ 1 means each group is uniform and the diversity lies between groups.");
        var alone = new BarChart { YLabel = "share of the demand's shape", YMax = 1.15 };
        alone.Categories.AddRange(names);
        alone.Series.Add(new("one agent alone", Colors.Secondary, Field(rows, "selfCoverage")));
        alone.Series.Add(new("its whole group", Colors.Production, Field(rows, "groupSelfCoverage")));
        HtmlPage.Card(html, "What one agent and one group cover alone", alone.ToSvg(),
            "Mean over the tier's agents (and over the groups holding them) of ∫min(s/∫s, D/∫D).");

        var leaves = ReportSampling.Even(saved.Mu.Length, ReportPage.MaxDensityLines);
        HtmlPage.Card(html, "Demand and system production around the circle", CirclePlot.ToSvg(saved.Grid, saved.Demand, saved.W, [.. leaves.Select(i => saved.Mu[i])]),
            "Radius grows with the value; the inner circle is zero. Dots mark the leaves' locations μ, coloured by position." + HtmlPage.Sampled(leaves.Length, saved.Mu.Length));
        HtmlPage.Card(html, "Demand and system production, unrolled", HtmlPage.Unrolled(saved.Grid, saved.Demand, saved.W),
            saved.FrameCount > 1 ? $"D is the mean of the {saved.FrameCount} demand frames the loss averages." : "");

        int topGroups = saved.Top.Length / saved.Grid.Length;
        string topName = levels.Count >= 2 ? levels[^2].Name ?? "composite" : "leaf";
        HtmlPage.Card(html, $"Each {topName}'s normalised production", Composites(saved, topGroups),
            $"W_g/∫W_g of each of the {topGroups} {Svg.Escape(topName)} composites the top level ({Svg.Escape(levels[^1].Name)}) joins, against the demand's shape D/∫D (grey). "
            + Legend(topGroups, topName));
        int perGroup = saved.Mu.Length / topGroups;
        HtmlPage.Card(html, "Leaf skill densities", HtmlPage.Densities(saved.Grid, saved.Mu, saved.Sigma, saved.Resources, leaves, i => Colors.Category(i / perGroup, topGroups)),
            $"One line per leaf: s_i(x), coloured by the {Svg.Escape(topName)} it belongs to (as above), opacity by resource a_i." + HtmlPage.Sampled(leaves.Length, saved.Mu.Length));

        if (LossChart(nested, homogeneous) is { } loss)
            HtmlPage.Card(html, "Loss", loss, homogeneous is not null ? "Dashed grey: the homogeneous fleet." : "");
        var baseMeasures = homogeneous?["measures"] as JsonObject;
        if (HtmlPage.CurveChart([
                (measures["robustness"], "coverage", Colors.Primary, false),
                (measures["shapeRobustness"], "shape coverage", Colors.Secondary, false),
                (baseMeasures?["robustness"], "coverage, homogeneous", BaselineColor, true),
                (baseMeasures?["shapeRobustness"], "shape coverage, homogeneous", Colors.Demand, true)], yMax: 1.5) is { } robustness)
            HtmlPage.Card(html, "Robustness", robustness,
                "Coverage ∫min(W, D)/∫D and shape coverage ∫min(W/∫W, D/∫D) kept as a random fraction of leaves is removed (no re-optimisation; shaded: spread over removal orders)."
                + (baseMeasures is not null ? " Dashed: the homogeneous fleet." : ""));

        string configJson = summary["config"] is JsonNode c ? c.ToJsonString(Indented) : ConfigLoader.ToJson(config);
        HtmlPage.End(html, configJson, RunFiles.Summary, RunFiles.Model);
        return html.ToString();
    }

    /// <summary>Writes <c>runDir/report.html</c> (atomically) from <see cref="Build"/>.</summary>
    public static void Write(string runDir) => AtomicFile.WriteAllText(Path.Combine(runDir, RunFiles.Report), Build(runDir));

    // The saved nested design recomputed: grid, mean demand, W, the top level's members' rows (Groups×M), leaf μ, σ, a.
    private sealed record Saved(double[] Grid, double[] Demand, int FrameCount, double[] W, double[] Top, double[] Mu, double[] Sigma,
        double[] Resources, int[] Groups);

    private static Saved Recompute(NestedSystem system)
    {
        using var _ = TensorEngine.NoGrad();
        var tiers = system.TierProduction();
        int m = system.Space.M;
        var demand = new double[m];
        foreach (var frame in system.DemandFrames)
            for (int k = 0; k < m; k++) demand[k] += frame[k] / system.DemandFrames.Count;
        var mu = system.Mu.ToArray();
        if (mu.Length != system.N) { var all = new double[system.N]; Array.Fill(all, mu[0]); mu = all; }
        return new Saved(system.Space.Grid.ToArray(), demand, system.DemandFrames.Count, system.SystemProduction().ToArray(),
            tiers[^2].ToArray(), mu, system.Sigma().ToArray(), system.Resources().ToArray(), [.. system.Levels.Select(l => l.Groups)]);
    }

    private static string TierName(JsonObject tier, IReadOnlyList<LevelConfig> levels)
    {
        int k = tier["tier"] is JsonValue v && v.TryGetValue(out int t) ? t : -1;
        string agents = HtmlPage.Show(tier["agents"]);
        return k <= 0 || k > levels.Count ? $"leaves ({agents})" : $"{levels[k - 1].Name} ({agents})";
    }

    private static double[] Field(JsonObject[] rows, string key)
        => [.. rows.Select(r => r[key] is JsonValue v && v.TryGetValue(out double d) ? d : double.NaN)];

    private static string TierTable(JsonObject[] rows, string[] names, IReadOnlyList<LevelConfig> levels)
    {
        string[] headers = ["agents", "grouped into", "¹D among", "¹D within (mean)", "covers alone", "group covers alone",
            "specialisation", "mean link q", "C", "λ_C"];
        var body = rows.Select((r, k) =>
        {
            var level = k < levels.Count ? levels[k] : null;
            string groups = level is null ? "–" : $"{Svg.Escape(level.Name)} groups of {level.Size}";
            return (IReadOnlyList<string>)[Svg.Escape(names[k]), groups, Cell(r["among"]), Cell(r["meanWithin"]), Cell(r["selfCoverage"]),
                Cell(r["groupSelfCoverage"]), Cell(r["specialisation"]), Cell(r["meanEdgeWeight"]), Cell(r["communicationCost"]),
                level is null ? "–" : Svg.Escape(Svg.Num(level.LambdaC))];
        });
        return HtmlPage.Table(headers, body);
    }

    private static string Cell(JsonNode? node) => Svg.Escape(HtmlPage.Show(node));

    private static readonly (string Key, string Label)[] SummaryRows =
    [
        ("loss", "loss"), ("coverage", "coverage ∫min(W, D)/∫D"), ("shapeCoverage", "shape coverage ∫min(W/∫W, D/∫D)"),
        ("efficiency", "efficiency"), ("productivity", "productivity ∫min(W, D)"), ("totalProduction", "total production ∫W"),
    ];

    private static string SummaryTable(JsonObject nested, JsonObject measures)
    {
        var sb = new StringBuilder("<table class=\"summary\"><tbody>");
        foreach (var (key, label) in SummaryRows)
            sb.Append($"<tr><th>{Svg.Escape(label)}</th><td>{Cell(measures[key])}</td></tr>");
        sb.Append($"<tr><th>robustness (area)</th><td>{Cell((measures["robustness"] as JsonObject)?["area"])}</td></tr>");
        sb.Append($"<tr><th>shape robustness (area)</th><td>{Cell((measures["shapeRobustness"] as JsonObject)?["area"])}</td></tr>");
        foreach (var key in new[] { "steps", "stopReason", "seconds", "bestRestart" })
            sb.Append($"<tr><th>{Svg.Escape(key switch { "stopReason" => "stop reason", "bestRestart" => "best restart", _ => key })}</th><td>{Cell(nested[key])}</td></tr>");
        if (HtmlPage.Doubles(nested["restartLosses"]) is { Length: > 1 } losses)
            sb.Append($"<tr><th>restart losses</th><td>{Svg.Escape(string.Join(", ", losses.Select(v => Svg.Num(v))))}</td></tr>");
        return sb.Append("</tbody></table>").ToString();
    }

    private static readonly (string Key, string Label)[] ComparisonRows =
    [
        ("coverage", "coverage"), ("shapeCoverage", "shape coverage"), ("efficiency", "efficiency"),
        ("robustnessArea", "robustness (area)"), ("shapeRobustnessArea", "shape robustness (area)"), ("loss", "loss"),
    ];

    private static string ComparisonTable(JsonObject comparison)
        => HtmlPage.Table(["measure", "nested heterogeneous", "homogeneous fleet"],
            ComparisonRows.Where(r => comparison[r.Key] is JsonObject).Select(r => (IReadOnlyList<string>)[Svg.Escape(r.Label),
                Cell(comparison[r.Key]!["nested"]), Cell(comparison[r.Key]!["homogeneous"])]));

    private static string Composites(Saved s, int groups)
    {
        int m = s.Grid.Length;
        double delta = 2 * Math.PI / m;
        double dMass = s.Demand.Sum() * delta;
        var chart = new LineChart { XLabel = "x (position on the circle)", YLabel = "normalised production", XMin = 0, XMax = 2 * Math.PI, YMin = 0, XTicks = HtmlPage.PiTicks };
        var (x, d) = HtmlPage.Wrap(s.Grid, [.. s.Demand.Select(v => dMass > 0 ? v / dMass : 0)]);
        chart.Series.Add(new(x, d, Colors.Demand) { Fill = true });
        for (int g = 0; g < groups; g++)
        {
            var row = s.Top.AsSpan(g * m, m).ToArray();
            double mass = row.Sum() * delta;
            var (_, y) = HtmlPage.Wrap(s.Grid, [.. row.Select(v => mass > 0 ? v / mass : 0)]);
            chart.Series.Add(new(x, y, Colors.Category(g, groups)) { Width = groups > 16 ? 1 : 1.8 });
        }
        return chart.ToSvg();
    }

    /// <summary>Colour swatches naming each group (up to 16; beyond that the colours are evenly spaced hues).</summary>
    private static string Legend(int groups, string name)
    {
        if (groups > 16) return "Colours run around the hue wheel in group order.";
        var sb = new StringBuilder("<br>");
        for (int g = 0; g < groups; g++)
            sb.Append($"<span class=\"swatch\" style=\"background:{Colors.Category(g, groups)}\"></span>{Svg.Escape(name)} {g + 1}&nbsp;&nbsp; ");
        return sb.ToString();
    }

    private static string? LossChart(JsonObject nested, JsonObject? homogeneous)
    {
        var chart = new LineChart { XLabel = "step", YLabel = "loss (log scale)", LogY = true };
        foreach (var (outcome, label, color, dashed) in new[] { (nested, "nested", Colors.Production, false), (homogeneous, "homogeneous", BaselineColor, true) })
        {
            if (outcome?["trajectory"] is not JsonArray points || points.Count == 0) continue;
            var steps = new double[points.Count];
            var losses = new double[points.Count];
            for (int i = 0; i < points.Count; i++)
            {
                var p = HtmlPage.Doubles(points[i]);
                (steps[i], losses[i]) = p is { Length: 2 } ? (p[0], p[1]) : (double.NaN, double.NaN);
            }
            chart.Series.Add(new(steps, losses, color) { Label = label, Dashed = dashed });
        }
        return chart.Series.Count == 0 ? null : chart.ToSvg();
    }
}
