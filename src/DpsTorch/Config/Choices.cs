// Every closed choice of a config as an enum. A member's config name is its name in kebab-case lower case
// (SmallWorld is "small-world", Lbfgs is "lbfgs"): that one rule is how the reader parses it (case-insensitively),
// how config.json writes it, and how the schema lists it, so the three cannot drift.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DpsTorch.Config;

/// <summary>agents.resources: how the resources a_i are parametrised.</summary>
[JsonConverter(typeof(ChoiceConverter<ResourceMode>))]
public enum ResourceMode
{
    /// <summary>"budget": a = R·softmax(α), a fixed total R.</summary>
    Budget,
    /// <summary>"soft": a = softplus(α) with a budget penalty λ_R (Σa − R)².</summary>
    Soft,
    /// <summary>"fixed-equal": a_i = R/N for every agent, α not trained (unit-mass agents: none can be starved).</summary>
    FixedEqual,
}

/// <summary>agents.init: how the agents' skills start.</summary>
[JsonConverter(typeof(ChoiceConverter<InitKind>))]
public enum InitKind
{
    /// <summary>"auto": restart 0 at the demand's modes, restart 1 spread, restart 2 homogeneous, later restarts random.</summary>
    Auto,
    /// <summary>"modes": one agent group per mode of the demand, sized by the mode's mass (Search/StructuredStarts.cs).</summary>
    Modes,
    /// <summary>"spread": μ evenly spread plus jitter, narrow σ.</summary>
    Spread,
    /// <summary>"homogeneous": all μ and σ equal plus tiny jitter.</summary>
    Homogeneous,
    /// <summary>"random": μ uniform on the circle.</summary>
    Random,
    /// <summary>"quantiles": μ_i at the (i + u)/N quantiles of the demand (u drawn like "spread"'s turn), σ as "spread".</summary>
    Quantiles,
    /// <summary>"quantiles-spacing": μ as "quantiles", σ_i = σ · (local spacing of the placement)/(2π/N), σ the initial breadth of "quantiles".</summary>
    QuantilesSpacing,
}

/// <summary>demand.kind: the shape of the demand D(x).</summary>
[JsonConverter(typeof(ChoiceConverter<DemandKind>))]
public enum DemandKind
{
    /// <summary>"peaks": K equal, evenly spaced wrapped normals.</summary>
    Peaks,
    /// <summary>"mixture": wrapped normals with explicit centres, widths and weights.</summary>
    Mixture,
    /// <summary>"uniform": constant density.</summary>
    Uniform,
    /// <summary>"dirac": one peak one grid spacing wide.</summary>
    Dirac,
    /// <summary>"histogram": a CSV histogram interpolated onto the grid.</summary>
    Histogram,
    /// <summary>"drifting": peaks whose centres drift from frame to frame.</summary>
    Drifting,
}

/// <summary>topology.kind: the communication graph.</summary>
[JsonConverter(typeof(ChoiceConverter<TopologyKind>))]
public enum TopologyKind
{
    /// <summary>"none": no edges (complete when learned).</summary>
    None,
    /// <summary>"complete": every pair.</summary>
    Complete,
    /// <summary>"ring": k neighbours on each side.</summary>
    Ring,
    /// <summary>"lattice": a 2-D grid.</summary>
    Lattice,
    /// <summary>"star": one hub.</summary>
    Star,
    /// <summary>"small-world": a Watts–Strogatz ring with rewiring probability p.</summary>
    SmallWorld,
    /// <summary>"random": Erdős–Rényi with edge probability p.</summary>
    Random,
    /// <summary>"modular": a stochastic block model.</summary>
    Modular,
    /// <summary>"core-periphery": a dense core and a sparse periphery.</summary>
    CorePeriphery,
    /// <summary>"hierarchical": nested groups of topology.modules.</summary>
    Hierarchical,
    /// <summary>"file": an edge list read from topology.path.</summary>
    File,
}

