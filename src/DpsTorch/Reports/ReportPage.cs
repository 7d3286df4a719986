// The run report (issues 4 and 6): one self-contained HTML page (inline SVG, CSS and the small chart script of
// Interactive.cs, no network) for any run folder, flat or nested, built from its summary.json, trajectory.csv and
// model.json. A flat system is a one-level system: the page has the same sections for both (summary with the headline
// measure first, demand and production, the residual (W − D, or P_i − D/∫D where the objective is local, at every
// level scored so), skill densities, topology, training traces, robustness), plus a
// per-level section where there are levels (where the heterogeneity sits, each top-level composite's production, the
// comparison with the homogeneous fleet). Production and densities are recomputed from the saved state, so the page
// shows exactly the system that was saved.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Model;
using DpsTorch.Nested;

namespace DpsTorch.Reports;

/// <summary>Builds and writes report.html for a run folder, flat or nested.</summary>
public static class ReportPage
{
    /// <summary>Most agent density lines drawn (evenly sampled by index beyond this).</summary>
    public const int MaxDensityLines = 200;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private const string BaselineColor = "#868e96";

    /// <summary>
    /// The report of the run in <paramref name="runDir"/>: title, summary measures (the headline first), for a nested
    /// run the per-level section (tier table and figures, comparison with the homogeneous fleet), demand and production
    /// around the circle and unrolled, the residual, each top-level composite's production (nested), skill densities,
    /// topology, training curves, robustness and local heterogeneity (when measured), and the resolved config. Missing or
    /// malformed files give a <see cref="ConfigException"/> naming the file.
    /// </summary>
    public static string Build(string runDir)
    {
        string summaryPath = Path.Combine(runDir, RunFiles.Summary), modelPath = Path.Combine(runDir, RunFiles.Model);
        var summary = HtmlPage.ReadSummary(summaryPath, "written by dps run");
        var flat = NestedState.IsNestedModelFile(modelPath) ? null : ModelState.Load(modelPath);
        if (flat is { Config.Space.Dimensions: > 1 }) return TorusReportPage.Build(runDir, summary, RunFiles.ReadTrajectory(Path.Combine(runDir, RunFiles.Trajectory)), flat);
        var sys = flat is null ? Recompute(NestedState.Load(modelPath), summary, summaryPath) : Recompute(flat);
        var levels = sys.Levels;
        var config = sys.Config;
        string trajectoryPath = Path.Combine(runDir, RunFiles.Trajectory);
        // A nested run folder written before runs shared one writer has no trajectory.csv; its losses are in summary.json.
        var trajectory = levels is not null && !File.Exists(trajectoryPath) ? null : RunFiles.ReadTrajectory(trajectoryPath);
        int n = sys.Mu.Length;
        string agent = levels is null ? "agent" : "leaf", agentsName = levels is null ? "agents" : "leaves";

        string title = string.IsNullOrWhiteSpace(config.Name) ? Path.GetFileName(Path.GetFullPath(runDir).TrimEnd(Path.DirectorySeparatorChar)) : config.Name!;
        var html = new StringBuilder();
        HtmlPage.Begin(html, title, config.Description, Meta(sys));

        string headline = config.Measures.Headline;
        HtmlPage.Card(html, "Summary", SummaryTable(summary, levels?.Outcome ?? summary, headline),
            $"First row: {Svg.Escape(Label(headline))}, the measure this experiment is about (measures.headline). "
            + "Efficiency is ∫min(W, D)/(Σa + λ_C·C); met demand per resource, output per resource, utilisation and communication efficiency are defined in docs/CONFIG.md (“Efficiency that is not coverage”)."
            + (levels is not null ? " For a nested system they are the top level's, with C = Σ_ℓ C_ℓ over the levels." : ""));
        if (summary["case"] is JsonObject { } caseFit && caseFit["kind"]?.GetValue<string>() == "efficient-coding")
            HtmlPage.Card(html, "Efficient coding against the prior", EfficientCodingTable(caseFit),
                "Least-squares slopes over the neurons (src/DpsTorch/Measures/EfficientCodingFit.cs) against the predictions of "
                + "Ganguli and Simoncelli (2014): cell density ∝ the prior, width ∝ its inverse, flat peak rates. The local density "
                + "is 2 / (the two gaps to the neighbouring preferred stimuli), which at small N is biased below slope 1 even for the "
                + "exact arrangement (experiments/11-efficient-coding/README.md).");
        if (levels is not null) LevelCards(html, summary, levels, config);
        if (config.Space.Dimensions > 1)
        {
            // A nested system on T^d: maps instead of the circle's curves, then the same tail.
            TorusReportPage.Maps(html, config, sys.Demand, sys.W, sys.Mu, sys.Sigma, sys.Resources, agentsName);
            Tail(html, summary, trajectory, levels, config);
            return html.ToString();
        }

        var agents = ReportSampling.Even(n, MaxDensityLines);
        HtmlPage.Card(html, "Demand and production around the circle", CirclePlot.ToSvg(sys.Grid, sys.Demand, sys.W, [.. agents.Select(i => sys.Mu[i])]),
            $"Radius grows with the value; the inner circle is zero. Dots mark the {agentsName}' locations μ, coloured by position." + HtmlPage.Sampled(agents.Length, n));
        string frames = sys.FrameCount > 1 ? $" D is the mean of the {sys.FrameCount} demand frames the loss averages." : "";
        if (sys.Pooled is { } pooled)
        {
            HtmlPage.Card(html, "Neighbourhood densities P_i against the demand shape D/∫D", Neighbourhoods(sys.Grid, Shape(sys), pooled, agents, i => Colors.Cyclic(sys.Mu[i])),
                "The local objective compares each agent's neighbourhood production as a density, P_i = p_i / ∫p_i (one line per agent, coloured by μ_i), "
                + "with the demand's shape D / ∫D (filled); the system production W is not what it scores." + frames + HtmlPage.Sampled(agents.Length, n));
            HtmlPage.Card(html, "Residual P_i − D/∫D", LocalResidual(sys.Grid, Shape(sys), pooled),
                "Mean over the neighbourhoods of P_i − D/∫D (line) and its range over them (band); zero everywhere would be a perfect local fit." + frames);
        }
        if (levels is not null)
            foreach (var fit in levels.LocalFits)
            {
                int rows = fit.Densities.Length / sys.Grid.Length;
                var drawn = ReportSampling.Even(rows, MaxDensityLines);
                string where = $"at the {Svg.Escape(fit.Level)} level";
                HtmlPage.Card(html, $"Neighbourhood densities P_i {where} against its demand shape D/∫D",
                    Neighbourhoods(sys.Grid, fit.Shape, fit.Densities, drawn, i => Colors.Category(i / fit.PerGroup, Math.Max(1, rows / fit.PerGroup))),
                    $"The {Svg.Escape(fit.Level)} level scores each of its {rows} {Svg.Escape(fit.Member)} members by its neighbourhood's production as a density, P_i = p_i / ∫p_i "
                    + $"(one line per member, coloured by the {Svg.Escape(fit.Level)} group it belongs to), against the shape D / ∫D of {(fit.Top ? "the demand" : "this level's own demand")} (filled); "
                    + "the system production W is not what it scores." + (fit.Top ? frames : "") + HtmlPage.Sampled(drawn.Length, rows));
                HtmlPage.Card(html, $"Residual P_i − D/∫D {where}", LocalResidual(sys.Grid, fit.Shape, fit.Densities),
                    $"Mean over the {Svg.Escape(fit.Level)} level's neighbourhoods of P_i − D/∫D (line) and its range over them (band); zero everywhere would be a perfect local fit.");
            }
        if (sys.Pooled is null && levels?.LocalFits.Any(f => f.Top) != true)
        {
            HtmlPage.Card(html, "Demand and production, unrolled", HtmlPage.Unrolled(sys.Grid, sys.Demand, sys.W), frames.Trim());
            HtmlPage.Card(html, "Residual W − D", Residual(sys),
                "Production minus demand: above zero is over-production (idle output), below zero unmet demand." + frames);
        }
        Func<int, string> colour = i => Colors.Cyclic(sys.Mu[i]);
        string colourNote = "coloured by μ_i <span class=\"hue\"></span> (0 → 2π)";
        if (levels is not null)
        {
            int topGroups = levels.Top.Length / sys.Grid.Length;
            string topName = levels.Config.Count >= 2 ? levels.Config[^2].Name ?? "composite" : "leaf";
            HtmlPage.Card(html, $"Each {topName}'s normalised production", Composites(sys, levels.Top, topGroups),
                $"W_g/∫W_g of each of the {topGroups} {Svg.Escape(topName)} composites the top level ({Svg.Escape(levels.Config[^1].Name)}) joins, against the demand's shape D/∫D (grey). "
                + Legend(topGroups, topName));
            int perGroup = n / topGroups;
            colour = i => Colors.Category(i / perGroup, topGroups);
            colourNote = $"coloured by the {Svg.Escape(topName)} it belongs to (as above)";
        }
        HtmlPage.Card(html, $"{(levels is null ? "Agent" : "Leaf")} skill densities", HtmlPage.Densities(sys.Grid, sys.Mu, sys.Sigma, sys.Resources, agents, colour),
            $"One line per {agent}: s_i(x), {colourNote}, opacity by resource a_i." + HtmlPage.Sampled(agents.Length, n));

        var (graph, graphNote) = GraphPlot.ToSvg(sys.Mu, sys.Resources, sys.Edges, sys.Weights);
        HtmlPage.Card(html, levels is null ? "Topology" : $"Topology of the bottom level ({levels.Config[0].Name})", graph,
            $"{(levels is null ? "Agents" : "Leaves")} on a circle in index order, coloured by μ, sized by resource; edge opacity grows with the weight."
            + (sys.Edges.Length == 0 ? " The system has no edges." : "") + (graphNote.Length > 0 ? $" Note: {graphNote}." : ""));

        Tail(html, summary, trajectory, levels, config);
        return html.ToString();
    }

