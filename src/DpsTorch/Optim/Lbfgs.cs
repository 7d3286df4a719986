// Lbfgs: limited-memory BFGS with an optional strong-Wolfe line search, a port of torch.optim.LBFGS
// (same two-loop recursion, step-length rules, stopping tests and line search), plus a stop reason.
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DpsTorch.Optim;

/// <summary>The line search <see cref="Lbfgs"/> uses.</summary>
public enum LineSearch
{
    /// <summary>Fixed step: the learning rate (first iteration: min(1, 1/‖g‖₁)·lr).</summary>
    None,
    /// <summary>Bracketing and cubic-interpolation zoom until the strong Wolfe conditions hold (c₁ = 1e-4, c₂ = 0.9).</summary>
    StrongWolfe,
}

/// <summary>Why the last <see cref="Lbfgs.Step(Func{double})"/> returned.</summary>
public enum LbfgsStopReason
{
    /// <summary>No step has run yet.</summary>
    NotStarted,
    /// <summary>max |gradient| &lt;= toleranceGrad.</summary>
    ConvergedOnGradient,
    /// <summary>The directional derivative, the step max|t·d| or the loss change fell below toleranceChange.</summary>
    ConvergedOnChange,
    /// <summary>maxIter iterations were taken in this Step call.</summary>
    IterationLimit,
    /// <summary>maxEval closure evaluations were used in this Step call.</summary>
    EvaluationLimit,
    /// <summary>The loss or a gradient was NaN or infinite; the parameters are left where that was found.</summary>
    NonFinite,
}

/// <summary>
/// L-BFGS as torch.optim.LBFGS: each <see cref="Step(Func{double})"/> runs up to maxIter quasi-Newton iterations,
/// calling the closure for the loss and gradient. The search direction is d = −H·g from the two-loop recursion over
/// the last historySize pairs (s = t·d, y = Δg, kept when yᵀs &gt; 1e-10) with initial scaling H₀ = yᵀs / yᵀy.
/// History persists across Step calls. Meant for small, smooth, deterministic problems.
/// Differences from torch: a NaN/infinite trial loss inside the line search counts as "too large" (it is bracketed
/// away from), and a non-finite loss or gradient after an iteration ends the call with <see cref="LbfgsStopReason.NonFinite"/>.
/// Note that toleranceChange is absolute (on the loss, the step and the directional derivative): for losses much
/// smaller than 1 near the optimum, lower it to converge further.
/// </summary>
public sealed class Lbfgs : Optimizer
{
    /// <summary>Curvature pairs with yᵀs at or below this are skipped (torch's constant), keeping H positive definite.</summary>
    private const double CurvatureThreshold = 1e-10;
    /// <summary>Strong-Wolfe sufficient-decrease and curvature constants (torch's defaults).</summary>
    private const double WolfeC1 = 1e-4, WolfeC2 = 0.9;
    /// <summary>Maximum closure evaluations inside one line search (torch's default).</summary>
    private const int MaxLineSearchEvaluations = 25;

    private int _maxIter, _maxEval, _historySize;
    private double _toleranceGrad, _toleranceChange;
    private LineSearch _lineSearch;
    private readonly int _n;

    // State carried across Step calls (torch's state dict): direction, step, history, previous gradient and loss.
    private double[]? _d, _prevFlatGrad;
    private double _t, _hDiag = 1, _prevLoss;
    private long _nIter, _funcEvals;
    private List<double[]> _oldDirs = [], _oldStps = [];
    private List<double> _ro = [];

