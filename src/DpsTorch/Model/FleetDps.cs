// The AI-compute fleet (Model/Fleet.cs) as a DPS trained by the project's gradient trainer (case.solver "dps"), beside
// the exact linear program (case.solver "lp", the reference). The mapping:
//  - the operation space is the job-type axis: a circle of M = 4 points, one per job type (pre-training, fine-tuning,
//    prefill, decode); the demand is the job mix per frame of the day, D_f = [D_pre, D_ft, φ·λ_f, (1 − φ)·λ_f] with
//    λ_f = (1 ± s)·λ̄ (two frames, day and night; training is deferrable, so its demand is met over the day);
//  - the agents are the device types; agent t's resource is its budget share a_t = softmax(α)_t (R = 1, the DPS budget
//    parametrisation), which pays for its devices and their busy time: a_t = k_t·n_t + e_t·busy_t;
//  - agent t's skill over the job axis is the work routed to it, set by the routing logits (the fraction ζ_j(f, t) of
//    the day's work on training job j that type t does in frame f, and the fraction z_f(t, u) of frame f's requests
//    prefilled on t and decoded on u), weighted by its datasheet-roofline throughputs 1/h_tj: its devices' time splits
//    among the jobs it serves (breadth trades against height);
//  - the interaction between agents is the KV-cache traffic z_f(t, u), t ≠ u: a request split over two types costs the
//    prefill device the transfer time κ over case.kvLink (the communication cost of heterogeneity); tensor- and
//    data-parallel traffic over NVLink/PCIe, the rack and the spine is inside the throughputs (Fleet.cs);
//  - utilisation: a type needs devices for its busiest frame, n_t ≥ θ·L_tf in both frames, and idles in the other.
// With L_tf the device-seconds per second type t needs in frame f per unit of θ and B_t = Σ_f τ_f L_tf its mean busy
// time, type t needs n_t = θ·max_f L_tf devices and the budget k_t n_t + e_t θ B_t; the budget 1 then gives
// θ = 1 / Σ_t (k_t·max_f L_tf + e_t·B_t). For fixed routing that is the linear program's θ exactly, and every routing
// of the program is one of the DPS's, so sup θ = θ* of the program. Budget shares (case.dpsShares):
//  - "derived" (default): a_t = θ·(k_t max_f L_tf + e_t B_t), what t's routed work needs; the trainer minimises
//    1/θ_β = Σ_t (k_t·max_β(L_0t, L_1t) + e_t B_t) with the smooth two-frame maximum max_β(x, y) =
//    (x + y)/2 + (√((x − y)² + β⁻²) − β⁻¹)/2 (exact where x = y, at most 1/(2β) below the maximum): convex in the
//    routing fractions, so a stationary point of the softmax parametrisation is the global optimum, and the hard θ
//    at the trained optimum is within Σ_t k_t/(2β) of 1/θ* in 1/θ (θ*·Σk/(2β) relative) plus what training leaves;
//  - "trained": a = softmax(α), the DPS resources, trained with the routing; θ = min_{t,f} a_t/(k_t L_tf + e_t B_t)
//    and the trainer minimises its log-sum-exp of sharpness β. Not convex jointly: it can stop at a worse stationary
//    point (tests/DpsTorch.Tests/Model/FleetDpsTests.cs shows one), which is why it is not the default.
// Trained in stages of rising β (case.dpsStages, ×10 per stage up to case.dpsSharpness), each an Adam run of
// training.* followed by the L-BFGS polish; the converged flag is the trainer's (RMS gradient ≤ training.gradTolerance)
// at the last stage. Fixed proportions (the flat and mean-designed fleets): counts n_t = σ·π_t with σ set by the
// budget, θ = 1 / (Σ_t k_t π_t · max_{t,f} L_tf/π_t + Σ_t e_t B_t) (log-sum-exp of sharpness β/10); only the routing is trained.
using DpsTorch.Config;
using DpsTorch.Optim;

namespace DpsTorch.Model;

