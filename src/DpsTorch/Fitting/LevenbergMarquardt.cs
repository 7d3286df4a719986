// A small Levenberg–Marquardt least-squares solver for curves with a handful of parameters (MODEL.md section 6):
// minimises RSS(θ) = Σ_i (y_i − f(x_i; θ))² with Marquardt's diagonal scaling.
namespace DpsTorch.Fitting;

/// <summary>f(x; θ): returns the value and writes ∂f/∂θ into <paramref name="gradient"/>.</summary>
public delegate double CurveFunction(ReadOnlySpan<double> theta, double x, Span<double> gradient);

/// <summary>Why a least-squares fit stopped.</summary>
public enum FitStopReason
{
    /// <summary>The relative RSS decrease or the relative step fell below its tolerance, or the fit is exact.</summary>
    Converged,
    /// <summary>The iteration limit was reached first.</summary>
    IterationLimit,
    /// <summary>The damping grew past its limit without finding a lower RSS (a flat or degenerate valley).</summary>
    Stalled,
    /// <summary>The model gave a non-finite value or gradient at the starting point.</summary>
    NonFinite,
}

/// <summary>Outcome of <see cref="LevenbergMarquardt.Minimize"/>.</summary>
public sealed record LeastSquaresResult(double[] Theta, double Rss, int Iterations, FitStopReason StopReason)
{
    /// <summary>Whether the solver stopped at a converged minimum.</summary>
    public bool Converged => StopReason == FitStopReason.Converged;
}

/// <summary>Levenberg–Marquardt: solve (JᵀJ + λ·diag(JᵀJ)) δ = Jᵀr, accept δ when RSS falls (λ /= 10), else λ *= 10.</summary>
public static class LevenbergMarquardt
{
    /// <summary>Stop when an accepted step lowers RSS by less than this fraction.</summary>
    public const double RssTolerance = 1e-12;
    /// <summary>Stop when a step is smaller than this relative to |θ| (plus this, absolutely).</summary>
    public const double StepTolerance = 1e-10;
    /// <summary>Initial damping λ.</summary>
    public const double InitialDamping = 1e-3;
    /// <summary>λ above this means no downhill step exists at machine precision: stop as stalled.</summary>
    public const double MaxDamping = 1e16;
    /// <summary>Floor for diag(JᵀJ) so that a parameter with zero gradient still gets damped, not divided by zero.</summary>
    private const double DiagonalFloor = 1e-30;
    /// <summary>RSS below this fraction of Σy² (plus a tiny absolute floor) counts as an exact fit.</summary>
    private const double ExactFitFraction = 1e-28;

    /// <summary>
    /// Minimises Σ (y_i − f(x_i; θ))² from <paramref name="start"/>. <paramref name="project"/>, when given,
    /// maps each proposed θ back into the allowed region (in place) before it is evaluated.
    /// </summary>
    public static LeastSquaresResult Minimize(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> start,
        CurveFunction f, int maxIterations = 200, Action<double[]>? project = null)
    {
        int n = x.Length, p = start.Length;
        if (y.Length != n) throw new ArgumentException($"x has {n} points but y has {y.Length}.");
        var theta = start.ToArray();
        project?.Invoke(theta);
        var jac = new double[n * p];
        var resid = new double[n];
        double rss = Residuals(x, y, theta, f, resid, jac);
        if (!double.IsFinite(rss) || !AllFinite(jac))
            return new LeastSquaresResult(theta, rss, 0, FitStopReason.NonFinite);

        double sumY2 = 0;
        for (int i = 0; i < n; i++) sumY2 += y[i] * y[i];
        double exact = ExactFitFraction * sumY2 + 1e-300;

        var jtj = new double[p * p];
        var jtr = new double[p];
        var a = new double[p * p];
        var delta = new double[p];
        var trial = new double[p];
        var trialResid = new double[n];
        var trialJac = new double[n * p];
        double lambda = InitialDamping;
        int iter = 0;
        while (true)
        {
            if (rss <= exact) return new LeastSquaresResult(theta, rss, iter, FitStopReason.Converged);
            if (iter >= maxIterations) return new LeastSquaresResult(theta, rss, iter, FitStopReason.IterationLimit);
            iter++;
            NormalEquations(jac, resid, n, p, jtj, jtr);
            bool accepted = false;
            while (!accepted)
            {
                if (lambda > MaxDamping) return new LeastSquaresResult(theta, rss, iter, FitStopReason.Stalled);
                Array.Copy(jtj, a, p * p);
                for (int j = 0; j < p; j++) a[j * p + j] += lambda * Math.Max(jtj[j * p + j], DiagonalFloor);
                if (!Solve(a, jtr, delta, p)) { lambda *= 10; continue; }
                for (int j = 0; j < p; j++) trial[j] = theta[j] + delta[j];
                project?.Invoke(trial);
                double stepNorm = 0, thetaNorm = 0;
                for (int j = 0; j < p; j++)
                {
                    double d = trial[j] - theta[j];
                    stepNorm += d * d;
                    thetaNorm += theta[j] * theta[j];
                }
                stepNorm = Math.Sqrt(stepNorm);
                bool tinyStep = stepNorm <= StepTolerance * (Math.Sqrt(thetaNorm) + StepTolerance);
                double trialRss = Residuals(x, y, trial, f, trialResid, trialJac);
                if (double.IsFinite(trialRss) && trialRss < rss && AllFinite(trialJac))
                {
                    double decrease = rss - trialRss;
                    (theta, trial) = (trial, theta);
                    (resid, trialResid) = (trialResid, resid);
                    (jac, trialJac) = (trialJac, jac);
                    rss = trialRss;
                    lambda = Math.Max(lambda / 10, 1e-12);
                    accepted = true;
                    if (decrease <= RssTolerance * (rss + decrease) || tinyStep)
                        return new LeastSquaresResult(theta, rss, iter, FitStopReason.Converged);
                }
                else
                {
                    if (tinyStep) return new LeastSquaresResult(theta, rss, iter, FitStopReason.Converged);
                    lambda *= 10;
                }
            }
        }
    }

