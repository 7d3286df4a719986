// The pointwise mismatch ℓ of MODEL.md section 2 (squared error, smooth unmet demand, or both), Δ-weighted and summed.
// Used by flat (DpsModel) and nested (NestedSystem) systems alike, and per start by batched multi-start (BatchedStarts).
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
        => Combine(objective, delta, produced, target, Tensor.Scalar(0), t => t.Sum());

    /// <summary>
    /// <see cref="Of"/> for <paramref name="starts"/> independent systems stacked along the first dimension of
    /// <paramref name="produced"/> (rows [r·k, (r+1)·k) belong to start r): shape [starts], element r the mismatch of
    /// start r alone.
    /// </summary>
    public static Tensor PerStart(ObjectiveConfig objective, double delta, Tensor produced, Tensor target, int starts)
        => Combine(objective, delta, produced, target, Tensor.Zeros(starts), t => t.Reshape(starts, -1).Sum(1));

    private static Tensor Combine(ObjectiveConfig objective, double delta, Tensor produced, Tensor target, Tensor zero, Func<Tensor, Tensor> sum)
    {
        if (!Enum.IsDefined(objective.Mismatch)) throw Choices.Unknown("objective.mismatch", objective.Mismatch);
        Tensor total = zero;
        if (objective.Mismatch is MismatchKind.Squared or MismatchKind.Both)
            total = total + sum((produced - target).Pow(2.0)) * delta;
        if (objective.Mismatch is MismatchKind.Unmet or MismatchKind.Both)
        {
            var unmet = (target - produced).Softplus(objective.UnmetBeta);
            var over = (produced - target).Softplus(objective.UnmetBeta);
            total = total + sum(unmet + over * objective.OverWeight) * delta;
        }
        return total;
    }
}