/// <summary>topology.embedding: the agents' positions, which give the distances d_ij of the communication cost.</summary>
[JsonConverter(typeof(ChoiceConverter<EmbeddingKind>))]
public enum EmbeddingKind
{
    /// <summary>"ring": circular index distance.</summary>
    Ring,
    /// <summary>"grid": Euclidean distance on a rows×cols grid (optionally a torus).</summary>
    Grid,
    /// <summary>"hops": graph distance.</summary>
    Hops,
    /// <summary>"index": |i − j| on a line.</summary>
    Index,
    /// <summary>"coordinates": Euclidean distance between given positions.</summary>
    Coordinates,
}

/// <summary>topology.propagation: how production spreads over the graph.</summary>
[JsonConverter(typeof(ChoiceConverter<Propagation>))]
public enum Propagation
{
    /// <summary>"direct": (I + Q) w.</summary>
    Direct,
    /// <summary>"power": (I + Q)^hops w.</summary>
    Power,
    /// <summary>"communicability": exp(βQ) w.</summary>
    Communicability,
}

/// <summary>objective.kind and levels[k].demandObjective: what is compared with the demand.</summary>
[JsonConverter(typeof(ChoiceConverter<ObjectiveKind>))]
public enum ObjectiveKind
{
    /// <summary>"system": the production W = 1ᵀ(I+Q)w against D.</summary>
    System,
    /// <summary>"local": each agent's pooled density against D/∫D.</summary>
    Local,
    /// <summary>"local-share": each agent's neighbourhood production p_i against an equal share of the neighbourhoods'
    /// production in the demand's shape, V̄·D/∫D with V̄ = (1/N) Σ_j ∫p_j, over V̄² (volume-aware: a starved
    /// neighbourhood is short of its share).</summary>
    LocalShare,
    /// <summary>"fisher": efficient coding; agents are Poisson neurons, D/∫D the stimulus prior p, and the loss
    /// −∫p log FI + log ∫p W under a total-rate budget (Model/EfficientCoding.cs).</summary>
    Fisher,
}

/// <summary>objective.mismatch: how a shortfall or excess of production is penalised.</summary>
[JsonConverter(typeof(ChoiceConverter<MismatchKind>))]
public enum MismatchKind
{
    /// <summary>"squared": ∫(W − D)².</summary>
    Squared,
    /// <summary>"unmet": softplus_β(D − W) plus an over-production weight.</summary>
    Unmet,
    /// <summary>"both": the sum of the two.</summary>
    Both,
}

/// <summary>training.optimizer.</summary>
[JsonConverter(typeof(ChoiceConverter<OptimizerKind>))]
public enum OptimizerKind
{
    /// <summary>"adam".</summary>
    Adam,
    /// <summary>"sgd" (with training.momentum).</summary>
    Sgd,
    /// <summary>"lbfgs".</summary>
    Lbfgs,
}

/// <summary>training.schedule: the learning-rate schedule.</summary>
[JsonConverter(typeof(ChoiceConverter<ScheduleKind>))]
public enum ScheduleKind
{
    /// <summary>"cosine": from lr to lr·minLrFraction over the steps.</summary>
    Cosine,
    /// <summary>"constant".</summary>
    Constant,
    /// <summary>"step": ×0.5 every steps/4.</summary>
    Step,
}

/// <summary>training.backend: which library computes the loss and gradients.</summary>
[JsonConverter(typeof(ChoiceConverter<TrainingBackend>))]
public enum TrainingBackend
{
    /// <summary>"managed": the engine itself.</summary>
    Managed,
    /// <summary>"torchsharp": the DpsTorch.TorchSharp add-on (libtorch autograd).</summary>
    Torchsharp,
}