    /// <summary>Creates L-BFGS over leaves with RequiresGrad.</summary>
    /// <param name="parameters">The tensors to update (flattened into one vector, in order).</param>
    /// <param name="lr">Step scale (finite, > 0); 1 is the natural Newton step.</param>
    /// <param name="maxIter">Iterations per Step call (>= 1).</param>
    /// <param name="historySize">Curvature pairs kept (>= 1).</param>
    /// <param name="toleranceGrad">Stop when max |g| &lt;= this.</param>
    /// <param name="toleranceChange">Stop when the step, the loss change or the directional derivative is below this.</param>
    /// <param name="lineSearch">Strong Wolfe (default) or a fixed step.</param>
    /// <param name="maxEval">Closure evaluations per Step call; null means maxIter·5/4 as in PyTorch.</param>
    public Lbfgs(IReadOnlyList<Tensor> parameters, double lr = 1, int maxIter = 20, int historySize = 10, double toleranceGrad = 1e-7,
        double toleranceChange = 1e-9, LineSearch lineSearch = LineSearch.StrongWolfe, int? maxEval = null)
        : base(parameters, lr)
    {
        int eval = maxEval ?? maxIter * 5 / 4;
        Validate(lr, maxIter, eval, historySize, toleranceGrad, toleranceChange, (arg, msg) => new ArgumentOutOfRangeException(arg, msg));
        if (!Enum.IsDefined(lineSearch)) throw new ArgumentOutOfRangeException(nameof(lineSearch), lineSearch, "lbfgs: unknown line search.");
        (_maxIter, _maxEval, _historySize, _toleranceGrad, _toleranceChange, _lineSearch) = (maxIter, eval, historySize, toleranceGrad, toleranceChange, lineSearch);
        foreach (var p in Parameters) _n += p.Numel;
    }

    /// <inheritdoc/>
    public override string Kind => "lbfgs";

    /// <summary>Why the last Step call stopped.</summary>
    public LbfgsStopReason LastStopReason { get; private set; } = LbfgsStopReason.NotStarted;

    /// <summary>Iterations taken by the last Step call.</summary>
    public int LastIterations { get; private set; }

    /// <summary>Closure evaluations used by the last Step call.</summary>
    public int LastEvaluations { get; private set; }

    /// <summary>Total iterations over all Step calls.</summary>
    public long TotalIterations => _nIter;

    /// <summary>Total closure evaluations over all Step calls.</summary>
    public long TotalEvaluations => _funcEvals;

    /// <summary>Always throws: L-BFGS re-evaluates the loss, so call <see cref="Step(Func{double})"/> with a closure.</summary>
    public override void Step()
        => throw new InvalidOperationException("lbfgs: Step() needs a closure that re-evaluates the model; call Step(closure) where the closure zeroes the gradients, computes the loss, calls Backward() and returns the loss.");

    /// <summary>
    /// Runs up to maxIter iterations. <paramref name="closure"/> must zero the gradients, compute the loss, call
    /// Backward() and return the loss value (PyTorch semantics). Returns the loss at the start of the call
    /// (as torch does); see <see cref="LastStopReason"/> for why it stopped.
    /// </summary>
    public double Step(Func<double> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        StepCount++;
        LastIterations = 0;
        double origLoss = closure();
        double loss = origLoss;
        int currentEvals = 1;
        _funcEvals++;
        LastEvaluations = 1;
        var flatGrad = GatherFlatGrad();
        if (!double.IsFinite(loss) || !AllFinite(flatGrad)) return Stop(LbfgsStopReason.NonFinite, origLoss);
        if (MaxAbs(flatGrad) <= _toleranceGrad) return Stop(LbfgsStopReason.ConvergedOnGradient, origLoss);

        double lr = LearningRate;
        int nIter = 0;
        LbfgsStopReason reason;
        while (true)
        {
            nIter++;
            _nIter++;
            LastIterations = nIter;
            if (_nIter == 1)
            {
                _d = Negated(flatGrad);
                _oldDirs = []; _oldStps = []; _ro = [];
                _hDiag = 1;
            }
            else
            {
                UpdateHistory(flatGrad);
                _d = TwoLoopDirection(flatGrad);
            }
            if (_prevFlatGrad is null) _prevFlatGrad = (double[])flatGrad.Clone();
            else flatGrad.CopyTo(_prevFlatGrad, 0);
            _prevLoss = loss;

            _t = _nIter == 1 ? Math.Min(1.0, 1.0 / TP.SumOfMagnitudes(flatGrad)) * lr : lr;
            double gtd = TP.Dot(flatGrad, _d);
            if (gtd > -_toleranceChange) { reason = LbfgsStopReason.ConvergedOnChange; break; }

            int lsEvals = 0;
            bool optCond = false;
            if (_lineSearch == LineSearch.StrongWolfe)
            {
                var xInit = CloneParameters();
                (loss, flatGrad, _t, lsEvals) = StrongWolfe(closure, xInit, _t, _d, loss, flatGrad, gtd);
                AddToParameters(_t, _d);
                optCond = MaxAbs(flatGrad) <= _toleranceGrad;
            }
            else
            {
                AddToParameters(_t, _d);
                if (nIter != _maxIter)
                {
                    loss = closure();
                    flatGrad = GatherFlatGrad();
                    optCond = MaxAbs(flatGrad) <= _toleranceGrad;
                    lsEvals = 1;
                }
            }
            currentEvals += lsEvals;
            _funcEvals += lsEvals;
            LastEvaluations = currentEvals;

            if (!double.IsFinite(loss) || !AllFinite(flatGrad)) { reason = LbfgsStopReason.NonFinite; break; }
            if (nIter == _maxIter) { reason = LbfgsStopReason.IterationLimit; break; }
            if (currentEvals >= _maxEval) { reason = LbfgsStopReason.EvaluationLimit; break; }
            if (optCond) { reason = LbfgsStopReason.ConvergedOnGradient; break; }
            if (Math.Abs(_t) * MaxAbs(_d) <= _toleranceChange) { reason = LbfgsStopReason.ConvergedOnChange; break; }
            if (Math.Abs(loss - _prevLoss) < _toleranceChange) { reason = LbfgsStopReason.ConvergedOnChange; break; }
        }
        return Stop(reason, origLoss);
    }

