// What "converged" means for a training run (issue 13): the gradient, not just the loss change. The gradient norm is
// scaled by the parameters' size (root mean square over every trainable number), so one tolerance fits any N.
using DpsTorch.Config;

namespace DpsTorch.Model;

/// <summary>The gradient-norm test of convergence and the plain warning when a run did not pass it.</summary>
public static class Convergence
{
    /// <summary>Root-mean-square gradient ‖g‖₂ / √P over the P numbers of <paramref name="ps"/>; parameters without a gradient count as 0.</summary>
    public static double GradientNorm(IReadOnlyList<Tensor> ps)
    {
        double sum = 0;
        long count = 0;
        foreach (var p in ps)
        {
            count += p.Numel;
            if (p.Grad is not { } g) continue;
            foreach (var v in g.Data) sum += v * v;
        }
        return count == 0 ? 0 : Math.Sqrt(sum / count);
    }

    /// <summary>
    /// The full loss (its own demand, no continuation smoothing), its coverage part and its RMS gradient at the
    /// system's current parameters, from one forward and backward pass. The gradients are cleared again afterwards.
    /// </summary>
    public static (double Total, double Coverage, double GradientNorm) FinalEvaluation(ITrainableSystem system)
    {
        var ps = system.Parameters();
        foreach (var p in ps) p.ZeroGrad();
        var (total, coverage) = system.Evaluate(null, backward: true);
        double norm = GradientNorm(ps);
        foreach (var p in ps) p.ZeroGrad();
        TensorEngine.EndStep();
        return (total, coverage, norm);
    }

    /// <summary>Whether training stops on this step's RMS gradient: training.gradTolerance &gt; 0 and the gradient passes it (0 turns the stop off).</summary>
    public static bool Stops(double gradientNorm, TrainingConfig training) => training.GradTolerance > 0 && Passes(gradientNorm, training);

    /// <summary>Whether a final RMS gradient passes the test of <paramref name="training"/> (training.gradTolerance).</summary>
    public static bool Passes(double gradientNorm, TrainingConfig training) => gradientNorm <= training.GradTolerance;

    /// <summary>One plain line saying that a run did not converge, with the numbers; null when it did.</summary>
    public static string? Warning(TrainResult result, TrainingConfig training)
        => result.Converged || result.Reason == StopReason.Cancelled ? null
            : $"warning: training did not converge: stopped by {Describe(result.Reason)} after {result.Steps} steps with RMS gradient "
              + $"{result.GradientNorm:G3} > training.gradTolerance {training.GradTolerance:G3}; the measures describe where training stopped, "
              + "not necessarily an optimum (raise training.steps or training.polish).";

    /// <summary>Relative margin within which a restart's final loss counts as reaching the best one.</summary>
    public const double SameLossTolerance = 1e-6;

    /// <summary>
    /// How many restarts ended at the best final loss (within a relative <see cref="SameLossTolerance"/>, or 1e-15
    /// absolute for losses near zero): "best loss reached by k of R starts". 0 when there are no losses.
    /// </summary>
    public static int ReachedBest(IReadOnlyList<double> losses)
    {
        if (losses.Count == 0) return 0;
        double best = losses.Min();
        return losses.Count(l => l <= best + Math.Max(SameLossTolerance * Math.Abs(best), 1e-15));
    }

    /// <summary>A stop reason in words.</summary>
    public static string Describe(StopReason reason) => reason switch
    {
        StopReason.Gradient => "the gradient test",
        StopReason.LossStalled => "the loss-change test",
        StopReason.StepLimit => "the step limit",
        _ => "cancellation",
    };
}
