// Newton: a damped (Levenberg-Marquardt) Newton method for small smooth problems, with the Hessian taken by central
// differences of the closure's gradient (2P evaluations per iteration for P numbers). Made for the efficient-coding
// polish (Model/Search/Polish.cs, experiments/11-efficient-coding): its Hessian spreads over about five orders of
// magnitude (a neuron's location against the slow collective moves of the density), and L-BFGS there crawls at an RMS
// gradient of 1e-6 to 1e-5 for thousands of iterations while one Newton step from the same point lands at 1e-9.
namespace DpsTorch.Optim;

/// <summary>Why <see cref="Newton.Minimize"/> returned.</summary>
public enum NewtonStopReason
{
    /// <summary>The RMS gradient reached the tolerance.</summary>
    ConvergedOnGradient,
    /// <summary>The iteration budget was spent.</summary>
    IterationLimit,
    /// <summary>No damped step lowered the loss (or kept it at rounding while lowering the gradient); the parameters are where the last accepted step left them.</summary>
    NoProgress,
    /// <summary>The loss or a gradient at the start was not finite; nothing was changed.</summary>
    NonFinite,
}

/// <summary>The outcome of <see cref="Newton.Minimize"/>: the stop reason, the iterations taken (accepted steps), the loss and RMS gradient at the final parameters.</summary>
public sealed record NewtonResult(NewtonStopReason Reason, int Iterations, double Loss, double GradientNorm);

/// <summary>
/// Damped Newton with a finite-difference Hessian: each iteration builds H by central differences of the gradient
/// (step <see cref="RelativeStep"/>·max(1, |x_k|)), symmetrises it, and solves (H + μI) d = −g by Cholesky, with μ at
/// least <see cref="Floor"/> of H's largest diagonal entry (exact symmetries of the loss, such as the shift of a softmax,
/// give H a zero eigenvalue with no gradient along it) and raised tenfold until H + μI is positive definite and the step
/// is accepted: it lowers the loss, or keeps it within rounding (<see cref="RoundingLoss"/>) while lowering the RMS
/// gradient. After an accepted step μ falls tenfold, so near a minimum the steps are Newton's own and converge
/// quadratically. Memory: one P×P matrix and its factor (2·8·P² bytes), so P is at most <see cref="MaxParameters"/>.
/// </summary>
public static class Newton
{
    /// <summary>The most trainable numbers a Newton problem may have (two 1024×1024 matrices are 16 MiB).</summary>
    public const int MaxParameters = 1024;

    /// <summary>Central-difference step of the Hessian, relative to max(1, |x_k|).</summary>
    public const double RelativeStep = 1e-5;

    /// <summary>
    /// The least damping, relative to the largest diagonal entry of H: a thousand times the finite-difference noise of
    /// H (about 1e-11 of its scale), so that along an exact symmetry of the loss, where H's eigenvalue is that noise, the
    /// noise's coupling to the other directions moves the parameters by at most about 1e-3 of the step; a real
    /// eigenvalue far above it (the efficient-coding optimum's smallest is 4e-5 of its largest) is barely damped.
    /// </summary>
    public const double Floor = 1e-8;

    /// <summary>A step that raises the loss by at most this many relative ulps-worth (|f|·this) counts as keeping it, when it lowers the gradient.</summary>
    public const double RoundingLoss = 1e-14;

    /// <summary>Damping increases tried per iteration before giving up.</summary>
    public const int MaxDampingTries = 40;

    /// <summary>
    /// Minimises the loss of <paramref name="closure"/> over <paramref name="parameters"/> in place, for at most
    /// <paramref name="maxIter"/> iterations or until the RMS gradient ‖g‖₂/√P is at most <paramref name="toleranceGrad"/>.
    /// <paramref name="closure"/> must zero the gradients, compute the loss, call Backward() and return the loss (the
    /// L-BFGS convention); parameters without a gradient count as zero gradient.
    /// </summary>
    /// <exception cref="ArgumentException">No parameters, more than <see cref="MaxParameters"/> numbers, or a negative budget or tolerance.</exception>
    public static NewtonResult Minimize(IReadOnlyList<Tensor> parameters, Func<double> closure, int maxIter, double toleranceGrad)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(closure);
        int n = parameters.Sum(p => p.Numel);
        if (n == 0) throw new ArgumentException("newton: the parameter list is empty.", nameof(parameters));
        if (n > MaxParameters) throw new ArgumentException($"newton: {n} trainable numbers; at most {MaxParameters} (the Hessian is P×P).", nameof(parameters));
        if (maxIter < 0) throw new ArgumentException($"newton: maxIter {maxIter} must be at least 0.", nameof(maxIter));
        if (!(toleranceGrad >= 0)) throw new ArgumentException($"newton: toleranceGrad {toleranceGrad} must be at least 0.", nameof(toleranceGrad));

