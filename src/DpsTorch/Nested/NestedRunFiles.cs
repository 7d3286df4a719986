// The files a nested run writes: summary.json (the resolved config, training of the nested design and of the
// homogeneous fleet of the same budget and network with their loss trajectories, every per-tier measure of both, and
// the comparison of the two) and model.json (NestedState: the trained parameters, reloadable).
using System.Text.Json;
using System.Text.Json.Nodes;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Model;

namespace DpsTorch.Nested;

/// <summary>A trained nested design with its measures.</summary>
public sealed record NestedOutcome(NestedRunResult Run, NestedMeasureSet Measures);

/// <summary>Writes nested run folders.</summary>
public static class NestedRunFiles
{
    /// <summary>File name of the summary.</summary>
    public const string Summary = "summary.json";
    /// <summary>File name of the saved state (<see cref="NestedState"/>).</summary>
    public const string Model = "model.json";
    /// <summary>File name of the report page (written by Reports.NestedReportPage).</summary>
    public const string Report = "report.html";

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
        NestedState.From(config, nested.Run.System, homogeneous?.Run.System).Save(Path.Combine(dir, Model));
        AtomicFile.WriteAllText(Path.Combine(dir, Summary), SummaryJson(config, nested, homogeneous, complete, run ?? RunMetadata.Capture()).ToJsonString(Options));
    }

    private static JsonObject Outcome(NestedOutcome r) => new()
    {
        ["steps"] = r.Run.Training.Steps,
        ["stopReason"] = r.Run.Training.Reason.ToString(),
        ["seconds"] = r.Run.Training.Seconds,
        ["bestRestart"] = r.Run.BestRestart,
        ["restartLosses"] = JsonSerializer.SerializeToNode(r.Run.RestartLosses, DpsJsonContext.Default.IReadOnlyListDouble),
        ["measures"] = JsonSerializer.SerializeToNode(r.Measures, DpsJsonContext.Default.NestedMeasureSet),
        ["trajectory"] = new JsonArray([.. r.Run.Training.Trajectory.Select(p => (JsonNode)new JsonArray(p.Step, p.Loss))]),
    };

    private static JsonObject Pair(double? nested, double? homogeneous) => new() { ["nested"] = nested, ["homogeneous"] = homogeneous };
}
