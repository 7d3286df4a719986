// `dps runs [DIR...] [--json]`: every run under the folders (default runs/), found by its summary.json (flat, nested
// or a sweep's run folders), oldest first, as a table: run id, start time, config name, version and commit, steps,
// loss, heterogeneity, coverage, seconds, and one column per config key whose value differs between the listed runs,
// which is what compares them. --json prints the same rows and the differing keys.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DpsTorch.Config;
using DpsTorch.IO;
using Spectre.Console;

namespace DpsTorch.Cli;

internal static class RunsCommand
{
    /// <summary>Config keys shown as table columns at most (all of them are in --json).</summary>
    private const int MaxKeyColumns = 6;

    public static Command Create()
    {
        var dirs = new Argument<string[]>("dir") { Description = "Folders to search for runs (default: runs).", Arity = ArgumentArity.ZeroOrMore };
        var cmd = new Command("runs", """
            List and compare runs: every summary.json under the folders, oldest first, with the config keys that differ between them.

            Examples:
              dps runs                               (everything under runs/)
              dps runs runs/01-emergence --json
            """) { dirs };
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var roots = r.GetValue(dirs) is { Length: > 0 } given ? given : ["runs"];
            foreach (var d in roots)
                if (!Directory.Exists(d)) throw new ConfigException(d, "folder not found; give folders that hold runs (default: runs).");
            var runs = roots.SelectMany(Find).DistinctBy(x => Path.GetFullPath(x.Dir)).OrderBy(x => x.Started, StringComparer.Ordinal).ThenBy(x => x.Dir, StringComparer.Ordinal).ToList();
            var differing = DifferingKeys(runs);
            if (CliConsole.Json) PrintJson(runs, differing);
            else PrintTable(runs, differing);
            if (runs.Count == 0) CliConsole.Note.WriteLine($"dps: no runs (summary.json files) under {string.Join(", ", roots)}.");
            return ExitCode.Success;
        }));
        return cmd;
    }

    /// <summary>One run as listed.</summary>
    internal sealed record Row(string Dir, string Id, string Started, string? Name, string? Version, string? Commit, bool? Complete,
        double? Steps, double? Loss, double? Heterogeneity, double? Coverage, double? Seconds, Dictionary<string, string> Config);

    /// <summary>The runs under <paramref name="root"/> (skipping checkpoints and staging folders); unreadable summaries are skipped with a note.</summary>
    internal static IEnumerable<Row> Find(string root)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, MaxRecursionDepth = 8 };
        foreach (var file in Directory.EnumerateFiles(root, RunFiles.Summary, options).Order(StringComparer.Ordinal))
        {
            string dir = Path.GetDirectoryName(file)!;
            if (dir.Split(Path.DirectorySeparatorChar).Any(p => p.EndsWith(".staging", StringComparison.Ordinal) || p == IO.Checkpoints.Folder)) continue;
            JsonObject? s;
            try { s = JsonNode.Parse(File.ReadAllText(file)) as JsonObject; }
            catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException) { s = null; }
            if (s is null) { CliConsole.Note.WriteLine($"dps: skipped {file}: not a readable summary."); continue; }
            yield return Read(dir, s);
        }
    }

    private static Row Read(string dir, JsonObject s)
    {
        var run = RunMetadata.FromJson(s["run"]);
        // A nested run keeps its numbers under "nested"; a flat run at the top level.
        var outcome = s["nested"] as JsonObject;
        var measures = outcome?["measures"] as JsonObject ?? s;
        double? heterogeneity = outcome is null ? Number(s["heterogeneity"])
            : (measures["tiers"] as JsonArray)?.FirstOrDefault() is JsonObject leaves ? Number(leaves["among"]) : null;
        var config = new Dictionary<string, string>(StringComparer.Ordinal);
        if (s["config"] is JsonObject c) Flatten(c, "", config);
        return new Row(dir, run?.RunId is { Length: > 0 } id ? id : "-", run?.StartedUtc ?? "", (string?)(s["config"]?["name"] as JsonValue),
            run?.DpsTorchVersion, run?.GitCommit, s["complete"] is JsonValue cv && cv.TryGetValue(out bool b) ? b : null,
            Number((outcome ?? s)["steps"]), Number(measures["loss"]), heterogeneity, Number(measures["coverage"]), Number((outcome ?? s)["seconds"]), config);
    }

    private static double? Number(JsonNode? n) => n is JsonValue v && v.TryGetValue(out double d) ? d : null;

    /// <summary>Leaf values of a config by key path, as --set writes them ("agents.count" → "12", "levels.1.lambdaC" →
    /// "0.02"; arrays of numbers as JSON text).</summary>
    private static void Flatten(JsonNode? node, string key, Dictionary<string, string> into)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o) Flatten(v, key.Length == 0 ? k : $"{key}.{k}", into);
                break;
            case JsonArray a when a.Any(e => e is JsonObject):
                for (int i = 0; i < a.Count; i++) Flatten(a[i], $"{key}.{i}", into);
                break;
            case JsonValue v when v.TryGetValue(out string? text):
                into[key] = text;
                break;
            default:
                into[key] = node?.ToJsonString() ?? "null";
                break;
        }
    }

    /// <summary>Config keys (not name or description) whose value is not the same in every run, in key order.</summary>
    internal static List<string> DifferingKeys(IReadOnlyList<Row> runs)
    {
        if (runs.Count < 2) return [];
        return [.. runs.SelectMany(r => r.Config.Keys).Distinct().Where(k => k is not ("name" or "description"))
            .Where(k => runs.Select(r => r.Config.GetValueOrDefault(k)).Distinct().Count() > 1).Order(StringComparer.Ordinal)];
    }

    private static void PrintTable(IReadOnlyList<Row> runs, IReadOnlyList<string> differing)
    {
        var table = new Table().AddColumn("run").AddColumn("started (UTC)").AddColumn("version");
        foreach (var h in new[] { "steps", "loss", "heterogeneity", "coverage", "seconds" }) table.AddColumn(new TableColumn(h).RightAligned());
        var shown = differing.Take(MaxKeyColumns).ToList();
        foreach (var k in shown) table.AddColumn(new TableColumn(Markup.Escape(k)).RightAligned());
        foreach (var r in runs)
        {
            string version = r.Version is null ? "-" : r.Commit is null ? r.Version : $"{r.Version}+{r.Commit[..Math.Min(8, r.Commit.Length)]}";
            var cells = new List<string> { r.Dir, r.Started.Length >= 19 ? r.Started[..19].Replace('T', ' ') : "-", version,
                r.Steps is double st ? st.ToString(CultureInfo.InvariantCulture) + (r.Complete == false ? " (stopped)" : "") : "-",
                Show(r.Loss), Show(r.Heterogeneity), Show(r.Coverage), Show(r.Seconds) };
            cells.AddRange(shown.Select(k => Shorten(r.Config.GetValueOrDefault(k) ?? "-")));
            table.AddRow([.. cells.Select(Markup.Escape)]);
        }
        var console = Output.Console();
        if (!CliConsole.IsTerminal) console.Profile.Width = 400; // a file or pipe gets whole rows, not wrapped cells
        console.Write(table);
        if (differing.Count > shown.Count)
            CliConsole.Note.WriteLine($"dps: {differing.Count - shown.Count} more differing config keys: {string.Join(", ", differing.Skip(shown.Count))} (all in --json).");
    }

    private static string Shorten(string s) => s.Length <= 24 ? s : s[..23] + "…";

    private static string Show(double? v) => v is double d ? Output.Num(d) : "-";

    private static void PrintJson(IReadOnlyList<Row> runs, IReadOnlyList<string> differing)
    {
        var list = new JsonArray();
        foreach (var r in runs)
        {
            var keys = new JsonObject();
            foreach (var k in differing) keys[k] = r.Config.GetValueOrDefault(k);
            list.Add((JsonNode)new JsonObject
            {
                ["dir"] = r.Dir, ["runId"] = r.Id, ["startedUtc"] = r.Started, ["name"] = r.Name,
                ["dpsTorchVersion"] = r.Version, ["gitCommit"] = r.Commit, ["complete"] = r.Complete,
                ["steps"] = r.Steps, ["loss"] = r.Loss, ["heterogeneity"] = r.Heterogeneity, ["coverage"] = r.Coverage, ["seconds"] = r.Seconds,
                ["differs"] = keys,
            });
        }
        Output.PrintJson(new JsonObject { ["differingKeys"] = new JsonArray([.. differing.Select(k => (JsonNode?)k)]), ["runs"] = list });
    }
}
