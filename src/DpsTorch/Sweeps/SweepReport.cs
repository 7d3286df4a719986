// The sweep report (issue 16): one self-contained page per sweep folder, report.html beside results.csv, built with the
// run report's page chrome and charts (Reports/HtmlPage.cs, Reports/LineChart.cs). It shows the points (runs grouped
// over seeds, SweepStatistics.cs) as a table of mean ± 95% interval with links to every run's own report, and each
// measure against each swept key: the mean over seeds as a line with markers, the Student-t interval as a band, one
// series (its own colour, dash and marker) per combination of the other swept keys. Writing it also writes the
// report.html of every finished run that has none, so that the links lead somewhere.
using DpsTorch.Config;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DpsTorch.Measures;
using DpsTorch.IO;
using DpsTorch.Reports;
using DpsTorch.Runs;

namespace DpsTorch.Sweeps;

/// <summary>Builds and writes a sweep folder's report.html.</summary>
public static class SweepReport
{
    /// <summary>Measures the point table shows (every measure has its charts, and all are in statistics.csv).</summary>
    public static readonly IReadOnlyList<string> TableMeasures = ["loss", "heterogeneity", "coverage", "efficiency", "resourceEfficiency", "utilisation", "robustness", "converged"];

    /// <summary>Measures that lie in [0, 1] by definition: their interval bands are clipped to it.</summary>
    public static readonly IReadOnlyList<string> UnitMeasures = ["coverage", "specialisation", "utilisation", "robustness", "resilience", "converged"];

    /// <summary>Most points the per-measure table lists column by column (statistics.csv has them all).</summary>
    public const int MaxTablePoints = 12;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// The report of the sweep in <paramref name="dir"/> (runs.json and the finished runs' summary.json). A folder that
    /// is not a sweep, or a malformed summary, gives a <see cref="ConfigException"/> naming the file.
    /// </summary>
    public static string Build(string dir)
    {
        var index = SweepResults.ReadIndex(dir);
        var finished = SweepResults.Finished(index);
        var stats = SweepStatistics.Of(index, finished);
        var baseConfig = ConfigLoader.ParseObject(File.ReadAllText(Path.Combine(dir, SweepResults.Index)), Path.Combine(dir, SweepResults.Index))["base"] as JsonObject ?? new JsonObject();
        string folder = Path.GetFileName(Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar));
        string title = baseConfig["name"] is JsonValue nv && nv.TryGetValue(out string? name) && !string.IsNullOrWhiteSpace(name) ? $"{name} (sweep)" : $"{folder} (sweep)";
        string? description = baseConfig["description"] is JsonValue dv && dv.TryGetValue(out string? d) ? d : null;
        string? headline = baseConfig["measures"]?["headline"] is JsonValue hv && hv.TryGetValue(out string? h) ? h : null;

        var html = new StringBuilder();
        int minSeeds = stats.MinSeeds, maxSeeds = stats.Points.Count == 0 ? 0 : stats.Points.Max(p => p.Runs.Count);
        HtmlPage.Begin(html, title, description,
            $"{finished.Count} of {index.Runs.Count} runs finished · {stats.Points.Count} points · swept: {Svg.Escape(stats.Keys.Count == 0 ? "the seed only" : string.Join(", ", stats.Keys))}"
            + $" · seeds per point: {(minSeeds == maxSeeds ? minSeeds.ToString(CultureInfo.InvariantCulture) : $"{minSeeds}–{maxSeeds}")} · intervals: {Svg.Num(100 * stats.Level)}% Student-t");