    private double Stop(LbfgsStopReason reason, double loss)
    {
        LastStopReason = reason;
        return loss;
    }

    /// <summary>Adds the pair (s = t·d, y = g − g_prev) to the history when yᵀs &gt; threshold, updating H₀ = yᵀs / yᵀy.</summary>
    private void UpdateHistory(double[] flatGrad)
    {
        var y = new double[_n];
        TP.Subtract(flatGrad, _prevFlatGrad!, y);
        var s = new double[_n];
        TP.Multiply(_d!, _t, s);
        double ys = TP.Dot(y, s);
        if (ys > CurvatureThreshold)
        {
            if (_oldDirs.Count == _historySize)
            {
                _oldDirs.RemoveAt(0); _oldStps.RemoveAt(0); _ro.RemoveAt(0);
            }
            _oldDirs.Add(y); _oldStps.Add(s); _ro.Add(1.0 / ys);
            _hDiag = ys / TP.Dot(y, y);
        }
    }

    /// <summary>d = −H·g by the two-loop recursion (Nocedal &amp; Wright, Algorithm 7.4).</summary>
    private double[] TwoLoopDirection(double[] flatGrad)
    {
        int k = _oldDirs.Count;
        var al = new double[k];
        var q = Negated(flatGrad);
        for (int i = k - 1; i >= 0; i--)
        {
            al[i] = TP.Dot(_oldStps[i], q) * _ro[i];
            TP.MultiplyAdd(_oldDirs[i], -al[i], q, q);
        }
        var r = q;
        TP.Multiply(q, _hDiag, r);
        for (int i = 0; i < k; i++)
        {
            double be = TP.Dot(_oldDirs[i], r) * _ro[i];
            TP.MultiplyAdd(_oldStps[i], al[i] - be, r, r);
        }
        return r;
    }

    // ---- strong-Wolfe line search (torch.optim.lbfgs._strong_wolfe) ----

