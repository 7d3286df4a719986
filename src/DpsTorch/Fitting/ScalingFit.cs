// Fits the scaling-law forms of MODEL.md section 6 from grid starting values (LawProblem: MathNet's
// Levenberg-Marquardt, squared or Huber loss, linear or log space), one group at a time or jointly with parameters
// shared across groups; scores them by AIC/AICc and R², and attaches bootstrap percentile intervals to every parameter.
using MathNet.Numerics.LinearRegression;
using MathNet.Numerics.Statistics;

namespace DpsTorch.Fitting;

/// <summary>
/// Fits one scaling-law form (<see cref="Fit"/>, <see cref="FitGroups"/>) or several and chooses by AICc/AIC
/// (<see cref="FitAuto"/>, <see cref="FitAutoGroups"/>).
/// </summary>
/// <remarks>
/// Residuals are taken in <see cref="FitOptions.Space"/> (y or ln y) for every form, so RSS and AIC are comparable
/// across forms fitted in the same space. Starting values: log-log regression for the power laws; a grid over the
/// exponent (power-offset), the scale x0 (saturating) or both exponents (chinchilla) with the linear parameters
/// solved exactly at each grid point; a grid over the break for the broken power law. The best
/// <see cref="FitOptions.Starts"/> grid points are refined by MathNet's Levenberg-Marquardt minimiser. Grid starts
/// and the bootstrap are this project's own code: MathNet has local minimisers and quantiles but no global start
/// search and no resampling. With shared parameters the groups are fitted jointly, from two starts: each group fitted
/// alone (shared parameters at the median), and all groups pooled.
/// </remarks>
public static class ScalingFit
{
    /// <summary>Grid points per sign for the power-offset exponent, log-spaced in [0.01, 5].</summary>
    private const int ExponentGrid = 40;
    /// <summary>Grid points for the saturating scale x0, log-spaced from min|x|/10 to max|x|·10.</summary>
    private const int ScaleGrid = 60;
    /// <summary>Exponent grid of the chinchilla form (α and β alike): the start search of Hoffmann et al., coarser.</summary>
    private static readonly double[] ChinchillaExponents = [0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0, 1.3, 1.7, 2.2];
    /// <summary>Huber's tuning constant: δ = 1.345 σ̂ keeps 95% efficiency under Gaussian noise.</summary>
    public const double HuberTuning = 1.345;

    /// <summary>Fits <paramref name="form"/> to (x, y) and bootstraps its parameters.</summary>
    /// <exception cref="ArgumentException">Mismatched lengths, non-finite values, too few points for the form, or
    /// non-positive x or y where the form needs logarithms; the message names the form, the value and the fix.</exception>
    public static FitResult Fit(double[] x, double[] y, ScalingForm form, FitOptions? options = null)
        => FitGroups([new FitData("x", "y", x, y, false)], form, options)[0];

    /// <summary>
    /// Fits <paramref name="form"/> to each group; parameters named in <see cref="FitOptions.Shared"/> take one value
    /// for all groups (a joint fit whose RSS, AIC and AICc are those of all groups together), the others one per group.
    /// Without shared parameters every group is fitted alone.
    /// </summary>
    public static IReadOnlyList<FitResult> FitGroups(IReadOnlyList<FitData> groups, ScalingForm form, FitOptions? options = null)
    {
        options ??= new FitOptions();
        options.Validate();
        if (groups.Count == 0) throw new ArgumentException("A fit needs at least one group of points.");
        foreach (var g in groups) ValidateData(g);
        var shared = SharedMask(form, options.Shared);
        for (int gi = 0; gi < groups.Count; gi++)
        {
            var reason = Unsuitable(groups[gi], form, options.Space);
            if (reason is not null) throw new ArgumentException(groups.Count > 1 ? $"Group {gi + 1}: {reason}" : reason);
        }
        if (!shared.Any(s => s) || groups.Count == 1)
            return groups.Select(g => FitJoint([g], form, options, new bool[shared.Length])[0]).ToList();
        return FitJoint(groups, form, options, shared);
    }