    /// <summary>The cards a flat run's page ends with (training, robustness, local heterogeneity, config), for the torus page.</summary>
    internal static void FlatTail(StringBuilder html, JsonObject summary, List<TrajectoryPoint> trajectory, DpsConfig config)
        => Tail(html, summary, trajectory, null, config);

    private static void Tail(StringBuilder html, JsonObject summary, List<TrajectoryPoint>? trajectory, LevelView? levels, DpsConfig config)
    {
        TrainingCards(html, trajectory, levels, config);
        RobustnessCard(html, summary, levels);
        if (HtmlPage.Doubles(summary["localHeterogeneity"]) is { Length: > 0 } local)
            HtmlPage.Card(html, "Local heterogeneity", new LineChart { XLabel = "radius r (hops)", YLabel = "local heterogeneity", YMin = 0, Series =
                { new(local.Select((_, r) => (double)r).ToArray(), local, Colors.Tertiary) { Markers = true } } }.ToSvg(),
                "Mean heterogeneity of each agent's neighbourhood of radius r.");

        string configJson = summary["config"] is JsonNode c ? c.ToJsonString(Indented) : ConfigLoader.ToJson(config);
        HtmlPage.End(html, configJson, trajectory is null ? [RunFiles.Summary, RunFiles.Model] : [RunFiles.Summary, RunFiles.Trajectory, RunFiles.Model]);
    }

