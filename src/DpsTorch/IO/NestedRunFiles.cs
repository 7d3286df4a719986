// The files a nested run writes: summary.json (the resolved config, training of the nested design and of the
// homogeneous fleet of the same budget and network with their loss trajectories, every per-tier measure of both, and
// the comparison of the two) and model.json (NestedState: the trained parameters, reloadable).
using System.Text.Json;
using System.Text.Json.Nodes;
using DpsTorch.Config;
using DpsTorch.Measures;
using DpsTorch.Model;
using DpsTorch.Nested;

namespace DpsTorch.IO;

/// <summary>A trained nested design (the best of its restarts) with its measures.</summary>
/// <param name="System">The trained system.</param>
/// <param name="Training">Its training.</param>
/// <param name="BestRestart">Which restart it was.</param>
/// <param name="RestartLosses">Every restart's final loss.</param>
/// <param name="Measures">Its per-level measures.</param>
public sealed record NestedOutcome(NestedSystem System, TrainResult Training, int BestRestart, IReadOnlyList<double> RestartLosses, NestedMeasureSet Measures);

/// <summary>Writes nested run folders.</summary>
public static class NestedRunFiles
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// The summary object: run metadata (when given), config, "complete" (false when Ctrl-C / SIGTERM stopped
    /// training), "nested" and (when given) "homogeneous" outcomes, and their comparison.
    /// </summary>
    public static JsonObject SummaryJson(DpsConfig config, NestedOutcome nested, NestedOutcome? homogeneous, bool complete = true, RunMetadata? run = null)
    {
        var o = new JsonObject();
        if (run is not null) o["run"] = run.ToJson();
        o["config"] = ConfigLoader.ToJsonNode(config);
        o["complete"] = complete;
        foreach (var (k, v) in Scalars(nested)) o[k] = v?.DeepClone();
        o["nested"] = Outcome(nested);
        if (homogeneous is not null)
        {
            o["homogeneous"] = Outcome(homogeneous);
            o["comparison"] = new JsonObject
            {
                ["coverage"] = Pair(nested.Measures.Coverage, homogeneous.Measures.Coverage),
                ["shapeCoverage"] = Pair(nested.Measures.ShapeCoverage, homogeneous.Measures.ShapeCoverage),
                ["shapeRobustnessArea"] = Pair(nested.Measures.ShapeRobustness?.Area, homogeneous.Measures.ShapeRobustness?.Area),
                ["efficiency"] = Pair(nested.Measures.Efficiency, homogeneous.Measures.Efficiency),
                ["robustnessArea"] = Pair(nested.Measures.Robustness?.Area, homogeneous.Measures.Robustness?.Area),
                ["loss"] = Pair(nested.Measures.Loss, homogeneous.Measures.Loss),
            };
        }
        return o;
    }

    /// <summary>Writes summary.json and model.json into <paramref name="dir"/> (each atomically). <paramref name="run"/>
    /// is the run's metadata (default: captured now, with this process's command line).</summary>
    public static void Write(string dir, DpsConfig config, NestedOutcome nested, NestedOutcome? homogeneous, bool complete = true, RunMetadata? run = null)
    {
        NestedState.From(config, nested.System, homogeneous?.System).Save(Path.Combine(dir, RunFiles.Model));
        AtomicFile.WriteAllText(Path.Combine(dir, RunFiles.Summary), SummaryJson(config, nested, homogeneous, complete, run ?? RunMetadata.Capture()).ToJsonString(Options));
    }

    /// <summary>
    /// The nested design's headline numbers under the names a flat summary uses, at the top level, so that sweeps and
    /// tables read flat and nested runs alike (added in format 2 of the nested summary; "nested" keeps everything).
    /// heterogeneity, types and specialisation are the leaves' (tier 0); communicationCost sums C_ℓ over the levels, and the
    /// four efficiencies (resourceEfficiency, amplification, utilisation, communicationEfficiency) are the top level's with
    /// that C; converged, gradientNorm, stopReason, bestRestart, restartLosses and bestReachedBy as in a flat summary.
    /// </summary>
    private static JsonObject Scalars(NestedOutcome r)
    {
        var m = r.Measures;
        var o = new JsonObject
        {
            ["loss"] = m.Loss,
            ["heterogeneity"] = m.Tiers[0].Among,
            ["types"] = m.Tiers[0].Types,
            ["specialisation"] = m.Tiers[0].Specialisation,
            ["productivity"] = m.Productivity,
            ["totalProduction"] = m.TotalProduction,
            ["coverage"] = m.Coverage,
            ["shapeCoverage"] = m.ShapeCoverage,
            ["efficiency"] = m.Efficiency,
            ["communicationCost"] = m.Tiers.Sum(t => t.CommunicationCost),
            ["robustness"] = m.Robustness?.Area,
            ["shapeRobustness"] = m.ShapeRobustness?.Area,
            ["steps"] = r.Training.Steps,
            ["seconds"] = r.Training.Seconds,
            ["stopReason"] = r.Training.Reason.ToString(),
            ["converged"] = r.Training.Converged,
            ["gradientNorm"] = double.IsNaN(r.Training.GradientNorm) ? null : r.Training.GradientNorm,
            ["bestRestart"] = r.BestRestart,
            ["restartLosses"] = JsonSerializer.SerializeToNode(r.RestartLosses, DpsJsonContext.Default.IReadOnlyListDouble),
            ["bestReachedBy"] = Convergence.ReachedBest(r.RestartLosses),
        };
        RunFiles.InsertAfter(o, "communicationCost", RunFiles.EfficiencyFields(m.Efficiencies, shapeCoverage: false));
        return o;
    }

    private static JsonObject Outcome(NestedOutcome r)
    {
        // The measures as serialised, with the top level's efficiencies beside efficiency (NaN written as null).
        var measures = JsonSerializer.SerializeToNode(r.Measures, DpsJsonContext.Default.NestedMeasureSet)!.AsObject();
        RunFiles.InsertAfter(measures, "efficiency", RunFiles.EfficiencyFields(r.Measures.Efficiencies, shapeCoverage: false));
        return new()
        {
            ["steps"] = r.Training.Steps,
            ["stopReason"] = r.Training.Reason.ToString(),
            ["converged"] = r.Training.Converged,
            ["gradientNorm"] = double.IsNaN(r.Training.GradientNorm) ? null : r.Training.GradientNorm,
            ["seconds"] = r.Training.Seconds,
            ["bestRestart"] = r.BestRestart,
            ["restartLosses"] = JsonSerializer.SerializeToNode(r.RestartLosses, DpsJsonContext.Default.IReadOnlyListDouble),
            ["bestReachedBy"] = Convergence.ReachedBest(r.RestartLosses),
            ["measures"] = measures,
            ["trajectory"] = new JsonArray([.. r.Training.Trajectory.Select(p => (JsonNode)new JsonArray(p.Step, p.Loss))]),
        };
    }

    private static JsonObject Pair(double? nested, double? homogeneous) => new() { ["nested"] = nested, ["homogeneous"] = homogeneous };
}
