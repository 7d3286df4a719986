// Fits the scaling-law forms of MODEL.md section 6 by nonlinear least squares from grid starting values,
// scores them by AIC/AICc and R², and attaches bootstrap percentile intervals to every parameter.
namespace DpsTorch.Fitting;

/// <summary>Fits one scaling-law form (<see cref="Fit"/>) or all of them and chooses by AICc/AIC (<see cref="FitAuto"/>).</summary>
/// <remarks>
/// Least squares are taken on y itself (Gaussian noise of constant variance) for every form, so RSS and AIC are
/// comparable across forms. Starting values: log-log regression for the power law; a grid over the exponent
/// (power-offset) or the scale x0 (saturating) with the linear parameters solved exactly at each grid point;
/// a grid over the break for the broken power law (a continuous two-segment log-log regression at each break).
/// The best <see cref="FitOptions.Starts"/> grid points are refined by <see cref="LevenbergMarquardt"/>.
/// </remarks>
public static class ScalingFit
{
    /// <summary>Grid points per sign for the power-offset exponent, log-spaced in [0.01, 5].</summary>
    private const int ExponentGrid = 40;
    /// <summary>Grid points for the saturating scale x0, log-spaced from min|x|/10 to max|x|·10.</summary>
    private const int ScaleGrid = 60;

    /// <summary>Fits <paramref name="form"/> to (x, y) and bootstraps its parameters.</summary>
    /// <exception cref="ArgumentException">Mismatched lengths, non-finite values, too few points for the form, or
    /// non-positive x or y where the form needs logarithms; the message names the form, the value and the fix.</exception>
    public static FitResult Fit(double[] x, double[] y, ScalingForm form, FitOptions? options = null)
    {
        options ??= new FitOptions();
        options.Validate();
        ValidateData(x, y);
        var reason = Unsuitable(x, y, form);
        if (reason is not null) throw new ArgumentException(reason);

        var best = FitPoint(x, y, form, options);
        int n = x.Length, p = ScalingForms.ParameterCount(form);
        double rss = best.Rss;
        double mean = 0;
        for (int i = 0; i < n; i++) mean += y[i];
        mean /= n;
        double tss = 0;
        for (int i = 0; i < n; i++) tss += (y[i] - mean) * (y[i] - mean);
        double r2 = tss > 0 ? 1.0 - rss / tss : (rss == 0 ? 1.0 : double.NaN);
        int k = p + 1;
        double aic = n * Math.Log(Math.Max(rss / n, double.Epsilon)) + 2.0 * k;
        double aicc = aic + 2.0 * k * (k + 1) / (n - k - 1);

        var estimate = ScalingForms.ToReported(form, best.Theta);
        var (low, high, used) = Bootstrap(x, y, form, best.Theta, options);
        var names = ScalingForms.ParameterNames(form);
        var parameters = new FitParameter[p];
        for (int j = 0; j < p; j++) parameters[j] = new FitParameter(names[j], estimate[j], low[j], high[j]);
        return new FitResult(form, parameters, n, rss, r2, aic, aicc, best.StopReason, best.Iterations,
            used, options.BootstrapResamples, options.ConfidenceLevel);
    }

