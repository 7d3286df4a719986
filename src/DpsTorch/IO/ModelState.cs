// A trained system as a file (model.json): the raw parameters that reload it exactly, the derived values a reader
// wants (σ, a, Q), the edges, and the config that made it. Written atomically; read with size checks.
using System.Text.Json;
using System.Text.Json.Nodes;
using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.IO;

/// <summary>
/// The saved state of a <see cref="DpsModel"/>. JSON fields: <c>format</c> ("dpstorch-model"), <c>version</c> (1),
/// <c>n</c>, <c>m</c>, <c>mu</c>, <c>rho</c>, <c>alpha</c> (raw parameters, length n; on T^d μ and ρ have n·d entries,
/// agent by agent), <c>sigma</c> (n or n·d), <c>resources</c> (derived, length n), <c>edges</c> ([[i, j], ...] with i &lt; j), <c>weights</c> (q per edge), <c>theta</c> (learned
/// logits per edge, or absent), <c>lower</c> (agents.covariance "full": the Cholesky factors' off-diagonal entries,
/// d(d − 1)/2 per agent, or absent), and <c>config</c> (the resolved experiment config).
/// </summary>
public sealed record ModelState
{
    /// <summary>Format tag checked on load.</summary>
    public const string FormatTag = "dpstorch-model";
    /// <summary>Current version of the format.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The resolved config the model was built from.</summary>
    public required DpsConfig Config { get; init; }
    /// <summary>Raw skill positions μ on the circle, one per agent.</summary>
    public required double[] Mu { get; init; }
    /// <summary>Raw breadth parameters ρ (σ = σ_min + softplus(ρ)), one per agent.</summary>
    public required double[] Rho { get; init; }
    /// <summary>Raw resource parameters α, one per agent.</summary>
    public required double[] Alpha { get; init; }
    /// <summary>Derived skill breadths σ, one per agent (for readers; recomputed from ρ on load).</summary>
    public required double[] Sigma { get; init; }
    /// <summary>Derived resources a, one per agent (for readers; recomputed from α on load).</summary>
    public required double[] Resources { get; init; }
    /// <summary>The graph's edges (i, j) with i &lt; j.</summary>
    public required (int I, int J)[] Edges { get; init; }
    /// <summary>The interaction weight q of each edge.</summary>
    public required double[] Weights { get; init; }
    /// <summary>The learned logit θ of each edge, or null for a fixed topology.</summary>
    public double[]? Theta { get; init; }
    /// <summary>The off-diagonal entries of every agent's Cholesky factor (agents.covariance "full": d(d − 1)/2 per agent, row by row), or null.</summary>
    public double[]? Lower { get; init; }

    /// <summary>Number of agents.</summary>
    public int N => Alpha.Length;

    /// <summary>The raw parameters as the model layer takes them: one level with its edges, weights and logits.</summary>
    public SystemParameters Parameters => new()
    {
        Mu = Mu, Rho = Rho, Alpha = Alpha, Lower = Lower,
        Levels = [new LevelParameters { Edges = Edges, Weights = Weights, Theta = Theta }],
    };

    /// <summary>The model this state describes, with its saved parameters and edges (<see cref="SystemBuilder.FromState"/>).</summary>
    public DpsModel ToModel() => SystemBuilder.FromState(Config, Parameters);

    /// <summary>A snapshot of a model's parameters and derived values.</summary>
    public static ModelState From(DpsModel model, DpsConfig config)
    {
        using var _ = TensorEngine.NoGrad();
        return new ModelState
        {
            Config = config,
            Mu = model.Mu.ToArray(),
            Rho = model.Rho.ToArray(),
            Alpha = model.Alpha.ToArray(),
            Sigma = model.Sigma().ToArray(),
            Resources = model.Resources().ToArray(),
            Edges = [.. model.Interaction.Edges],
            Weights = model.Interaction.WeightValues(),
            Theta = model.Interaction.Theta?.ToArray(),
            Lower = model.Lower?.ToArray(),
        };
    }