        string seedsNote = minSeeds < SweepStatistics.RecommendedSeeds
            ? $" Some points rest on fewer than {SweepStatistics.RecommendedSeeds} seeds (as few as {minSeeds}); set \"seeds\": {SweepStatistics.RecommendedSeeds} in the sweep block for intervals worth reading."
            : "";
        var allNames = SweepStatistics.MeasureNames.Concat(stats.CaseMeasureNames).ToList();
        var measuresShown = headline is not null && allNames.Contains(headline)
            ? [headline, .. TableMeasures.Where(m => m != headline)] : TableMeasures.ToList();
        // A case study's sweep has none of the system measures: its table shows the first case measures that vary.
        if (stats.CaseMeasureNames.Count > 0 && !measuresShown.Any(m => stats.Points.Any(p => p.Measures[m].N > 0)))
            measuresShown = [.. stats.CaseMeasureNames.Where(stats.Varies).Take(TableMeasures.Count)];
        HtmlPage.Card(html, "Points", PointTable(dir, stats, measuresShown),
            $"One row per point (the runs that share every swept value but the seed): mean ± half-width of the {Svg.Num(100 * stats.Level)}% Student-t interval over its n runs, "
            + "mean ± t·s/√n; without an interval when n = 1. Each run links to its own report." + Svg.Escape(seedsNote)
            + (headline is not null ? $" This experiment is about {Svg.Escape(headline)} (measures.headline)." : ""), wide: true);
        if (stats.Points.Count is > 0 and <= MaxTablePoints)
            HtmlPage.Card(html, "Every measure", MeasureTable(stats), "Mean ± half-width (n) of every measure at every point; statistics.csv holds the same numbers with the interval ends and the standard deviation.", wide: true);

        var constant = new List<string>();
        var order = headline is not null && allNames.Contains(headline)
            ? [headline, .. allNames.Where(m => m != headline)] : allNames;
        for (int k = 0; k < stats.Keys.Count; k++)
            foreach (var m in order)
            {
                var means = stats.Points.Select(p => p.Measures[m]).Where(s => s.N > 0).ToList();
                if (means.Count == 0) continue;
                if (means.All(s => s.Mean == means[0].Mean && !double.IsFinite(s.HalfWidth)))
                {
                    if (k == 0) constant.Add(m);
                    continue;
                }
                HtmlPage.Card(html, $"{m} against {stats.Keys[k]}", Chart(stats, k, m),
                    $"Mean over seeds (markers), {Svg.Num(100 * stats.Level)}% Student-t interval (band)"
                    + (UnitMeasures.Contains(m) ? ", clipped to [0, 1] where the measure is bounded" : "")
                    + (stats.Keys.Count > 1 ? "; one series per value of the other swept keys." : "."));
            }
        if (constant.Count > 0)
            HtmlPage.Card(html, "Measures with one value", $"<p>{Svg.Escape(string.Join(", ", constant))}</p>",
                "The same value at every point and seed, so not drawn.", wide: true);

