// A second-order polish after the first-order phase (issue 13): L-BFGS with a strong-Wolfe line search on the full
// loss, from wherever Adam stopped, until the max-abs gradient passes 0.01 training.gradTolerance or training.polish
// iterations (default training.steps) are spent; then, for the efficient-coding objective, a few damped Newton steps
// (Optim/Newton.cs, training.newton), which pass the gradient test where L-BFGS stalls. Adam's cosine-decayed steps
// crawl along the flat valleys of mixture losses; L-BFGS crosses them in a few hundred iterations
// (bench/optima/README.md has the measurements). A nested system keeps more curvature pairs and gets a budget of up
// to four iterations per parameter: its Hessian is far worse conditioned (experiments/07-nested-compute/README.md,
// "Convergence"); its polish runs in rounds of 100 iterations and stops at the first round that ends converged.
using System.Diagnostics;
using DpsTorch.Config;
using DpsTorch.Optim;

namespace DpsTorch.Model.Search;

/// <summary>Runs the L-BFGS polish on a trained system.</summary>
public static class Polish
{
    /// <summary>Loss changes below this stop the polish (absolute; losses at an optimum are often far below 1).</summary>
    public const double ToleranceChange = 1e-20;

    /// <summary>
    /// The polish aims at this fraction of training.gradTolerance (a run still counts as converged at the tolerance
    /// itself): a first-order phase that stopped on the gradient test can sit at a loss orders of magnitude above the
    /// optimum it is near (bench/optima/README.md), and a few L-BFGS iterations close that gap.
    /// </summary>
    public const double Tightening = 0.01;

    /// <summary>Curvature pairs the polish's L-BFGS keeps for a flat system.</summary>
    public const int History = 20;

    /// <summary>
    /// Curvature pairs for a nested system (at most one per parameter): its Hessian spreads over about eight orders of
    /// magnitude across the levels' locations, breadths, resources and link logits, and 20 pairs crawl (experiment 07:
    /// RMS gradient 1e-5 after 1500 iterations with 20 pairs; 400 pass 1e-6 within 1000 iterations from there;
    /// experiments/07-nested-compute/README.md, "Convergence").
    /// </summary>
    public const int NestedHistory = 400;

    /// <summary>
    /// Whether <paramref name="system"/> gets the nested polish (more pairs, rounds, a budget per parameter): a nested
    /// system of two or more levels. A flat system written as one level keeps the flat polish, so it still trains to
    /// the flat system's bits.
    /// </summary>
    public static bool IsStacked(ITrainableSystem system) => system is Nested.NestedSystem { Levels.Count: > 1 };

    /// <summary>The history of the polish for <paramref name="system"/>: <see cref="NestedHistory"/> (at most its parameter count) for a nested system of two or more levels, else <see cref="History"/>.</summary>
    public static int HistoryFor(ITrainableSystem system)
        => IsStacked(system) ? Math.Clamp(system.Parameters().Sum(p => p.Numel), History, NestedHistory) : History;

    /// <summary>
    /// Damped Newton iterations after the L-BFGS when training.newton is not set, for objective.kind "fisher": its
    /// Hessian spans about five orders of magnitude (experiment 11: eigenvalues 0.04 to 1100 at a 12-neuron optimum) and
    /// L-BFGS stalls at an RMS gradient of 1e-6 to 1e-5 for thousands of iterations there, while one or two Newton
    /// steps (72 gradient evaluations each for 36 numbers) pass 1e-8 (experiments/11-efficient-coding/README.md).
    /// </summary>
    public const int DefaultFisherNewton = 20;

    /// <summary>
    /// Newton iterations of the polish for <paramref name="system"/>: training.newton, else <see cref="DefaultFisherNewton"/>
    /// for a flat system with objective.kind "fisher" and 0 for every other system (their polish is L-BFGS alone).
    /// </summary>
    public static int NewtonIterations(TrainingConfig training, ITrainableSystem system)
    {
        ArgumentNullException.ThrowIfNull(training);
        return training.Newton ?? (system is DpsModel { Objective.Kind: ObjectiveKind.Fisher } ? DefaultFisherNewton : 0);
    }

    /// <summary>The polish's iteration budget: training.polish, or training.steps when it is not set.</summary>
    public static int Iterations(TrainingConfig training) => training.Polish ?? training.Steps;

    /// <summary>
    /// The polish's budget for <paramref name="system"/>: training.polish when set; else training.steps, and for a
    /// nested system at least <see cref="NestedIterationsPerParameter"/> per parameter (a quasi-Newton method needs of
    /// the order of one iteration per parameter to learn an ill-conditioned curvature).
    /// </summary>
    public static int Iterations(TrainingConfig training, ITrainableSystem system)
        => training.Polish ?? (IsStacked(system)
            ? (int)Math.Min(int.MaxValue, Math.Max(training.Steps, NestedIterationsPerParameter * (long)system.Parameters().Sum(p => p.Numel)))
            : training.Steps);

    /// <summary>
    /// The default polish budget of a nested system per trainable number (when training.polish is not set), an upper
    /// bound since the polish stops at the first round that passes the gradient test: a 32-leaf, two-level system with
    /// learned links (214 parameters) converged with 450 iterations and not with 300
    /// (tests/DpsTorch.Tests/Model/Search/NestedSearchTests.cs); experiment 07 (862) with 2 per parameter converged in
    /// one of its two designs and missed in the other by RMS 2.1e-6, which 250 more iterations passed.
    /// </summary>
    public const int NestedIterationsPerParameter = 4;