        var x = Flatten(parameters);
        var (f, g) = Evaluate(parameters, closure);
        if (!double.IsFinite(f) || !AllFinite(g)) return new NewtonResult(NewtonStopReason.NonFinite, 0, f, Rms(g));
        var h = new double[n * n];
        var factor = new double[n * n];
        var d = new double[n];
        var trial = new double[n];
        double damping = 0;
        int iterations = 0;
        while (true)
        {
            double rms = Rms(g);
            if (rms <= toleranceGrad) return new NewtonResult(NewtonStopReason.ConvergedOnGradient, iterations, f, rms);
            if (iterations >= maxIter) return new NewtonResult(NewtonStopReason.IterationLimit, iterations, f, rms);
            if (!Hessian(parameters, closure, x, h)) break;
            double scale = 0;
            for (int k = 0; k < n; k++) scale = Math.Max(scale, Math.Abs(h[k * n + k]));
            double floor = Floor * Math.Max(scale, 1e-300);
            double mu = Math.Max(damping, floor);
            bool accepted = false;
            for (int tries = 0; tries < MaxDampingTries && !accepted; tries++, mu *= 10)
            {
                if (!Cholesky(h, mu, factor, n)) continue;
                for (int k = 0; k < n; k++) d[k] = -g[k];
                Solve(factor, d, n);
                for (int k = 0; k < n; k++) trial[k] = x[k] + d[k];
                Write(parameters, trial);
                var (ft, gt) = Evaluate(parameters, closure);
                if (double.IsFinite(ft) && AllFinite(gt)
                    && (ft < f || (ft <= f + RoundingLoss * Math.Abs(f) && Rms(gt) < rms)))
                {
                    Array.Copy(trial, x, n);
                    (f, g) = (ft, gt);
                    damping = mu > floor ? mu / 10 : 0;
                    accepted = true;
                }
            }
            if (!accepted) break;
            iterations++;
        }
        Write(parameters, x);
        (f, g) = Evaluate(parameters, closure);
        return new NewtonResult(NewtonStopReason.NoProgress, iterations, f, Rms(g));
    }

    /// <summary>H[j, k] = (g_j(x + h e_k) − g_j(x − h e_k)) / 2h, symmetrised; false when a gradient was not finite. Leaves the parameters at <paramref name="x"/>.</summary>
    private static bool Hessian(IReadOnlyList<Tensor> parameters, Func<double> closure, double[] x, double[] h)
    {
        int n = x.Length;
        var shifted = (double[])x.Clone();
        bool finite = true;
        for (int k = 0; k < n && finite; k++)
        {
            double step = RelativeStep * Math.Max(1.0, Math.Abs(x[k]));
            shifted[k] = x[k] + step;
            Write(parameters, shifted);
            var plus = Evaluate(parameters, closure).Gradient;
            shifted[k] = x[k] - step;
            Write(parameters, shifted);
            var minus = Evaluate(parameters, closure).Gradient;
            shifted[k] = x[k];
            for (int j = 0; j < n; j++) h[j * n + k] = (plus[j] - minus[j]) / (2 * step);
            finite = AllFinite(plus) && AllFinite(minus);
        }
        Write(parameters, x);
        for (int j = 0; j < n; j++)
            for (int k = 0; k < j; k++)
            {
                double mean = 0.5 * (h[j * n + k] + h[k * n + j]);
                h[j * n + k] = mean;
                h[k * n + j] = mean;
            }
        return finite;
    }

    /// <summary>The lower Cholesky factor L of H + μI into <paramref name="factor"/>; false when it is not positive definite.</summary>
    private static bool Cholesky(double[] h, double mu, double[] factor, int n)
    {
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
            {
                double s = h[i * n + j] + (i == j ? mu : 0.0);
                for (int k = 0; k < j; k++) s -= factor[i * n + k] * factor[j * n + k];
                if (i == j)
                {
                    if (!(s > 0)) return false;
                    factor[i * n + i] = Math.Sqrt(s);
                }
                else factor[i * n + j] = s / factor[j * n + j];
            }
        return true;
    }

    /// <summary>Solves L Lᵀ y = b in place (b becomes y).</summary>
    private static void Solve(double[] factor, double[] b, int n)
    {
        for (int i = 0; i < n; i++)
        {
            double s = b[i];
            for (int k = 0; k < i; k++) s -= factor[i * n + k] * b[k];
            b[i] = s / factor[i * n + i];
        }
        for (int i = n - 1; i >= 0; i--)
        {
            double s = b[i];
            for (int k = i + 1; k < n; k++) s -= factor[k * n + i] * b[k];
            b[i] = s / factor[i * n + i];
        }
    }

    private static (double Loss, double[] Gradient) Evaluate(IReadOnlyList<Tensor> parameters, Func<double> closure)
    {
        double f = closure();
        var g = new double[parameters.Sum(p => p.Numel)];
        int o = 0;
        foreach (var p in parameters)
        {
            if (p.Grad is { } grad) grad.Data.CopyTo(g.AsSpan(o));
            o += p.Numel;
        }
        return (f, g);
    }

    private static double[] Flatten(IReadOnlyList<Tensor> parameters) => [.. parameters.SelectMany(p => p.ToArray())];

    private static void Write(IReadOnlyList<Tensor> parameters, double[] x)
    {
        int o = 0;
        foreach (var p in parameters)
        {
            p.Copy_(x.AsSpan(o, p.Numel).ToArray());
            o += p.Numel;
        }
    }

    private static double Rms(double[] g)
    {
        double s = 0;
        foreach (var v in g) s += v * v;
        return g.Length == 0 ? 0 : Math.Sqrt(s / g.Length);
    }

    private static bool AllFinite(double[] values)
    {
        foreach (var v in values) if (!double.IsFinite(v)) return false;
        return true;
    }
}
