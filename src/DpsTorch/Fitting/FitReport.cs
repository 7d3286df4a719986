// Writes a ScalingStudy as fit.json (parameters, intervals, criteria, points) and as an SVG of the data with the
// chosen fitted curves (MODEL.md section 6). Files are written atomically: temp file in the same folder, then rename.
using System.Text;
using System.Text.Json;
using DpsTorch.IO;
using DpsTorch.Reports;

namespace DpsTorch.Fitting;

/// <summary>fit.json and the fit plot of a <see cref="ScalingStudy"/>.</summary>
/// <remarks>
/// fit.json: top level "x", "x2", "y", "space", "loss", "shared", "group_columns", "grouping", "form_requested" ("auto" or a form), "points" ("mean-over-seeds"
/// or "raw"), "aggregated_over_seeds", "criterion", "bootstrap" {method, resamples, seed, confidence}, and "groups":
/// one object per group with "group", "rows", "chosen", the points ("x", "y", "standard_error", "seeds"; the last
/// two null when raw) and "candidates": per form its "formula", "skipped" reason or the fit ("parameters" as
/// name → {estimate, ci_low, ci_high, shared}, "r2", "aic", "aicc", "rss", "n", "k", "converged", "stop_reason",
/// "iterations", "bootstrap_used", "huber_delta", "delta", "weight"), and "cross_validation" (null, or folds, chosen,
/// rule and per candidate name, baseline, rmse, rmse_sd, failed). Non-finite numbers are written as null.
/// </remarks>
public static class FitReport
{
    /// <summary>Curve samples drawn per fitted line.</summary>
    public const int CurvePoints = 200;

    /// <summary>The fit.json text.</summary>
    public static string ToJson(ScalingStudy study)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            var req = study.Request;
            w.WriteStartObject();
            w.WriteString("source", study.Source);
            w.WriteString("x", req.XColumn);
            if (req.X2Column is null) w.WriteNull("x2"); else w.WriteString("x2", req.X2Column);
            w.WriteString("y", req.YColumn);
            w.WriteString("space", study.Options.Space == FitSpace.Log ? "log" : "linear");
            w.WriteString("loss", study.Options.Loss == FitLoss.Huber ? "huber" : "squared");
            w.WriteStartArray("shared");
            foreach (var p in study.Options.Shared) w.WriteStringValue(p);
            w.WriteEndArray();
            w.WriteStartArray("group_columns");
            foreach (var c in study.GroupColumns) w.WriteStringValue(c);
            w.WriteEndArray();
            w.WriteString("grouping", study.Grouping);
            w.WriteString("form_requested", req.FormName);
            w.WriteString("points", req.AggregateOverSeeds ? "mean-over-seeds" : "raw");
            w.WriteBoolean("aggregated_over_seeds", req.AggregateOverSeeds);
            w.WriteString("criterion", study.Options.Criterion == InformationCriterion.Aic ? "aic" : "aicc");
            w.WriteStartObject("bootstrap");
            w.WriteString("method", study.Options.Bootstrap == BootstrapMethod.Residuals ? "residuals" : "cases");
            w.WriteNumber("resamples", study.Options.BootstrapResamples);
            w.WriteNumber("seed", study.Options.Seed);
            w.WriteNumber("confidence", study.Options.ConfidenceLevel);
            w.WriteEndObject();
            w.WriteStartArray("groups");
            foreach (var g in study.Groups) WriteGroup(w, g);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>Writes fit.json atomically to <paramref name="path"/>.</summary>
    public static void WriteJson(string path, ScalingStudy study) => AtomicFile.WriteAllText(path, ToJson(study));

