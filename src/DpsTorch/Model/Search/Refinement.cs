// The search after each start's first-order phase (issue 13), in one place the run pipeline calls, for flat and nested
// systems alike: the L-BFGS polish to the gradient test, then the moves gradient descent cannot make (agent swaps
// between graph nodes, merges of near-clones and of whole types; per level for a nested system), each followed by the
// polish again when it changed the state. The starts themselves (modes, spread, homogeneous, random) are
// chosen per restart by Initialization.KindForRestart and SystemBuilder.Start.
using DpsTorch.Config;
using DpsTorch.Nested;

namespace DpsTorch.Model.Search;

/// <summary>The one entry point of the search moves after training.</summary>
public static class Refinement
{
    /// <summary>
    /// Refines a trained start in place: polish (training.polish iterations, default training.steps), then
    /// training.swaps passes of agent swaps and the polish again when a swap was kept, then, when the gradient test
    /// still fails, the merge of near-clones and the polish again, then the merge of whole types and the polish again
    /// (each kept only when it helps), then the moves that leave a basin (<see cref="Moves"/>).
    /// Returns the training result
    /// updated to the refined state (loss, steps, gradient norm, verdict); a cancelled run is returned as it was.
    /// <typeparamref name="TSystem"/> is a flat <see cref="DpsModel"/> or a <see cref="Nested.NestedSystem"/>; the swaps
    /// and merges of a nested system work per level (<see cref="Swaps.Run(AgentSystem, int)"/>, <see cref="Merge.Run(AgentSystem, bool)"/>),
    /// and so do its re-seeds and splits (<see cref="MoveScope"/>).
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
        return Moves(model, training, result, measure);
    }

    /// <summary>A loss at most this fraction of <see cref="NullLoss(DpsModel)"/> (or its nested twin) is an optimum to rounding: the moves below are not tried.</summary>
    public const double ZeroLoss = 1e-14;

    /// <summary>
    /// Re-seed moves when training.reseed is not set: enough for every agent of the measured hard cases to be re-placed
    /// (bench/optima/README.md, "Moves"); the moves stop at the first that does not lower the loss, so a start with
    /// nothing to re-seed pays one polish.
    /// </summary>
    public const int DefaultReseed = 32;

    /// <summary>
    /// Split trials when training.split is not set: none, since on the measured hard cases the re-seeds reached every
    /// optimum the splits reached and more, and each rejected trial costs one polish (bench/optima/README.md, "Moves").
    /// </summary>
    public const int DefaultSplit = 0;

    /// <summary>A new move's result is kept only when it lowers the loss by more than this relative amount.</summary>
    public const double Gain = 1e-9;

    /// <summary>
    /// The coverage loss of no production at all (the demand against zero), the scale <see cref="ZeroLoss"/> is
    /// relative to.
    /// </summary>
    public static double NullLoss(DpsModel model)
    {
        using var _ = TensorEngine.NoGrad();
        double total = 0;
        foreach (var frame in model.DemandFrames)
        {
            var d = Tensor.FromArray(frame);
            total += model.Objective.Kind == ObjectiveKind.System
                ? Mismatch.Of(model.Objective, model.Space.Delta, Tensor.Zeros(model.Space.Points), d).Item()
                : Mismatch.Of(model.Objective, model.Space.Delta, Tensor.Zeros(model.N, model.Space.Points), d / (model.Space.Delta * frame.Sum())).Item() / model.N;
        }
        return total / model.DemandFrames.Count;
    }

    /// <summary>
    /// The loss of no production at all for a nested system: its top-level coverage term against zero (as
    /// <see cref="NullLoss(DpsModel)"/>, a system written as one level gives the flat value) plus every level demand
    /// term against zero, each with its weight λ_D.
    /// </summary>
    public static double NullLoss(NestedSystem system)
    {
        using var _ = TensorEngine.NoGrad();
        int m = system.Space.Points;
        double delta = system.Space.Delta;
        double Term(ObjectiveKind kind, IReadOnlyList<double[]> frames, int rows, int members)
        {
            double sum = 0;
            foreach (var frame in frames)
            {
                var d = Tensor.FromArray(frame);
                sum += kind == ObjectiveKind.System
                    ? Mismatch.Of(system.Objective, delta, rows == 1 ? Tensor.Zeros(m) : Tensor.Zeros(rows, m), rows == 1 ? d : d.Unsqueeze(0)).Item() / rows
                    : Mismatch.Of(system.Objective, delta, Tensor.Zeros(members, m), d / (delta * frame.Sum())).Item() / members;
            }
            return sum / frames.Count;
        }
        double total = Term(system.Objective.Kind, system.DemandFrames, 1, system.Levels[^1].Members);
        foreach (var level in system.Levels)
            if (level.DemandFrames is { } frames) total += level.DemandWeight * Term(level.DemandObjective, frames, level.Groups, level.Members);
        return total;
    }

    private static double NullLoss(AgentSystem system) => system switch
    {
        DpsModel model => NullLoss(model),
        NestedSystem nested => NullLoss(nested),
        _ => throw new ArgumentException($"Refinement: no null loss for a {system.GetType().Name}.", nameof(system)),
    };

    /// <summary>
    /// The moves that leave a basin (issue 13), each followed by the polish and kept only when it lowers the loss by
    /// more than <see cref="Gain"/>: up to training.reseed re-seeds (stopping at the first that does not help): for a
    /// nested system of two or more levels first of starved composite agents (<see cref="Reseed.Composite"/>), then of
    /// a starved leaf or a near-clone at the peak of the residual D − W of the scope whose demand is least met
    /// (<see cref="Reseed.Run(AgentSystem)"/>; a flat system's only scope is the whole system); up to training.split
    /// split trials (agents by misfit; after a kept split the order is recomputed), then training.hops basin hops.
    /// None is tried once the loss is at zero to rounding (<see cref="ZeroLoss"/>), nor when the polish is off, nor on
    /// the torus T^d with d &gt; 1 (the three moves are written for one location per agent; swaps and merges work on
    /// T^d), nor for a nested homogeneous fleet (one shared skill: nothing to re-place).
    /// </summary>
    public static TrainResult Moves<TSystem>(TSystem model, TrainingConfig training, TrainResult result,
        Func<TSystem, (double het, double cov, double spec)> measure) where TSystem : AgentSystem
    {
        if (Polish.Iterations(training) <= 0 || result.Reason == StopReason.Cancelled
            || model.Space.Dimensions > 1 || model is NestedSystem { Homogeneous: true }) return result;
        double zero = ZeroLoss * NullLoss(model);
        bool AtZero() => result.Loss <= zero;
        int reseeds = training.Reseed ?? DefaultReseed, splits = training.Split ?? DefaultSplit;
        int t = 0;
        if (model is NestedSystem { Levels.Count: > 1 } nested)
            for (; t < reseeds && !AtZero(); t++)
            {
                var (next, kept) = Attempt(model, training, result, measure, _ => Reseed.Composite(nested));
                if (!kept) break;
                result = next;
            }
        for (; t < reseeds && !AtZero(); t++)
        {
            var (next, kept) = Attempt(model, training, result, measure, m => Reseed.Run(m) >= 0);
            if (!kept) break;
            result = next;
        }
        int tried = 0;
        while (tried < splits && !AtZero())
        {
            bool keptOne = false;
            var scope = MoveScope.Best(model);
            foreach (int i in Search.Split.Candidates(model, scope))
            {
                if (tried++ >= splits) break;
                var (next, kept) = Attempt(model, training, result, measure, m => Search.Split.Run(m, i, scope) >= 0);
                if (!kept) continue;
                result = next;
                keptOne = true;
                break;
            }
            if (!keptOne) break;
        }
        var rng = new Random((int)(Seeds.Mix(BitConverter.DoubleToUInt64Bits(result.Loss) ^ (ulong)(uint)training.Seed) & 0x7FFF_FFFF));
        for (int h = 0; h < training.Hops && !AtZero(); h++)
        {
            var (next, kept) = Attempt(model, training, result, measure, m => { BasinHopping.Perturb(m, rng); return true; });
            if (kept) result = next;
        }
        return result;
    }

    /// <summary>
    /// Applies <paramref name="move"/> (false: it changed nothing) and the polish; keeps the outcome when it lowers the
    /// loss by more than a relative <see cref="Gain"/>, else restores the parameters. Returns the (possibly new)
    /// result and whether it was kept.
    /// </summary>
    private static (TrainResult Result, bool Kept) Attempt<TSystem>(TSystem model, TrainingConfig training, TrainResult result,
        Func<TSystem, (double het, double cov, double spec)> measure, Func<TSystem, bool> move) where TSystem : AgentSystem
    {
        var ps = model.Parameters();
        var before = Trainer.Snapshot(ps);
        if (move(model))
        {
            var moved = Polish.Run(model, training, Polish.Remeasure(model, training, result), measure);
            if (moved.Loss < result.Loss - Gain * Math.Abs(result.Loss)) return (moved, true);
        }
        Trainer.Restore(ps, before);
        return (result, false);
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