        HtmlPage.End(html, baseConfig.ToJsonString(Indented), SweepResults.Index, "the runs' " + RunFiles.Summary);
        return html.ToString();
    }

    /// <summary>
    /// Writes <c>dir/report.html</c> (atomically); first, with <paramref name="runReports"/>, the report.html of every
    /// finished run that has none (a run whose files cannot make a report is linked by its summary.json instead).
    /// </summary>
    public static void Write(string dir, bool runReports = true)
    {
        if (runReports)
            foreach (var (run, _) in SweepResults.Finished(SweepResults.ReadIndex(dir)))
            {
                string runDir = Path.Combine(dir, run.Run);
                if (File.Exists(Path.Combine(runDir, RunFiles.Report))) continue;
                try { RunOutput.WriteReport(runDir); }
                catch (ConfigException) { /* linked by its summary.json */ }
            }
        AtomicFile.WriteAllText(Path.Combine(dir, RunFiles.Report), Build(dir));
    }

    private static string PointTable(string dir, SweepStatistics stats, IReadOnlyList<string> measures)
    {
        var shown = measures.Where(m => stats.Points.Any(p => p.Measures[m].N > 0)).ToList();
        var headers = stats.Keys.Select(Svg.Escape).Append("n").Concat(shown.Select(m => Svg.Escape(m))).Append("runs (seed)").ToList();
        var rows = stats.Points.Select(p =>
        {
            var cells = p.Values.Select(Svg.Escape).ToList();
            cells.Add(p.Runs.Count.ToString(CultureInfo.InvariantCulture));
            cells.AddRange(shown.Select(m => Svg.Escape(Cell(p.Measures[m]))));
            cells.Add(string.Join(" ", p.Runs.Select((r, i) => $"<a href=\"{Svg.Escape(RunLink(dir, r))}\">{Svg.Escape(r)}</a>&nbsp;({p.Seeds[i].ToString(CultureInfo.InvariantCulture)})")));
            return (IReadOnlyList<string>)cells;
        });
        return HtmlPage.Table(headers, rows);
    }

    private static string MeasureTable(SweepStatistics stats)
    {
        var headers = new List<string> { "measure" };
        headers.AddRange(stats.Points.Select(p => Svg.Escape(p.Describe(stats.Keys))));
        // A case study's sweep lists its case measures only (it has none of the system measures).
        var names = stats.CaseMeasureNames.Count > 0 && !SweepStatistics.MeasureNames.Any(m => stats.Points.Any(p => p.Measures[m].N > 0))
            ? stats.CaseMeasureNames : SweepStatistics.MeasureNames.Concat(stats.CaseMeasureNames);
        var rows = names.Select(m =>
            (IReadOnlyList<string>)[Svg.Escape(m), .. stats.Points.Select(p => Svg.Escape(Cell(p.Measures[m]) + (p.Measures[m].N > 0 ? $" ({p.Measures[m].N})" : "")))]);
        return HtmlPage.Table(headers, rows);
    }

    /// <summary>"0.8123 ± 0.0141", "0.8123" without an interval, "–" without values.</summary>
    private static string Cell(MeanInterval s)
        => s.N == 0 ? "–" : double.IsFinite(s.HalfWidth) ? $"{Svg.Num(s.Mean)} ± {Svg.Num(s.ShownHalfWidth)}" : Svg.Num(s.Mean);

    /// <summary>The run's report.html when it has one, else its summary.json (relative to the sweep folder).</summary>
    private static string RunLink(string dir, string run)
        => $"{run}/{(File.Exists(Path.Combine(dir, run, RunFiles.Report)) ? RunFiles.Report : RunFiles.Summary)}";

    /// <summary>Measure <paramref name="measure"/> against swept key <paramref name="key"/>: one series per combination of the other keys.</summary>
    private static string Chart(SweepStatistics stats, int key, string measure)
    {
        var values = stats.Points.Select(p => p.Values[key]).Distinct().ToList();
        bool numeric = values.All(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && double.IsFinite(x));
        if (numeric) values = [.. values.OrderBy(v => double.Parse(v, CultureInfo.InvariantCulture))];
        double X(string v) => numeric ? double.Parse(v, CultureInfo.InvariantCulture) : values.IndexOf(v);
        bool unit = UnitMeasures.Contains(measure);
        var families = stats.Points.GroupBy(p => string.Join(", ", stats.Keys.Select((k, i) => i == key ? null : $"{k}={p.Values[i]}").Where(s => s is not null)), StringComparer.Ordinal).ToList();
        var chart = new LineChart
        {
            XLabel = stats.Keys[key], YLabel = measure, Title = $"{measure} against {stats.Keys[key]}",
            XTicks = numeric ? null : [.. values.Select((v, i) => ((double)i, v))],
            XMin = numeric ? null : -0.5, XMax = numeric ? null : values.Count - 0.5,
        };
        for (int f = 0; f < families.Count; f++)
        {
            var points = families[f].OrderBy(p => X(p.Values[key])).ToList();
            double[] x = [.. points.Select(p => X(p.Values[key]))];
            double[] y = [.. points.Select(p => p.Measures[measure].Mean)];
            double[] low = [.. points.Select(p => Clip(p.Measures[measure].Low, unit))];
            double[] high = [.. points.Select(p => Clip(p.Measures[measure].High, unit))];
            var (dash, marker) = LineStyles.For(f);
            chart.Series.Add(new Series(x, y, Colors.Category(f, families.Count))
            {
                Label = families.Count > 1 ? families[f].Key : null, Name = families[f].Key.Length > 0 ? families[f].Key : measure,
                Markers = true, Marker = marker, Dash = dash, Dashed = dash is not null, Band = (low, high), Width = 1.8,
            });
        }
        return chart.ToSvg();
    }

    private static double Clip(double v, bool unit) => unit && double.IsFinite(v) ? Math.Clamp(v, 0, 1) : v;
}