    /// <summary>Writes <c>runDir/report.html</c> (atomically) from <see cref="Build"/>.</summary>
    public static void Write(string runDir) => AtomicFile.WriteAllText(Path.Combine(runDir, RunFiles.Report), Build(runDir));

    // The saved system recomputed: grid, mean demand, W, μ, σ, a (per leaf), the drawn edges and weights (the bottom
    // level's for a nested system); for the flat local objective the pooled densities P_i = p_i / ∫p_i (N×M, row-major);
    // for a nested system its levels.
    private sealed record Saved(DpsConfig Config, double[] Grid, double[] Demand, int FrameCount, double[] W, double[] Mu, double[] Sigma,
        double[] Resources, double[]? Pooled, (int I, int J)[] Edges, double[] Weights, LevelView? Levels);

    // A nested run's levels: the config's levels, groups per level, the top level's members' rows (Groups×M), and the
    // summary's outcome of the nested design, its measures and tiers, and the homogeneous fleet's outcome when trained.
    private sealed record LevelView(IReadOnlyList<LevelConfig> Config, int[] Groups, double[] Top, JsonObject Outcome, JsonObject Measures,
        JsonObject[] Tiers, JsonObject? Homogeneous, LocalFit[] LocalFits);

    // A level scored by its members' neighbourhood densities (objective.kind local or local-share at the top, a level's
    // demandObjective below): the level's name, its members' name, members per group, the densities (members×M), the
    // shape D/∫D they are compared with, and whether it is the top level.
    private sealed record LocalFit(string Level, string Member, int PerGroup, double[] Densities, double[] Shape, bool Top);