    private (double f, double[] g, double t, int evals) StrongWolfe(Func<double> closure, double[] x, double t, double[] d,
        double f, double[] g, double gtd)
    {
        double dNorm = MaxAbs(d);
        g = (double[])g.Clone();
        var (fNew, gNew) = DirectionalEvaluate(closure, x, t, d);
        int evals = 1;
        double gtdNew = TP.Dot(gNew, d);
        double tPrev = 0, fPrev = f, gtdPrev = gtd;
        var gPrev = g;
        bool done = false;
        int lsIter = 0;
        double[] bracket, bracketF, bracketGtd;
        double[][] bracketG;

        while (true)
        {
            if (lsIter >= MaxLineSearchEvaluations)
            {
                (bracket, bracketF, bracketG, bracketGtd) = ([0, t], [f, fNew], [g, gNew], [gtd, gtdNew]);
                break;
            }
            if (fNew > f + WolfeC1 * t * gtd || (lsIter > 1 && fNew >= fPrev) || !double.IsFinite(fNew))
            {
                (bracket, bracketF, bracketG, bracketGtd) = ([tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]);
                break;
            }
            if (Math.Abs(gtdNew) <= -WolfeC2 * gtd)
            {
                (bracket, bracketF, bracketG, bracketGtd) = ([t], [fNew], [gNew], [gtdNew]);
                done = true;
                break;
            }
            if (gtdNew >= 0)
            {
                (bracket, bracketF, bracketG, bracketGtd) = ([tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]);
                break;
            }
            double minStep = t + 0.01 * (t - tPrev), maxStep = t * 10;
            double tmp = t;
            t = CubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, minStep, maxStep);
            (tPrev, fPrev, gPrev, gtdPrev) = (tmp, fNew, gNew, gtdNew);
            (fNew, gNew) = DirectionalEvaluate(closure, x, t, d);
            evals++;
            gtdNew = TP.Dot(gNew, d);
            lsIter++;
        }

