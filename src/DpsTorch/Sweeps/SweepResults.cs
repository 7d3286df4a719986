// The files of a sweep folder besides the run folders:
//   runs.json    the index: base config, swept keys, and per run its folder name, values, seed and the digest of each
//                data file its config names (the full grid, whichever shard wrote it); a resumed or merged sweep must
//                match it, so finished runs are never reused after their data changed
//   results.csv  one row per finished run (a run is finished iff its folder holds summary.json):
//                run, each swept key, seed, the summary measures in Measures order, then the run's metadata
//                (RunMetadata.Columns: run id, start time, version, commit, OS, CPU, SIMD path, threads, command line),
//                then the measures added later (AddedMeasures: the efficiencies that are not coverage), then the
//                case.NAME measures of the runs' summary.json "case" objects (a domain objective's or a case study's)
//   statistics.csv  per point (runs sharing every swept value but the seed) and measure: n, mean and 95% Student-t
//                interval (SweepStatistics.cs)
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DpsTorch.Config;
using DpsTorch.IO;

namespace DpsTorch.Sweeps;

/// <summary>Reads and writes a sweep folder's index (runs.json) and table (results.csv).</summary>
public static class SweepResults
{
    /// <summary>File name of the table.</summary>
    public const string Results = "results.csv";
    /// <summary>File name of the index.</summary>
    public const string Index = "runs.json";
    /// <summary>Format tag in the index.</summary>
    public const string Format = "dps-sweep/1";

    /// <summary>summary.json fields copied into results.csv, in column order (after run, swept keys, seed).</summary>
    public static readonly IReadOnlyList<string> Measures =
    [
        "loss", "heterogeneity", "heterogeneityQ0", "heterogeneityQ2", "heterogeneityQInf", "types", "specialisation",
        "productivity", "totalProduction", "coverage", "efficiency", "communicationCost", "robustness", "resilience",
        "spatialScale", "converged", "gradientNorm", "bestReachedBy", "stopReason", "steps", "seconds",
    ];

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The index of a plan as JSON text (base config, keys, runs).</summary>
    public static string IndexJson(SweepPlan plan)
    {
        var runs = new JsonArray();
        var digests = new Dictionary<string, string>(StringComparer.Ordinal); // each data file hashed once
        foreach (var p in plan.Points)
        {
            var values = new JsonObject();
            foreach (var v in p.Values) values[v.Key] = v.Value?.DeepClone();
            var run = new JsonObject { ["run"] = p.Run, ["values"] = values, ["seed"] = p.Seed };
            // The content of the files a run reads: a finished run is reused only while they are unchanged.
            var files = DataFiles.Of(plan.ConfigFor(p));
            if (files.Count > 0)
            {
                var data = new JsonObject();
                foreach (var (key, path) in files)
                {
                    if (!digests.TryGetValue(path, out var d)) digests[path] = d = DataFiles.Digest(path);
                    data[key] = d;
                }
                run["data"] = data;
            }
            runs.Add((JsonNode)run);
        }
        return new JsonObject
        {
            ["format"] = Format,
            ["keys"] = new JsonArray([.. plan.Keys.Select(k => (JsonNode?)k)]),
            ["seedsSwept"] = plan.SeedsSwept,
            ["base"] = plan.BaseConfig.DeepClone(),
            ["runs"] = runs,
        }.ToJsonString(Indented);
    }

    /// <summary>
    /// Writes runs.json into <paramref name="dir"/>, or checks that the one there describes the same sweep (so that a
    /// resumed run never mixes two sweeps in one folder).
    /// </summary>
    public static void WriteOrCheckIndex(string dir, SweepPlan plan)
    {
        string path = Path.Combine(dir, Index), json = IndexJson(plan);
        if (File.Exists(path))
        {
            if (Normalize(File.ReadAllText(path), path) != Normalize(json, "plan"))
                throw new ConfigException(path, "this folder holds a different sweep (its base config, swept values or seeds differ, or a data file it names changed); use a new --out folder or delete it.");
            return;
        }
        AtomicFile.WriteAllText(path, json);
    }