    private static Saved Recompute(ModelState state)
    {
        using var _ = TensorEngine.NoGrad();
        var model = state.ToModel();
        var p = model.Production(model.Interaction.Weights());
        var w = model.SystemProduction(p).ToArray();
        double[]? pooled = model.Objective.Kind == ObjectiveKind.Local ? model.PooledDensities(p).ToArray() : null;
        return new Saved(state.Config, model.Space.Grid.ToArray(), MeanDemand(model.Space, model.DemandFrames), model.DemandFrames.Count, w,
            model.Mu.ToArray(), model.Sigma().ToArray(), model.Resources().ToArray(), pooled, state.Edges, state.Weights, null);
    }

    private static Saved Recompute(NestedState state, JsonObject summary, string summaryPath)
    {
        var outcome = summary["nested"] as JsonObject ?? throw new ConfigException($"{summaryPath}: nested", "missing; not the summary of a nested run (written by dps run with levels).");
        var measures = outcome["measures"] as JsonObject ?? throw new ConfigException($"{summaryPath}: nested.measures", "missing or not an object.");
        var tiers = measures["tiers"] as JsonArray ?? throw new ConfigException($"{summaryPath}: nested.measures.tiers", "missing or not an array.");
        var system = state.ToSystem();
        using var _ = TensorEngine.NoGrad();
        var mu = system.LeafMu().ToArray();
        var bottom = system.Levels[0].Interaction;
        var config = state.Config.Levels!;
        var fits = new List<LocalFit>();
        var levelDensities = system.LevelDensities();
        for (int k = 0; k < system.Levels.Count; k++)
        {
            if (levelDensities[k] is not { } densities) continue;
            bool top = k == system.Levels.Count - 1;
            var demand = top ? MeanDemand(system.Space, system.DemandFrames) : MeanDemand(system.Space, system.Levels[k].DemandFrames!);
            fits.Add(new LocalFit(config[k].Name ?? $"level {k}", k == 0 ? "leaf" : config[k - 1].Name ?? "composite", config[k].Size, densities.ToArray(), Shape(demand), top));
        }
        var levels = new LevelView(config, [.. system.Levels.Select(l => l.Groups)], system.TierProduction()[^2].ToArray(),
            outcome, measures, [.. tiers.OfType<JsonObject>()], summary["homogeneous"] as JsonObject, [.. fits]);
        return new Saved(state.Config, system.Space.Grid.ToArray(), MeanDemand(system.Space, system.DemandFrames), system.DemandFrames.Count,
            system.SystemProduction().ToArray(), mu, system.Sigma().ToArray(), system.Resources().ToArray(), null,
            [.. bottom.Edges], bottom.WeightValues(), levels);
    }

    private static double[] MeanDemand(Space space, IReadOnlyList<double[]> frames)
    {
        var demand = new double[space.Points];
        foreach (var frame in frames)
            for (int k = 0; k < demand.Length; k++) demand[k] += frame[k] / frames.Count;
        return demand;
    }

