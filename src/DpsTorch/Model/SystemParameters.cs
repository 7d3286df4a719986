// A system's trainable values as plain arrays: what a saved state hands the builders (SystemBuilder.FromState,
// NestedBuilder.FromState) so the model layer never reads a file format. A flat system is one level.
namespace DpsTorch.Model;

/// <summary>
/// The raw parameters of a flat or nested system: the leaves' μ, ρ, α (length N, or 1 for a homogeneous fleet) and per
/// level the values of its interaction. A flat system has exactly one level.
/// </summary>
public sealed record SystemParameters
{
    /// <summary>Raw skill positions μ on the circle, one per agent.</summary>
    public required double[] Mu { get; init; }
    /// <summary>Raw breadth parameters ρ (σ = σ_min + softplus(ρ)), one per agent.</summary>
    public required double[] Rho { get; init; }
    /// <summary>Raw resource parameters α, one per agent.</summary>
    public required double[] Alpha { get; init; }
    /// <summary>The off-diagonal entries of the Cholesky factors (agents.covariance "full", d(d − 1)/2 per agent), or null.</summary>
    public double[]? Lower { get; init; }
    /// <summary>Per level (bottom first) the values of its interaction; one level for a flat system.</summary>
    public required IReadOnlyList<LevelParameters> Levels { get; init; }
}

/// <summary>
/// One level's interaction values: the edges (i &lt; j) when they are saved rather than rebuilt from the config, the
/// fixed weights q per edge, and the learned logits θ per edge (null for a fixed topology).
/// </summary>
public sealed record LevelParameters
{
    /// <summary>The edges (i, j) with i &lt; j, or null when the config's graph fixes them.</summary>
    public (int I, int J)[]? Edges { get; init; }
    /// <summary>The weight q of each edge (for a fixed topology; may be null when <see cref="Theta"/> is given).</summary>
    public double[]? Weights { get; init; }
    /// <summary>The learned logit θ of each edge, or null for a fixed topology.</summary>
    public double[]? Theta { get; init; }

    /// <summary>The values an interaction with learned logits (<paramref name="learned"/>) or fixed weights needs:
    /// θ or q; an error naming <paramref name="what"/> when they are missing.</summary>
    public double[] Values(bool learned, string what)
        => (learned ? Theta : Weights) ?? throw new ArgumentException($"{what}: the saved level has no {(learned ? "theta" : "weights")}; its topology is {(learned ? "learned" : "fixed")}.");
}