    /// <summary>
    /// L-BFGS iterations per round of a nested system's polish, between gradient tests (the polish stops at the first
    /// round that ends converged; the rounds never exceed the budget).
    /// </summary>
    public const int Round = 100;

    /// <summary>
    /// <paramref name="trained"/> with the loss, gradient norm and verdict of the system's current parameters (after a
    /// move that changed them outside training).
    /// </summary>
    public static TrainResult Remeasure(ITrainableSystem system, TrainingConfig training, TrainResult trained)
    {
        var (loss, _, gradient) = Convergence.FinalEvaluation(system);
        return trained with { Loss = loss, GradientNorm = gradient, Converged = Convergence.Passes(gradient, training) };
    }

    /// <summary>
    /// Polishes <paramref name="system"/> (flat or nested: any <see cref="ITrainableSystem"/>, on its whole parameter
    /// list) in place for at most <c>training.polish</c> L-BFGS iterations and returns
    /// <paramref name="trained"/> updated: loss, steps (plus the iterations taken), seconds, stop reason, the final
    /// gradient norm and the convergence verdict, and one more trajectory point. When the polish meets a non-finite
    /// value, does not lower the loss or loses a convergence the run had, the parameters are restored and <paramref name="trained"/> is returned as it was.
    /// </summary>
    public static TrainResult Run<TSystem>(TSystem system, TrainingConfig training, TrainResult trained,
        Func<TSystem, (double het, double cov, double spec)> measure) where TSystem : ITrainableSystem
    {
        int iterations = Iterations(training, system);
        if (iterations <= 0 || trained.Reason == StopReason.Cancelled) return trained;
        var clock = Stopwatch.StartNew();
        var ps = system.Parameters();
        var before = Trainer.Snapshot(ps);
        // A nested system's L-BFGS runs in rounds that keep its history, with the gradient test between them: its
        // trajectory alternates plateaus that pass the test with sudden drops, so where a fixed budget ends is a lottery.
        bool rounds = IsStacked(system);
        int perCall = rounds ? Math.Min(Round, iterations) : iterations;
        var lbfgs = new Lbfgs(ps, lr: 1, maxIter: perCall, historySize: HistoryFor(system), toleranceGrad: Tightening * training.GradTolerance,
            toleranceChange: ToleranceChange, maxEval: 2 * perCall);
        double coverage = double.NaN;
        int taken = 0;
        while (true)
        {
            lbfgs.Step(() =>
            {
                lbfgs.ZeroGrad();
                (double total, coverage) = system.Evaluate(null, backward: true);
                return total;
            });
            taken += lbfgs.LastIterations;
            if (!rounds || taken + perCall > iterations || lbfgs.LastStopReason is not (LbfgsStopReason.IterationLimit or LbfgsStopReason.EvaluationLimit)) break;
            TensorEngine.EndStep();
            if (Convergence.Passes(Convergence.FinalEvaluation(system).GradientNorm, training)) break;
        }
        TensorEngine.EndStep();
        int newton = NewtonIterations(training, system);
        if (newton > 0 && lbfgs.LastStopReason != LbfgsStopReason.NonFinite && ps.Sum(p => p.Numel) <= Newton.MaxParameters)
        {
            var polished = Newton.Minimize(ps, () =>
            {
                foreach (var p in ps) p.ZeroGrad();
                double total = system.Evaluate(null, backward: true).Total;
                TensorEngine.EndStep();
                return total;
            }, newton, Tightening * training.GradTolerance);
            taken += polished.Iterations;
            foreach (var p in ps) p.ZeroGrad();
        }
        (double loss, coverage, double gradient) = Convergence.FinalEvaluation(system);
        bool converged = Convergence.Passes(gradient, training);
        // Never trade a converged state for an unconverged one, nor a state for a worse or non-finite one.
        if (lbfgs.LastStopReason == LbfgsStopReason.NonFinite || !double.IsFinite(loss) || !(loss <= trained.Loss)
            || (trained.Converged && !converged) || ps.Any(p => !AllFinite(p.Data)))
        {
            Trainer.Restore(ps, before);
            return trained;
        }
        var reason = converged ? StopReason.Gradient
            : lbfgs.LastStopReason == LbfgsStopReason.ConvergedOnChange ? StopReason.LossStalled : StopReason.StepLimit;
        int steps = trained.Steps + taken;
        double seconds = trained.Seconds + clock.Elapsed.TotalSeconds;
        var (het, cov, spec) = measure(system);
        var trajectory = trained.Trajectory.Append(new TrajectoryPoint(steps, loss, coverage, het, cov, spec, seconds)).ToArray();
        return trained with { Loss = loss, Steps = steps, Reason = reason, Seconds = seconds, Trajectory = trajectory, GradientNorm = gradient, Converged = converged };
    }

    /// <summary>Whether every value is finite (the search's test of a parameter tensor after a step).</summary>
    internal static bool AllFinite(ReadOnlySpan<double> values)
    {
        foreach (var v in values) if (!double.IsFinite(v)) return false;
        return true;
    }
}