    /// <summary>
    /// Fits every form in <paramref name="forms"/> (default: the one-variable forms, or the two-variable forms when the
    /// data have x2) and chooses the lowest <see cref="FitOptions.Criterion"/>. Forms the data cannot support are listed
    /// as skipped with the reason; if all are skipped the reasons are thrown together.
    /// </summary>
    public static FitSelection FitAuto(double[] x, double[] y, FitOptions? options = null, IReadOnlyList<ScalingForm>? forms = null)
        => FitAutoGroups([new FitData("x", "y", x, y, false)], options, forms)[0];

    /// <summary>
    /// <see cref="FitAuto"/> for groups: with shared parameters the criterion is the joint fit's (the same for every
    /// group); without, each group chooses its own form.
    /// </summary>
    public static IReadOnlyList<FitSelection> FitAutoGroups(IReadOnlyList<FitData> groups, FitOptions? options = null,
        IReadOnlyList<ScalingForm>? forms = null)
    {
        options ??= new FitOptions();
        options.Validate();
        foreach (var g in groups) ValidateData(g);
        bool two = groups.Count > 0 && groups[0].X2 is not null;
        forms ??= two ? ScalingForms.TwoVariable : ScalingForms.All;
        if (forms.Count == 0) throw new ArgumentException("Choosing a form needs at least one form to try.");
        bool joint = options.Shared.Count > 0 && groups.Count > 1;
        var parts = joint ? [groups] : groups.Select(g => (IReadOnlyList<FitData>)[g]).ToList();
        var selections = new List<FitSelection>();
        foreach (var part in parts)
        {
            var fits = new IReadOnlyList<FitResult>?[forms.Count];
            var reasons = new string?[forms.Count];
            for (int i = 0; i < forms.Count; i++)
            {
                reasons[i] = part.Select((g, gi) => Unsuitable(g, forms[i], options.Space) is { } r ? (part.Count > 1 ? $"group {gi + 1}: {r}" : r) : null)
                    .FirstOrDefault(r => r is not null);
                if (reasons[i] is null && options.Shared.Count > 0)
                {
                    var names = ScalingForms.ParameterNames(forms[i]);
                    var missing = options.Shared.Where(s => !names.Contains(s)).ToList();
                    if (missing.Count > 0)
                        reasons[i] = $"The {ScalingForms.Name(forms[i])} form has no parameter {string.Join(", ", missing.Select(m => $"'{m}'"))} to share; its parameters are {string.Join(", ", names)}.";
                }
                if (reasons[i] is not null) continue;
                fits[i] = joint ? FitJoint(part, forms[i], options, SharedMask(forms[i], options.Shared)) : FitJoint(part, forms[i], options, new bool[ScalingForms.ParameterCount(forms[i])]);
            }
            int best = -1;
            for (int i = 0; i < forms.Count; i++)
                if (fits[i] is { } f && (best < 0 || f[0].Criterion(options.Criterion) < fits[best]![0].Criterion(options.Criterion))) best = i;
            if (best < 0) throw new ArgumentException("No scaling form can be fitted to these data: " + string.Join(" ", reasons));
            double bestC = fits[best]![0].Criterion(options.Criterion), total = 0;
            for (int i = 0; i < forms.Count; i++)
                if (fits[i] is { } f) total += Math.Exp(-(f[0].Criterion(options.Criterion) - bestC) / 2);
            for (int gi = 0; gi < part.Count; gi++)
            {
                var candidates = new FitCandidate[forms.Count];
                for (int i = 0; i < forms.Count; i++)
                {
                    if (fits[i] is { } f)
                    {
                        double delta = f[0].Criterion(options.Criterion) - bestC;
                        candidates[i] = new FitCandidate(forms[i], f[gi], null, delta, Math.Exp(-delta / 2) / total);
                    }
                    else candidates[i] = new FitCandidate(forms[i], null, reasons[i], double.NaN, 0);
                }
                selections.Add(new FitSelection(candidates, fits[best]![gi], options.Criterion));
            }
        }
        return selections;
    }

