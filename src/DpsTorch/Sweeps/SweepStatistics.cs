// Statistics over seeds (issue 16): the runs of a sweep that share every swept value but the seed form one point; each
// measure of a point is reported as its mean and a two-sided 95% Student-t interval over those runs,
// mean ± t(0.975, n − 1) · s / √n (s the sample standard deviation), with n the runs that have the measure. With
// n = 1 there is no interval (half-width NaN). SweepResults.WriteTable writes them to statistics.csv beside
// results.csv:
//   the swept keys (training.seed left out: it is the replicate), measure, n, mean, halfWidth, low, high, sd
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using MathNet.Numerics.Distributions;

namespace DpsTorch.Sweeps;

/// <summary>The mean of n independent values with a Student-t confidence interval.</summary>
/// <param name="N">Values (finite ones only).</param>
/// <param name="Mean">Their mean (NaN when there are none).</param>
/// <param name="HalfWidth">Half-width of the interval, t(1 − (1 − level)/2, n − 1) · s / √n (NaN when n &lt; 2).</param>
/// <param name="Sd">Sample standard deviation (n − 1 in the denominator; NaN when n &lt; 2).</param>
public sealed record MeanInterval(int N, double Mean, double HalfWidth, double Sd)
{
    /// <summary>The default confidence level.</summary>
    public const double Level95 = 0.95;

    /// <summary>The half-width for display: 0 when it is rounding noise (at most 1e-12 of the mean's size).</summary>
    public double ShownHalfWidth => HalfWidth <= 1e-12 * Math.Max(1, Math.Abs(Mean)) ? 0 : HalfWidth;

    /// <summary>Lower end of the interval (NaN without one).</summary>
    public double Low => Mean - HalfWidth;
    /// <summary>Upper end of the interval (NaN without one).</summary>
    public double High => Mean + HalfWidth;

    /// <summary>The mean and <paramref name="level"/> Student-t interval of the finite values in <paramref name="values"/>.</summary>
    public static MeanInterval Of(IEnumerable<double> values, double level = Level95)
    {
        if (!(level > 0 && level < 1)) throw new ArgumentOutOfRangeException(nameof(level), level, "The confidence level must lie in (0, 1).");
        var v = values.Where(double.IsFinite).ToArray();
        if (v.Length == 0) return new MeanInterval(0, double.NaN, double.NaN, double.NaN);
        double mean = v.Average();
        if (v.Length == 1) return new MeanInterval(1, mean, double.NaN, double.NaN);
        double ss = 0;
        foreach (var x in v) ss += (x - mean) * (x - mean);
        double sd = Math.Sqrt(ss / (v.Length - 1));
        double t = StudentT.InvCDF(0, 1, v.Length - 1, 1 - (1 - level) / 2);
        return new MeanInterval(v.Length, mean, t * sd / Math.Sqrt(v.Length), sd);
    }

    /// <summary>"0.8123 ± 0.0141 (n = 5)", or "0.8123 (n = 1)" without an interval; numbers in <paramref name="format"/>.</summary>
    public string Text(string format = "G4")
        => N == 0 ? "–"
           : double.IsFinite(HalfWidth) ? $"{Mean.ToString(format, CultureInfo.InvariantCulture)} ± {ShownHalfWidth.ToString(format, CultureInfo.InvariantCulture)} (n = {N})"
           : $"{Mean.ToString(format, CultureInfo.InvariantCulture)} (n = {N})";
}

/// <summary>One point of a sweep: the runs that share its swept values, and each measure over them.</summary>
/// <param name="Values">The swept values (cell text) in <see cref="SweepStatistics.Keys"/> order.</param>
/// <param name="Runs">Folder names of its finished runs, in run order.</param>
/// <param name="Seeds">Their seeds, in the same order.</param>
/// <param name="Measures">Mean and interval of every measure in <see cref="SweepStatistics.MeasureNames"/>.</param>
public sealed record SweepPointStatistics(string[] Values, IReadOnlyList<string> Runs, IReadOnlyList<int> Seeds, IReadOnlyDictionary<string, MeanInterval> Measures)
{
    /// <summary>"agents.count=4, topology.kind=ring", or "all runs" for a sweep that varies only the seed.</summary>
    public string Describe(IReadOnlyList<string> keys)
        => keys.Count == 0 ? "all runs" : string.Join(", ", keys.Select((k, i) => $"{k}={Values[i]}"));
}

/// <summary>The statistics of a sweep folder: its points (runs grouped over seeds) with each measure's mean and interval.</summary>
/// <param name="Keys">Swept keys that define a point (training.seed left out).</param>
/// <param name="Points">Points with at least one finished run, in the order of their first run.</param>
/// <param name="Level">Confidence level of the intervals.</param>
public sealed record SweepStatistics(IReadOnlyList<string> Keys, IReadOnlyList<SweepPointStatistics> Points, double Level)
{
    /// <summary>File name of the statistics table in a sweep folder.</summary>
    public const string File = "statistics.csv";