    /// <summary>
    /// The figure: a main panel with each group's points (mean ± standard error when aggregated), its chosen curve with
    /// the 95% bootstrap band and the competing forms faded; a residual panel (in the fit space) below; and the
    /// parameters with their intervals (and cross-validated errors) as text. Groups share the axes, one colour each;
    /// a two-variable law gets one curve per value of x2. Axes are log where it suits unless given: x when all
    /// x &gt; 0 and they span two decades, or one decade and no chosen form is saturating; y when x is log, all
    /// y &gt; 0, and y spans a decade or every chosen form is a power law. Curve samples a log y axis cannot show are
    /// dropped; bands are cut a decade (log) or half a span (linear) beyond the data.
    /// </summary>
    public static string ToSvg(ScalingStudy study, AxisScale? xScale = null, AxisScale? yScale = null)
    {
        var allX = study.Groups.SelectMany(g => g.Data.X).ToArray();
        var allY = study.Groups.SelectMany(g => g.Data.Y).ToArray();
        bool powerOnly = study.Groups.All(g => g.Selection.Chosen.Form is ScalingForm.Power or ScalingForm.BrokenPower or ScalingForm.PowerProduct);
        bool powerLike = study.Groups.All(g => g.Selection.Chosen.Form != ScalingForm.Saturating);
        double xSpan = allX.All(v => v > 0) ? allX.Max() / allX.Min() : 0;
        bool logX = xScale is { } xs ? xs == AxisScale.Log : xSpan >= 100 || (xSpan >= 10 && powerLike);
        bool logY = yScale is { } ys ? ys == AxisScale.Log
            : logX && allY.All(v => v > 0) && (allY.Max() >= 10 * allY.Min() || powerOnly);
        double yMin = allY.Min(), yMax = allY.Max();
        double bandLo = logY ? yMin / 10 : yMin - 0.5 * (yMax - yMin), bandHi = logY ? yMax * 10 : yMax + 0.5 * (yMax - yMin);

        var series = new List<PlotSeries>();
        var residuals = new List<PlotSeries>();
        var req = study.Request;
        int colorIndex = 0, colorCount = study.Groups.Sum(g => Slices(g.Data).Count);
        foreach (var g in study.Groups)
        {
            var fit = g.Selection.Chosen;
            foreach (var (x2, idx) in Slices(g.Data))
            {
                string color = Colors.Category(colorIndex++, colorCount);
                string prefix = GroupLabel(study, g) + (x2 is { } v2 ? $"{req.X2Column} = {SvgPlot.FormatNumber(v2)}: " : "");
                double[] px = idx.Select(i => g.Data.X[i]).ToArray(), py = idx.Select(i => g.Data.Y[i]).ToArray();
                double x2v = x2 ?? double.NaN;
                double lo = px.Min(), hi = px.Max();
                var cx = new double[CurvePoints];
                for (int i = 0; i < CurvePoints; i++)
                {
                    double t = i / (double)(CurvePoints - 1);
                    cx[i] = logX ? lo * Math.Pow(hi / lo, t) : lo + (hi - lo) * t;
                }
                double Show(double v) => logY && !(v > 0) ? double.NaN : v;
                // Competing forms, faded, under the chosen one.
                foreach (var c in g.Selection.Candidates)
                    if (c.Result is { } other && other != fit)
                        series.Add(new PlotSeries($"{prefix}{c.FormName} (alternative)", cx, cx.Select(v => Show(other.Predict(v, x2v))).ToArray())
                        {
                            Color = color, Style = SeriesStyle.Line, Dashed = true, Opacity = 0.3, InLegend = false,
                        });
                var band = cx.Select(v => fit.Band(v, x2v)).ToArray();
                series.Add(new PlotSeries(prefix + $"{fit.FormName} fit, R² = {fit.RSquared:0.000}", cx, cx.Select(v => Show(fit.Predict(v, x2v))).ToArray())
                {
                    Color = color,
                    Style = SeriesStyle.Line,
                    BandLow = band.Select(b => double.IsFinite(b.Low) ? Math.Max(b.Low, bandLo) : double.NaN).Select(Show).ToArray(),
                    BandHigh = band.Select(b => double.IsFinite(b.High) ? Math.Min(b.High, bandHi) : double.NaN).Select(Show).ToArray(),
                });
                series.Add(new PlotSeries(prefix + (g.Data.AggregatedOverSeeds ? "mean ± s.e." : "data"), px, py)
                {
                    Color = color,
                    YError = g.Data.StandardError is { } se ? idx.Select(i => se[i]).ToArray() : null,
                });
                residuals.Add(new PlotSeries(prefix + "residual", px, px.Select((v, i) => Residual(fit, py[i], v, x2v)).ToArray())
                {
                    Color = color,
                    InLegend = false,
                });
            }
        }
        var xAll = study.Groups.SelectMany(g => g.Data.X).ToArray();
        residuals.Add(new PlotSeries("zero", [xAll.Min(), xAll.Max()], [0, 0]) { Color = "#888888", Style = SeriesStyle.Line, Dashed = true, InLegend = false });

        const int width = 820, mainHeight = 480, residualHeight = 200;
        string method = req.Form is not null ? req.FormName
            : study.Groups.Any(g => g.CrossValidation is not null) ? "form by cross-validation"
            : "form by " + (study.Options.Criterion == InformationCriterion.Aic ? "AIC" : "AICc");
        string main = SvgPlot.Render(series, new PlotOptions
        {
            Title = $"{req.YColumn} vs {req.XColumn}{(req.X2Column is null ? "" : " and " + req.X2Column)}{(study.GroupColumns.Count == 0 ? "" : " by " + string.Join(", ", study.GroupColumns))} ({method}; band: {(int)Math.Round(study.Options.ConfidenceLevel * 100)}% bootstrap)",
            XLabel = req.XColumn,
            YLabel = req.YColumn + (req.AggregateOverSeeds ? " (mean over seeds)" : ""),
            XScale = logX ? AxisScale.Log : AxisScale.Linear,
            YScale = logY ? AxisScale.Log : AxisScale.Linear,
            Width = width,
            Height = mainHeight,
            Interactive = true,
        });
        string resid = SvgPlot.Render(residuals, new PlotOptions
        {
            Title = study.Options.Space == FitSpace.Log ? "residuals ln y − ln ŷ" : "residuals y − ŷ",
            XLabel = req.XColumn,
            YLabel = "residual",
            XScale = logX ? AxisScale.Log : AxisScale.Linear,
            Width = width,
            Height = residualHeight,
        });
        var lines = ParameterLines(study);
        int textHeight = 20 + 16 * lines.Count;
        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{mainHeight + residualHeight + textHeight}\" viewBox=\"0 0 {width} {mainHeight + residualHeight + textHeight}\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append($"<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{mainHeight + residualHeight + textHeight}\" fill=\"white\"/>\n");
        sb.Append(Nest(main, "fit-main", 0));
        sb.Append(Nest(resid, "fit-residuals", mainHeight));
        sb.Append($"<g class=\"fit-parameters\" font-family=\"monospace\" font-size=\"11\">\n");
        for (int i = 0; i < lines.Count; i++)
            sb.Append($"<text x=\"12\" y=\"{mainHeight + residualHeight + 18 + 16 * i}\">{SvgPlot.Escape(lines[i])}</text>\n");
        sb.Append("</g>\n</svg>\n");
        return sb.ToString();
    }

    /// <summary>A rendered chart as a nested &lt;svg&gt; at vertical offset <paramref name="y"/>, with a class.</summary>
    private static string Nest(string svg, string cssClass, int y)
    {
        int at = svg.IndexOf("<svg ", StringComparison.Ordinal);
        return svg[..at] + $"<svg class=\"{cssClass}\" x=\"0\" y=\"{y}\" " + svg[(at + 5)..];
    }

    /// <summary>Points of a group split by x2 (one slice, key null, for one-variable data).</summary>
    private static List<(double? X2, int[] Index)> Slices(FitData d)
        => d.X2 is null ? [(null, Enumerable.Range(0, d.Count).ToArray())]
            : d.X2.Select((v, i) => (v, i)).GroupBy(p => p.v).OrderBy(p => p.Key).Select(p => ((double?)p.Key, p.Select(q => q.i).ToArray())).ToList();

    private static double Residual(FitResult fit, double y, double x, double x2)
    {
        double f = fit.Predict(x, x2);
        if (fit.Space == FitSpace.Linear) return y - f;
        return y > 0 && f > 0 ? Math.Log(y) - Math.Log(f) : double.NaN;
    }

    /// <summary>Longest parameter line in the figure (characters of 11 px monospace across 820 px).</summary>
    private const int MaxLineLength = 118;

    /// <summary>"col = value: " (one grouping column), "key: " (several) or "" (pooled).</summary>
    private static string GroupLabel(ScalingStudy study, GroupFit g)
        => g.Group is null ? "" : study.GroupColumns.Count == 1 ? $"{study.GroupColumns[0]} = {g.Group}: " : $"{g.Group}: ";

    /// <summary>Per group: the chosen form with each parameter's estimate and interval, R², and the CV errors.</summary>
    internal static List<string> ParameterLines(ScalingStudy study)
    {
        static string N(double v) => double.IsFinite(v) ? v.ToString("G4", System.Globalization.CultureInfo.InvariantCulture) : "n/a";
        var lines = new List<string>();
        foreach (var g in study.Groups)
        {
            var fit = g.Selection.Chosen;
            var parts = new List<string> { GroupLabel(study, g) + fit.FormName };
            parts.AddRange(fit.Parameters.Select(p => $"{p.Name} = {N(p.Estimate)} [{N(p.CiLow)}, {N(p.CiHigh)}]{(p.Shared ? "*" : "")}"));
            parts.Add($"R² = {N(fit.RSquared)}");
            // Wrap at parameter boundaries so the text stays inside the figure.
            var line = "";
            foreach (var part in parts)
            {
                if (line.Length > 0 && line.Length + part.Length + 2 > MaxLineLength) { lines.Add(line); line = "    "; }
                line += (line.Trim().Length > 0 ? "  " : "") + part;
            }
            lines.Add(line);
            if (g.CrossValidation is { } cv)
                lines.Add("    CV RMSE: " + string.Join(", ", cv.Scores.Select(s => s.Failed is null ? $"{s.Name} {N(s.Rmse)}" : $"{s.Name} failed")));
        }
        if (study.Groups.Any(g => g.Selection.Chosen.Parameters.Any(p => p.Shared))) lines.Add("* shared by all groups");
        return lines;
    }

    /// <summary>Writes the plot atomically to <paramref name="path"/>.</summary>
    public static void WriteSvg(string path, ScalingStudy study, AxisScale? xScale = null, AxisScale? yScale = null)
        => AtomicFile.WriteAllText(path, ToSvg(study, xScale, yScale));


    private static void WriteGroup(Utf8JsonWriter w, GroupFit g)
    {
        w.WriteStartObject();
        if (g.Group is null) w.WriteNull("group"); else w.WriteString("group", g.Group);
        w.WriteNumber("rows", g.Rows);
        w.WriteString("chosen", g.Selection.Chosen.FormName);
        Numbers(w, "x", g.Data.X);
        Numbers(w, "x2", g.Data.X2);
        Numbers(w, "y", g.Data.Y);
        Numbers(w, "standard_error", g.Data.StandardError);
        if (g.Data.Counts is null) w.WriteNull("seeds");
        else
        {
            w.WriteStartArray("seeds");
            foreach (var c in g.Data.Counts) w.WriteNumberValue(c);
            w.WriteEndArray();
        }
        w.WriteStartArray("candidates");
        foreach (var c in g.Selection.Candidates)
        {
            w.WriteStartObject();
            w.WriteString("form", c.FormName);
            w.WriteString("formula", ScalingForms.Formula(c.Form));
            if (c.SkippedReason is null) w.WriteNull("skipped"); else w.WriteString("skipped", c.SkippedReason);
            if (c.Result is { } r)
            {
                w.WriteStartObject("parameters");
                foreach (var p in r.Parameters)
                {
                    w.WriteStartObject(p.Name);
                    Number(w, "estimate", p.Estimate);
                    Number(w, "ci_low", p.CiLow);
                    Number(w, "ci_high", p.CiHigh);
                    w.WriteBoolean("shared", p.Shared);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
                Number(w, "r2", r.RSquared);
                Number(w, "aic", r.Aic);
                Number(w, "aicc", r.Aicc);
                Number(w, "rss", r.Rss);
                w.WriteNumber("n", r.N);
                w.WriteNumber("k", r.K);
                w.WriteBoolean("converged", r.Converged);
                w.WriteString("stop_reason", r.StopReason switch
                {
                    FitStopReason.Converged => "converged",
                    FitStopReason.IterationLimit => "iteration-limit",
                    FitStopReason.Stalled => "stalled",
                    _ => "non-finite",
                });
                w.WriteNumber("iterations", r.Iterations);
                w.WriteNumber("bootstrap_used", r.BootstrapUsed);
                Number(w, "huber_delta", r.HuberDelta);
            }
            Number(w, "delta", c.Delta);
            Number(w, "weight", c.Weight);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (g.CrossValidation is not { } cv) w.WriteNull("cross_validation");
        else
        {
            w.WriteStartObject("cross_validation");
            w.WriteNumber("folds", cv.Folds);
            w.WriteString("chosen", ScalingForms.Name(cv.Chosen));
            w.WriteString("rule", cv.Rule);
            w.WriteStartArray("scores");
            foreach (var sc in cv.Scores)
            {
                w.WriteStartObject();
                w.WriteString("name", sc.Name);
                w.WriteBoolean("baseline", sc.IsBaseline);
                Number(w, "rmse", sc.Rmse);
                Number(w, "rmse_sd", sc.RmseStdDev);
                if (sc.Failed is null) w.WriteNull("failed"); else w.WriteString("failed", sc.Failed);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v); else w.WriteNull(name);
    }

    private static void Numbers(Utf8JsonWriter w, string name, double[]? values)
    {
        if (values is null) { w.WriteNull(name); return; }
        w.WriteStartArray(name);
        foreach (var v in values)
            if (double.IsFinite(v)) w.WriteNumberValue(v); else w.WriteNullValue();
        w.WriteEndArray();
    }
}