    /// <summary>Which of the form's parameters are shared; throws naming the unknown name and the allowed ones.</summary>
    internal static bool[] SharedMask(ScalingForm form, IReadOnlyList<string> shared)
    {
        var names = ScalingForms.ParameterNames(form);
        var mask = new bool[names.Count];
        foreach (var s in shared)
        {
            int j = names.ToList().IndexOf(s);
            if (j < 0)
                throw new ArgumentException($"The {ScalingForms.Name(form)} form has no parameter '{s}' to share; its parameters are {string.Join(", ", names)}.");
            mask[j] = true;
        }
        return mask;
    }

    /// <summary>
    /// Why <paramref name="form"/> cannot be fitted to (x, y), as a sentence naming the form, the count or value
    /// and the minimum; null when it can.
    /// </summary>
    public static string? Unsuitable(double[] x, double[] y, ScalingForm form)
        => Unsuitable(new FitData("x", "y", x, y, false), form, FitSpace.Linear);

    /// <summary>Why <paramref name="form"/> cannot be fitted to <paramref name="data"/> in <paramref name="space"/>; null when it can.</summary>
    public static string? Unsuitable(FitData data, ScalingForm form, FitSpace space)
    {
        string name = ScalingForms.Name(form);
        double[] x = data.X, y = data.Y;
        bool two = ScalingForms.IsTwoVariable(form);
        if (two && data.X2 is null)
            return $"The {name} form takes two variables; give the second one (--x2 COLUMN).";
        if (!two && data.X2 is not null)
            return $"The {name} form takes one variable but the data have a second one ({data.X2Column}); use {string.Join(" or ", ScalingForms.TwoVariable.Select(ScalingForms.Name))}.";
        int min = ScalingForms.MinPoints(form);
        if (x.Length < min)
            return $"The {name} form needs at least {min} points ({ScalingForms.ParameterCount(form)} parameters + 2); got {x.Length}.";
        int distinct = x.Distinct().Count();
        int minDistinct = ScalingForms.MinDistinctX(form);
        if (distinct < minDistinct)
            return $"The {name} form needs at least {minDistinct} distinct x values; got {distinct}.";
        if (two && data.X2!.Distinct().Count() < minDistinct)
            return $"The {name} form needs at least {minDistinct} distinct x2 values; got {data.X2!.Distinct().Count()}.";
        if (ScalingForms.NeedsPositiveX(form))
            for (int i = 0; i < x.Length; i++)
                if (!(x[i] > 0))
                    return $"The {name} form takes powers and logarithms of x, so x must be positive; x[{i}] = {Format(x[i])}. Drop non-positive x or use the saturating form.";
        if (two)
            for (int i = 0; i < x.Length; i++)
                if (!(data.X2![i] > 0))
                    return $"The {name} form takes powers of x2, so x2 must be positive; x2[{i}] = {Format(data.X2[i])}.";
        if (ScalingForms.NeedsPositiveY(form) || space == FitSpace.Log)
            for (int i = 0; i < y.Length; i++)
                if (!(y[i] > 0))
                    return space == FitSpace.Log
                        ? $"A fit in log space takes ln y, so y must be positive; y[{i}] = {Format(y[i])}. Use --space linear for such data."
                        : $"The {name} form is fitted from a log-log regression, so y must be positive; y[{i}] = {Format(y[i])}. Use the power-offset or saturating form for such data.";
        return null;
    }

