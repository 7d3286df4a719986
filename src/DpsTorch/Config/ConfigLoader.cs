// Reads and validates experiment configs (JSON) into DpsConfig records, applies --set overrides, and writes the
// resolved config back. All config validation lives in this folder (Config/); errors name the key path, the value and what is allowed.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DpsTorch.Config;

/// <summary>Loads <see cref="DpsConfig"/> from JSON files or text.</summary>
public static class ConfigLoader
{
    /// <summary>Largest number of agents a config may ask for (the sparse path is built for 10^5).</summary>
    public const int MaxAgents = 10_000_000;

    /// <summary>Largest grid a config may ask for.</summary>
    public const int MaxGrid = 1 << 16;

    /// <summary>Largest agents × grid product (one N×M float64 matrix of 2 GiB); the model holds a few of them.</summary>
    public const long MaxCells = 1L << 28;

    /// <summary>
    /// Largest agents.budget and demand.mass. The loss grows with the square of this scale and the squared gradients
    /// that Adam and L-BFGS keep with its fourth power: (1e60)⁴ = 1e240 leaves float64 (largest 1.8e308) room for the
    /// gradients of the unit-scale problem, while 1e100 overflows Adam's second moments at the first step.
    /// </summary>
    public const double MaxScale = 1e60;

    /// <summary>Largest number of edges a topology may have (each costs M multiply-adds per product with Q).</summary>
    public const long MaxEdges = 50_000_000;

    /// <summary>Reads a config file, applying "key.path=value" overrides first. Relative file paths inside resolve against the file's folder.</summary>
    public static DpsConfig Load(string path, IEnumerable<string>? overrides = null)
    {
        return Parse(ReadText(path), Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", overrides, path);
    }

    /// <summary>The text of a config file: a regular file within the cap of <see cref="InputKind.Config"/>.</summary>
    internal static string ReadText(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) throw new ConfigException(path, "config file not found.");
        return InputFile.ReadAllText(path, path, InputKind.Config);
    }

