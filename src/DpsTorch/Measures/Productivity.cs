// Productivity, coverage and efficiency of MODEL.md section 3: how much of the demand D the system production W meets.
using System.Numerics.Tensors;
using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.Measures;

/// <summary>
/// Production measures on the grid of a <see cref="Space"/> (integrals are Δ-weighted sums):
/// effective production ∫ min(W, D), total production ∫ W, coverage ∫ min(W, D) / ∫ D and
/// efficiency ∫ min(W, D) / (Σ a_i + λ_C C(Q)).
/// </summary>
public static class Productivity
{
    /// <summary>Effective production ∫ min(W, D): the part of the demand that is met.</summary>
    public static double Effective(Space space, ReadOnlySpan<double> production, ReadOnlySpan<double> demand)
    {
        ArgumentNullException.ThrowIfNull(space);
        Require.Length(production.Length, space.M, nameof(production), "one value per grid point");
        Require.Length(demand.Length, space.M, nameof(demand), "one value per grid point");
        var met = new double[space.M];
        TensorPrimitives.Min(production, demand, met);
        return space.Integrate(met);
    }

    /// <summary>Total production ∫ W.</summary>
    public static double Total(Space space, ReadOnlySpan<double> production)
    {
        ArgumentNullException.ThrowIfNull(space);
        return space.Integrate(production);
    }

    /// <summary>Coverage (effectiveness) ∫ min(W, D) / ∫ D ∈ [0, 1] for W ≥ 0; the demand must have positive mass.</summary>
    public static double Coverage(Space space, ReadOnlySpan<double> production, ReadOnlySpan<double> demand)
    {
        double effective = Effective(space, production, demand);
        double mass = space.Integrate(demand);
        if (!(mass > 0)) throw new ArgumentException($"The demand has mass {mass}; coverage needs a positive ∫D.", nameof(demand));
        return effective / mass;
    }

    /// <summary>
    /// Efficiency ∫ min(W, D) / (Σ a_i + λ_C · C(Q)): effective production per unit of spent resource, where
    /// <paramref name="totalResource"/> = Σ a_i and <paramref name="communicationCost"/> = C(Q)
    /// (see <see cref="CommunicationCost"/>).
    /// </summary>
    public static double Efficiency(Space space, ReadOnlySpan<double> production, ReadOnlySpan<double> demand,
        double totalResource, double communicationCost = 0, double lambdaC = 0)
    {
        Require.NonNegative(totalResource, nameof(totalResource));
        Require.NonNegative(communicationCost, nameof(communicationCost));
        Require.NonNegative(lambdaC, nameof(lambdaC));
        double spent = totalResource + lambdaC * communicationCost;
        if (!(spent > 0))
            throw new ArgumentException($"The spent resource Σa + λ_C·C(Q) is {spent}; efficiency needs it positive.", nameof(totalResource));
        return Effective(space, production, demand) / spent;
    }
}