/// <summary>measures.removal: the order in which agents are removed for the robustness curve.</summary>
[JsonConverter(typeof(ChoiceConverter<RemovalKind>))]
public enum RemovalKind
{
    /// <summary>"random": random orders averaged over measures.seeds.</summary>
    Random,
    /// <summary>"resource": highest resource first.</summary>
    Resource,
    /// <summary>"degree": highest degree first.</summary>
    Degree,
}

/// <summary>agents.covariance: the shape of an agent's skill density on the torus T^d, d &gt; 1.</summary>
[JsonConverter(typeof(ChoiceConverter<CovarianceKind>))]
public enum CovarianceKind
{
    /// <summary>"diagonal": a breadth per axis, the product of one wrapped normal per axis (default).</summary>
    Diagonal,
    /// <summary>"full": a wrapped multivariate normal with covariance Σ = L Lᵀ (L a Cholesky factor with a positive diagonal).</summary>
    Full,
}

/// <summary>The config names of the choice enums, and parsing them with the one-line error of a bad config value.</summary>
public static class Choices
{
    /// <summary>The config name of <paramref name="value"/> ("small-world" for <see cref="TopologyKind.SmallWorld"/>).
    /// A value that is no member (a cast from a bad integer) is shown as its number.</summary>
    public static string Name<T>(T value) where T : struct, Enum
        => Enum.GetName(value) is { } name ? JsonNamingPolicy.KebabCaseLower.ConvertName(name) : Number(value);

    /// <summary>Every config name of <typeparamref name="T"/>, in declaration order.</summary>
    public static string[] Names<T>() where T : struct, Enum => Cache<T>.Names;

    /// <summary>"one of "a", "b", "c"": what a bad value of <typeparamref name="T"/> is told is allowed.</summary>
    public static string Allowed<T>() where T : struct, Enum => "one of " + string.Join(", ", Cache<T>.Names.Select(a => $"\"{a}\""));

    /// <summary>The member named <paramref name="text"/> (compared case-insensitively), or null.</summary>
    public static T? Find<T>(string text) where T : struct, Enum
    {
        var names = Cache<T>.Names;
        for (int i = 0; i < names.Length; i++)
            if (string.Equals(names[i], text, StringComparison.OrdinalIgnoreCase)) return Cache<T>.Values[i];
        return null;
    }

    /// <summary>The member named <paramref name="text"/> (case-insensitive).</summary>
    /// <exception cref="ConfigException">No member has that name; the message names <paramref name="key"/>, the value and the allowed names.</exception>
    public static T Parse<T>(string key, string text) where T : struct, Enum
        => Find<T>(text) ?? throw ConfigException.Invalid(key, text, Allowed<T>());

    /// <summary>Throws unless <paramref name="value"/> is a member of its enum (a C#-built config can cast any integer).</summary>
    /// <exception cref="ConfigException">The value is no member; the message names <paramref name="key"/> and the allowed names.</exception>
    public static void Check<T>(string key, T value) where T : struct, Enum
    {
        if (!Enum.IsDefined(value)) throw Unknown(key, value);
    }

    /// <summary>The error for a value a switch over <typeparamref name="T"/> does not know (only a bad cast gets there).</summary>
    public static ConfigException Unknown<T>(string key, T value) where T : struct, Enum
        => ConfigException.Invalid(key, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture), Allowed<T>());

    private static string Number<T>(T value) where T : struct, Enum
        => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static class Cache<T> where T : struct, Enum
    {
        public static readonly T[] Values = Enum.GetValues<T>();
        public static readonly string[] Names = [.. Values.Select(v => JsonNamingPolicy.KebabCaseLower.ConvertName(Enum.GetName(v)!))];
    }
}

/// <summary>Writes a choice as its config name and reads it case-insensitively (config.json, model files).</summary>
public sealed class ChoiceConverter<T> : JsonStringEnumConverter<T> where T : struct, Enum
{
    /// <summary>The converter of <typeparamref name="T"/>: kebab-case lower names, no integers.</summary>
    public ChoiceConverter() : base(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) { }
}
