// What commands print: measure tables and JSON built from the summary.json field names (IO/RunFiles.cs), written
// to the invocation's standard output (CliConsole.Out).
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Measures;
using DpsTorch.Model;
using Spectre.Console;

namespace DpsTorch.Cli;

internal static class Output
{
    /// <summary>Summary fields that describe the run rather than the system; left out when only measures are printed.</summary>
    private static readonly string[] RunOnlyFields = ["steps", "seconds", "complete", "stopReason", "converged", "gradientNorm", "bestRestart", "restartLosses", "bestReachedBy", "run", "config"];

    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The scalar measures, in the order tables show them.</summary>
    public static readonly string[] ScalarMeasures = ["loss", "heterogeneity", "heterogeneityQ0", "heterogeneityQ2", "heterogeneityQInf",
        "specialisation", "productivity", "totalProduction", "coverage", "efficiency", "communicationCost", "robustness", "resilience", "spatialScale"];

    /// <summary>
    /// The model state file a command was given: MODEL.json itself, or a run folder (its model.json). A run's other
    /// files (summary.json, config.json, ...) are refused with a message that names what to give instead.
    /// </summary>
    public static string ModelPath(string given)
    {
        if (Directory.Exists(given))
        {
            string inside = Path.Combine(given, RunFiles.Model);
            return File.Exists(inside) ? inside
                : throw new ConfigException(given, $"this folder has no {RunFiles.Model}; give a run folder (written by dps run or dps nested) or a model file.");
        }
        string name = Path.GetFileName(given);
        if (name is RunFiles.Summary or RunFiles.Config or RunFiles.Trajectory or RunFiles.Report && File.Exists(given))
            throw new ConfigException(given, $"this is a run's {name}, not a model state; give the run folder or its {RunFiles.Model}.");
        return given;
    }

    /// <summary>Writes "dps: wrote PATH" for each path to the invocation's diagnostics (nothing under --quiet).</summary>
    public static void Wrote(IEnumerable<string> paths)
    {
        foreach (var p in paths) CliConsole.Note.WriteLine($"dps: wrote {p}");
    }

    /// <summary>A console on the invocation's standard error, for the live progress bar (only used on a terminal).</summary>
    public static IAnsiConsole ErrorConsole() => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(CliConsole.Error),
        Ansi = AnsiSupport.Detect,
        ColorSystem = ColorSystemSupport.Detect,
        Interactive = InteractionSupport.Detect,
    });

    /// <summary>A console on the invocation's standard output; no colour codes unless that is a terminal.</summary>
    public static IAnsiConsole Console()
    {
        bool plain = !CliConsole.IsTerminal;
        return AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(CliConsole.Out),
            Ansi = plain ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = plain ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = plain ? InteractionSupport.No : InteractionSupport.Detect,
        });
    }

    /// <summary>The measures as summary.json names them, without the run fields.</summary>
    public static JsonObject MeasuresJson(MeasureSet m, DpsConfig config)
    {
        var o = RunFiles.SummaryJson(m, config, steps: 0, seconds: 0, complete: true, stopReason: "");
        foreach (var key in RunOnlyFields) o.Remove(key);
        return o;
    }

    /// <summary>The subset of <paramref name="o"/> with the given keys, in that order.</summary>
    public static JsonObject Pick(JsonObject o, params string[] keys)
    {
        var picked = new JsonObject();
        foreach (var k in keys) picked[k] = o[k]?.DeepClone();
        return picked;
    }

    /// <summary>A two-column table (measure, value) of the fields <paramref name="keys"/> of <paramref name="o"/>.</summary>
    public static Table ScalarTable(JsonObject o, string title, IEnumerable<string> keys)
    {
        var table = new Table().Title(Markup.Escape(title)).AddColumn("measure").AddColumn(new TableColumn("value").RightAligned());
        foreach (var key in keys) table.AddRow(Markup.Escape(key), Markup.Escape(Show(o[key])));
        return table;
    }

    /// <summary>A JSON scalar as a short string: numbers with 6 significant digits, null as "-".</summary>
    public static string Show(JsonNode? v) => v switch
    {
        null => "-",
        JsonValue j when j.TryGetValue(out double d) => Num(d),
        _ => v.ToJsonString().Trim('"'),
    };

    public static string Num(double d) => d.ToString("G6", CultureInfo.InvariantCulture);

    public static void PrintJson(JsonNode node) => CliConsole.Out.WriteLine(node.ToJsonString(Indented));
}