    private static string Meta(Saved sys)
    {
        var c = sys.Config;
        string objective = $"objective {Svg.Escape(Choices.Name(c.Objective.Kind))}";
        if (sys.Levels is not { } levels)
            return $"N = {sys.Mu.Length} agents · M = {c.Space.M} grid points · topology {Svg.Escape(Choices.Name(c.Topology.Kind))}{(c.Topology.Learned ? " (learned)" : "")} · {sys.Edges.Length} edges · {objective}";
        string levelText = string.Join(" · ", levels.Config.Select((l, k) => $"{Svg.Escape(l.Name)}: {levels.Groups[k]} × {l.Size}{(l.Topology.Learned ? " (learned links)" : "")}"));
        string grid = c.Space.Dimensions > 1 ? $"T^{c.Space.Dimensions}, M = {c.Space.M} points per axis ({c.Space.Points} in all)" : $"M = {c.Space.M} grid points";
        return $"N = {sys.Resources.Length} leaves · {grid} · levels (bottom up) {levelText} · {objective}"
            + (levels.Homogeneous is not null ? " · with the homogeneous baseline" : "");
    }

    /// <summary>The per-level section of a nested run: comparison with the homogeneous fleet, the tier table and bars.</summary>
    private static void LevelCards(StringBuilder html, JsonObject summary, LevelView levels, DpsConfig config)
    {
        if (summary["comparison"] is JsonObject comparison)
            HtmlPage.Card(html, "Nested design versus the homogeneous fleet", ComparisonTable(comparison),
                "The homogeneous fleet has one trainable leaf type shared by all leaves, equal resources, the same budget and the same (learned) network, trained on the same loss.");
        var rows = levels.Tiers;
        string[] names = [.. rows.Select(t => TierName(t, levels.Config))];
        HtmlPage.Card(html, "Where the heterogeneity sits", TierTable(rows, names, levels.Config),
            "Heterogeneity is ¹D (effective number of distinct agents, weighted by resource: leaves a_i, composites ∫W_g). "
            + "“among” counts over all agents of a tier, “within” is the mean over the groups that hold them; "
            + "“covers alone” is ∫min(s/∫s, D/∫D), the share of the demand's shape one agent (or one group) covers on its own; "
            + "C = Σ q_e d_e over the level's links, weighted by λ_C in the loss; “amplification” is the level's output per unit of its members' output, "
            + "“communication efficiency” the met demand its links add per unit of C.", wide: true);

        var heterogeneity = new BarChart { YLabel = "heterogeneity ¹D" };
        heterogeneity.Categories.AddRange(names);
        heterogeneity.Series.Add(new("among all agents of the tier", Colors.Primary, Field(rows, "among")));
        heterogeneity.Series.Add(new("mean within a group", Colors.Tertiary, Field(rows, "meanWithin")));
        int? peaks = DemandPeaks(config.Demand);
        HtmlPage.Card(html, "Heterogeneity per tier", heterogeneity.ToSvg(),
            "A tier whose groups are each as diverse as the whole tier holds its heterogeneity inside the groups; “within” ≈ 1 means each group is uniform and the diversity lies between groups."
            + (peaks is int k ? $" The demand has K = {k} peaks." : ""));
        var alone = new BarChart { YLabel = "share of the demand's shape", YMax = 1.15 };
        alone.Categories.AddRange(names);
        alone.Series.Add(new("one agent alone", Colors.Secondary, Field(rows, "selfCoverage")));
        alone.Series.Add(new("its whole group", Colors.Production, Field(rows, "groupSelfCoverage")));
        HtmlPage.Card(html, "What one agent and one group cover alone", alone.ToSvg(),
            "Mean over the tier's agents (and over the groups holding them) of ∫min(s/∫s, D/∫D).");
    }

