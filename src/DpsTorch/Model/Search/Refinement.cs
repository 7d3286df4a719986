// The search after each start's first-order phase (issue 13), in one place the run pipeline calls, for flat and nested
// systems alike: the L-BFGS polish to the gradient test, then the moves gradient descent cannot make (agent swaps
// between graph nodes, merges of near-clones and of whole types; per level for a nested system), each followed by the
// polish again when it changed the state. The starts themselves (modes, spread, homogeneous, random) are
// chosen per restart by Initialization.KindForRestart and SystemBuilder.Start.
using DpsTorch.Config;

namespace DpsTorch.Model.Search;

/// <summary>The one entry point of the search moves after training.</summary>
public static class Refinement
{
    /// <summary>
    /// Refines a trained start in place: polish (training.polish iterations, default training.steps), then
    /// training.swaps passes of agent swaps and the polish again when a swap was kept, then, when the gradient test
    /// still fails, the merge of near-clones and the polish again, then the merge of whole types and the polish again
    /// (each kept only when it helps). Returns the training result
    /// updated to the refined state (loss, steps, gradient norm, verdict); a cancelled run is returned as it was.
    /// <typeparamref name="TSystem"/> is a flat <see cref="DpsModel"/> or a <see cref="Nested.NestedSystem"/>; the swaps
    /// and merges of a nested system work per level (<see cref="Swaps.Run(AgentSystem, int)"/>, <see cref="Merge.Run(AgentSystem, bool)"/>).
    /// </summary>
    public static TrainResult Run<TSystem>(TSystem model, TrainingConfig training, TrainResult trained, Func<TSystem, (double het, double cov, double spec)> measure)
        where TSystem : AgentSystem
    {
        if (trained.Reason == StopReason.Cancelled) return trained;
        var result = Polish.Run(model, training, trained, measure);
        if (Swaps.Run(model, training.Swaps) > 0)
            result = Polish.Run(model, training, Polish.Remeasure(model, training, result), measure);
        if (Polish.Iterations(training) <= 0) return result; // training.polish 0 turns the merges off too
        if (!result.Converged) result = MergeAndPolish(model, training, result, measure, wholeTypes: false);
        if (!result.Converged) result = MergeAndPolish(model, training, result, measure, wholeTypes: true);
        return result;
    }

    /// <summary>
    /// The merge move (<see cref="Merge.Run(AgentSystem, bool)"/>, of near-clones or of <paramref name="wholeTypes"/>) followed by the polish, kept when it lowers the loss or reaches the gradient
    /// test without raising it; otherwise the parameters are restored and <paramref name="result"/> returned as it was.
    /// </summary>
    public static TrainResult MergeAndPolish<TSystem>(TSystem model, TrainingConfig training, TrainResult result,
        Func<TSystem, (double het, double cov, double spec)> measure, bool wholeTypes) where TSystem : AgentSystem
    {
        var ps = model.Parameters();
        var before = Trainer.Snapshot(ps);
        if (Merge.Run(model, wholeTypes) == 0) return result;
        var merged = Polish.Run(model, training, Polish.Remeasure(model, training, result), measure);
        if (merged.Loss < result.Loss || (merged.Converged && merged.Loss <= result.Loss)) return merged;
        Trainer.Restore(ps, before);
        return result;
    }
}