/// <summary>How a fleet design was trained by the DPS solver (case.solver "dps").</summary>
/// <param name="Converged">The best start's trainer verdict at the last stage: RMS gradient ≤ training.gradTolerance.</param>
/// <param name="GradientNorm">That start's final RMS gradient.</param>
/// <param name="Loss">Its final loss (the smooth maximum of the loads per budget, 1/θ_β).</param>
/// <param name="Steps">Optimiser steps over all stages (first-order steps plus polish iterations).</param>
/// <param name="Starts">Independent starts (training.restarts).</param>
/// <param name="ReachedBest">Starts whose final loss is within <see cref="Convergence.SameLossTolerance"/> of the best.</param>
/// <param name="ConvergedStarts">Starts that passed the gradient test.</param>
/// <param name="SoftTheta">θ_β = 1 / loss: the smooth counterpart of θ the trainer optimised.</param>
/// <param name="KktGap">The optimality test the RMS gradient cannot make: the largest drop of the loss per unit of share moved onto one routing or budget option, max(0, −(∂L/∂s_i − Σ_j s_j ∂L/∂s_j)) over every softmax group (0 at the optimum of the smooth loss).</param>
public sealed record FleetTraining(bool Converged, double GradientNorm, double Loss, int Steps, int Starts, int ReachedBest, int ConvergedStarts, double SoftTheta,
    double KktGap = double.NaN);

/// <summary>
/// The fleet as a trainable DPS (see the file header): agents are device types with budget shares a = softmax(α) and
/// routing logits that set their work over the 4-point job axis. <see cref="Evaluate"/> is the trainer's loss.
/// </summary>
public sealed class FleetDpsSystem : ITrainableSystem
{
    /// <summary>Under fixed proportions the log-sum-exp runs at β divided by this (see <see cref="Loss"/>).</summary>
    public const double ProportionsSharpnessDivisor = 10;

    /// <summary>Frames of the day (day, night), each half of it.</summary>
    public const int Frames = 2;
    private static readonly double[] Tau = [0.5, 0.5];

    private readonly FleetProblem _p;
    private readonly int[] _on;
    private readonly double[]? _proportions;   // fixed counts' proportions over the allowed types, or null (shares trained)
    private readonly Tensor _fixed, _busy;      // k_t, e_t of the allowed types
    private readonly Tensor[] _trainCost;       // per training job: h_tj/τ_f on (f, t), length F·T'
    private readonly Tensor[] _inferCost;       // per frame: T' × T'² device-seconds per unit request of each pair

    /// <summary>The job-type axis: one grid point per job type (order of <see cref="FleetJob"/>).</summary>
    public Space Space { get; } = new(FleetProblem.Jobs);
    /// <summary>Per frame, the demand per unit θ on the job axis: [D_pre, D_ft, φ·λ_f, (1 − φ)·λ_f].</summary>
    public IReadOnlyList<double[]> DemandFrames { get; }
    /// <summary>How the budget shares are set (derived from the loads, or trained as softmax(α)); Derived under fixed proportions.</summary>
    public FleetDpsShares Shares { get; }
    /// <summary>Budget-share logits α, one per allowed type, under trained shares (null otherwise, or for a single type).</summary>
    public Tensor? Alpha { get; }
    /// <summary>Training routing logits per training job (pre-training, fine-tuning), each over (frame, type), length F·T'.</summary>
    public IReadOnlyList<Tensor> TrainLogits { get; }
    /// <summary>Inference routing logits per frame over the (prefill type, decode type) pairs, length T'².</summary>
    public IReadOnlyList<Tensor> InferLogits { get; }
    /// <summary>β of the smooth maximum; the staged trainer raises it.</summary>
    public double Sharpness { get; set; }
    /// <summary>Always false: the budget is a softmax (the guard's formula).</summary>
    public bool SoftBudget => false;
    /// <summary>The allowed device types (indices into the problem's catalogue).</summary>
    public IReadOnlyList<int> Types => _on;

    /// <summary>
    /// The system of <paramref name="p"/> over <paramref name="allowed"/> (null: every type), with the budget shares
    /// trained, or, when <paramref name="proportions"/> is given (one per catalogue type; 0 leaves a type out), the
    /// counts' proportions fixed. Logits start at 0 plus N(0, <paramref name="jitter"/>) noise from <paramref name="rng"/>.
    /// </summary>
    public FleetDpsSystem(FleetProblem p, double sharpness, Random rng, IReadOnlyList<int>? allowed = null, IReadOnlyList<double>? proportions = null,
        FleetDpsShares shares = FleetDpsShares.Derived, double jitter = 0.1)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(rng);
        if (!(sharpness > 0) || !double.IsFinite(sharpness)) throw new ArgumentOutOfRangeException(nameof(sharpness), sharpness, "a finite sharpness β > 0");
        _p = p;
        Sharpness = sharpness;
        if (proportions is not null)
        {
            if (proportions.Count != p.Types) throw new ArgumentException($"proportions has {proportions.Count} entries, expected {p.Types} device types.", nameof(proportions));
            _on = [.. Enumerable.Range(0, p.Types).Where(t => proportions[t] > 0)];
            double sum = _on.Sum(t => proportions[t]);
            _proportions = [.. _on.Select(t => proportions[t] / sum)];
        }
        else _on = allowed is null ? [.. Enumerable.Range(0, p.Types)] : [.. allowed.Distinct().Order()];
        if (_on.Length == 0) throw new ArgumentException("No device type is allowed.", nameof(allowed));
        if (_on.Any(t => t < 0 || t >= p.Types)) throw new ArgumentOutOfRangeException(nameof(allowed), "a device type index outside the catalogue");
        int n = _on.Length;
        _fixed = Tensor.FromArray([.. _on.Select(t => p.Fixed[t])]);
        _busy = Tensor.FromArray([.. _on.Select(t => p.Busy[t])]);

