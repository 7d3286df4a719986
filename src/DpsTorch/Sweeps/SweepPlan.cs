// A sweep expanded into its runs: the base config (without its "sweep" block) and, per run, the config keys it
// overrides and its seed. SweepReader.cs reads the block; SweepRunner.cs runs the plan.
using System.Text.Json.Nodes;
using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.Sweeps;

/// <summary>One swept value of a run: the config key path, its JSON value, and where in the sweep block it came from.</summary>
/// <param name="Key">Config key path, e.g. "agents.count".</param>
/// <param name="Value">The value set (any JSON value).</param>
/// <param name="Origin">Key path in the config file, e.g. "sweep.grid.agents.count" or "sweep.list[2].topology.k".</param>
public sealed record SweepValue(string Key, JsonNode? Value, string Origin)
{
    /// <summary>The value as a table cell: strings bare, everything else as compact JSON.</summary>
    public string Text => SweepPlan.Text(Value);
}

/// <summary>One run of a sweep.</summary>
/// <param name="Index">Position in the full grid (0-based); fixes the run's folder name and its shard.</param>
/// <param name="Run">Folder name, e.g. "run-0007".</param>
/// <param name="Values">Swept values, in column order (keys absent from this run are left out).</param>
/// <param name="Seed">training.seed of the run.</param>
public sealed record SweepPoint(int Index, string Run, IReadOnlyList<SweepValue> Values, int Seed)
{
    /// <summary>"agents.count=3, seed=0": the run's values for messages.</summary>
    public string Describe() => string.Join(", ", Values.Select(v => $"{v.Key}={v.Text}").Append($"seed={Seed}"));
}

/// <summary>
/// A sweep: the base config JSON (its "sweep" block removed) and every run, in grid order (grid keys in the order
/// written, first key slowest; then list entries; seeds innermost).
/// </summary>
public sealed class SweepPlan
{
    private readonly string _baseJson;

    /// <param name="baseConfig">The config without its "sweep" block.</param>
    /// <param name="baseDir">Folder that relative paths in the config resolve against.</param>
    /// <param name="keys">Swept config keys in column order.</param>
    /// <param name="points">Every run.</param>
    /// <param name="seedsSwept">Whether the sweep sets training.seed (else every run keeps the base seed).</param>
    /// <param name="source">Name of the config for messages.</param>
    public SweepPlan(JsonObject baseConfig, string baseDir, IReadOnlyList<string> keys, IReadOnlyList<SweepPoint> points, bool seedsSwept, string source = "config")
    {
        BaseConfig = (JsonObject)baseConfig.DeepClone();
        _baseJson = BaseConfig.ToJsonString();
        BaseDir = baseDir;
        Keys = keys;
        Points = points;
        SeedsSwept = seedsSwept;
        Source = source;
    }

    /// <summary>The config without its "sweep" block (a copy; do not modify).</summary>
    public JsonObject BaseConfig { get; }
    /// <summary>Folder that relative paths in the config resolve against.</summary>
    public string BaseDir { get; }
    /// <summary>Swept config keys, in results.csv column order.</summary>
    public IReadOnlyList<string> Keys { get; }
    /// <summary>Every run of the full sweep, by index.</summary>
    public IReadOnlyList<SweepPoint> Points { get; }
    /// <summary>Whether the sweep block set the seeds.</summary>
    public bool SeedsSwept { get; }
    /// <summary>Name of the config in messages.</summary>
    public string Source { get; }

    /// <summary>
    /// The validated config of one run: base config plus the run's values (via <see cref="ConfigLoader.ApplyOverride"/>)
    /// and its seed. A value the config rejects is reported under its key in the sweep block (sweep.grid.agents.count);
    /// a combination that is invalid only together is reported under "sweep" with the run's values.
    /// </summary>
    public DpsConfig ConfigFor(SweepPoint point)
    {
        var overrides = new List<string>(point.Values.Count + 1);
        foreach (var v in point.Values) overrides.Add($"{v.Key}={v.Value?.ToJsonString() ?? "null"}");
        if (SeedsSwept) overrides.Add($"training.seed={point.Seed}");
        try
        {
            var config = ConfigLoader.Parse(_baseJson, BaseDir, overrides, Source);
            // A case study in a sweep runs one replicate per run, seeded by the run's seed.
            if (config.Case is { Kind: not CaseKind.None } study && (SeedsSwept || Keys.Contains("training.seed")))
                config = config with { Case = study with { Seed = config.Training.Seed, Seeds = 1 } };
            MemoryLimit.Check(config);
            return config;
        }
        catch (ConfigException e)
        {
            foreach (var v in point.Values)
                if (e.Key == v.Key || e.Key.StartsWith(v.Key + ".", StringComparison.Ordinal) || e.Key.StartsWith(v.Key + "[", StringComparison.Ordinal))
                    throw new ConfigException(v.Origin, $"{point.Run} ({point.Describe()}): {e.Message}");
            if (SeedsSwept && e.Key == "training.seed") throw new ConfigException("sweep.seeds", $"{point.Run}: {e.Message}");
            throw new ConfigException("sweep", $"{point.Run} ({point.Describe()}) is not a valid config: {e.Message}");
        }
    }

    /// <summary>Builds every run's config once, so that a bad value fails before anything runs.</summary>
    public void Validate()
    {
        foreach (var p in Points) ConfigFor(p);
    }

    /// <summary>Folder name of run <paramref name="index"/> of <paramref name="count"/>: "run-0007" (at least four digits).</summary>
    public static string RunName(int index, int count)
    {
        int digits = Math.Max(4, (count - 1).ToString(System.Globalization.CultureInfo.InvariantCulture).Length);
        return "run-" + index.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(digits, '0');
    }

    internal static string Text(JsonNode? value)
        => value is JsonValue jv && jv.TryGetValue(out string? s) ? s : value?.ToJsonString() ?? "";
}