    /// <summary>Residual sum of squares of f at θ (no gradient).</summary>
    public static double Rss(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> theta, CurveFunction f)
    {
        Span<double> g = stackalloc double[theta.Length];
        double rss = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double r = y[i] - f(theta, x[i], g);
            rss += r * r;
        }
        return rss;
    }

    private static double Residuals(ReadOnlySpan<double> x, ReadOnlySpan<double> y, double[] theta, CurveFunction f,
        double[] resid, double[] jac)
    {
        int p = theta.Length;
        double rss = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double r = y[i] - f(theta, x[i], jac.AsSpan(i * p, p));
            resid[i] = r;
            rss += r * r;
        }
        return rss;
    }

    private static void NormalEquations(double[] jac, double[] resid, int n, int p, double[] jtj, double[] jtr)
    {
        Array.Clear(jtj);
        Array.Clear(jtr);
        for (int i = 0; i < n; i++)
        {
            int row = i * p;
            for (int j = 0; j < p; j++)
            {
                double jj = jac[row + j];
                jtr[j] += jj * resid[i];
                for (int k = 0; k <= j; k++) jtj[j * p + k] += jj * jac[row + k];
            }
        }
        for (int j = 0; j < p; j++)
            for (int k = 0; k < j; k++) jtj[k * p + j] = jtj[j * p + k];
    }

    /// <summary>Solves the p×p system a·z = b by Gaussian elimination with partial pivoting; false when singular.</summary>
    internal static bool Solve(double[] a, double[] b, double[] z, int p)
    {
        var m = (double[])a.Clone();
        var rhs = (double[])b.Clone();
        for (int c = 0; c < p; c++)
        {
            int piv = c;
            for (int r = c + 1; r < p; r++) if (Math.Abs(m[r * p + c]) > Math.Abs(m[piv * p + c])) piv = r;
            double pv = m[piv * p + c];
            if (!(Math.Abs(pv) > 0) || !double.IsFinite(pv)) return false;
            if (piv != c)
            {
                for (int k = 0; k < p; k++) (m[c * p + k], m[piv * p + k]) = (m[piv * p + k], m[c * p + k]);
                (rhs[c], rhs[piv]) = (rhs[piv], rhs[c]);
            }
            for (int r = c + 1; r < p; r++)
            {
                double factor = m[r * p + c] / pv;
                if (factor == 0) continue;
                for (int k = c; k < p; k++) m[r * p + k] -= factor * m[c * p + k];
                rhs[r] -= factor * rhs[c];
            }
        }
        for (int r = p - 1; r >= 0; r--)
        {
            double s = rhs[r];
            for (int k = r + 1; k < p; k++) s -= m[r * p + k] * z[k];
            z[r] = s / m[r * p + r];
            if (!double.IsFinite(z[r])) return false;
        }
        return true;
    }

    private static bool AllFinite(double[] v)
    {
        foreach (var d in v) if (!double.IsFinite(d)) return false;
        return true;
    }
}