        _trainCost = new Tensor[2];
        foreach (var (job, j) in new[] { (FleetJob.Pretrain, 0), (FleetJob.Finetune, 1) })
        {
            var c = new double[Frames * n];
            for (int f = 0; f < Frames; f++)
                for (int k = 0; k < n; k++) c[f * n + k] = p.H(_on[k], job) / Tau[f];
            _trainCost[j] = Tensor.FromArray(c);
        }
        var pair = new double[n * n * n];
        for (int k = 0; k < n; k++)
            for (int l = 0; l < n; l++)
            {
                int col = k * n + l;
                pair[k * n * n + col] += p.PrefillFraction * p.H(_on[k], FleetJob.Prefill) + (k == l ? 0 : p.Transfer);
                pair[l * n * n + col] += (1 - p.PrefillFraction) * p.H(_on[l], FleetJob.Decode);
            }
        _inferCost = [.. Enumerable.Range(0, Frames).Select(_ => Tensor.FromArray(pair, n, n * n))];

        double[] load = [1 + p.Swing, 1 - p.Swing];
        DemandFrames = [.. load.Select(l => new[] { p.Pretrain, p.Finetune, p.PrefillFraction * p.Inference * l, (1 - p.PrefillFraction) * p.Inference * l })];

        Tensor Logits(int count) => Tensor.FromArray([.. Enumerable.Range(0, count).Select(_ => jitter * Tensor.NormalSample(rng))]).RequiresGrad_();
        Alpha = _proportions is null && n > 1 && shares == FleetDpsShares.Trained ? Logits(n) : null;
        Shares = _proportions is null ? shares : FleetDpsShares.Derived;
        TrainLogits = [Logits(Frames * n), Logits(Frames * n)];
        InferLogits = [.. Enumerable.Range(0, Frames).Select(_ => Logits(n * n))];
    }

    /// <inheritdoc/>
    public IReadOnlyList<Tensor> Parameters() => [.. (Alpha is null ? Array.Empty<Tensor>() : [Alpha]), .. TrainLogits, .. InferLogits];

    /// <inheritdoc/>
    public IReadOnlyList<string> ParameterNames()
        => [.. (Alpha is null ? Array.Empty<string>() : ["alpha"]), "route[pretrain]", "route[finetune]", .. Enumerable.Range(0, Frames).Select(f => $"route[inference, frame {f}]")];

    /// <summary>Budget shares a of the allowed types: softmax(α) when trained; otherwise the budget each type's devices and busy time take (k_t n_t + e_t busy_t).</summary>
    public Tensor Resources()
    {
        if (_proportions is null && Alpha is null) return Tensor.Full(1.0, 1);
        if (Alpha is not null && Shares == FleetDpsShares.Trained) return Alpha.Softmax(0);
        using var _ = TensorEngine.NoGrad();
        var d = Design();
        return Tensor.FromArray([.. _on.Select(t => _p.Fixed[t] * d.Counts[t] + _p.Busy[t] * d.BusyDevices[t])]);
    }

    /// <summary>Per allowed type, the breadth of its work over the job axis: the effective number of job types it works on (exp of the entropy of its work shares, ≥ 1).</summary>
    public Tensor Sigma()
    {
        using var _ = TensorEngine.NoGrad();
        var w = Design().Work;
        return Tensor.FromArray([.. _on.Select(t =>
        {
            double total = 0, h = 0;
            for (int j = 0; j < FleetProblem.Jobs; j++) total += w[t * FleetProblem.Jobs + j];
            if (!(total > 0)) return 1.0;
            for (int j = 0; j < FleetProblem.Jobs; j++) { double q = w[t * FleetProblem.Jobs + j] / total; if (q > 0) h -= q * Math.Log(q); }
            return Math.Exp(h);
        })]);
    }

    /// <summary>L: device-seconds per second each allowed type needs in each frame per unit θ, F × T' (row f = frame).</summary>
    public Tensor Loads(IReadOnlyList<double[]>? frames = null)
    {
        frames ??= DemandFrames;
        if (frames.Count != Frames || frames.Any(f => f.Length != FleetProblem.Jobs))
            throw new ArgumentException($"The fleet DPS has {Frames} frames of {FleetProblem.Jobs} job types; got {frames.Count} frames.", nameof(frames));
        int n = _on.Length;
        double pre = frames.Select((f, i) => Tau[i] * f[0]).Sum(), ft = frames.Select((f, i) => Tau[i] * f[1]).Sum();
        var train = TrainLogits[0].Softmax(0) * _trainCost[0] * pre + TrainLogits[1].Softmax(0) * _trainCost[1] * ft;
        var rows = new Tensor[Frames];
        for (int f = 0; f < Frames; f++)
        {
            double requests = frames[f][2] + frames[f][3];
            var infer = _inferCost[f].MatMul(InferLogits[f].Softmax(0).Unsqueeze(1)).Squeeze(1) * requests;
            rows[f] = train.Slice(0, f * n, (f + 1) * n) + infer;
        }
        return Tensor.Stack(rows, 0);
    }

    /// <summary>
    /// 1/θ at sharpness <paramref name="beta"/> (∞: the hard maximum, what the fleet serves):
    /// shares derived from the loads, Σ_t (k_t·max_β(L_0t, L_1t) + e_t·B_t) with the two-frame smooth maximum
    /// max_β(x, y) = (x + y)/2 + (√((x − y)² + β⁻²) − β⁻¹)/2 (exact where x = y, at most 1/(2β) below max, convex);
    /// trained shares a = softmax(α), the log-sum-exp (1/β)·ln Σ_{t,f} exp(β·(k_t L_tf + e_t B_t)/a_t);
    /// fixed proportions π, Σ_t k_t π_t·LSE_{β/10}(L_tf/π_t) + Σ_t e_t B_t.
    /// </summary>
    private Tensor InverseTheta(IReadOnlyList<double[]>? frames, double beta)
    {
        var l = Loads(frames);
        var mean = (l * Tensor.FromArray(Tau, Frames, 1)).Sum(0);          // B_t
        var busy = (mean * _busy).Sum();
        bool hard = double.IsPositiveInfinity(beta);
        Tensor Peak(Tensor x, double b) { var flat = x.Reshape(x.Numel); return hard ? flat.Max() : (flat * b).LogSumExp(0) / b; }
        if (_proportions is not null)
        {
            // A tenth of the sharpness: this maximum couples all T'·F loads, and at full β its line search reaches the
            // float64 resolution of the loss (decreases below 1e-15) before the gradient test passes.
            double b = beta / ProportionsSharpnessDivisor;
            double kp = _on.Select((t, k) => _p.Fixed[t] * _proportions[k]).Sum();
            return Peak(l / Tensor.FromArray(_proportions), b) * kp + busy;
        }
        if (Alpha is not null && Shares == FleetDpsShares.Trained)
            return Peak((l * _fixed + (mean * _busy).Unsqueeze(0)) / Resources(), beta);
        var day = l.Slice(0, 0, 1).Squeeze(0);
        var night = l.Slice(0, 1, 2).Squeeze(0);
        Tensor peak;
        if (hard) peak = Tensor.Maximum(day, night);
        else
        {
            double eps = 1 / beta;
            peak = (day + night) * 0.5 + (((day - night).Square() + eps * eps).Sqrt() - eps) * 0.5;
        }
        return (peak * _fixed).Sum() + busy;
    }

    /// <summary>The trainer's loss 1/θ_β at <see cref="Sharpness"/> as a graph tensor (for gradient checks).</summary>
    public Tensor Loss(IReadOnlyList<double[]>? frames = null) => InverseTheta(frames, Sharpness);

    /// <inheritdoc/>
    public (double Total, double Coverage) Evaluate(IReadOnlyList<double[]>? frames, bool backward)
    {
        using var mode = backward ? null : TensorEngine.NoGrad();
        var loss = Loss(frames);
        if (backward) loss.Backward();
        double total = loss.Item();
        return (total, total);
    }

    /// <summary>
    /// The reduced costs of the softmax groups (every parameter tensor is one): with s = softmax(logits) and g the loss's
    /// gradient in the logits, ∂L/∂s_i − Σ_j s_j ∂L/∂s_j = g_i / s_i. Returns the largest negative one as a positive
    /// gap (0 when none is negative), its group (index into <see cref="Parameters"/>) and option.
    /// </summary>
    public (double Gap, int Group, int Option) Kkt()
    {
        var ps = Parameters();
        foreach (var q in ps) q.ZeroGrad();
        Evaluate(null, backward: true);
        (double Gap, int Group, int Option) worst = (0, 0, 0);
        for (int k = 0; k < ps.Count; k++)
        {
            var g = ps[k].Grad?.ToArray() ?? new double[ps[k].Numel];
            double[] z = ps[k].ToArray(), share = new double[z.Length];
            double top = z.Max(), sum = 0;
            for (int i = 0; i < z.Length; i++) sum += share[i] = Math.Exp(z[i] - top);
            for (int i = 0; i < z.Length; i++)
            {
                double reduced = share[i] > 0 ? g[i] / (share[i] / sum) : 0;
                if (-reduced > worst.Gap) worst = (-reduced, k, i);
            }
        }
        foreach (var q in ps) q.ZeroGrad();
        TensorEngine.EndStep();
        return worst;
    }

    /// <summary>θ at the current parameters with the hard maximum (what the fleet serves).</summary>
    public double Theta()
    {
        using var _ = TensorEngine.NoGrad();
        return 1 / InverseTheta(null, double.PositiveInfinity).Item();
    }

    /// <summary>The design at the current parameters in the program's terms (counts, busy devices, work, split; Status Optimal by convention, see <see cref="FleetDesign"/>).</summary>
    public FleetDesign Design(FleetTraining? training = null)
    {
        using var _ = TensorEngine.NoGrad();
        int n = _on.Length, types = _p.Types, jobs = FleetProblem.Jobs;
        double theta = Theta();
        var l = Loads().ToArray();
        var counts = new double[types];
        var busy = new double[types];
        for (int k = 0; k < n; k++) busy[_on[k]] = theta * (Tau[0] * l[k] + Tau[1] * l[n + k]);
        if (Alpha is not null && Shares == FleetDpsShares.Trained)
        {
            var a = Alpha.Softmax(0).ToArray();
            for (int k = 0; k < n; k++) counts[_on[k]] = Math.Max(0, (a[k] - _p.Busy[_on[k]] * busy[_on[k]]) / _p.Fixed[_on[k]]);
        }
        else if (_proportions is null)
            for (int k = 0; k < n; k++) counts[_on[k]] = theta * Math.Max(l[k], l[n + k]);
        else
        {
            double spent = _on.Sum(t => _p.Busy[t] * busy[t]);
            double kp = _on.Select((t, k) => _p.Fixed[t] * _proportions[k]).Sum();
            double scale = (1 - spent) / kp;
            for (int k = 0; k < n; k++) counts[_on[k]] = scale * _proportions[k];
        }
        var work = new double[types * jobs];
        var pre = TrainLogits[0].Softmax(0).ToArray();
        var ft = TrainLogits[1].Softmax(0).ToArray();
        double split = 0, inference = 0;
        for (int f = 0; f < Frames; f++)
        {
            for (int k = 0; k < n; k++)
            {
                work[_on[k] * jobs + (int)FleetJob.Pretrain] += theta * _p.Pretrain * pre[f * n + k];
                work[_on[k] * jobs + (int)FleetJob.Finetune] += theta * _p.Finetune * ft[f * n + k];
            }
            double requests = DemandFrames[f][2] + DemandFrames[f][3];
            var z = InferLogits[f].Softmax(0).ToArray();
            for (int k = 0; k < n; k++)
                for (int m = 0; m < n; m++)
                {
                    double y = Tau[f] * theta * requests * z[k * n + m];
                    work[_on[k] * jobs + (int)FleetJob.Prefill] += y * _p.PrefillFraction;
                    work[_on[m] * jobs + (int)FleetJob.Decode] += y * (1 - _p.PrefillFraction);
                    inference += y;
                    if (k != m) split += y;
                }
        }
        return new FleetDesign(theta, counts, busy, work, inference > 0 ? split / inference : 0, LinearProgramStatus.Optimal, training);
    }
}