    /// <summary>Writes the state as JSON to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public void Save(string path)
    {
        var o = new JsonObject
        {
            ["format"] = FormatTag,
            ["version"] = CurrentVersion,
            ["n"] = N,
            ["m"] = Config.Space.M,
            ["mu"] = Array(Mu, "mu"),
            ["rho"] = Array(Rho, "rho"),
            ["alpha"] = Array(Alpha, "alpha"),
            ["sigma"] = Array(Sigma, "sigma"),
            ["resources"] = Array(Resources, "resources"),
            ["edges"] = new JsonArray(Edges.Select(e => (JsonNode)new JsonArray(e.I, e.J)).ToArray()),
            ["weights"] = Array(Weights, "weights"),
            ["config"] = ConfigLoader.ToJsonNode(Config),
        };
        if (Theta is not null) o["theta"] = Array(Theta, "theta");
        if (Lower is not null) o["lower"] = Array(Lower, "lower");
        AtomicFile.WriteAllText(path, o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Reads a state written by <see cref="Save"/>, checking format, sizes and values; errors name the field.</summary>
    public static ModelState Load(string path)
    {
        var (o, info) = ReadHeader(path, FormatTag, CurrentVersion);
        long n = (long)Value(o, "n", path)!;
        // Every value takes at least two bytes of JSON ("0,"), so a count larger than the file is a lie.
        if (n < 1 || n > info.Length / 2) throw ConfigException.Invalid($"{path}: n", n, $"a count between 1 and {info.Length / 2} (bounded by the file size)");
        var configNode = o["config"] ?? throw new ConfigException($"{path}: config", "missing; the model file must carry the config that made it.");
        var config = ConfigLoader.Parse(configNode.ToJsonString(), Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", source: $"{path}: config");
        MemoryLimit.Check(config);
        if (config.Agents.Count != n) throw ConfigException.Invalid($"{path}: n", n, $"equal to config.agents.count ({config.Agents.Count})");

        var edgesNode = o["edges"] as JsonArray ?? throw new ConfigException($"{path}: edges", "missing or not an array.");
        var edges = new (int, int)[edgesNode.Count];
        for (int e = 0; e < edges.Length; e++)
        {
            if (edgesNode[e] is not JsonArray pair || pair.Count != 2) throw ConfigException.Invalid($"{path}: edges[{e}]", edgesNode[e]?.ToJsonString(), "a pair [i, j]");
            int i = ReadIndex(pair[0], n, $"{path}: edges[{e}][0]"), j = ReadIndex(pair[1], n, $"{path}: edges[{e}][1]");
            if (i >= j) throw ConfigException.Invalid($"{path}: edges[{e}]", $"[{i}, {j}]", "a pair with i < j");
            edges[e] = (i, j);
        }
        long axes = n * config.Space.Dimensions; // μ, ρ and σ hold d numbers per agent on T^d
        return new ModelState
        {
            Config = config,
            Mu = Doubles(o, "mu", axes, path),
            Rho = Doubles(o, "rho", axes, path),
            Alpha = Doubles(o, "alpha", n, path),
            Sigma = Doubles(o, "sigma", axes, path),
            Resources = Doubles(o, "resources", n, path),
            Edges = edges,
            Weights = Doubles(o, "weights", edges.Length, path),
            Theta = o["theta"] is null ? null : Doubles(o, "theta", edges.Length, path),
            Lower = config.Agents.Covariance == CovarianceKind.Full ? Doubles(o, "lower", n * Ops.WrappedMultivariateNormal.OffDiagonal(config.Space.Dimensions), path) : null,
        };
    }

    /// <summary>
    /// Opens a model file: it must exist, parse as a JSON object (depth ≤ 64) and carry the expected format tag and
    /// version. Errors name the file and the field. Shared by flat and nested model files.
    /// </summary>
    internal static (JsonObject Root, FileInfo File) ReadHeader(string path, string formatTag, int version)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) throw new ConfigException(path, "model file not found.");
        var info = new FileInfo(path);
        InputFile.Check(path, path, InputFile.MaxBytes(InputKind.ModelFile));
        MemoryLimit.CheckJsonFile(path, info.Length);
        JsonNode? root;
        try
        {
            using var stream = InputFile.OpenRead(path, path, InputKind.ModelFile);
            root = JsonNode.Parse(stream, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e) { throw new ConfigException(path, $"not a valid model file: JSON error at line {e.LineNumber + 1} ({e.Message.Split(". ")[0]})."); }
        if (root is not JsonObject o) throw new ConfigException(path, "not a valid model file: the top level must be a JSON object.");
        if ((string?)Value(o, "format", path) != formatTag) throw ConfigException.Invalid($"{path}: format", o["format"]?.ToJsonString(), $"\"{formatTag}\"");
        int v = (int)Value(o, "version", path)!;
        if (v != version) throw ConfigException.Invalid($"{path}: version", v, $"{version}");
        return (o, info);
    }

    internal static JsonArray Array(double[] values, string field)
    {
        var a = new JsonArray();
        for (int i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i])) throw new InvalidOperationException($"model state: {field}[{i}] is {values[i]}; refusing to save a non-finite state.");
            a.Add((JsonNode)values[i]);
        }
        return a;
    }

    internal static object? Value(JsonObject o, string key, string path)
    {
        var node = o[key] ?? throw new ConfigException($"{path}: {key}", "missing.");
        try
        {
            return key == "format" ? node.GetValue<string>() : key == "version" ? node.GetValue<int>() : (object)node.GetValue<long>();
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw ConfigException.Invalid($"{path}: {key}", node.ToJsonString(), key == "format" ? "a string" : "an integer");
        }
    }

    private static int ReadIndex(JsonNode? node, long n, string at)
    {
        try
        {
            long v = node!.GetValue<long>();
            if (v < 0 || v >= n) throw ConfigException.Invalid(at, v, $"an agent index in [0, {n - 1}]");
            return (int)v;
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or NullReferenceException)
        {
            throw ConfigException.Invalid(at, node?.ToJsonString(), "an integer agent index");
        }
    }

    /// <summary>o[key] as exactly <paramref name="expected"/> finite numbers; errors name "path: at" (at defaults to key).</summary>
    internal static double[] Doubles(JsonObject o, string key, long expected, string path, string? at = null)
    {
        at ??= key;
        if (o[key] is not JsonArray a) throw new ConfigException($"{path}: {at}", "missing or not an array of numbers.");
        if (a.Count != expected) throw ConfigException.Invalid($"{path}: {at}", $"{a.Count} values", $"exactly {expected}");
        var d = new double[a.Count];
        for (int i = 0; i < d.Length; i++)
        {
            double v;
            try { v = a[i]!.GetValue<double>(); }
            catch (Exception e) when (e is FormatException or InvalidOperationException or NullReferenceException)
            { throw ConfigException.Invalid($"{path}: {at}[{i}]", a[i]?.ToJsonString(), "a finite number"); }
            if (!double.IsFinite(v)) throw ConfigException.Invalid($"{path}: {at}[{i}]", v, "a finite number");
            d[i] = v;
        }
        return d;
    }
}