    /// <summary>Loss (with the homogeneous fleet's, dashed, for a nested run), heterogeneity with the demand's peaks, coverage.</summary>
    private static void TrainingCards(StringBuilder html, List<TrajectoryPoint>? trajectory, LevelView? levels, DpsConfig config)
    {
        var loss = new LineChart { XLabel = "step", YLabel = "loss (log scale)", LogY = true };
        if (trajectory is not null)
        {
            double[] steps = [.. trajectory.Select(p => (double)p.Step)];
            loss.Series.Add(new(steps, [.. trajectory.Select(p => p.Loss)], Colors.Production) { Label = "loss" });
            loss.Series.Add(new(steps, [.. trajectory.Select(p => p.CoverageLoss)], Colors.Primary) { Label = "coverage term", Width = 1.4, Dashed = true });
        }
        else if (Pairs(levels?.Outcome["trajectory"]) is { } nested) loss.Series.Add(new(nested.Steps, nested.Losses, Colors.Production) { Label = "loss" });
        if (Pairs(levels?.Homogeneous?["trajectory"]) is { } baseline)
            loss.Series.Add(new(baseline.Steps, baseline.Losses, BaselineColor) { Label = "loss, homogeneous fleet", Width = 1.4, Dash = LineStyles.Dashes[2] });
        HtmlPage.Card(html, "Loss", loss.ToSvg(), (trajectory is { Count: 0 } || loss.Series.Count == 0 ? "The trajectory is empty." : "")
            + (levels?.Homogeneous is not null ? " Dotted grey: the homogeneous fleet." : ""));
        if (trajectory is null) return;

        double[] x = [.. trajectory.Select(p => (double)p.Step)];
        var heterogeneityChart = new LineChart { XLabel = "step", YLabel = "heterogeneity ¹D", Series =
            { new(x, [.. trajectory.Select(p => p.Heterogeneity)], Colors.Tertiary) { Label = "heterogeneity ¹D" } } };
        int? peaks = DemandPeaks(config.Demand);
        if (peaks is int k && x.Length > 0)
            heterogeneityChart.Series.Add(new([x[0], x[^1]], [k, k], Colors.Axis) { Label = $"demand peaks K = {k}", Dashed = true, Width = 1.2 });
        HtmlPage.Card(html, "Heterogeneity", heterogeneityChart.ToSvg(), $"Hill number of order 1 of the {(levels is null ? "agents'" : "leaves'")} skills (effective number of distinct agents)."
            + (peaks is int kk ? $" The dashed line is the demand's number of peaks, K = {kk}: the number of types a demand of K separated peaks needs." : ""));
        HtmlPage.Card(html, "Coverage", new LineChart { XLabel = "step", YLabel = "coverage", Series =
            { new(x, [.. trajectory.Select(p => p.Coverage)], Colors.Secondary) } }.ToSvg(), "");
    }

    /// <summary>(step, loss) pairs as a summary's outcome stores them; null when there are none.</summary>
    private static (double[] Steps, double[] Losses)? Pairs(JsonNode? node)
    {
        if (node is not JsonArray points || points.Count == 0) return null;
        var steps = new double[points.Count];
        var losses = new double[points.Count];
        for (int i = 0; i < points.Count; i++)
        {
            var p = HtmlPage.Doubles(points[i]);
            (steps[i], losses[i]) = p is { Length: 2 } ? (p[0], p[1]) : (double.NaN, double.NaN);
        }
        return (steps, losses);
    }

    /// <summary>Robustness (and resilience) of a flat run; coverage and shape coverage kept, and the homogeneous fleet's, of a nested one.</summary>
    private static void RobustnessCard(StringBuilder html, JsonObject summary, LevelView? levels)
    {
        const string band = " (shaded: mean ± one standard deviation over removal orders, clipped to [0, 1])";
        if (levels is null)
        {
            if (HtmlPage.CurveChart([(summary["robustnessCurve"], "robustness", Colors.Primary), (summary["resilienceCurve"], "resilience", Colors.Secondary)]) is { } flat)
                HtmlPage.Card(html, "Robustness and resilience", flat, $"Coverage kept as a fraction of agents is removed{band}; resilience re-optimises the survivors.");
            return;
        }
        var baseMeasures = levels.Homogeneous?["measures"] as JsonObject;
        if (HtmlPage.CurveChart([
                (levels.Measures["robustness"], "coverage", Colors.Primary),
                (levels.Measures["shapeRobustness"], "shape coverage", Colors.Secondary),
                (baseMeasures?["robustness"], "coverage, homogeneous", BaselineColor),
                (baseMeasures?["shapeRobustness"], "shape coverage, homogeneous", Colors.Demand)], yMax: 1.5) is { } nested)
            HtmlPage.Card(html, "Robustness", nested,
                $"Coverage ∫min(W, D)/∫D and shape coverage ∫min(W/∫W, D/∫D) kept as a random fraction of leaves is removed (no re-optimisation){band}."
                + (baseMeasures is not null ? " The last two curves: the homogeneous fleet." : ""));
    }

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

