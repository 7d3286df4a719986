// The files a run writes into its output folder, and reading them back:
//   summary.json     every measure (field names fixed by issue 4) + steps, seconds, complete, the resolved config
//   trajectory.csv   step,loss,coverageLoss,heterogeneity,coverage,specialisation,seconds
//   model.json       the reloadable state (IO/ModelState.cs)
// Each is written to a temporary name and renamed, so a folder never holds a half-written file.
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DpsTorch.Config;
using DpsTorch.Measures;
using DpsTorch.Model;

namespace DpsTorch.IO;

/// <summary>Names and writers of a run folder's files.</summary>
public static class RunFiles
{
    /// <summary>File name of the summary (written last: its presence means the run finished).</summary>
    public const string Summary = "summary.json";
    /// <summary>File name of the trajectory table.</summary>
    public const string Trajectory = "trajectory.csv";
    /// <summary>File name of the saved state.</summary>
    public const string Model = "model.json";
    /// <summary>File name of the report page.</summary>
    public const string Report = "report.html";
    /// <summary>The resolved config a run folder keeps (in DIR once finished, in DIR/checkpoints/ from the start, for --resume).</summary>
    public const string Config = "config.json";

    /// <summary>The JSON layout of summary.json.</summary>
    internal static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Header of trajectory.csv.</summary>
    public const string TrajectoryHeader = "step,loss,coverageLoss,heterogeneity,coverage,specialisation,seconds";

    /// <summary>
    /// The summary object. Fields: loss, heterogeneity (q = 1), heterogeneityQ0, heterogeneityQ2, heterogeneityQInf,
    /// types (<see cref="TypeCount"/>: tiled generalists count as one type; null when not computed),
    /// specialisation, productivity, totalProduction, coverage, efficiency, communicationCost, resourceEfficiency,
    /// amplification, utilisation, communicationEfficiency, shapeCoverage (<see cref="EfficiencyMeasures"/>; null where undefined),
    /// linkComplementarity / pairComplementarity
    /// (q-weighted mean 1 − Z over links / over all pairs), frameCoverage (per demand
    /// frame), robustness, resilience
    /// (areas under the curves, null when not measured), spatialScale (null without a topology), localHeterogeneity
    /// (r = 0..), robustnessCurve / resilienceCurve ({fractions, coverage, spread}), steps, seconds, complete,
    /// stopReason (Gradient, LossStalled, StepLimit, Cancelled), converged (the RMS gradient passed
    /// training.gradTolerance at the final parameters), gradientNorm (that RMS gradient, null when not measured),
    /// bestRestart, restartLosses, bestReachedBy (how many restarts ended within a relative 1e-6 of the best loss), run
    /// (<see cref="RunMetadata"/>; left out when null), config.
    /// </summary>
    public static JsonObject SummaryJson(MeasureSet m, DpsConfig config, int steps, double seconds, bool complete,
        string stopReason, int bestRestart = 0, IReadOnlyList<double>? restartLosses = null, bool converged = false,
        double gradientNorm = double.NaN, RunMetadata? run = null)
    {
        var o = new JsonObject
        {
            ["loss"] = m.Loss,
            ["heterogeneity"] = m.Heterogeneity.Q1,
            ["heterogeneityQ0"] = m.Heterogeneity.Q0,
            ["heterogeneityQ2"] = m.Heterogeneity.Q2,
            ["heterogeneityQInf"] = m.Heterogeneity.QInf,
            ["types"] = double.IsNaN(m.Types) ? null : m.Types,
            ["specialisation"] = m.Specialisation,
            ["productivity"] = m.Productivity,
            ["totalProduction"] = m.TotalProduction,
            ["coverage"] = m.Coverage,
            ["efficiency"] = m.Efficiency,
            ["communicationCost"] = m.CommunicationCost,
            ["linkComplementarity"] = double.IsNaN(m.LinkComplementarity) ? null : m.LinkComplementarity,
            ["pairComplementarity"] = double.IsNaN(m.PairComplementarity) ? null : m.PairComplementarity,
            ["frameCoverage"] = new JsonArray([.. m.FrameCoverage.Select(v => (JsonNode?)v)]),
            ["robustness"] = m.Robustness?.Area,
            ["resilience"] = m.Resilience?.Area,
            ["spatialScale"] = m.SpatialScale,
            ["localHeterogeneity"] = new JsonArray([.. m.LocalHeterogeneity.Select(v => (JsonNode?)v)]),
            ["robustnessCurve"] = Curve(m.Robustness),
            ["resilienceCurve"] = Curve(m.Resilience),
            ["steps"] = steps,
            ["seconds"] = seconds,
            ["complete"] = complete,
            ["stopReason"] = stopReason,
            ["converged"] = converged,
            ["gradientNorm"] = double.IsNaN(gradientNorm) ? null : gradientNorm,
            ["bestRestart"] = bestRestart,
            ["restartLosses"] = new JsonArray([.. (restartLosses ?? []).Select(v => (JsonNode?)v)]),
            ["bestReachedBy"] = Convergence.ReachedBest(restartLosses ?? []),
        };
        InsertAfter(o, "communicationCost", EfficiencyFields(m.Efficiencies));
        if (m.EfficientCoding is { } ec) o["case"] = CaseJson(ec);
        if (run is not null) o["run"] = run.ToJson();
        o["config"] = ConfigLoader.ToJsonNode(config);
        return o;
    }