    /// <summary>
    /// Fits every form in <paramref name="forms"/> (default all four) and chooses the lowest
    /// <see cref="FitOptions.Criterion"/>. Forms the data cannot support (too few points, non-positive values) are
    /// listed as skipped with the reason; if all are skipped the reasons are thrown together.
    /// </summary>
    public static FitSelection FitAuto(double[] x, double[] y, FitOptions? options = null, IReadOnlyList<ScalingForm>? forms = null)
    {
        options ??= new FitOptions();
        options.Validate();
        ValidateData(x, y);
        forms ??= ScalingForms.All;
        if (forms.Count == 0) throw new ArgumentException("FitAuto needs at least one form to try.", nameof(forms));
        var fits = new FitResult?[forms.Count];
        var reasons = new string?[forms.Count];
        FitResult? chosen = null;
        for (int i = 0; i < forms.Count; i++)
        {
            reasons[i] = Unsuitable(x, y, forms[i]);
            if (reasons[i] is not null) continue;
            fits[i] = Fit(x, y, forms[i], options);
            if (chosen is null || fits[i]!.Criterion(options.Criterion) < chosen.Criterion(options.Criterion)) chosen = fits[i];
        }
        if (chosen is null) throw new ArgumentException("No scaling form can be fitted to these data: " + string.Join(" ", reasons));

        double best = chosen.Criterion(options.Criterion), total = 0;
        for (int i = 0; i < forms.Count; i++)
            if (fits[i] is { } f) total += Math.Exp(-(f.Criterion(options.Criterion) - best) / 2);
        var candidates = new FitCandidate[forms.Count];
        for (int i = 0; i < forms.Count; i++)
        {
            if (fits[i] is { } f)
            {
                double delta = f.Criterion(options.Criterion) - best;
                candidates[i] = new FitCandidate(forms[i], f, null, delta, Math.Exp(-delta / 2) / total);
            }
            else candidates[i] = new FitCandidate(forms[i], null, reasons[i], double.NaN, 0);
        }
        return new FitSelection(candidates, chosen, options.Criterion);
    }

    /// <summary>
    /// Why <paramref name="form"/> cannot be fitted to (x, y), as a sentence naming the form, the count or value
    /// and the minimum; null when it can.
    /// </summary>
    public static string? Unsuitable(double[] x, double[] y, ScalingForm form)
    {
        string name = ScalingForms.Name(form);
        int min = ScalingForms.MinPoints(form);
        if (x.Length < min)
            return $"The {name} form needs at least {min} points ({ScalingForms.ParameterCount(form)} parameters + 2); got {x.Length}.";
        int distinct = x.Distinct().Count();
        int minDistinct = ScalingForms.MinDistinctX(form);
        if (distinct < minDistinct)
            return $"The {name} form needs at least {minDistinct} distinct x values; got {distinct}.";
        if (ScalingForms.NeedsPositiveX(form))
            for (int i = 0; i < x.Length; i++)
                if (!(x[i] > 0))
                    return $"The {name} form takes powers and logarithms of x, so x must be positive; x[{i}] = {Format(x[i])}. Drop non-positive x or use the saturating form.";
        if (ScalingForms.NeedsPositiveY(form))
            for (int i = 0; i < y.Length; i++)
                if (!(y[i] > 0))
                    return $"The {name} form is fitted from a log-log regression, so y must be positive; y[{i}] = {Format(y[i])}. Use the power-offset or saturating form for such data.";
        return null;
    }

