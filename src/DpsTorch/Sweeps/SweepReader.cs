// Reads the "sweep" block of a config. The block stays out of DpsConfig: it is taken from the raw JSON and removed,
// and the rest is validated by ConfigLoader like any config. Each run = base config + overrides, validated again.
//
//   "sweep": {
//     "grid":  { "agents.count": [3, 4, 6, 8], "demand.peaks": [4, 16] },   Cartesian product, first key slowest
//     "list":  [ { "topology.k": 1, "objective.lambdaC": 0 },                explicit points, crossed with the grid
//                { "topology.k": 2, "objective.lambdaC": 0.1 } ],
//     "seeds": 2                                                            training.seed 0..n-1, or a list [0, 7]
//   }
//
// A case study (case.kind other than "none") is swept one replicate per run: each run is the case with case.seeds = 1
// and case.seed = the run's seed (SweepPlan.ConfigFor), the seeds default to the case's own replicates case.seed …
// case.seed + case.seeds − 1, and only the keys the case reads may be swept (CaseKeys).
using System.Text.Json;
using System.Text.Json.Nodes;
using DpsTorch.Config;

namespace DpsTorch.Sweeps;

/// <summary>Reads a config with a "sweep" block into a <see cref="SweepPlan"/>.</summary>
public static class SweepReader
{
    /// <summary>Name of the config block.</summary>
    public const string Block = "sweep";

    /// <summary>Largest number of runs a sweep may expand to.</summary>
    public const int MaxRuns = 1_000_000;

    /// <summary>Seeds per point of a sweep block without <c>seeds</c> (and without training.seed swept): enough for a
    /// 95% interval worth reading (issue 16, <see cref="SweepStatistics.RecommendedSeeds"/>).</summary>
    public const int DefaultSeeds = SweepStatistics.RecommendedSeeds;

    private static readonly string[] BlockKeys = ["grid", "list", "seeds"];

