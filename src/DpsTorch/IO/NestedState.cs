// A trained nested system as a file (model.json of a nested run): the leaves' raw parameters, every level's learned
// link logits θ (or its fixed weights), the homogeneous baseline's parameters when it was trained, and the config that
// made them. Written atomically; read with the checks of IO/ModelState.cs (format, version, sizes, finite values).
using System.Text.Json;
using System.Text.Json.Nodes;
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Nested;

namespace DpsTorch.IO;

/// <summary>
/// The parameters of one trained nested system. <see cref="Mu"/>, <see cref="Rho"/>, <see cref="Alpha"/> are the raw
/// leaf parameters (length N, or 1 for a homogeneous fleet; μ and ρ N·d or d on T^d, leaf by leaf); <see cref="Sigma"/>
/// and <see cref="Resources"/> the derived leaf values (length N, σ N·d on T^d, for readers); <see cref="LevelWeights"/> per level the learned logits θ (when the level's
/// topology is learned) or the fixed weights q, one per edge of the level.
/// </summary>
public sealed record NestedParameters
{
    /// <summary>Raw leaf skill positions μ.</summary>
    public required double[] Mu { get; init; }
    /// <summary>Raw leaf breadth parameters ρ.</summary>
    public required double[] Rho { get; init; }
    /// <summary>Raw leaf resource parameters α.</summary>
    public required double[] Alpha { get; init; }
    /// <summary>Derived leaf skill breadths σ.</summary>
    public required double[] Sigma { get; init; }
    /// <summary>Derived leaf resources a.</summary>
    public required double[] Resources { get; init; }
    /// <summary>Per level, the learned logits θ or the fixed weights q, one per edge.</summary>
    public required IReadOnlyList<double[]> LevelWeights { get; init; }

    /// <summary>The raw parameters as the model layer takes them: per level of <paramref name="config"/> the logits θ
    /// (learned topology) or the fixed weights q.</summary>
    public SystemParameters ToSystemParameters(DpsConfig config) => new()
    {
        Mu = Mu, Rho = Rho, Alpha = Alpha,
        Levels = [.. LevelWeights.Select((w, k) => config.Levels is { } levels && k < levels.Count && levels[k].Topology.Learned
            ? new LevelParameters { Theta = w } : new LevelParameters { Weights = w })],
    };

    /// <summary>A snapshot of <paramref name="system"/>'s parameters.</summary>
    public static NestedParameters From(NestedSystem system)
    {
        using var _ = TensorEngine.NoGrad();
        return new NestedParameters
        {
            Mu = system.Mu.ToArray(),
            Rho = system.Rho.ToArray(),
            Alpha = system.Alpha.ToArray(),
            Sigma = system.Sigma().ToArray(),
            Resources = system.Resources().ToArray(),
            LevelWeights = [.. system.Levels.Select(l => l.Interaction.Theta?.ToArray() ?? l.Interaction.FixedWeights!.ToArray())],
        };
    }
}

/// <summary>
/// The saved state of a nested run. JSON fields: <c>format</c> ("dpstorch-nested-model"), <c>version</c> (1), <c>n</c>
/// (leaves), <c>m</c>, <c>nested</c> and optionally <c>baseline</c> (each with <c>mu</c>, <c>rho</c>, <c>alpha</c>,
/// <c>sigma</c>, <c>resources</c> and <c>levels</c>: per level {<c>name</c>, <c>theta</c>} when its topology is learned,
/// else {<c>name</c>, <c>weights</c>}), and <c>config</c> (the resolved config, with its levels block).
/// </summary>
public sealed record NestedState
{
    /// <summary>Format tag checked on load.</summary>
    public const string FormatTag = "dpstorch-nested-model";
    /// <summary>Current version of the format.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The resolved config the nested system was built from.</summary>
    public required DpsConfig Config { get; init; }
    /// <summary>The nested (heterogeneous) design.</summary>
    public required NestedParameters Nested { get; init; }
    /// <summary>The homogeneous fleet of the same budget and network, when it was trained.</summary>
    public NestedParameters? Baseline { get; init; }

    /// <summary>A snapshot of a trained nested system and, when given, its homogeneous baseline.</summary>
    public static NestedState From(DpsConfig config, NestedSystem nested, NestedSystem? baseline = null)
        => new() { Config = config, Nested = NestedParameters.From(nested), Baseline = baseline is null ? null : NestedParameters.From(baseline) };

    /// <summary>
    /// The system this state holds (<see cref="NestedBuilder.FromState"/>): the nested design, or with
    /// <paramref name="baseline"/> the homogeneous fleet (a one-line error when the file holds none).
    /// </summary>
    public NestedSystem ToSystem(bool baseline = false)
    {
        var p = baseline ? Baseline ?? throw new ConfigException("baseline", "the model file holds no homogeneous baseline (train with dps nested --baseline).") : Nested;
        return NestedBuilder.FromState(Config, p.ToSystemParameters(Config), baseline);
    }