    private static void ValidateData(FitData d)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (d.X.Length != d.Y.Length) throw new ArgumentException($"x has {d.X.Length} points but y has {d.Y.Length}; they must match.");
        if (d.X2 is not null && d.X2.Length != d.X.Length) throw new ArgumentException($"x has {d.X.Length} points but x2 has {d.X2.Length}; they must match.");
        for (int i = 0; i < d.X.Length; i++)
        {
            if (!double.IsFinite(d.X[i])) throw new ArgumentException($"x[{i}] is {Format(d.X[i])}; every x must be a finite number.");
            if (!double.IsFinite(d.Y[i])) throw new ArgumentException($"y[{i}] is {Format(d.Y[i])}; every y must be a finite number.");
            if (d.X2 is not null && !double.IsFinite(d.X2[i])) throw new ArgumentException($"x2[{i}] is {Format(d.X2[i])}; every x2 must be a finite number.");
        }
    }

    private static string Format(double v) => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Builds the joint problem of <paramref name="groups"/>.</summary>
    private static LawProblem Problem(IReadOnlyList<FitData> groups, ScalingForm form, FitSpace space, bool[] shared)
    {
        var x = groups.SelectMany(g => g.X).ToArray();
        var x2 = groups.SelectMany(g => g.X2 ?? Enumerable.Repeat(double.NaN, g.Count).ToArray()).ToArray();
        var y = groups.SelectMany(g => g.Y).ToArray();
        var gi = groups.SelectMany((g, i) => Enumerable.Repeat(i, g.Count)).ToArray();
        return new LawProblem(form, space, shared, x, x2, gi, groups.Count, y);
    }

    /// <summary>The joint fit: starts, refinement, Huber scale, statistics and bootstrap; one result per group.</summary>
    private static IReadOnlyList<FitResult> FitJoint(IReadOnlyList<FitData> groups, ScalingForm form, FitOptions options, bool[] shared)
    {
        var problem = Problem(groups, form, options.Space, shared);
        var starts = JointStarts(groups, form, options, shared, problem);
        Solution? best = null;
        foreach (var start in starts)
        {
            var r = problem.Minimize(start, options.MaxIterations);
            if (double.IsFinite(r.Rss) && (best is null || r.Rss < best.Rss)) best = r;
        }
        if (best is null)
            throw new ArgumentException($"The {ScalingForms.Name(form)} fit found no starting point with a finite residual; check the data's scale.");
        double delta = double.NaN;
        if (options.Loss == FitLoss.Huber)
        {
            delta = double.IsNaN(options.HuberDelta) ? HuberScale(problem.Residuals(best.Theta)) : options.HuberDelta;
            best = problem.Fit(best.Theta, FitLoss.Huber, delta, options.MaxIterations);
        }

        int n = problem.Count, k = problem.Parameters + 1;
        var resid = problem.Residuals(best.Theta);
        double rss = resid.Sum(r => r * r);
        double aic = n * Math.Log(Math.Max(rss / n, double.Epsilon)) + 2.0 * k;
        double aicc = n - k - 1 > 0 ? aic + 2.0 * k * (k + 1) / (n - k - 1) : double.PositiveInfinity;
        var draws = Bootstrap(groups, problem, best.Theta, options, delta);

        var names = ScalingForms.ParameterNames(form);
        var results = new List<FitResult>();
        double alpha = (1 - options.ConfidenceLevel) / 2;
        for (int g = 0; g < groups.Count; g++)
        {
            var estimate = ScalingForms.ToReported(form, problem.GroupTheta(best.Theta, g));
            var groupDraws = draws.Where(d => d is not null).Select(d => ScalingForms.ToReported(form, problem.GroupTheta(d!, g)))
                .Where(d => d.All(double.IsFinite)).ToList();
            var parameters = new FitParameter[names.Count];
            for (int j = 0; j < names.Count; j++)
            {
                double lo = double.NaN, hi = double.NaN;
                if (groupDraws.Count > 0)
                {
                    var column = groupDraws.Select(d => d[j]).ToArray();
                    Array.Sort(column);
                    lo = SortedArrayStatistics.QuantileCustom(column, alpha, QuantileDefinition.R7);
                    hi = SortedArrayStatistics.QuantileCustom(column, 1 - alpha, QuantileDefinition.R7);
                }
                parameters[j] = new FitParameter(names[j], estimate[j], lo, hi, shared[j]);
            }
            double gRss = 0, mean = 0;
            int m = 0;
            for (int i = 0; i < n; i++) if (problem.Group[i] == g) { gRss += resid[i] * resid[i]; mean += problem.Target[i]; m++; }
            mean /= m;
            double tss = 0;
            for (int i = 0; i < n; i++) if (problem.Group[i] == g) tss += (problem.Target[i] - mean) * (problem.Target[i] - mean);
            double r2 = tss > 0 ? 1.0 - gRss / tss : (gRss == 0 ? 1.0 : double.NaN);
            results.Add(new FitResult(form, parameters, m, gRss, r2, aic, aicc, best.StopReason, best.Iterations,
                groupDraws.Count, options.BootstrapResamples, options.ConfidenceLevel)
            {
                Space = options.Space,
                Loss = options.Loss,
                HuberDelta = delta,
                JointGroups = groups.Count,
                JointPoints = n,
                JointParameters = problem.Parameters,
                JointRss = rss,
                Draws = groupDraws,
            });
        }
        return results;
    }

    /// <summary>Robust residual scale for Huber's δ: 1.345 × 1.4826 × median |r − median r| (MAD), floored.</summary>
    internal static double HuberScale(double[] residuals)
    {
        double med = residuals.Median();
        double mad = residuals.Select(r => Math.Abs(r - med)).Median() * 1.4826;
        double scale = mad > 0 ? mad : Math.Sqrt(residuals.Select(r => r * r).Average());
        return HuberTuning * Math.Max(scale, 1e-300);
    }

    /// <summary>Joint starting vectors: the best grid starts when there is one unshared group; else per-group and pooled starts.</summary>
    private static List<double[]> JointStarts(IReadOnlyList<FitData> groups, ScalingForm form, FitOptions options, bool[] shared, LawProblem problem)
    {
        int p = ScalingForms.ParameterCount(form);
        if (groups.Count == 1) return Starts(groups[0], form, options.Starts);
        var starts = new List<double[]>();
        // Each group alone.
        var alone = new double[groups.Count][];
        for (int g = 0; g < groups.Count; g++)
        {
            var single = Problem([groups[g]], form, options.Space, new bool[p]);
            alone[g] = Starts(groups[g], form, options.Starts).Select(s => single.Minimize(s, options.MaxIterations))
                .Where(s => double.IsFinite(s.Rss)).OrderBy(s => s.Rss).FirstOrDefault()?.Theta ?? Starts(groups[g], form, 1)[0];
        }
        var a = new double[problem.Parameters];
        for (int j = 0; j < p; j++)
        {
            double median = alone.Select(t => t[j]).Median();
            for (int g = 0; g < groups.Count; g++) a[problem.Map[g][j]] = shared[j] ? median : alone[g][j];
        }
        starts.Add(a);
        // All groups pooled.
        var pooled = new FitData(groups[0].XColumn, groups[0].YColumn, groups.SelectMany(g => g.X).ToArray(),
            groups.SelectMany(g => g.Y).ToArray(), false) { X2 = groups[0].X2 is null ? null : groups.SelectMany(g => g.X2!).ToArray() };
        var pooledProblem = Problem([pooled], form, options.Space, new bool[p]);
        var pooledFit = Starts(pooled, form, options.Starts).Select(s => pooledProblem.Minimize(s, options.MaxIterations))
            .Where(s => double.IsFinite(s.Rss)).OrderBy(s => s.Rss).FirstOrDefault();
        if (pooledFit is not null)
        {
            var b = new double[problem.Parameters];
            for (int g = 0; g < groups.Count; g++)
                for (int j = 0; j < p; j++) b[problem.Map[g][j]] = pooledFit.Theta[j];
            starts.Add(b);
        }
        return starts;
    }

    /// <summary>Starting θ (internal parameters) for one group, best first by linear RSS.</summary>
    internal static List<double[]> Starts(FitData data, ScalingForm form, int count)
    {
        double[] x = data.X, y = data.Y;
        var x2 = data.X2 ?? Enumerable.Repeat(double.NaN, x.Length).ToArray();
        var scored = new List<(double Rss, double[] Theta)>();
        int n = x.Length;
        var grad = new double[ScalingForms.ParameterCount(form)];
        void Add(double[] theta)
        {
            if (!theta.All(double.IsFinite)) return;
            double rss = 0;
            for (int i = 0; i < n; i++)
            {
                double r = y[i] - ScalingForms.EvaluateInternal(form, theta, x[i], x2[i], grad);
                rss += r * r;
            }
            if (double.IsFinite(rss)) scored.Add((rss, theta));
        }
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
            case ScalingForm.Chinchilla:
                foreach (var a in ChinchillaExponents)
                    foreach (var b in ChinchillaExponents)
                    {
                        var c = LinearLeastSquares(n, i => [1.0, Math.Pow(x[i], -a), Math.Pow(x2[i], -b)], y);
                        if (c is not null) Add([c[0], c[1], a, c[2], b]);
                    }
                break;
            case ScalingForm.PowerProduct:
            {
                var c = LinearLeastSquares(n, i => [1.0, Math.Log(x[i]), Math.Log(x2[i])], y.Select(v => Math.Log(v)).ToArray());
                if (c is not null) Add([Math.Exp(c[0]), c[1], c[2]]);
                break;
            }
        }
        scored.Sort((a, b) => a.Rss.CompareTo(b.Rss));
        var result = scored.Take(count).Select(s => s.Theta).ToList();
        if (result.Count == 0)
            throw new ArgumentException($"The {ScalingForms.Name(form)} fit found no starting point with a finite residual; check the data's scale.");
        return result;
    }

    /// <summary>Least-squares coefficients of y on the basis functions row(i) by MathNet's QR; null when singular.</summary>
    private static double[]? LinearLeastSquares(int n, Func<int, double[]> row, double[] y)
    {
        var rows = new double[n][];
        for (int i = 0; i < n; i++) rows[i] = row(i);
        if (rows.Any(r => !r.All(double.IsFinite))) return null;
        try
        {
            var c = MultipleRegression.QR(rows, y, intercept: false);
            return c.All(double.IsFinite) ? c : null;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or ArithmeticException)
        {
            return null;
        }
    }

    /// <summary>
    /// Bootstrap refits started from θ̂; each resample has its own seeded stream, so results do not depend on the
    /// thread count. Residual resampling works in the fit space over all points; case resampling draws points within
    /// each group. Null where a refit failed.
    /// </summary>
    private static double[]?[] Bootstrap(IReadOnlyList<FitData> groups, LawProblem problem, double[] thetaHat, FitOptions options, double delta)
    {
        int n = problem.Count, b = options.BootstrapResamples;
        var draws = new double[]?[b];
        if (b == 0) return draws;
        var fitted = problem.Predictions(thetaHat);
        var resid = problem.Residuals(thetaHat);
        double inflate = Math.Sqrt(n / (double)Math.Max(1, n - problem.Parameters));
        int minDistinct = ScalingForms.MinDistinctX(problem.Form);
        var offsets = new int[groups.Count + 1];
        for (int g = 0; g < groups.Count; g++) offsets[g + 1] = offsets[g] + groups[g].Count;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Threads };
        Parallel.For(0, b, parallel, r =>
        {
            var rng = new Random(ResampleSeed(options.Seed, r));
            LawProblem resample;
            if (options.Bootstrap == BootstrapMethod.Residuals)
            {
                var t = new double[n];
                for (int i = 0; i < n; i++) t[i] = fitted[i] + inflate * resid[rng.Next(n)];
                resample = problem.WithTarget(t);
            }
            else
            {
                var cases = new List<FitData>();
                for (int g = 0; g < groups.Count; g++)
                {
                    var d = groups[g];
                    var idx = Enumerable.Range(0, d.Count).Select(_ => rng.Next(d.Count)).ToArray();
                    var xs = idx.Select(i => d.X[i]).ToArray();
                    if (xs.Distinct().Count() < minDistinct) return;
                    cases.Add(new FitData(d.XColumn, d.YColumn, xs, idx.Select(i => d.Y[i]).ToArray(), false)
                        { X2 = d.X2 is null ? null : idx.Select(i => d.X2[i]).ToArray() });
                }
                var shared = new bool[problem.FormParameters];
                for (int j = 0; j < shared.Length; j++) shared[j] = groups.Count > 1 && problem.Map[0][j] == problem.Map[1][j];
                resample = Problem(cases, problem.Form, problem.Space, shared);
            }
            var fit = resample.Fit(thetaHat, options.Loss, delta, options.MaxIterations);
            if (double.IsFinite(fit.Rss) && fit.Theta.All(double.IsFinite)) draws[r] = fit.Theta;
        });
        return draws;
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