    /// <summary>Reads a config file; <paramref name="overrides"/> ("key.path=value") apply first, sweep.* keys included,
    /// then <paramref name="sweeps"/> ("key.path=a,b,c", see <see cref="ApplySweep"/>).</summary>
    public static SweepPlan Load(string path, IEnumerable<string>? overrides = null, IEnumerable<string>? sweeps = null)
    {
        return Parse(ConfigLoader.ReadText(path), Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", overrides, path, sweeps);
    }

    /// <summary>
    /// Applies a command-line sweep "key.path=a,b,c": the values (each parsed as JSON when it parses, else a string)
    /// become the grid axis sweep.grid["key.path"], replacing one the config has; "seeds=N" sets sweep.seeds.
    /// </summary>
    public static void ApplySweep(JsonObject root, string assignment)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0 || eq == assignment.Length - 1) throw ConfigException.Invalid("--sweep", assignment, "key.path=a,b,c, e.g. agents.count=4,8,16");
        string key = assignment[..eq].Trim();
        var block = root[Block] as JsonObject ?? new JsonObject();
        root[Block] = block;
        if (key == "seeds")
        {
            string n = assignment[(eq + 1)..];
            try { block["seeds"] = JsonNode.Parse(n); }
            catch (JsonException) { block["seeds"] = JsonValue.Create(n); } // ReadSeeds names the bad value
            return;
        }
        var values = new JsonArray();
        foreach (var text in assignment[(eq + 1)..].Split(','))
        {
            JsonNode? v;
            try { v = JsonNode.Parse(text); }
            catch (JsonException) { v = JsonValue.Create(text); }
            values.Add(v);
        }
        var grid = block["grid"] as JsonObject ?? new JsonObject();
        block["grid"] = grid;
        grid[key] = values;
    }

    /// <summary>
    /// Parses config JSON with an optional "sweep" block (without one the plan has a single run). The base config and
    /// every run's config are validated; errors name the key in the sweep block (sweep.grid.agents.count).
    /// </summary>
    public static SweepPlan Parse(string json, string baseDir = ".", IEnumerable<string>? overrides = null, string source = "config",
        IEnumerable<string>? sweeps = null)
    {
        var obj = ConfigLoader.ParseObject(json, source); // the one reader of config text: same JSON rules as dps run
        foreach (var o in overrides ?? []) ConfigLoader.ApplyOverride(obj, o);
        foreach (var s in sweeps ?? []) ApplySweep(obj, s);

        var block = obj[Block];
        obj.Remove(Block);
        // The base config is validated only as part of each run: a base that needs a swept value (topology.k = 2
        // with agents.count = 3 in the base, swept to 8..32) is fine. Without a sweep it is the single run.
        int baseSeed = obj["training"] is JsonObject t && t["seed"] is JsonValue sv && sv.TryGetValue(out int bs) ? bs : new TrainingConfig().Seed;

        var keys = new List<string>();
        var grid = new List<(string Key, JsonArray Values)>();
        var list = new List<JsonObject>();
        List<int>? seeds = null;
        if (block is not null)
        {
            if (block is not JsonObject b) throw ConfigException.Invalid(Block, Show(block), "an object { \"grid\": {...}, \"list\": [...], \"seeds\": n }");
            foreach (var (name, _) in b)
                if (Array.IndexOf(BlockKeys, name) < 0)
                    throw new ConfigException($"{Block}.{name}", $"unknown key;{DidYouMean.Hint(name, BlockKeys)} allowed keys here are grid, list, seeds.");
            if (b["grid"] is { } g) grid = ReadGrid(g, keys);
            if (b["list"] is { } l) list = ReadList(l, keys);
            if (b["seeds"] is { } s) seeds = ReadSeeds(s);
            if (seeds is not null && keys.Contains("training.seed"))
                throw new ConfigException($"{Block}.seeds", "training.seed is also swept in grid or list; set the seeds in one place only.");
        }

        // Statistics by default (issue 16): a sweep block without seeds runs every point with DefaultSeeds seeds from the
        // base training.seed, unless training.seed is swept in the grid or the list; "seeds": 1 keeps one run per point.
        // A case study's default seeds are its own replicates.
        string? caseKind = CaseKindOf(obj);
        if (block is not null && caseKind is not null)
        {
            foreach (var (key, _) in grid) CheckCaseKey(caseKind, key, $"{Block}.grid.{key}");
            for (int e = 0; e < list.Count; e++)
                foreach (var (key, _) in list[e]) CheckCaseKey(caseKind, key, $"{Block}.list[{e}].{key}");
            if (seeds is null && !keys.Contains("training.seed"))
            {
                var c = obj["case"]!.AsObject();
                int first = c["seed"] is JsonValue fv && fv.TryGetValue(out int f) ? f : new CaseConfig().Seed;
                int replicates = c["seeds"] is JsonValue cv && cv.TryGetValue(out int n) ? n : new CaseConfig().Seeds;
                if (replicates < 1 || first > int.MaxValue - replicates)
                    throw ConfigException.Invalid("case.seeds", replicates, $"an integer >= 1 with case.seed + case.seeds at most {int.MaxValue} (or set sweep.seeds)");
                seeds = [.. Enumerable.Range(first, replicates)];
            }
        }
        if (block is not null && seeds is null && !keys.Contains("training.seed"))
        {
            if (baseSeed > int.MaxValue - DefaultSeeds)
                throw ConfigException.Invalid("training.seed", baseSeed, $"an integer at most {int.MaxValue - DefaultSeeds} for a sweep's default {DefaultSeeds} seeds (or set sweep.seeds)");
            seeds = [.. Enumerable.Range(baseSeed, DefaultSeeds)];
        }
        long count = (long)Math.Max(1, list.Count) * (seeds?.Count ?? 1);
        foreach (var (_, values) in grid) count *= values.Count;
        if (count > MaxRuns) throw ConfigException.Invalid(Block, $"{count} runs", $"at most {MaxRuns} runs");

        var points = new List<SweepPoint>((int)count);
        var seedList = seeds ?? [baseSeed];
        var gridIndex = new int[grid.Count];
        for (long cell = 0; cell < count / seedList.Count / Math.Max(1, list.Count); cell++)
        {
            long rest = cell;
            for (int a = grid.Count - 1; a >= 0; a--) { gridIndex[a] = (int)(rest % grid[a].Values.Count); rest /= grid[a].Values.Count; }
            for (int e = 0; e < Math.Max(1, list.Count); e++)
            {
                var values = new List<SweepValue>();
                for (int a = 0; a < grid.Count; a++)
                    values.Add(new SweepValue(grid[a].Key, grid[a].Values[gridIndex[a]]?.DeepClone(), $"{Block}.grid.{grid[a].Key}"));
                if (list.Count > 0)
                    foreach (var (key, value) in list[e])
                        values.Add(new SweepValue(key, value?.DeepClone(), $"{Block}.list[{e}].{key}"));
                values.Sort((x, y) => keys.IndexOf(x.Key).CompareTo(keys.IndexOf(y.Key)));
                foreach (int seed in seedList)
                    points.Add(new SweepPoint(points.Count, SweepPlan.RunName(points.Count, (int)count), values, seed));
            }
        }
        var plan = new SweepPlan(obj, baseDir, keys, points, seeds is not null, source);
        plan.Validate();
        return plan;
    }

    private static List<(string, JsonArray)> ReadGrid(JsonNode node, List<string> keys)
    {
        if (node is not JsonObject g) throw ConfigException.Invalid($"{Block}.grid", Show(node), "an object mapping config keys to arrays of values, e.g. { \"agents.count\": [3, 4, 6] }");
        var axes = new List<(string, JsonArray)>();
        foreach (var (key, values) in g)
        {
            string at = $"{Block}.grid.{key}";
            CheckKey(key, at);
            if (values is not JsonArray a || a.Count == 0) throw ConfigException.Invalid(at, Show(values), "a non-empty array of values to sweep over");
            if (keys.Contains(key)) throw new ConfigException(at, "the key is swept twice.");
            keys.Add(key);
            axes.Add((key, a));
        }
        return axes;
    }

    private static List<JsonObject> ReadList(JsonNode node, List<string> keys)
    {
        if (node is not JsonArray l || l.Count == 0)
            throw ConfigException.Invalid($"{Block}.list", Show(node), "a non-empty array of objects mapping config keys to values, e.g. [{ \"topology.k\": 1 }, { \"topology.k\": 2 }]");
        var gridKeys = keys.ToList();
        var entries = new List<JsonObject>();
        for (int i = 0; i < l.Count; i++)
        {
            if (l[i] is not JsonObject e) throw ConfigException.Invalid($"{Block}.list[{i}]", Show(l[i]), "an object mapping config keys to values");
            foreach (var (key, _) in e)
            {
                string at = $"{Block}.list[{i}].{key}";
                CheckKey(key, at);
                if (gridKeys.Contains(key)) throw new ConfigException(at, "the key is also swept in sweep.grid; sweep it in one place only.");
                if (!keys.Contains(key)) keys.Add(key);
            }
            entries.Add(e);
        }
        return entries;
    }

    private static List<int> ReadSeeds(JsonNode node)
    {
        const string at = Block + ".seeds";
        const string allowed = "a count n >= 1 (seeds 0..n-1) or a non-empty array of distinct integer seeds";
        if (node is JsonValue v && v.TryGetValue(out int n))
        {
            if (n < 1 || n > MaxRuns) throw ConfigException.Invalid(at, n, allowed);
            return [.. Enumerable.Range(0, n)];
        }
        if (node is JsonArray a && a.Count > 0)
        {
            var seeds = new List<int>();
            foreach (var e in a)
            {
                if (e is not JsonValue ev || !ev.TryGetValue(out int s) || seeds.Contains(s)) throw ConfigException.Invalid(at, Show(node), allowed);
                seeds.Add(s);
            }
            return seeds;
        }
        throw ConfigException.Invalid(at, Show(node), allowed);
    }

    /// <summary>The case.kind of the raw config when it names a case study (not "none"), else null.</summary>
    private static string? CaseKindOf(JsonObject config)
        => config["case"] is JsonObject c && c["kind"] is JsonValue k && k.TryGetValue(out string? kind) && kind != "none" ? kind : null;

    /// <summary>Keys a case sweep may set: the case's own keys but its kind and replicates, the replicate's seed
    /// (training.seed), space.* and demand.* for the cases that read them (ricardo, community), and training.* for
    /// the fleet (its DPS solver, case.solver "dps", trains with them).</summary>
    private static void CheckCaseKey(string kind, string key, string at)
    {
        bool readsSpace = kind is "ricardo" or "community", readsTraining = kind is "fleet";
        string allowed = $"case.* keys (but case.kind, case.seed and case.seeds), {(readsTraining ? "training.*" : "training.seed")}{(readsSpace ? ", space.* and demand.*" : "")}";
        if (key is "case.seed" or "case.seeds")
            throw new ConfigException(at, $"a case sweep runs one replicate per run (case.seeds 1, case.seed the run's seed): set the replicates with sweep.seeds (default: case.seed … case.seed + case.seeds − 1); a case sweep can sweep {allowed}.");
        if (key == "case.kind") throw new ConfigException(at, $"the case of a case sweep is fixed by the base config; a case sweep (case.kind \"{kind}\") can sweep {allowed}.");
        if (key.StartsWith("case.", StringComparison.Ordinal) || key == "training.seed" || (readsTraining && key.StartsWith("training.", StringComparison.Ordinal))
            || (readsSpace && (key.StartsWith("space.", StringComparison.Ordinal) || key.StartsWith("demand.", StringComparison.Ordinal))))
            return;
        throw new ConfigException(at, $"case.kind \"{kind}\" does not read this key; a case sweep can sweep {allowed}.");
    }

    private static void CheckKey(string key, string at)
    {
        var parts = key.Split('.');
        if (key.Length == 0 || parts.Any(p => p.Length == 0))
            throw ConfigException.Invalid(at, key, "a config key path such as agents.count or demand.peaks");
        if (parts[0] == Block) throw new ConfigException(at, "a sweep cannot sweep its own block.");
    }

    private static RawJsonText Show(JsonNode? node)
    {
        var s = node?.ToJsonString() ?? "null";
        return new RawJsonText(s.Length > 60 ? s[..57] + "..." : s);
    }

    private readonly record struct RawJsonText(string Text)
    {
        public override string ToString() => Text;
    }
}
