// The pointwise mismatch ℓ of MODEL.md section 2 (squared error, smooth unmet demand, or both), Δ-weighted and summed.
// Used by flat (DpsModel) and nested (NestedSystem) systems alike.
using DpsTorch.Config;

namespace DpsTorch.Model;

/// <summary>Mismatch between a production and a target on the grid.</summary>
public static class Mismatch
{
    /// <summary>
    /// "squared": Δ Σ (produced − target)²; "unmet": Δ Σ [softplus_β(target − produced) + w_over softplus_β(produced −
    /// target)]; "both": their sum. Shapes broadcast (any shape ending in M).
    /// </summary>
    public static Tensor Of(ObjectiveConfig objective, double delta, Tensor produced, Tensor target)
    {
        return objective.Mismatch switch
        {
            MismatchKind.Squared => Squared(delta, produced, target),
            MismatchKind.Unmet => Unmet(objective, delta, produced, target),
            MismatchKind.Both => Squared(delta, produced, target) + Unmet(objective, delta, produced, target),
            _ => throw Choices.Unknown("objective.mismatch", objective.Mismatch),
        };
    }

    private static Tensor Squared(double delta, Tensor produced, Tensor target) => (produced - target).Pow(2.0).Sum() * delta;

    private static Tensor Unmet(ObjectiveConfig objective, double delta, Tensor produced, Tensor target)
    {
        var unmet = (target - produced).Softplus(objective.UnmetBeta);
        var over = (produced - target).Softplus(objective.UnmetBeta);
        return (unmet + over * objective.OverWeight).Sum() * delta;
    }
}
