// The pointwise mismatch ℓ of MODEL.md section 2 (squared error, smooth unmet demand, or both), Δ-weighted and summed.
// Used by flat (DpsModel) and nested (NestedSystem) systems alike.
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
        Tensor total = Tensor.Scalar(0);
        if (objective.Mismatch is "squared" or "both")
            total = total + (produced - target).Pow(2.0).Sum() * delta;
        if (objective.Mismatch is "unmet" or "both")
        {
            var unmet = (target - produced).Softplus(objective.UnmetBeta);
            var over = (produced - target).Softplus(objective.UnmetBeta);
            total = total + (unmet + over * objective.OverWeight).Sum() * delta;
        }
        return total;
    }
}