    /// <summary>True when the JSON file at <paramref name="path"/> declares this format (a cheap check for `dps report`).</summary>
    public static bool IsNestedModelFile(string path)
    {
        if (!File.Exists(path)) return false;
        try
        {
            using var stream = InputFile.OpenRead(path, path, InputKind.ModelFile);
            using var doc = JsonDocument.Parse(stream);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("format", out var f)
                && f.ValueKind == JsonValueKind.String && f.GetString() == FormatTag;
        }
        catch (Exception e) when (e is JsonException or ConfigException) { return false; }
    }

    /// <summary>Writes the state as JSON to <paramref name="path"/> atomically.</summary>
    public void Save(string path)
    {
        var o = new JsonObject
        {
            ["format"] = FormatTag,
            ["version"] = CurrentVersion,
            ["n"] = Config.Agents.Count,
            ["m"] = Config.Space.M,
            ["nested"] = Write(Nested, "nested"),
        };
        if (Baseline is not null) o["baseline"] = Write(Baseline, "baseline");
        o["config"] = ConfigLoader.ToJsonNode(Config);
        AtomicFile.WriteAllText(path, o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private JsonObject Write(NestedParameters p, string at)
    {
        var levels = new JsonArray();
        for (int k = 0; k < p.LevelWeights.Count; k++)
        {
            var lc = Config.Levels![k];
            string key = lc.Topology.Learned ? "theta" : "weights";
            levels.Add((JsonNode)new JsonObject { ["name"] = lc.Name, [key] = ModelState.Array(p.LevelWeights[k], $"{at}.levels[{k}].{key}") });
        }
        return new JsonObject
        {
            ["mu"] = ModelState.Array(p.Mu, $"{at}.mu"),
            ["rho"] = ModelState.Array(p.Rho, $"{at}.rho"),
            ["alpha"] = ModelState.Array(p.Alpha, $"{at}.alpha"),
            ["sigma"] = ModelState.Array(p.Sigma, $"{at}.sigma"),
            ["resources"] = ModelState.Array(p.Resources, $"{at}.resources"),
            ["levels"] = levels,
        };
    }

    /// <summary>
    /// Reads a state written by <see cref="Save"/>: format and version checked, n bounded by the file size and equal to
    /// the config's agents.count, every array's length matched to the config's system, every value finite. Errors are
    /// <see cref="ConfigException"/>s naming the file and the field.
    /// </summary>
    public static NestedState Load(string path)
    {
        var (o, info) = ModelState.ReadHeader(path, FormatTag, CurrentVersion);
        long n = (long)ModelState.Value(o, "n", path)!;
        // Every value takes at least two bytes of JSON ("0,"), so a count larger than the file is a lie.
        if (n < 1 || n > info.Length / 2) throw ConfigException.Invalid($"{path}: n", n, $"a count between 1 and {info.Length / 2} (bounded by the file size)");
        var configNode = o["config"] ?? throw new ConfigException($"{path}: config", "missing; the model file must carry the config that made it.");
        var config = ConfigLoader.Parse(configNode.ToJsonString(), Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", source: $"{path}: config");
        MemoryLimit.Check(config);
        if (config.Agents.Count != n) throw ConfigException.Invalid($"{path}: n", n, $"equal to config.agents.count ({config.Agents.Count})");
        if (config.Levels is null) throw new ConfigException($"{path}: config.levels", "missing; a nested model's config must have a levels block.");

        // The system the config builds fixes every level's edge count.
        var edgeCounts = NestedBuilder.Create(config).Levels.Select(l => l.Interaction.Edges.Count).ToArray();
        return new NestedState
        {
            Config = config,
            Nested = Read(o, "nested", path, config, n, n, edgeCounts),
            Baseline = o["baseline"] is null ? null : Read(o, "baseline", path, config, 1, n, edgeCounts),
        };
    }

    private static NestedParameters Read(JsonObject root, string key, string path, DpsConfig config, long raw, long n, int[] edgeCounts)
    {
        if (root[key] is not JsonObject o) throw new ConfigException($"{path}: {key}", "missing or not an object.");
        if (o["levels"] is not JsonArray levels) throw new ConfigException($"{path}: {key}.levels", "missing or not an array.");
        if (levels.Count != edgeCounts.Length) throw ConfigException.Invalid($"{path}: {key}.levels", $"{levels.Count} levels", $"exactly {edgeCounts.Length} (config.levels)");
        var weights = new double[levels.Count][];
        for (int k = 0; k < weights.Length; k++)
        {
            string at = $"{key}.levels[{k}]";
            if (levels[k] is not JsonObject level) throw new ConfigException($"{path}: {at}", "not an object.");
            string field = config.Levels![k].Topology.Learned ? "theta" : "weights";
            weights[k] = ModelState.Doubles(level, field, edgeCounts[k], path, $"{at}.{field}");
        }
        long d = config.Space.Dimensions; // on T^d μ, ρ and σ hold d entries per leaf
        return new NestedParameters
        {
            Mu = ModelState.Doubles(o, "mu", raw * d, path, $"{key}.mu"),
            Rho = ModelState.Doubles(o, "rho", raw * d, path, $"{key}.rho"),
            Alpha = ModelState.Doubles(o, "alpha", raw, path, $"{key}.alpha"),
            Sigma = ModelState.Doubles(o, "sigma", n * d, path, $"{key}.sigma"),
            Resources = ModelState.Doubles(o, "resources", n, path, $"{key}.resources"),
            LevelWeights = weights,
        };
    }
}
