// What a flat DpsModel and a NestedSystem share: the grid, the demand, the objective, and the (leaf) agents' trainable
// μ, ρ, α with their breadth floor and budget; and the one evaluation of the loss the trainer calls (ITrainableSystem).
using DpsTorch.Config;

namespace DpsTorch.Model;

/// <summary>
/// The common core of a distributed production system, flat or nested: the agents (the leaves of a nested system)
/// with μ (free, read modulo 2π), ρ with σ = σ_min + softplus(ρ), and α for the resources.
/// </summary>
public abstract class AgentSystem : ITrainableSystem
{
    /// <summary>The grid points as an array, for the skill kernels.</summary>
    private protected double[] Grid { get; }

    /// <summary>The grid.</summary>
    public Space Space { get; }
    /// <summary>What the system is asked to produce: one frame, or several for a drifting demand (the loss averages them).</summary>
    public IReadOnlyList<double[]> DemandFrames { get; }
    /// <summary>The objective and penalties (a nested system's top-level objective and its leaves' λ_R, λ_σ).</summary>
    public ObjectiveConfig Objective { get; }
    /// <summary>Smallest breadth σ_min.</summary>
    public double SigmaMin { get; }
    /// <summary>Total resource R.</summary>
    public double Budget { get; }
    /// <summary>True when a = softplus(α) with a budget penalty, false for a = R·softmax(α).</summary>
    public bool SoftBudget { get; }
    /// <summary>True for fixed equal resources a_i = R/N (agents.resources "fixed-equal"): α is then not trained.</summary>
    public bool FixedResources { get; }

    /// <summary>Locations μ (a leaf).</summary>
    public Tensor Mu { get; }
    /// <summary>Breadth logits ρ (a leaf).</summary>
    public Tensor Rho { get; }
    /// <summary>Resource logits α (a leaf).</summary>
    public Tensor Alpha { get; }

    /// <summary>Stores the parts; the initial parameter values are copied into fresh leaves.</summary>
    private protected AgentSystem(Space space, IReadOnlyList<double[]> demandFrames, ObjectiveConfig objective, double sigmaMin, double budget,
        bool softBudget, double[] mu, double[] rho, double[] alpha, bool fixedResources = false)
    {
        if (softBudget && fixedResources)
            throw new ArgumentException("AgentSystem: a soft budget and fixed equal resources exclude each other; choose one agents.resources rule.");
        Space = space;
        Grid = space.Grid.ToArray();
        DemandFrames = demandFrames;
        Objective = objective;
        SigmaMin = sigmaMin;
        Budget = budget;
        SoftBudget = softBudget;
        FixedResources = fixedResources;
        Mu = Tensor.FromArray(mu).RequiresGrad_();
        Rho = Tensor.FromArray(rho).RequiresGrad_();
        Alpha = Tensor.FromArray(alpha).RequiresGrad_();
    }

    /// <inheritdoc/>
    public abstract IReadOnlyList<Tensor> Parameters();
    /// <inheritdoc/>
    public abstract IReadOnlyList<string> ParameterNames();
    /// <inheritdoc/>
    public abstract Tensor Sigma();
    /// <inheritdoc/>
    public abstract Tensor Resources();

    /// <summary>
    /// <see cref="Evaluate"/> without the graph where the system has such a path (bit-identical to the graph's loss and
    /// Backward): true with the result, false to take the graph.
    /// </summary>
    private protected virtual bool TryEvaluateFused(IReadOnlyList<double[]>? frames, bool backward, out (double Total, double Coverage) result)
    {
        result = default;
        return false;
    }

    /// <summary>The total loss and its coverage part for <paramref name="frames"/> (null: the system's own), as graph tensors.</summary>
    private protected abstract (Tensor Total, Tensor Coverage) LossTerms(IReadOnlyList<double[]>? frames);

    /// <inheritdoc/>
    public (double Total, double Coverage) Evaluate(IReadOnlyList<double[]>? frames, bool backward)
    {
        if (TryEvaluateFused(frames, backward, out var fused)) return fused;
        using var mode = backward ? null : TensorEngine.NoGrad();
        var (total, coverage) = LossTerms(frames);
        if (backward) total.Backward();
        return (total.Item(), coverage.Item());
    }
}