/// <summary>Solves a fleet problem with the DPS trainer (case.solver "dps"): staged sharpness, restarts, the trainer's verdict.</summary>
public static class FleetDpsSolver
{
    /// <summary>Most L-BFGS polish runs per stage (each from a fresh history, see <see cref="Solve"/>).</summary>
    public const int PolishRounds = 4;

    /// <summary>
    /// The design of most throughput found by the trainer over <paramref name="allowed"/> (null: every type) or with
    /// the counts' <paramref name="proportions"/> fixed, as <see cref="FleetSolver.Solve"/> but by gradient training:
    /// training.restarts starts (seeds from training.seed and <paramref name="seed"/>), each trained through
    /// <paramref name="stages"/> stages of sharpness β·10^(stage − stages + 1) by <see cref="Trainer.Train"/> and
    /// <see cref="Search.Polish.Run"/>; the start of the lowest final loss is returned with its verdict.
    /// </summary>
    public static FleetDesign Solve(FleetProblem p, TrainingConfig training, double sharpness, int stages, int seed = 0,
        IReadOnlyList<int>? allowed = null, IReadOnlyList<double>? proportions = null, FleetDpsShares shares = FleetDpsShares.Derived)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(training);
        if (stages < 1) throw new ArgumentOutOfRangeException(nameof(stages), stages, "at least one stage");
        var t = training with { Continuation = 0 };
        int starts = Math.Max(1, t.Restarts);
        FleetDpsSystem? best = null;
        TrainResult? bestResult = null;
        var losses = new List<double>();
        int converged = 0, steps = 0;
        for (int r = 0; r < starts; r++)
        {
            var system = new FleetDpsSystem(p, sharpness, new Random(Seeds.ForRestart(Seeds.ForRestart(t.Seed, seed), r)), allowed, proportions, shares);
            TrainResult? result = null;
            for (int s = 0; s < stages; s++)
            {
                system.Sharpness = sharpness * Math.Pow(10, s - stages + 1);
                result = Train(system, t);
                steps += result.Steps;
            }
            // Re-seeds: a routing option whose share the softmax has shrunk to almost 0 has an almost-0 gradient even
            // when moving work onto it would lower the loss (the RMS gradient test cannot see it). While the reduced
            // cost of some option is below −ReseedTolerance, give it the largest share of its group and train again;
            // keep the result only when the loss drops.
            for (int reseed = 0; reseed < MaxReseeds && system.Kkt().Gap > ReseedTolerance; reseed++)
            {
                var ps = system.Parameters();
                var before = Trainer.Snapshot(ps);
                var (_, group, option) = system.Kkt();
                var logits = ps[group].ToArray();
                logits[option] = logits.Max();
                ps[group].Copy_(logits);
                var again = Train(system, t);
                steps += again.Steps;
                if (again.Loss < result!.Loss) result = again;
                else { Trainer.Restore(ps, before); break; }
            }
            losses.Add(result!.Loss);
            if (result.Converged) converged++;
            if (bestResult is null || result.Loss < bestResult.Loss) { best = system; bestResult = result; }
        }
        var info = new FleetTraining(bestResult!.Converged, bestResult.GradientNorm, bestResult.Loss, steps, starts,
            Convergence.ReachedBest(losses), converged, 1 / bestResult.Loss, best!.Kkt().Gap);
        return best.Design(info);
    }

    /// <summary>Most re-seeds per start (see <see cref="Solve"/>).</summary>
    public const int MaxReseeds = 8;

    /// <summary>A reduced cost below minus this (loss per unit of share moved) triggers a re-seed.</summary>
    public const double ReseedTolerance = 1e-6;

    /// <summary>One stage: Adam (training.*), then the L-BFGS polish, again from a fresh history while it lowers the loss without passing the gradient test (its line search stalls on the kinks the smooth maximum rounds off).</summary>
    private static TrainResult Train(FleetDpsSystem system, TrainingConfig t)
    {
        var result = Trainer.Train(system, t, Measure);
        for (int round = 0; round < PolishRounds; round++)
        {
            var polished = Search.Polish.Run(system, t, result, Measure);
            bool progressed = polished.Loss < result.Loss || polished.Converged != result.Converged;
            result = polished;
            if (result.Converged || !progressed) break;
        }
        return result;
    }

    /// <summary>The trajectory's measures: effective number of device types of the budget shares, θ, and 0.</summary>
    private static (double, double, double) Measure(FleetDpsSystem s)
    {
        var a = s.Resources().ToArray();
        double h = 0, sum = a.Sum();
        foreach (double v in a) if (v > 0) h -= v / sum * Math.Log(v / sum);
        return (Math.Exp(h), s.Theta(), 0);
    }
}