        // Zoom: shrink the bracket by safeguarded cubic interpolation until the strong Wolfe conditions hold.
        bool insufficientProgress = false;
        int last = bracket.Length - 1;
        var (lowPos, highPos) = bracketF[0] <= bracketF[last] ? (0, 1) : (1, 0);
        while (!done && lsIter < MaxLineSearchEvaluations)
        {
            double lo = Math.Min(bracket[0], bracket[1]), hi = Math.Max(bracket[0], bracket[1]);
            if (Math.Abs(bracket[1] - bracket[0]) * dNorm < _toleranceChange) break;
            t = CubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1], lo, hi);
            double eps = 0.1 * (hi - lo);
            if (Math.Min(hi - t, t - lo) < eps)
            {
                if (insufficientProgress || t >= hi || t <= lo)
                {
                    t = Math.Abs(t - hi) < Math.Abs(t - lo) ? hi - eps : lo + eps;
                    insufficientProgress = false;
                }
                else insufficientProgress = true;
            }
            else insufficientProgress = false;

            (fNew, gNew) = DirectionalEvaluate(closure, x, t, d);
            evals++;
            gtdNew = TP.Dot(gNew, d);
            lsIter++;

            if (fNew > f + WolfeC1 * t * gtd || fNew >= bracketF[lowPos] || !double.IsFinite(fNew))
            {
                (bracket[highPos], bracketF[highPos], bracketG[highPos], bracketGtd[highPos]) = (t, fNew, gNew, gtdNew);
                (lowPos, highPos) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0);
            }
            else
            {
                if (Math.Abs(gtdNew) <= -WolfeC2 * gtd) done = true;
                else if (gtdNew * (bracket[highPos] - bracket[lowPos]) >= 0)
                    (bracket[highPos], bracketF[highPos], bracketG[highPos], bracketGtd[highPos]) = (bracket[lowPos], bracketF[lowPos], bracketG[lowPos], bracketGtd[lowPos]);
                (bracket[lowPos], bracketF[lowPos], bracketG[lowPos], bracketGtd[lowPos]) = (t, fNew, gNew, gtdNew);
            }
        }
        return (bracketF[lowPos], bracketG[lowPos], bracket[lowPos], evals);
    }

    /// <summary>
    /// Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to [lo, hi]; the midpoint when the cubic
    /// has no real minimiser.
    /// </summary>
    internal static double CubicInterpolate(double x1, double f1, double g1, double x2, double f2, double g2, double lo, double hi)
    {
        double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
        double d2Square = d1 * d1 - g1 * g2;
        if (d2Square >= 0)
        {
            double d2 = Math.Sqrt(d2Square);
            double minPos = x1 <= x2
                ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
            return Math.Min(Math.Max(minPos, lo), hi);
        }
        return (lo + hi) / 2;
    }

    /// <summary>Loss and flat gradient at x + t·d; the parameters are put back to x afterwards.</summary>
    private (double f, double[] g) DirectionalEvaluate(Func<double> closure, double[] x, double t, double[] d)
    {
        AddToParameters(t, d);
        double f = closure();
        var g = GatherFlatGrad();
        SetParameters(x);
        return (f, g);
    }

    // ---- the flat view of all parameters ----

    private double[] GatherFlatGrad()
    {
        var flat = new double[_n];
        int off = 0;
        for (int i = 0; i < Parameters.Count; i++)
        {
            int len = Parameters[i].Numel;
            GradData(i)?.CopyTo(flat, off); // no gradient counts as zero, as in torch
            off += len;
        }
        return flat;
    }

    private void AddToParameters(double t, double[] d)
    {
        int off = 0;
        foreach (var p in Parameters)
        {
            var data = p.Storage;
            TP.MultiplyAdd(d.AsSpan(off, data.Length), t, data, data);
            off += data.Length;
        }
    }

    private double[] CloneParameters()
    {
        var x = new double[_n];
        int off = 0;
        foreach (var p in Parameters) { p.Storage.CopyTo(x, off); off += p.Numel; }
        return x;
    }

    private void SetParameters(double[] x)
    {
        int off = 0;
        foreach (var p in Parameters) { x.AsSpan(off, p.Numel).CopyTo(p.Storage); off += p.Numel; }
    }

    private static double[] Negated(double[] x)
    {
        var o = new double[x.Length];
        TP.Negate(x, o);
        return o;
    }

    /// <summary>max |xᵢ| (NaN if any element is NaN, 0 for an empty vector).</summary>
    private static double MaxAbs(double[] x) => x.Length == 0 ? 0 : Math.Abs(TP.MaxMagnitude(x));

    private static bool AllFinite(double[] x)
    {
        foreach (var v in x) if (!double.IsFinite(v)) return false;
        return true;
    }

    // ---- state ----

    /// <inheritdoc/>
    protected override void WriteHyperParameters(Dictionary<string, double> hyper)
    {
        hyper["max_iter"] = _maxIter;
        hyper["max_eval"] = _maxEval;
        hyper["history_size"] = _historySize;
        hyper["tolerance_grad"] = _toleranceGrad;
        hyper["tolerance_change"] = _toleranceChange;
        hyper["line_search"] = (int)_lineSearch;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Global buffers (n = total parameter elements, k = history length): <c>d</c> and <c>prev_flat_grad</c> (n values,
    /// or none before the first iteration), <c>old_dirs</c> and <c>old_stps</c> (k·n, pair after pair), <c>ro</c> (k),
    /// and one-value buffers <c>t</c>, <c>H_diag</c>, <c>prev_loss</c>, <c>n_iter</c>, <c>func_evals</c>.
    /// </remarks>
    protected override void WriteGlobalBuffers(Dictionary<string, double[]> buffers)
    {
        buffers["d"] = _d is null ? [] : (double[])_d.Clone();
        buffers["prev_flat_grad"] = _prevFlatGrad is null ? [] : (double[])_prevFlatGrad.Clone();
        buffers["old_dirs"] = Concatenate(_oldDirs);
        buffers["old_stps"] = Concatenate(_oldStps);
        buffers["ro"] = [.. _ro];
        buffers["t"] = [_t];
        buffers["H_diag"] = [_hDiag];
        buffers["prev_loss"] = [_prevLoss];
        buffers["n_iter"] = [_nIter];
        buffers["func_evals"] = [_funcEvals];
    }

    /// <inheritdoc/>
    protected override Action PrepareLoad(OptimizerState state)
    {
        double lr = RequireHyperParameter(state, "lr");
        int maxIter = IntHyper(state, "max_iter"), maxEval = IntHyper(state, "max_eval"), history = IntHyper(state, "history_size");
        double tolGrad = RequireHyperParameter(state, "tolerance_grad"), tolChange = RequireHyperParameter(state, "tolerance_change");
        int ls = IntHyper(state, "line_search");
        if (!Enum.IsDefined((LineSearch)ls))
            throw new ArgumentException($"lbfgs: hyper-parameter 'line_search' must be 0 (None) or 1 (StrongWolfe), got {ls}.", nameof(state));
        Validate(lr, maxIter, maxEval, history, tolGrad, tolChange, (arg, msg) => new ArgumentException(msg, nameof(state)));

        var b = state.GlobalBuffers ?? throw new ArgumentException("lbfgs: the state has no global buffers.", nameof(state));
        double[] Buffer(string name, int? length)
        {
            if (!b.TryGetValue(name, out var v) || v is null)
                throw new ArgumentException($"lbfgs: the state has no global buffer '{name}'.", nameof(state));
            if (length is int len && v.Length != len)
                throw new ArgumentException($"lbfgs: global buffer '{name}' has {v.Length} values; expected {len}.", nameof(state));
            return v;
        }
        var d = Buffer("d", null);
        var prevGrad = Buffer("prev_flat_grad", null);
        foreach (var (name, v) in new[] { ("d", d), ("prev_flat_grad", prevGrad) })
            if (v.Length != 0 && v.Length != _n)
                throw new ArgumentException($"lbfgs: global buffer '{name}' has {v.Length} values; expected 0 or {_n} (the parameters' total element count).", nameof(state));
        var ro = Buffer("ro", null);
        if (ro.Length > history)
            throw new ArgumentException($"lbfgs: global buffer 'ro' holds {ro.Length} pairs, more than history_size {history}.", nameof(state));
        var oldDirs = Buffer("old_dirs", ro.Length * _n);
        var oldStps = Buffer("old_stps", ro.Length * _n);
        double t = Buffer("t", 1)[0], hDiag = Buffer("H_diag", 1)[0], prevLoss = Buffer("prev_loss", 1)[0];
        double nIter = Buffer("n_iter", 1)[0], funcEvals = Buffer("func_evals", 1)[0];
        if (!(nIter >= 0) || nIter != Math.Floor(nIter) || !(funcEvals >= 0) || funcEvals != Math.Floor(funcEvals))
            throw new ArgumentException($"lbfgs: global buffers 'n_iter' ({nIter}) and 'func_evals' ({funcEvals}) must be non-negative integers.", nameof(state));

        return () =>
        {
            (_maxIter, _maxEval, _historySize, _toleranceGrad, _toleranceChange, _lineSearch) = (maxIter, maxEval, history, tolGrad, tolChange, (LineSearch)ls);
            _d = d.Length == 0 ? null : (double[])d.Clone();
            _prevFlatGrad = prevGrad.Length == 0 ? null : (double[])prevGrad.Clone();
            _oldDirs = Split(oldDirs, ro.Length);
            _oldStps = Split(oldStps, ro.Length);
            _ro = [.. ro];
            (_t, _hDiag, _prevLoss, _nIter, _funcEvals) = (t, hDiag, prevLoss, (long)nIter, (long)funcEvals);
        };
    }

    private int IntHyper(OptimizerState state, string name)
    {
        double v = RequireHyperParameter(state, name);
        if (v != Math.Floor(v) || v < int.MinValue || v > int.MaxValue)
            throw new ArgumentException($"lbfgs: hyper-parameter '{name}' must be an integer, got {v}.", nameof(state));
        return (int)v;
    }

    private static double[] Concatenate(List<double[]> vectors)
    {
        var o = new double[vectors.Sum(v => v.Length)];
        int off = 0;
        foreach (var v in vectors) { v.CopyTo(o, off); off += v.Length; }
        return o;
    }

    private List<double[]> Split(double[] flat, int k)
    {
        var list = new List<double[]>(k);
        for (int i = 0; i < k; i++) list.Add(flat.AsSpan(i * _n, _n).ToArray());
        return list;
    }

    private static void Validate(double lr, int maxIter, int maxEval, int historySize, double toleranceGrad, double toleranceChange,
        Func<string, string, Exception> error)
    {
        if (!(lr > 0)) throw error("lr", $"lbfgs: lr must be > 0, got {lr}.");
        if (maxIter < 1) throw error("maxIter", $"lbfgs: max_iter must be >= 1, got {maxIter}.");
        if (maxEval < 1) throw error("maxEval", $"lbfgs: max_eval must be >= 1, got {maxEval}.");
        if (historySize < 1) throw error("historySize", $"lbfgs: history_size must be >= 1, got {historySize}.");
        if (!(toleranceGrad >= 0)) throw error("toleranceGrad", $"lbfgs: tolerance_grad must be >= 0, got {toleranceGrad}.");
        if (!(toleranceChange >= 0)) throw error("toleranceChange", $"lbfgs: tolerance_change must be >= 0, got {toleranceChange}.");
    }
}