    /// <summary>Reads a folder's runs.json: the swept keys and, per run, its name, values (as cell text) and seed.</summary>
    public static SweepIndex ReadIndex(string dir)
    {
        string path = Path.Combine(dir, Index);
        if (!File.Exists(path)) throw new ConfigException(path, "not found; this is not a sweep folder (dps sweep writes runs.json first).");
        var o = ConfigLoader.ParseObject(File.ReadAllText(path), path);
        if ((string?)o["format"] != Format) throw ConfigException.Invalid($"{path}: format", (string?)o["format"], $"\"{Format}\"");
        try
        {
            var keys = o["keys"]!.AsArray().Select(k => (string)k!).ToList();
            var runs = new List<SweepIndexRun>();
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var r in o["runs"]!.AsArray())
            {
                var values = r!["values"]!.AsObject();
                var cells = keys.Select(k => values.TryGetPropertyValue(k, out var v) ? SweepPlan.Text(v) : "").ToArray();
                string name = (string)r["run"]!;
                if (!IsRunName(name) || !names.Add(name))
                    throw ConfigException.Invalid($"{path}: runs[{runs.Count}].run", name, "a plain folder name inside the sweep folder (1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit; no path separators), unique within the sweep");
                runs.Add(new SweepIndexRun(name, cells, (int)r["seed"]!));
            }
            return new SweepIndex(dir, keys, runs, Normalize(File.ReadAllText(path), path));
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new ConfigException(path, $"not a valid sweep index ({e.Message}).");
        }
    }

    /// <summary>
    /// summary.json fields appended to results.csv after the run metadata (added later than <see cref="Measures"/>,
    /// so that the columns of older tables keep their positions): the efficiencies that are not coverage, then shape coverage.
    /// </summary>
    public static readonly IReadOnlyList<string> AddedMeasures = ["resourceEfficiency", "amplification", "utilisation", "communicationEfficiency", "shapeCoverage"];

    /// <summary>
    /// Rebuilds results.csv of <paramref name="dir"/> from its run folders: one row per run whose folder holds
    /// summary.json, in run order; and statistics.csv (<see cref="SweepStatistics"/>) from the same runs. Both written
    /// atomically. Returns the number of rows.
    /// </summary>
    public static int WriteTable(string dir)
    {
        var index = ReadIndex(dir);
        var finished = Finished(index);
        var caseNames = SweepStatistics.CaseNames(finished);
        var sb = new StringBuilder();
        sb.AppendJoin(',', new[] { "run" }.Concat(index.Keys).Append("seed").Concat(Measures).Concat(RunMetadata.Columns).Concat(AddedMeasures).Concat(caseNames).Select(Cell)).Append('\n');
        foreach (var (run, s) in finished)
        {
            sb.Append(Cell(run.Run));
            foreach (var c in run.Values) sb.Append(',').Append(Cell(c));
            sb.Append(',').Append(run.Seed.ToString(CultureInfo.InvariantCulture));
            foreach (var m in Measures) sb.Append(',').Append(Number(s[m]));
            var meta = RunMetadata.FromJson(s["run"])?.Cells() ?? new string[RunMetadata.Columns.Count];
            foreach (var c in meta) sb.Append(',').Append(Cell(c ?? ""));
            foreach (var m in AddedMeasures) sb.Append(',').Append(Number(s[m]));
            foreach (var m in caseNames) sb.Append(',').Append(Number(SweepStatistics.Field(s, m)));
            sb.Append('\n');
        }
        AtomicFile.WriteAllText(Path.Combine(dir, Results), sb.ToString());
        AtomicFile.WriteAllText(Path.Combine(dir, SweepStatistics.File), SweepStatistics.Of(index, finished).ToCsv());
        return finished.Count;
    }

    /// <summary>The statistics over seeds of the finished runs in sweep folder <paramref name="dir"/>.</summary>
    public static SweepStatistics Statistics(string dir)
    {
        var index = ReadIndex(dir);
        return SweepStatistics.Of(index, Finished(index));
    }

    /// <summary>The runs of <paramref name="index"/> whose folder holds summary.json, in run order, with that summary.</summary>
    public static List<(SweepIndexRun Run, JsonObject Summary)> Finished(SweepIndex index)
    {
        var finished = new List<(SweepIndexRun, JsonObject)>();
        foreach (var run in index.Runs)
        {
            string summary = Path.Combine(index.Dir, run.Run, RunFiles.Summary);
            if (!File.Exists(summary)) continue;
            JsonObject s;
            try { s = JsonNode.Parse(File.ReadAllText(summary)) as JsonObject ?? throw new JsonException("not an object"); }
            catch (JsonException e) { throw new ConfigException(summary, $"not a valid summary ({e.Message.Split(". ")[0]}); delete the run folder to run it again."); }
            finished.Add((run, s));
        }
        return finished;
    }

    /// <summary>
    /// Whether <paramref name="name"/> is a run folder name that stays inside its sweep folder: a single path segment of
    /// ASCII letters, digits, '.', '_' and '-', starting with a letter or digit (so never "..", never rooted).
    /// </summary>
    public static bool IsRunName(string name)
        => name.Length is > 0 and <= 100 && char.IsAsciiLetterOrDigit(name[0])
           && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' or '-');

    /// <summary>Whether a run folder holds a finished run.</summary>
    public static bool IsFinished(string runDir) => File.Exists(Path.Combine(runDir, RunFiles.Summary));

    /// <summary>A summary value as a cell: numbers round-trip, booleans as true/false, strings quoted when needed, anything else empty.</summary>
    private static string Number(JsonNode? n) => n switch
    {
        JsonValue v when v.TryGetValue(out double d) => double.IsFinite(d) ? d.ToString("R", CultureInfo.InvariantCulture) : "",
        JsonValue v when v.TryGetValue(out bool b) => b ? "true" : "false",
        JsonValue v when v.TryGetValue(out string? t) => Cell(t),
        _ => "",
    };

    /// <summary>A CSV cell: quoted (with doubled quotes) when it holds a comma, quote or line break.</summary>
    internal static string Cell(string s) => s.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    private static string Normalize(string json, string source)
    {
        try { return JsonNode.Parse(json)!.ToJsonString(); }
        catch (JsonException) { throw new ConfigException(source, "not a valid sweep index (JSON error)."); }
    }
}

/// <summary>A sweep folder's runs.json.</summary>
/// <param name="Dir">The folder.</param>
/// <param name="Keys">Swept keys in column order.</param>
/// <param name="Runs">Every run of the full sweep.</param>
/// <param name="Canonical">The index as compact JSON, to compare two folders.</param>
public sealed record SweepIndex(string Dir, IReadOnlyList<string> Keys, IReadOnlyList<SweepIndexRun> Runs, string Canonical);

/// <summary>One run in runs.json: folder name, swept values as table cells (in key order), seed.</summary>
public sealed record SweepIndexRun(string Run, string[] Values, int Seed);