    private static void ValidateData(double[] x, double[] y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Length != y.Length) throw new ArgumentException($"x has {x.Length} points but y has {y.Length}; they must match.");
        for (int i = 0; i < x.Length; i++)
        {
            if (!double.IsFinite(x[i])) throw new ArgumentException($"x[{i}] is {Format(x[i])}; every x must be a finite number.", nameof(x));
            if (!double.IsFinite(y[i])) throw new ArgumentException($"y[{i}] is {Format(y[i])}; every y must be a finite number.", nameof(y));
        }
    }

    private static string Format(double v) => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);

    private static CurveFunction Curve(ScalingForm form) => (theta, x, g) => ScalingForms.EvaluateInternal(form, theta, x, g);

    /// <summary>Keeps the broken power law's break inside the data range, where it is identifiable.</summary>
    private static Action<double[]>? Projection(ScalingForm form, ReadOnlySpan<double> x)
    {
        if (form != ScalingForm.BrokenPower) return null;
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        foreach (var v in x) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
        double llo = Math.Log(lo), lhi = Math.Log(hi);
        return t => t[3] = Math.Clamp(t[3], llo, lhi);
    }

    /// <summary>Point estimate: the lowest-RSS Levenberg–Marquardt run from the best grid starts.</summary>
    private static LeastSquaresResult FitPoint(double[] x, double[] y, ScalingForm form, FitOptions options)
    {
        var curve = Curve(form);
        var project = Projection(form, x);
        LeastSquaresResult? best = null;
        foreach (var start in Starts(x, y, form, options.Starts))
        {
            var r = LevenbergMarquardt.Minimize(x, y, start, curve, options.MaxIterations, project);
            if (!double.IsFinite(r.Rss)) continue;
            if (best is null || r.Rss < best.Rss) best = r;
        }
        return best ?? throw new InvalidOperationException(
            $"The {ScalingForms.Name(form)} fit found no starting point with a finite residual; check the data's scale.");
    }

    /// <summary>Starting θ (internal parameters), best first.</summary>
    internal static List<double[]> Starts(double[] x, double[] y, ScalingForm form, int count)
    {
        var scored = new List<(double Rss, double[] Theta)>();
        var curve = Curve(form);
        void Add(double[] theta)
        {
            double rss = LevenbergMarquardt.Rss(x, y, theta, curve);
            if (double.IsFinite(rss) && theta.All(double.IsFinite)) scored.Add((rss, theta));
        }
        int n = x.Length;
        switch (form)
        {
            case ScalingForm.Power:
            {
                var lx = x.Select(v => Math.Log(v)).ToArray();
                var ly = y.Select(v => Math.Log(v)).ToArray();
                var c = LinearLeastSquares(n, i => [1.0, lx[i]], ly);
                if (c is not null)
                {
                    Add([Math.Exp(c[0]), c[1]]);
                    var s = LinearLeastSquares(n, i => [Math.Pow(x[i], c[1])], y);
                    if (s is not null) Add([s[0], c[1]]);
                }
                break;
            }
            case ScalingForm.PowerOffset:
                for (int sign = -1; sign <= 1; sign += 2)
                    for (int g = 0; g < ExponentGrid; g++)
                    {
                        double b = sign * 0.01 * Math.Pow(500.0, g / (double)(ExponentGrid - 1));
                        var c = LinearLeastSquares(n, i => [1.0, Math.Pow(x[i], -b)], y);
                        if (c is not null) Add([c[0], c[1], b]);
                    }
                break;
            case ScalingForm.Saturating:
            {
                double lo = double.PositiveInfinity, hi = 0;
                foreach (var v in x)
                    if (v != 0) { lo = Math.Min(lo, Math.Abs(v)); hi = Math.Max(hi, Math.Abs(v)); }
                double l0 = Math.Log(lo / 10), l1 = Math.Log(hi * 10);
                for (int g = 0; g < ScaleGrid; g++)
                {
                    double lx0 = l0 + (l1 - l0) * g / (ScaleGrid - 1), x0 = Math.Exp(lx0);
                    var c = LinearLeastSquares(n, i => [1.0 - Math.Exp(-x[i] / x0)], y);
                    if (c is not null) Add([c[0], lx0]);
                }
                break;
            }
            case ScalingForm.BrokenPower:
            {
                var lx = x.Select(v => Math.Log(v)).ToArray();
                var ly = y.Select(v => Math.Log(v)).ToArray();
                var distinct = lx.Distinct().Order().ToArray();
                for (int d = 1; d + 1 < distinct.Length - 1; d++)
                {
                    // Break between distinct[d] and distinct[d+1]: at least two distinct x on each side.
                    double lb = 0.5 * (distinct[d] + distinct[d + 1]);
                    var c = LinearLeastSquares(n, i => [1.0, Math.Min(lx[i], lb), Math.Max(lx[i] - lb, 0)], ly);
                    if (c is not null) Add([Math.Exp(c[0]), c[1], c[2], lb]);
                }
                break;
            }
        }
        scored.Sort((a, b) => a.Rss.CompareTo(b.Rss));
        return scored.Take(count).Select(s => s.Theta).ToList();
    }

    /// <summary>Least-squares coefficients of y on the basis functions row(i); null when the basis is singular.</summary>
    private static double[]? LinearLeastSquares(int n, Func<int, double[]> row, double[] y)
    {
        double[]? ata = null, aty = null;
        int p = 0;
        for (int i = 0; i < n; i++)
        {
            var r = row(i);
            if (ata is null) { p = r.Length; ata = new double[p * p]; aty = new double[p]; }
            for (int j = 0; j < p; j++)
            {
                aty![j] += r[j] * y[i];
                for (int k = 0; k < p; k++) ata[j * p + k] += r[j] * r[k];
            }
        }
        if (ata is null) return null;
        var z = new double[p];
        return LevenbergMarquardt.Solve(ata, aty!, z, p) ? z : null;
    }

    /// <summary>Percentile intervals over bootstrap refits started from θ̂; each resample has its own seeded stream.</summary>
    private static (double[] Low, double[] High, int Used) Bootstrap(double[] x, double[] y, ScalingForm form,
        double[] thetaHat, FitOptions options)
    {
        int n = x.Length, p = thetaHat.Length, b = options.BootstrapResamples;
        var low = Enumerable.Repeat(double.NaN, p).ToArray();
        var high = Enumerable.Repeat(double.NaN, p).ToArray();
        if (b == 0) return (low, high, 0);

        var curve = Curve(form);
        var fitted = new double[n];
        var resid = new double[n];
        Span<double> g = stackalloc double[p];
        for (int i = 0; i < n; i++)
        {
            fitted[i] = curve(thetaHat, x[i], g);
            resid[i] = y[i] - fitted[i];
        }
        double inflate = Math.Sqrt(n / (double)(n - p));
        int minDistinct = ScalingForms.MinDistinctX(form);
        var draws = new double[b * p];
        Array.Fill(draws, double.NaN);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Threads };
        Parallel.For(0, b, parallel, r =>
        {
            var rng = new Random(ResampleSeed(options.Seed, r));
            double[] xs, ys;
            if (options.Bootstrap == BootstrapMethod.Residuals)
            {
                xs = x;
                ys = new double[n];
                for (int i = 0; i < n; i++) ys[i] = fitted[i] + inflate * resid[rng.Next(n)];
            }
            else
            {
                xs = new double[n];
                ys = new double[n];
                for (int i = 0; i < n; i++)
                {
                    int j = rng.Next(n);
                    xs[i] = x[j];
                    ys[i] = y[j];
                }
                if (xs.Distinct().Count() < minDistinct) return;
            }
            var fit = LevenbergMarquardt.Minimize(xs, ys, thetaHat, curve, options.MaxIterations, Projection(form, xs));
            if (!double.IsFinite(fit.Rss)) return;
            var reported = ScalingForms.ToReported(form, fit.Theta);
            foreach (var v in reported) if (!double.IsFinite(v)) return;
            reported.CopyTo(draws, r * p);
        });

        double alpha = (1 - options.ConfidenceLevel) / 2;
        int used = 0;
        for (int j = 0; j < p; j++)
        {
            var column = new List<double>(b);
            for (int r = 0; r < b; r++) if (!double.IsNaN(draws[r * p + j])) column.Add(draws[r * p + j]);
            used = column.Count;
            if (column.Count == 0) continue;
            column.Sort();
            low[j] = Quantile(column, alpha);
            high[j] = Quantile(column, 1 - alpha);
        }
        return (low, high, used);
    }

    /// <summary>Quantile of sorted values with linear interpolation between order statistics (R type 7).</summary>
    internal static double Quantile(List<double> sorted, double q)
    {
        double h = (sorted.Count - 1) * q;
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /// <summary>SplitMix64 of (seed, index): independent per-resample seeds, so results do not depend on threads.</summary>
    private static int ResampleSeed(int seed, int index)
    {
        ulong z = ((ulong)(uint)seed << 32 | (uint)index) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }
}