    /// <summary>Seeds per point below which <c>dps sweep</c> notes that its intervals are weak (issue 16 asks for five).</summary>
    public const int RecommendedSeeds = 5;

    /// <summary>The summary.json measures that get statistics: the numeric results.csv measures, the efficiencies, and
    /// converged as 0/1 (its mean is the share of runs that converged).</summary>
    public static IReadOnlyList<string> MeasureNames { get; } =
        [.. SweepResults.Measures.Where(m => m != "stopReason"), .. SweepResults.AddedMeasures];

    /// <summary>Groups finished runs (index entry and summary.json) over seeds and computes every measure's interval.</summary>
    public static SweepStatistics Of(SweepIndex index, IReadOnlyList<(SweepIndexRun Run, JsonObject Summary)> finished, double level = MeanInterval.Level95)
    {
        int seedKey = index.Keys.ToList().IndexOf("training.seed");
        var keys = index.Keys.Where((_, i) => i != seedKey).ToList();
        var groups = new List<(string[] Values, List<(SweepIndexRun Run, JsonObject Summary)> Runs)>();
        var byValues = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var f in finished)
        {
            var values = f.Run.Values.Where((_, i) => i != seedKey).ToArray();
            string id = string.Join("\u001f", values);
            if (!byValues.TryGetValue(id, out int g)) { byValues[id] = g = groups.Count; groups.Add((values, [])); }
            groups[g].Runs.Add(f);
        }
        var caseNames = CaseNames(finished);
        var points = groups.Select(g => new SweepPointStatistics(g.Values, [.. g.Runs.Select(r => r.Run.Run)],
            [.. g.Runs.Select(r => seedKey >= 0 && int.TryParse(r.Run.Values[seedKey], NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) ? s : r.Run.Seed)],
            MeasureNames.Concat(caseNames).ToDictionary(m => m, m => MeanInterval.Of(g.Runs.Select(r => Value(Field(r.Summary, m))), level), StringComparer.Ordinal))).ToList();
        return new SweepStatistics(keys, points, level) { CaseMeasureNames = caseNames };
    }

    /// <summary>Prefix of the case-study measures: summary.json "case" (a domain objective's own measures, such as the
    /// efficient-coding slopes) gives "case.NAME" for each of its numeric fields.</summary>
    public const string CasePrefix = "case.";

    /// <summary>The "case.NAME" measures of the runs' summary.json "case" objects, in order of first appearance (empty
    /// when no run has one): statistics.csv lists them after <see cref="MeasureNames"/>.</summary>
    public IReadOnlyList<string> CaseMeasureNames { get; init; } = [];

    internal static List<string> CaseNames(IReadOnlyList<(SweepIndexRun Run, JsonObject Summary)> finished)
    {
        var names = new List<string>();
        foreach (var (_, summary) in finished)
            if (summary["case"] is JsonObject c)
                foreach (var (name, value) in c)
                    if (value is JsonValue v && v.TryGetValue(out double _) && !names.Contains(CasePrefix + name)) names.Add(CasePrefix + name);
        return names;
    }

    internal static JsonNode? Field(JsonObject summary, string measure)
        => measure.StartsWith(CasePrefix, StringComparison.Ordinal) ? (summary["case"] as JsonObject)?[measure[CasePrefix.Length..]] : summary[measure];

    /// <summary>A summary value as a number: numbers as they are, booleans as 1/0, anything else NaN.</summary>
    public static double Value(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue(out double d) => d,
        JsonValue v when v.TryGetValue(out bool b) => b ? 1 : 0,
        _ => double.NaN,
    };

    /// <summary>Whether <paramref name="measure"/> has values that differ between the points, or an interval wider than 0 somewhere.</summary>
    public bool Varies(string measure)
    {
        var means = Points.Select(p => p.Measures[measure]).Where(s => s.N > 0).ToList();
        return means.Count > 0 && !means.All(s => s.Mean == means[0].Mean && !(s.HalfWidth > 0));
    }

    /// <summary>The fewest runs any point has (0 without points).</summary>
    public int MinSeeds => Points.Count == 0 ? 0 : Points.Min(p => p.Runs.Count);

    /// <summary>statistics.csv: the point's keys, measure, n, mean, halfWidth, low, high, sd (empty cells where undefined).</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder();
        sb.AppendJoin(',', Keys.Concat(["measure", "n", "mean", "halfWidth", "low", "high", "sd"]).Select(SweepResults.Cell)).Append('\n');
        foreach (var p in Points)
            foreach (var m in MeasureNames.Concat(CaseMeasureNames))
            {
                var s = p.Measures[m];
                foreach (var v in p.Values) sb.Append(SweepResults.Cell(v)).Append(',');
                sb.Append(m).Append(',').Append(s.N.ToString(CultureInfo.InvariantCulture));
                foreach (var x in new[] { s.Mean, s.HalfWidth, s.Low, s.High, s.Sd })
                    sb.Append(',').Append(double.IsFinite(x) ? x.ToString("R", CultureInfo.InvariantCulture) : "");
                sb.Append('\n');
            }
        return sb.ToString();
    }
}