    /// <summary>The demand's shape D/∫D (filled) and each sampled row's neighbourhood density P_i, coloured by <paramref name="colour"/>.</summary>
    private static string Neighbourhoods(double[] grid, double[] demandShape, double[] pooled, int[] agents, Func<int, string> colour)
    {
        int m = grid.Length;
        var (x, shape) = HtmlPage.Wrap(grid, demandShape);
        var chart = new LineChart { XLabel = "x (position on the circle)", YLabel = "density", XMin = 0, XMax = 2 * Math.PI, YMin = 0, XTicks = HtmlPage.PiTicks };
        chart.Series.Add(new(x, shape, Colors.Demand) { Label = "demand shape D/∫D", Fill = true });
        foreach (int i in agents)
        {
            var (_, pi) = HtmlPage.Wrap(grid, pooled.AsSpan(i * m, m).ToArray());
            chart.Series.Add(new(x, pi, colour(i)) { Name = $"P_{i}", Width = agents.Length > 50 ? 0.8 : 1.3, Opacity = 0.7 });
        }
        return chart.ToSvg();
    }

    /// <summary>Mean of P_i − D/∫D over the neighbourhoods, with its range as a band.</summary>
    private static string LocalResidual(double[] grid, double[] shape, double[] pooled)
    {
        int m = grid.Length, n = pooled.Length / m;
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
        var (x, y) = HtmlPage.Wrap(grid, mean);
        var (_, l) = HtmlPage.Wrap(grid, low);
        var (_, h) = HtmlPage.Wrap(grid, high);
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
    private static double[] Shape(Saved sys) => Shape(sys.Demand);

    private static double[] Shape(double[] demand)
    {
        double mass = demand.Sum() * 2 * Math.PI / demand.Length;
        return [.. demand.Select(v => mass > 0 ? v / mass : 0)];
    }

    /// <summary>Each top-level composite's W_g/∫W_g (one colour per group) against D/∫D.</summary>
    private static string Composites(Saved s, double[] top, int groups)
    {
        int m = s.Grid.Length;
        double delta = 2 * Math.PI / m;
        var chart = new LineChart { XLabel = "x (position on the circle)", YLabel = "normalised production", XMin = 0, XMax = 2 * Math.PI, YMin = 0, XTicks = HtmlPage.PiTicks };
        var (x, d) = HtmlPage.Wrap(s.Grid, Shape(s));
        chart.Series.Add(new(x, d, Colors.Demand) { Fill = true });
        for (int g = 0; g < groups; g++)
        {
            var row = top.AsSpan(g * m, m).ToArray();
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
        string[] headers = ["agents", "grouped into", "¹D among", "¹D within (mean)", "types", "covers alone", "group covers alone",
            "specialisation", "mean link q", "C", "λ_C", "amplification", "communication efficiency"];
        var body = rows.Select((r, k) =>
        {
            var level = k < levels.Count ? levels[k] : null;
            string groups = level is null ? "–" : $"{Svg.Escape(level.Name)} groups of {level.Size}";
            return (IReadOnlyList<string>)[Svg.Escape(names[k]), groups, Cell(r["among"]), Cell(r["meanWithin"]), Cell(r["types"]), Cell(r["selfCoverage"]),
                Cell(r["groupSelfCoverage"]), Cell(r["specialisation"]), Cell(r["meanEdgeWeight"]), Cell(r["communicationCost"]),
                level is null ? "–" : Svg.Escape(Svg.Num(level.LambdaC)), Cell(r["amplification"]), Cell(r["communicationEfficiency"])];
        });
        return HtmlPage.Table(headers, body);
    }

    private static string Cell(JsonNode? node) => Svg.Escape(HtmlPage.Show(node));

    private static readonly (string Key, string Label, string Prediction)[] EfficientCodingRows =
    [
        ("information", "information ∫p log FI − log ∫p Σf", "higher is better"),
        ("densitySlope", "density slope (log density on log p)", "1"),
        ("densityCorrelation", "density correlation", "1"),
        ("densityRatio", "density / (N p), mean", "1"),
        ("widthSlope", "width slope (log σ on log p)", "−1"),
        ("widthCorrelation", "width correlation", "−1"),
        ("gainSlope", "gain slope (log peak rate on log p)", "0"),
        ("poolingSlope", "pooling slope (log peak rate on log(1 + Σ_i Q_ij))", "−1"),
    ];

    /// <summary>The efficient-coding case measures of summary.json "case" with their predictions (rows it has).</summary>
    internal static string EfficientCodingTable(JsonObject fit)
    {
        var sb = new StringBuilder("<table class=\"summary\"><thead><tr><th>measure</th><td>value</td><td>prediction</td></tr></thead><tbody>");
        foreach (var (key, label, prediction) in EfficientCodingRows)
            if (fit[key] is { } value)
                sb.Append($"<tr><th>{Svg.Escape(label)}</th><td>{Cell(value)}</td><td>{Svg.Escape(prediction)}</td></tr>");
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

    private static readonly (string Key, string Label)[] SummaryRows =
    [
        ("loss", "loss"), ("coverage", "coverage"), ("efficiency", "efficiency"),
        ("heterogeneity", "heterogeneity ¹D (q = 1)"), ("heterogeneityQ0", "heterogeneity ⁰D"), ("heterogeneityQ2", "heterogeneity ²D"),
        ("heterogeneityQInf", "heterogeneity ∞D"), ("types", "distinct types"), ("specialisation", "specialisation"), ("productivity", "productivity"),
        ("totalProduction", "total production"), ("communicationCost", "communication cost"),
        ("resourceEfficiency", "met demand per resource ∫min(W, D)/Σa"), ("amplification", "output per resource ∫W/Σa"),
        ("utilisation", "utilisation ∫min(W, D)/∫W"), ("communicationEfficiency", "met demand added per unit of communication"),
        ("shapeCoverage", "shape coverage ∫min(W/∫W, D/∫D)"),
        ("robustness", "robustness (area)"), ("shapeRobustness", "shape robustness (area)"),
        ("resilience", "resilience (area)"), ("spatialScale", "spatial scale"), ("steps", "steps"), ("seconds", "seconds"),
        ("stopReason", "stop reason"), ("complete", "complete"), ("bestRestart", "best restart"),
    ];

    /// <summary>The summary card's label of a summary.json field (the field name when it has none).</summary>
    internal static string Label(string key) => SummaryRows.FirstOrDefault(r => r.Key == key).Label ?? key;

    /// <summary>The headline row, then every summary field the summary has (a nested summary has no ⁰D, types, ...),
    /// then the restarts' losses from <paramref name="outcome"/> (the summary itself, or a nested run's "nested").</summary>
    internal static string SummaryTable(JsonObject summary, JsonObject outcome, string headline)
    {
        var sb = new StringBuilder("<table class=\"summary\"><tbody>");
        sb.Append($"<tr class=\"headline\"><th>{Svg.Escape(Label(headline))}</th><td>{Cell(summary[headline])}</td></tr>");
        foreach (var (key, label) in SummaryRows)
            if (key != headline && summary.ContainsKey(key)) sb.Append($"<tr><th>{Svg.Escape(label)}</th><td>{Cell(summary[key])}</td></tr>");
        if (HtmlPage.Doubles(outcome["restartLosses"]) is { Length: > 1 } losses)
            sb.Append($"<tr><th>restart losses</th><td>{Svg.Escape(string.Join(", ", losses.Select(v => Svg.Num(v))))}</td></tr>");
        return sb.Append("</tbody></table>").ToString();
    }
}
