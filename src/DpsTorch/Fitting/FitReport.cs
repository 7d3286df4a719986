// Writes a ScalingStudy as fit.json (parameters, intervals, criteria, points) and as an SVG of the data with the
// chosen fitted curves (MODEL.md section 6). Files are written atomically: temp file in the same folder, then rename.
using System.Text;
using System.Text.Json;
using DpsTorch.IO;
using DpsTorch.Reports;

namespace DpsTorch.Fitting;

/// <summary>fit.json and the fit plot of a <see cref="ScalingStudy"/>.</summary>
/// <remarks>
/// fit.json: top level "x", "y", "group_column", "form_requested" ("auto" or a form), "points" ("mean-over-seeds"
/// or "raw"), "aggregated_over_seeds", "criterion", "bootstrap" {method, resamples, seed, confidence}, and "groups":
/// one object per group with "group", "rows", "chosen", the points ("x", "y", "standard_error", "seeds"; the last
/// two null when raw) and "candidates": per form its "formula", "skipped" reason or the fit ("parameters" as
/// name → {estimate, ci_low, ci_high}, "r2", "aic", "aicc", "rss", "n", "k", "converged", "stop_reason",
/// "iterations", "bootstrap_used", "delta", "weight"). Non-finite numbers are written as null.
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
            w.WriteString("y", req.YColumn);
            if (req.GroupColumn is null) w.WriteNull("group_column"); else w.WriteString("group_column", req.GroupColumn);
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
    /// The plot: each group's points (mean ± standard error when aggregated) and its chosen curve, in one colour
    /// per group. Axes are log where it suits unless given: x when all x &gt; 0 and they span two decades, or one
    /// decade and no chosen form is saturating; y when x is log, all y &gt; 0, and y spans a decade or every chosen
    /// form is a power law (straight in log-log).
    /// Curve samples that a log y axis cannot show are dropped.
    /// </summary>
    public static string ToSvg(ScalingStudy study, AxisScale? xScale = null, AxisScale? yScale = null)
    {
        var allX = study.Groups.SelectMany(g => g.Data.X).ToArray();
        var allY = study.Groups.SelectMany(g => g.Data.Y).ToArray();
        bool powerOnly = study.Groups.All(g => g.Selection.Chosen.Form is ScalingForm.Power or ScalingForm.BrokenPower);
        bool powerLike = study.Groups.All(g => g.Selection.Chosen.Form != ScalingForm.Saturating);
        double xSpan = allX.All(v => v > 0) ? allX.Max() / allX.Min() : 0;
        bool logX = xScale is { } xs ? xs == AxisScale.Log : xSpan >= 100 || (xSpan >= 10 && powerLike);
        bool logY = yScale is { } ys ? ys == AxisScale.Log
            : logX && allY.All(v => v > 0) && (allY.Max() >= 10 * allY.Min() || powerOnly);

        var series = new List<PlotSeries>();
        for (int gi = 0; gi < study.Groups.Count; gi++)
        {
            var g = study.Groups[gi];
            string color = SvgPlot.Palette[gi % SvgPlot.Palette.Count];
            string prefix = g.Group is null ? "" : $"{g.Group}: ";
            series.Add(new PlotSeries(prefix + (g.Data.AggregatedOverSeeds ? "mean ± s.e." : "data"), g.Data.X, g.Data.Y)
            {
                Color = color,
                YError = g.Data.StandardError,
            });
            var fit = g.Selection.Chosen;
            double lo = g.Data.X.Min(), hi = g.Data.X.Max();
            var cx = new double[CurvePoints];
            var cy = new double[CurvePoints];
            for (int i = 0; i < CurvePoints; i++)
            {
                double t = i / (double)(CurvePoints - 1);
                cx[i] = logX ? lo * Math.Pow(hi / lo, t) : lo + (hi - lo) * t;
                cy[i] = fit.Predict(cx[i]);
                if (logY && !(cy[i] > 0)) cy[i] = double.NaN;
            }
            series.Add(new PlotSeries(prefix + $"{fit.FormName} fit, R² = {fit.RSquared:0.000}", cx, cy)
            {
                Color = color,
                Style = SeriesStyle.Line,
            });
        }
        var req = study.Request;
        return SvgPlot.Render(series, new PlotOptions
        {
            Title = $"{req.YColumn} vs {req.XColumn}{(req.GroupColumn is null ? "" : " by " + req.GroupColumn)} ({(req.Form is null ? "form by " + (study.Options.Criterion == InformationCriterion.Aic ? "AIC" : "AICc") : req.FormName)})",
            XLabel = req.XColumn,
            YLabel = req.YColumn + (req.AggregateOverSeeds ? " (mean over seeds)" : ""),
            XScale = logX ? AxisScale.Log : AxisScale.Linear,
            YScale = logY ? AxisScale.Log : AxisScale.Linear,
            Width = 760,
            Height = 460,
            Interactive = true,
        });
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
            }
            Number(w, "delta", c.Delta);
            Number(w, "weight", c.Weight);
            w.WriteEndObject();
        }
        w.WriteEndArray();
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