    /// <summary>Parses config JSON text. <paramref name="baseDir"/> resolves relative file paths.</summary>
    public static DpsConfig Parse(string json, string baseDir = ".", IEnumerable<string>? overrides = null, string source = "config")
    {
        var obj = ParseObject(json, source);
        foreach (var o in overrides ?? []) ApplyOverride(obj, o);
        using var doc = JsonDocument.Parse(obj.ToJsonString());
        return Read(new JsonSection(doc.RootElement, ""), baseDir);
    }

    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 64 };

    /// <summary>
    /// Config text (a config, or one with a sweep block) as a JSON object: comments and trailing commas allowed, at most
    /// 64 levels deep, and every key at most once per object: a repeated key is an error naming its path
    /// (agents.count, levels[1].size), since readers disagree on which of the two values counts.
    /// </summary>
    internal static JsonObject ParseObject(string json, string source)
    {
        JsonNode? root;
        try
        {
            using (var doc = JsonDocument.Parse(json, DocumentOptions)) RejectDuplicateKeys(doc.RootElement, "");
            root = JsonNode.Parse(json, documentOptions: DocumentOptions);
        }
        catch (JsonException e) { throw new ConfigException(source, $"not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {FirstSentence(e.Message)}"); }
        return root as JsonObject ?? throw ConfigException.Invalid(source, root?.ToJsonString() ?? "null", "a JSON object { ... } at the top level");
    }

    private static void RejectDuplicateKeys(JsonElement e, string path)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var item in e.EnumerateArray()) RejectDuplicateKeys(item, $"{path}[{i++}]");
            return;
        }
        if (e.ValueKind != JsonValueKind.Object) return;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in e.EnumerateObject())
        {
            string at = path.Length == 0 ? p.Name : $"{path}.{p.Name}";
            if (!seen.Add(p.Name)) throw new ConfigException(at, "this key appears twice in one object; give it once.");
            RejectDuplicateKeys(p.Value, at);
        }
    }

    /// <summary>
    /// Checks a config built in C# (or changed with <c>with</c>) by the same rules as a config file: every choice is a
    /// member of its enum, then its JSON form is read back through <see cref="Parse"/>, so every range, cross-field and
    /// file check applies with the same one-line error naming the key path, the value and what is allowed. Returns the
    /// config itself. (The model builders check only the choices, <see cref="CheckChoices(DpsConfig)"/>: C# may build a system
    /// outside the file's ranges on purpose, e.g. to provoke the non-finite guard.)
    /// </summary>
    /// <exception cref="ConfigException">The first rule the config breaks.</exception>
    public static DpsConfig Validate(DpsConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        CheckChoices(config);
        Parse(ToJson(config), source: "config");
        return config;
    }

    /// <summary>Throws unless every choice of <paramref name="c"/> is a member of its enum (a C#-built config can cast any
    /// integer to a choice); the error names the key path and the allowed names. The model builders call it first.</summary>
    /// <exception cref="ConfigException">A choice that is no member.</exception>
    public static void CheckChoices(DpsConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        Choices.Check("agents.resources", c.Agents.Resources);
        Choices.Check("agents.init", c.Agents.Init);
        CheckChoices(c.Demand, "demand");
        CheckChoices(c.Topology, "topology");
        Choices.Check("objective.kind", c.Objective.Kind);
        Choices.Check("objective.mismatch", c.Objective.Mismatch);
        Choices.Check("training.optimizer", c.Training.Optimizer);
        Choices.Check("training.schedule", c.Training.Schedule);
        Choices.Check("training.backend", c.Training.Backend);
        Choices.Check("measures.removal", c.Measures.Removal);
        if (c.Case is { } study) Choices.Check("case.kind", study.Kind);
        for (int k = 0; k < (c.Levels?.Count ?? 0); k++)
        {
            var level = c.Levels![k];
            CheckChoices(level.Topology, $"levels[{k}].topology");
            if (level.Demand is not null) CheckChoices(level.Demand, $"levels[{k}].demand");
            Choices.Check($"levels[{k}].demandObjective", level.DemandObjective);
        }
    }

    private static void CheckChoices(DemandConfig d, string at) => Choices.Check($"{at}.kind", d.Kind);

    private static void CheckChoices(TopologyConfig t, string at)
    {
        Choices.Check($"{at}.kind", t.Kind);
        Choices.Check($"{at}.embedding", t.Embedding);
        Choices.Check($"{at}.propagation", t.Propagation);
    }

    /// <summary>The config as indented JSON (every default resolved), readable back by <see cref="Parse"/>.</summary>
    public static string ToJson(DpsConfig config) => JsonSerializer.Serialize(config, ConfigJsonContext.Default.DpsConfig);

    /// <summary>The config as a JSON node, for embedding in summaries and model files.</summary>
    public static JsonNode ToJsonNode(DpsConfig config) => JsonSerializer.SerializeToNode(config, ConfigJsonContext.Default.DpsConfig)!;

    /// <summary>
    /// Applies "a.b.c=value": value parsed as JSON when it parses (numbers, true, [1,2]), else taken as a string. A
    /// numeric part indexes an existing element of an array ("levels.1.lambdaC=2"); an index out of range, or a part
    /// that would step into a number or string inside an array, is an error naming the key path.
    /// </summary>
    public static void ApplyOverride(JsonObject root, string assignment)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0) throw ConfigException.Invalid("--set", assignment, "key.path=value, e.g. agents.count=24");
        var keys = assignment[..eq].Trim().Split('.');
        string valueText = assignment[(eq + 1)..];
        JsonNode? value;
        try { value = JsonNode.Parse(valueText); }
        catch (JsonException) { value = JsonValue.Create(valueText); }
        if (Array.IndexOf(keys, "") >= 0) throw ConfigException.Invalid("--set", assignment, "a key path without empty parts");
        JsonNode node = root;
        for (int i = 0; i < keys.Length - 1; i++)
        {
            if (node is JsonArray array)
            {
                int index = Index(array, keys, i);
                node = array[index] is JsonObject or JsonArray ? array[index]!
                    : throw ConfigException.Invalid(string.Join('.', keys[..(i + 1)]), array[index]?.ToJsonString(), $"an object or array to set {string.Join('.', keys[(i + 1)..])} inside");
            }
            else
            {
                var o = (JsonObject)node;
                if (o[keys[i]] is JsonObject or JsonArray) node = o[keys[i]]!;
                else { var fresh = new JsonObject(); o[keys[i]] = fresh; node = fresh; }
            }
        }
        if (node is JsonArray target) target[Index(target, keys, keys.Length - 1)] = value;
        else ((JsonObject)node)[keys[^1]] = value;
    }

    /// <summary>keys[i] as an index of an existing element of <paramref name="array"/> (the node at keys[..i]).</summary>
    private static int Index(JsonArray array, string[] keys, int i)
    {
        string at = string.Join('.', keys[..(i + 1)]), parent = string.Join('.', keys[..i]);
        if (!int.TryParse(keys[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index) || index >= array.Count)
            throw ConfigException.Invalid(at, keys[i], array.Count == 0 ? $"no index: {parent} is an empty array"
                : $"an index of an existing element of {parent} (0 to {array.Count - 1})");
        return index;
    }

    /// <summary>
    /// Every key the reader reads, with its type, range, choices and default, as noted while reading a config whose
    /// sections are all present and empty (and two levels, the first with a demand), so every getter runs once.
    /// </summary>
    internal static List<KeyRule> KeyRules()
    {
        const string probe = """
            { "space": {}, "agents": {}, "demand": {}, "topology": {}, "objective": {}, "training": {}, "measures": {},
              "levels": [ { "size": 1, "topology": {}, "demand": {} }, { "size": 12 } ], "case": {} }
            """;
        var rules = new List<KeyRule>();
        using var doc = JsonDocument.Parse(probe);
        Read(new JsonSection(doc.RootElement, "", rules), ".");
        return rules;
    }

    private static DpsConfig Read(JsonSection s, string baseDir)
    {
        var space = ReadSpace(s.Section("space"));
        var agents = ReadAgents(s.Section("agents"));
        var c = new DpsConfig
        {
            Name = s.String("name", null),
            Description = s.String("description", null),
            Space = space,
            Agents = agents,
            Demand = ReadDemand(s.Section("demand"), baseDir, space.Dimensions),
            Topology = ReadTopology(s.Section("topology"), agents.Count, "agents.count", baseDir),
            Objective = ReadObjective(s.Section("objective")),
            Training = ReadTraining(s.Section("training")),
            Measures = ReadMeasures(s.Section("measures")),
            Levels = NestedConfigReader.Read(s, agents.Count, baseDir, space.Dimensions),
            Case = CaseConfigReader.Read(s.Section("case")),
        };
        if (c.Case is { Kind: not CaseKind.None } && c.Levels is not null)
            throw ConfigException.Invalid("case.kind", Choices.Name(c.Case.Kind), "a flat config: a case study takes no levels block");
        if (c.Case is { Kind: CaseKind.Community } && c.Space.Dimensions != 1)
            throw ConfigException.Invalid("space.dimensions", c.Space.Dimensions, "1 for case.kind \"community\" (the resource axis is the circle)");
        if (c.Case is { Kind: CaseKind.Ricardo } && c.Space.Dimensions != 1)
            throw ConfigException.Invalid("space.dimensions", c.Space.Dimensions, "1 for case.kind \"ricardo\" (the goods axis is the circle)");
        NestedConfigReader.CheckRoot(c);
        CheckFlatOnlyOptions(c);
        CheckObjective(c);
        s.String("$schema", null);
        if (s.Has("sweep"))
            throw new ConfigException("sweep", "this config describes a sweep of many runs; run it with `dps sweep CONFIG --out DIR` (dps run takes one system).");
        s.RejectUnknownKeys();
        CheckTorus(c);
        CheckSizes(c);
        return c;
    }

    /// <summary>
    /// The options only the managed engine implements: fixed equal resources and the "local-share" objective are
    /// refused for the torchsharp backend, in one line naming the key (nested systems, flat or nested levels alike,
    /// train on the managed backend only: NestedConfigReader.CheckRoot).
    /// </summary>
    private static void CheckFlatOnlyOptions(DpsConfig c)
    {
        if (c.Levels is not null || c.Training.Backend == TrainingBackend.Managed) return;
        const string where = "training.backend \"torchsharp\"";
        if (c.Agents.Resources == ResourceMode.FixedEqual)
            throw ConfigException.Invalid("agents.resources", Choices.Name(c.Agents.Resources), $"\"budget\" or \"soft\" for {where} (\"fixed-equal\" is implemented by the managed engine only)");
        if (c.Objective.Kind == ObjectiveKind.LocalShare)
            throw ConfigException.Invalid("objective.kind", Choices.Name(c.Objective.Kind), $"\"system\" or \"local\" for {where} (\"local-share\" is implemented by the managed engine only)");
    }

    /// <summary>
    /// Cross-field rules of the domain objectives: "fisher" (efficient coding, Model/EfficientCoding.cs) is a population
    /// of neurons that pool their responses through fixed links (direct propagation, I + Q), a flat system trained by the
    /// managed engine.
    /// </summary>
    private static void CheckObjective(DpsConfig c)
    {
        for (int k = 0; k < (c.Levels?.Count ?? 0); k++)
            if (c.Levels![k].DemandObjective == ObjectiveKind.Fisher)
                throw ConfigException.Invalid($"levels[{k}].demandObjective", "fisher", "another objective (the efficient-coding objective is for flat systems)");
        if (c.Objective.Kind != ObjectiveKind.Fisher) return;
        if (c.Levels is not null)
            throw ConfigException.Invalid("objective.kind", "fisher", "another objective with levels (the efficient-coding objective is for flat systems)");
        if (c.Topology.Learned)
            throw ConfigException.Invalid("topology.learned", true, "false with objective.kind \"fisher\" (fixed links only: neurons pool their responses through a fixed connectome)");
        if (c.Topology.Propagation != Propagation.Direct)
            throw ConfigException.Invalid("topology.propagation", Choices.Name(c.Topology.Propagation), "\"direct\" with objective.kind \"fisher\" (one pooling step through I + Q)");
        if (c.Training.Backend != TrainingBackend.Managed)
            throw ConfigException.Invalid("training.backend", Choices.Name(c.Training.Backend), "\"managed\" with objective.kind \"fisher\" (the torchsharp backend does not implement it)");
    }

    /// <summary>
    /// Cross-field limits that keep a run's arrays addressable: N×M cells and the number of edges. (Whether this
    /// machine has the memory for the run is the model layer's MemoryLimit.Check, done where a run starts.)
    /// </summary>
    private static void CheckSizes(DpsConfig c)
    {
        long n = c.Agents.Count;
        if (c.Space.Points > MaxCells)
            throw ConfigException.Invalid("space.m", c.Space.M, $"at most {(int)Math.Floor(Math.Pow(MaxCells, 1.0 / c.Space.Dimensions))} with space.dimensions = {c.Space.Dimensions} (grid points M^d must stay below {MaxCells})");
        if (n * c.Space.Points > MaxCells)
            throw ConfigException.Invalid("agents.count", n, $"at most {MaxCells / c.Space.Points} with space.m = {c.Space.M}{(c.Space.Dimensions > 1 ? $" and space.dimensions = {c.Space.Dimensions}" : "")} (agents × grid points must stay below {MaxCells})");
        var t = c.Topology;
        long edges = t.Kind == TopologyKind.File ? 0 : EdgeCount(t, n); // a file's edges are counted while it is read
        if (edges > MaxEdges)
            throw ConfigException.Invalid("topology.kind", Choices.Name(t.Kind), $"a sparser topology for {n} agents: this one has about {edges} edges, more than the {MaxEdges} allowed (use ring, small-world or lattice for large N)");
    }

    /// <summary>Edges of a topology on <paramref name="n"/> agents: an upper bound for random kinds, and for "file" the
    /// least of the pairs, <see cref="MaxEdges"/> (the reader's cap) and the file's bytes / 4 (an edge line takes at
    /// least "0 1\n").</summary>
    public static long EdgeCount(TopologyConfig t, long n)
    {
        long pairs = n * (n - 1) / 2; // n ≤ 10^7: fits in a long
        if (t.Learned && t.Kind == TopologyKind.None) return pairs;
        return t.Kind switch
        {
            TopologyKind.Complete => pairs,
            TopologyKind.Ring or TopologyKind.SmallWorld => Saturating(n, t.K),
            TopologyKind.Random => (long)Math.Ceiling(t.P * pairs),
            TopologyKind.Modular or TopologyKind.CorePeriphery => (long)Math.Ceiling(Math.Max(t.PIn, t.POut) * pairs),
            TopologyKind.File => Math.Min(Math.Min(pairs, MaxEdges), FileBytes(t.Path) / MinEdgeLineBytes),
            TopologyKind.None => 0,
            TopologyKind.Lattice or TopologyKind.Star or TopologyKind.Hierarchical => 4 * n, // lattice: 2 per agent
            _ => throw Choices.Unknown("topology.kind", t.Kind),
        };
    }

    /// <summary>Bytes of the shortest edge line, "0 1\n".</summary>
    private const long MinEdgeLineBytes = 4;

    private static long FileBytes(string? path) => path is not null && File.Exists(path) ? new FileInfo(path).Length : 0;

    private static long Saturating(long a, long b) => a == 0 || b <= long.MaxValue / a ? a * b : long.MaxValue;

    private static SpaceConfig ReadSpace(JsonSection? s)
    {
        if (s is null) return new();
        var c = new SpaceConfig { M = s.Int("m", 256, 8, MaxGrid), Dimensions = s.Int("dimensions", 1, 1, SpaceConfig.MaxDimensions) };
        s.RejectUnknownKeys();
        return c;
    }

    private static AgentsConfig ReadAgents(JsonSection? s)
    {
        if (s is null) return new();
        var d = new AgentsConfig();
        var c = new AgentsConfig
        {
            Count = s.Int("count", d.Count, 1, MaxAgents),
            Resources = s.Choice("resources", d.Resources),
            Budget = s.OptionalDouble("budget", 0, MaxScale, exclusiveMin: true),
            SigmaMin = s.OptionalDouble("sigmaMin", 0, 10, exclusiveMin: true),
            Init = s.Choice("init", d.Init),
            InitSigma = s.OptionalDouble("initSigma", 0, 20, exclusiveMin: true),
            Jitter = s.Double("jitter", d.Jitter, 0, 10),
            SpreadTurn = s.Bool("spreadTurn", d.SpreadTurn),
            Homogeneous = s.Bool("homogeneous", d.Homogeneous),
            Covariance = s.Choice("covariance", d.Covariance),
        };
        s.RejectUnknownKeys();
        return c;
    }

    internal static DemandConfig ReadDemand(JsonSection? s, string baseDir, int dimensions = 1)
    {
        if (s is null) return new();
        var d = new DemandConfig();
        var c = new DemandConfig
        {
            Kind = s.Choice("kind", d.Kind),
            Peaks = s.Int("peaks", d.Peaks, 1, 100_000),
            Width = s.Double("width", d.Width, 0, 100, exclusiveMin: true),
            Phase = s.Double("phase", d.Phase),
            Centers = s.Doubles("centers"),
            Widths = s.Doubles("widths", double.Epsilon),
            Weights = s.Doubles("weights", 0),
            Mass = s.OptionalDouble("mass", 0, MaxScale, exclusiveMin: true),
            Path = ResolvePath(s.String("path", null), baseDir),
            Drift = s.Double("drift", d.Drift),
            Frames = s.Int("frames", d.Frames, 1, 100_000),
        };
        if (c.Kind == DemandKind.Mixture)
        {
            if (c.Centers is null || c.Centers.Length == 0) throw ConfigException.Invalid(s.KeyPath("centers"), null, "a non-empty array of peak centres for kind \"mixture\"");
            if (dimensions > 1) CheckTorusMixture(s, c, dimensions);
            else
            {
                if (c.Widths is not null && c.Widths.Length != c.Centers.Length) throw ConfigException.Invalid(s.KeyPath("widths"), $"{c.Widths.Length} entries", $"one width per centre ({c.Centers.Length})");
                if (c.Weights is not null && c.Weights.Length != c.Centers.Length) throw ConfigException.Invalid(s.KeyPath("weights"), $"{c.Weights.Length} entries", $"one weight per centre ({c.Centers.Length})");
            }
            if (c.Weights is not null && c.Weights.Sum() <= 0) throw ConfigException.Invalid(s.KeyPath("weights"), "all zero", "weights with a positive sum");
        }
        if (c.Kind == DemandKind.Histogram)
        {
            if (c.Path is null) throw ConfigException.Invalid(s.KeyPath("path"), null, "the path of a CSV histogram for kind \"histogram\"");
            InputFile.Check(s.KeyPath("path"), c.Path, InputFile.MaxBytes(InputKind.DemandCsv));
        }
        s.RejectUnknownKeys();
        return c;
    }

    /// <summary>A mixture on T^d: K·d centres (peak by peak), K or K·d widths, K weights.</summary>
    private static void CheckTorusMixture(JsonSection s, DemandConfig c, int dimensions)
    {
        int values = c.Centers!.Length;
        if (values % dimensions != 0)
            throw ConfigException.Invalid(s.KeyPath("centers"), $"{values} numbers", $"K·d numbers for space.dimensions = {dimensions} (peak by peak: x0, y0, x1, y1, ...)");
        int k = values / dimensions;
        if (c.Widths is not null && c.Widths.Length != k && c.Widths.Length != values)
            throw ConfigException.Invalid(s.KeyPath("widths"), $"{c.Widths.Length} entries", $"one width per peak ({k}) or per peak and dimension ({values})");
        if (c.Weights is not null && c.Weights.Length != k) throw ConfigException.Invalid(s.KeyPath("weights"), $"{c.Weights.Length} entries", $"one weight per peak ({k})");
    }

    /// <summary>
    /// What a space of <c>space.dimensions</c> d &gt; 1 does not support yet, each refused in one line naming the key:
    /// a drifting demand, the torch backend, the homogeneous baseline, the quantile starts, and more agents than the exact
    /// similarity of the measures allows.
    /// </summary>
    private static void CheckTorus(DpsConfig c)
    {
        int d = c.Space.Dimensions;
        if (c.Agents.Covariance == CovarianceKind.Full) CheckFullCovariance(c);
        if (d == 1) return;
        if (c.Demand.Kind == DemandKind.Drifting)
            throw ConfigException.Invalid("demand.kind", Choices.Name(c.Demand.Kind), $"peaks, mixture, uniform, dirac or histogram with space.dimensions = {d} (drifting is 1-D only)");
        if (c.Training.Backend != TrainingBackend.Managed)
            throw ConfigException.Invalid("training.backend", Choices.Name(c.Training.Backend), $"managed with space.dimensions = {d} (the torch backend is 1-D only)");
        if (c.Agents.Homogeneous)
            throw ConfigException.Invalid("agents.homogeneous", true, $"false with space.dimensions = {d} (the homogeneous baseline is 1-D only)");
        if (c.Agents.Init is InitKind.Quantiles or InitKind.QuantilesSpacing)
            throw ConfigException.Invalid("agents.init", Choices.Name(c.Agents.Init), $"auto, modes, spread, homogeneous or random with space.dimensions = {d} (quantile starts are 1-D only)");
        if (c.Agents.Count > MaxTorusAgents)
            throw ConfigException.Invalid("agents.count", c.Agents.Count, $"at most {MaxTorusAgents} with space.dimensions = {d} (measures on T^d use the exact N×N similarity)");
    }

    /// <summary>
    /// What agents.covariance "full" does not support, each refused in one line naming the key: the circle (one axis
    /// has no covariance), nested levels, the torch backend and the efficient-coding objective.
    /// </summary>
    private static void CheckFullCovariance(DpsConfig c)
    {
        if (c.Space.Dimensions == 1)
            throw ConfigException.Invalid("agents.covariance", "full", "\"diagonal\" with space.dimensions = 1 (a full covariance needs space.dimensions 2 or 3)");
        if (c.Levels is not null)
            throw ConfigException.Invalid("agents.covariance", "full", "\"diagonal\" for a nested system (levels take product wrapped normals)");
        if (c.Training.Backend != TrainingBackend.Managed)
            throw ConfigException.Invalid("training.backend", Choices.Name(c.Training.Backend), "managed with agents.covariance \"full\"");
        if (c.Objective.Kind == ObjectiveKind.Fisher)
            throw ConfigException.Invalid("objective.kind", Choices.Name(c.Objective.Kind), "system, local or local-share with agents.covariance \"full\"");
    }

    /// <summary>Most agents on T^d, d &gt; 1 (the exact similarity matrix of the measures).</summary>
    public const int MaxTorusAgents = 4096;

    /// <summary>A topology section for <paramref name="n"/> agents, whose count the config sets at <paramref name="countKey"/>.</summary>
    internal static TopologyConfig ReadTopology(JsonSection? s, int n, string countKey, string baseDir)
    {
        if (s is null) return new();
        var d = new TopologyConfig();
        var c = new TopologyConfig
        {
            Kind = s.Choice("kind", d.Kind),
            K = s.Int("k", d.K, 1, MaxAgents),
            Rows = s.OptionalInt("rows", 1, MaxAgents),
            Periodic = s.Bool("periodic", d.Periodic),
            P = s.Double("p", d.P, 0, 1),
            Modules = s.Int("modules", d.Modules, 1, MaxAgents),
            PIn = s.Double("pIn", d.PIn, 0, 1),
            POut = s.Double("pOut", d.POut, 0, 1),
            CoreFraction = s.Double("coreFraction", d.CoreFraction, 0, 1),
            Path = ResolvePath(s.String("path", null), baseDir),
            Seed = s.Int("seed", d.Seed),
            Weight = s.Double("weight", d.Weight, 0, 1e6),
            Learned = s.Bool("learned", d.Learned),
            InitWeight = s.Double("initWeight", d.InitWeight, 0, 1, exclusiveMin: true),
            Embedding = s.Choice("embedding", d.Embedding),
            Coordinates = s.Doubles("coordinates"),
            Gamma = s.Double("gamma", d.Gamma, 0, 10),
            Propagation = s.Choice("propagation", d.Propagation),
            Hops = s.Int("hops", d.Hops, 1, 64),
            CommunicabilityBeta = s.Double("communicabilityBeta", d.CommunicabilityBeta, 0, 100),
        };
        if (c.InitWeight >= 1) throw ConfigException.Invalid(s.KeyPath("initWeight"), c.InitWeight, "a number in (0, 1)");
        if (c.Embedding == EmbeddingKind.Coordinates && (c.Coordinates is null || c.Coordinates.Length == 0 || c.Coordinates.Length % n != 0))
            throw ConfigException.Invalid(s.KeyPath("coordinates"), c.Coordinates is null ? null : $"{c.Coordinates.Length} numbers",
                $"N·d numbers (agent by agent, d coordinates each) for embedding \"coordinates\", with N = agents.count = {n}");
        if (c.Kind is TopologyKind.Ring or TopologyKind.SmallWorld && 2 * c.K >= n)
            throw ConfigException.Invalid(s.KeyPath("k"), c.K, $"an integer with 2k < agents.count ({n}); use kind \"complete\" for a full graph");
        if (c.Kind == TopologyKind.Lattice && c.Rows is int r && n % r != 0)
            throw ConfigException.Invalid(s.KeyPath("rows"), r, $"a divisor of agents.count ({n})");
        if (c.Kind is TopologyKind.Modular or TopologyKind.Hierarchical && c.Modules > n)
            throw ConfigException.Invalid(s.KeyPath("modules"), c.Modules, $"at most agents.count ({n})");
        if (c.Kind == TopologyKind.Hierarchical && c.HierarchyDepth(n) is null)
            throw ConfigException.Invalid(countKey, n, $"a power of topology.modules ({c.HierarchyBranching()}) for a hierarchical topology");
        if (c.Kind == TopologyKind.File)
        {
            if (c.Path is null) throw ConfigException.Invalid(s.KeyPath("path"), null, "the path of an edge-list file for kind \"file\"");
            InputFile.Check(s.KeyPath("path"), c.Path, InputFile.MaxBytes(InputKind.EdgeList));
        }
        s.RejectUnknownKeys();
        return c;
    }

    private static ObjectiveConfig ReadObjective(JsonSection? s)
    {
        if (s is null) return new();
        var d = new ObjectiveConfig();
        var c = new ObjectiveConfig
        {
            Kind = s.Choice("kind", d.Kind),
            Mismatch = s.Choice("mismatch", d.Mismatch),
            UnmetBeta = s.Double("unmetBeta", d.UnmetBeta, 0, 1e6, exclusiveMin: true),
            OverWeight = s.Double("overWeight", d.OverWeight, 0, 1e6),
            LambdaC = s.Double("lambdaC", d.LambdaC, 0, 1e12),
            LambdaR = s.Double("lambdaR", d.LambdaR, 0, 1e12),
            LambdaSigma = s.Double("lambdaSigma", d.LambdaSigma, 0, 1e12),
        };
        s.RejectUnknownKeys();
        return c;
    }

    private static TrainingConfig ReadTraining(JsonSection? s)
    {
        if (s is null) return new();
        var d = new TrainingConfig();
        var c = new TrainingConfig
        {
            Optimizer = s.Choice("optimizer", d.Optimizer),
            Lr = s.Double("lr", d.Lr, 0, 1e6, exclusiveMin: true),
            Momentum = s.Double("momentum", d.Momentum, 0, 1),
            Schedule = s.Choice("schedule", d.Schedule),
            MinLrFraction = s.Double("minLrFraction", d.MinLrFraction, 0, 1),
            Steps = s.Int("steps", d.Steps, 0, 100_000_000),
            Seed = s.Int("seed", d.Seed),
            LogEvery = s.Int("logEvery", d.LogEvery, 1, int.MaxValue),
            Restarts = s.Int("restarts", d.Restarts, 1, 10_000),
            Continuation = s.Double("continuation", d.Continuation, 0, 1),
            ContinuationWidth = s.Double("continuationWidth", d.ContinuationWidth, 0, 10),
            Tolerance = s.Double("tolerance", d.Tolerance, 0, 1),
            Patience = s.Int("patience", d.Patience, 1, int.MaxValue),
            GradTolerance = s.Double("gradTolerance", d.GradTolerance, 0, 1e6),
            Polish = s.OptionalInt("polish", 0, 100_000_000),
            Newton = s.OptionalInt("newton", 0, 10_000),
            Swaps = s.Int("swaps", d.Swaps, 0, 10_000),
            Reseed = s.OptionalInt("reseed", 0, 10_000),
            Split = s.OptionalInt("split", 0, 10_000),
            Hops = s.Int("hops", d.Hops, 0, 10_000),
            Batched = s.Bool("batched", d.Batched),
            Backoff = s.Double("backoff", d.Backoff, 0, 1),
            MaxBackoffs = s.Int("maxBackoffs", d.MaxBackoffs, 0, 1000),
            CheckpointEvery = s.Int("checkpointEvery", d.CheckpointEvery, 1, int.MaxValue),
            Backend = s.Choice("backend", d.Backend),
            Device = Device(s, "device", d.Device),
        };
        if (c.Backend == TrainingBackend.Managed && c.Device != "cpu")
            throw ConfigException.Invalid(s.KeyPath("device"), c.Device, "\"cpu\" with training.backend \"managed\" (cuda needs training.backend \"torchsharp\")");
        s.RejectUnknownKeys();
        return c;
    }

    /// <summary>A device name: "cpu", "cuda" or "cuda:N" with N a non-negative integer.</summary>
    private static string Device(JsonSection s, string key, string fallback)
    {
        var v = s.String(key, fallback) ?? fallback;
        bool ok = v is "cpu" or "cuda" || (v.StartsWith("cuda:", StringComparison.Ordinal) && v.Length > 5 && v[5..].All(char.IsAsciiDigit) && v.Length <= 9);
        if (!ok) throw ConfigException.Invalid(s.KeyPath(key), v, "\"cpu\", \"cuda\" or \"cuda:N\" (N a device index)");
        return v;
    }

    private static MeasuresConfig ReadMeasures(JsonSection? s)
    {
        if (s is null) return new();
        var d = new MeasuresConfig();
        var c = new MeasuresConfig
        {
            Fractions = s.Doubles("fractions", 0, 1) ?? d.Fractions,
            Removal = s.Choice("removal", d.Removal),
            Seeds = s.Int("seeds", d.Seeds, 1, 10_000),
            ResilienceSteps = s.Int("resilienceSteps", d.ResilienceSteps, 0, 1_000_000),
            MaxRadius = s.Int("maxRadius", d.MaxRadius, 0, 10_000),
            Headline = s.Choice("headline", d.Headline, MeasuresConfig.HeadlineChoices),
        };
        if (c.Fractions.Length == 0) throw ConfigException.Invalid(s.KeyPath("fractions"), "[]", "a non-empty array of fractions in [0, 1]");
        s.RejectUnknownKeys();
        return c;
    }

    private static string? ResolvePath(string? path, string baseDir)
        => path is null ? null : Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(baseDir, path));

    private static string FirstSentence(string message)
    {
        int i = message.IndexOf(". ", StringComparison.Ordinal);
        return i > 0 ? message[..(i + 1)] : message;
    }

    internal static string Invariant(double d) => d.ToString("R", CultureInfo.InvariantCulture);
}