    /// <summary>Inserts <paramref name="fields"/> into <paramref name="o"/> right after its field <paramref name="key"/>.</summary>
    internal static void InsertAfter(JsonObject o, string key, IEnumerable<KeyValuePair<string, JsonNode?>> fields)
    {
        int at = o.IndexOf(key) + 1;
        foreach (var (k, v) in fields) o.Insert(at++, k, v);
    }

    /// <summary>The efficiencies that are not coverage as summary fields (resourceEfficiency, amplification,
    /// utilisation, communicationEfficiency, and with <paramref name="shapeCoverage"/> shapeCoverage; null where
    /// undefined), in that order, flat and nested alike (a nested summary has its own shapeCoverage).</summary>
    internal static IEnumerable<KeyValuePair<string, JsonNode?>> EfficiencyFields(EfficiencyMeasures e, bool shapeCoverage = true)
    {
        yield return new("resourceEfficiency", NullIfNaN(e.ResourceEfficiency));
        yield return new("amplification", NullIfNaN(e.Amplification));
        yield return new("utilisation", NullIfNaN(e.Utilisation));
        yield return new("communicationEfficiency", NullIfNaN(e.CommunicationEfficiency));
        if (shapeCoverage) yield return new("shapeCoverage", NullIfNaN(e.ShapeCoverage));
    }

    private static double? NullIfNaN(double v) => double.IsFinite(v) ? v : null;

    /// <summary>summary.json "case": the domain measures of a case-study objective, each a number (null where undefined)
    /// that sweep statistics report as "case.NAME", and "kind" naming the case.</summary>
    private static JsonObject CaseJson(EfficientCodingFit ec) => new()
    {
        ["kind"] = "efficient-coding",
        ["information"] = NullIfNaN(ec.Information),
        ["densitySlope"] = NullIfNaN(ec.DensitySlope),
        ["densityCorrelation"] = NullIfNaN(ec.DensityCorrelation),
        ["densityRatio"] = NullIfNaN(ec.DensityRatio),
        ["widthSlope"] = NullIfNaN(ec.WidthSlope),
        ["widthCorrelation"] = NullIfNaN(ec.WidthCorrelation),
        ["gainSlope"] = NullIfNaN(ec.GainSlope),
        ["poolingSlope"] = NullIfNaN(ec.PoolingSlope),
    };

    private static JsonNode? Curve(RobustnessCurve? c) => c is null ? null : new JsonObject
    {
        ["fractions"] = new JsonArray([.. c.Fractions.Select(v => (JsonNode?)v)]),
        ["coverage"] = new JsonArray([.. c.Coverage.Select(v => (JsonNode?)v)]),
        ["spread"] = new JsonArray([.. c.Spread.Select(v => (JsonNode?)v)]),
    };

    /// <summary>Writes trajectory.csv (invariant culture, round-trip precision).</summary>
    public static void WriteTrajectory(string path, IReadOnlyList<TrajectoryPoint> points)
    {
        var sb = new StringBuilder(TrajectoryHeader).Append('\n');
        foreach (var p in points)
            sb.Append(string.Join(',', new[] { p.Step.ToString(CultureInfo.InvariantCulture), F(p.Loss), F(p.CoverageLoss),
                F(p.Heterogeneity), F(p.Coverage), F(p.Specialization), F(p.Seconds) })).Append('\n');
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    /// <summary>Reads trajectory.csv back; errors name the file, line and column.</summary>
    public static List<TrajectoryPoint> ReadTrajectory(string path)
    {
        if (!File.Exists(path)) throw new ConfigException(path, "trajectory file not found.");
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0].Trim() != TrajectoryHeader) throw ConfigException.Invalid($"{path}: line 1", lines.FirstOrDefault() ?? "", $"the header {TrajectoryHeader}");
        var points = new List<TrajectoryPoint>();
        for (int l = 1; l < lines.Length; l++)
        {
            if (lines[l].Length == 0) continue;
            var cells = lines[l].Split(',');
            if (cells.Length != 7) throw ConfigException.Invalid($"{path}: line {l + 1}", lines[l], "7 comma-separated numbers");
            var v = new double[7];
            for (int c = 0; c < 7; c++)
                if (!double.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out v[c]))
                    throw ConfigException.Invalid($"{path}: line {l + 1}, column {c + 1}", cells[c], "a number");
            points.Add(new TrajectoryPoint((int)v[0], v[1], v[2], v[3], v[4], v[5], v[6]));
        }
        return points;
    }

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
