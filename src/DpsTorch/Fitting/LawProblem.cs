// The numerical core of every scaling-law fit (MODEL.md section 6): one form fitted jointly to one or more groups of
// points, each parameter either shared by all groups or one per group, in linear or log space, by least squares
// (MathNet.Numerics' Levenberg-Marquardt) or a Huber loss (iteratively reweighted least squares on the same solver).
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;

namespace DpsTorch.Fitting;

/// <summary>Whether residuals are taken on y (linear) or on ln y (log: relative errors, every decade weighs alike).</summary>
public enum FitSpace
{
    /// <summary>r = y − f (default).</summary>
    Linear,
    /// <summary>r = ln y − ln f; needs y &gt; 0.</summary>
    Log,
}

/// <summary>The loss summed over residuals.</summary>
public enum FitLoss
{
    /// <summary>Σ r² (default; Gaussian noise, the AIC formulas hold exactly).</summary>
    Squared,
    /// <summary>
    /// Σ ρ_δ(r) with ρ_δ(r) = r²/2 for |r| ≤ δ and δ(|r| − δ/2) beyond: squared near the fit, linear for outliers.
    /// </summary>
    Huber,
}

/// <summary>
/// One joint fit problem: points (x, x2, group, target in the fit space) and the map from each group's form
/// parameters to slots of the joint parameter vector θ.
/// </summary>
internal sealed class LawProblem
{
    public ScalingForm Form { get; }
    public FitSpace Space { get; }
    /// <summary>Parameters of the form (p).</summary>
    public int FormParameters { get; }
    /// <summary>Length of the joint vector θ: shared parameters once, the others once per group.</summary>
    public int Parameters { get; }
    public int Groups { get; }
    /// <summary>Map[g][j]: slot in θ of the form's parameter j for group g.</summary>
    public int[][] Map { get; }
    public double[] X { get; }
    public double[] X2 { get; }
    public int[] Group { get; }
    /// <summary>y (linear space) or ln y (log space).</summary>
    public double[] Target { get; }
    public int Count => X.Length;

    // The broken power law's break is clamped to its group's x range, where it is identifiable.
    private readonly double[] _breakLo, _breakHi;

    public LawProblem(ScalingForm form, FitSpace space, bool[] shared, double[] x, double[] x2, int[] group, int groups, double[] y)
    {
        Form = form;
        Space = space;
        FormParameters = ScalingForms.ParameterCount(form);
        Groups = groups;
        X = x;
        X2 = x2;
        Group = group;
        Target = space == FitSpace.Log ? y.Select(v => Math.Log(v)).ToArray() : (double[])y.Clone();
        Map = new int[groups][];
        int slot = 0;
        var sharedSlot = new int[FormParameters];
        for (int j = 0; j < FormParameters; j++) if (shared[j]) sharedSlot[j] = slot++;
        for (int g = 0; g < groups; g++)
        {
            Map[g] = new int[FormParameters];
            for (int j = 0; j < FormParameters; j++) Map[g][j] = shared[j] ? sharedSlot[j] : slot++;
        }
        Parameters = slot;
        _breakLo = Enumerable.Repeat(double.PositiveInfinity, groups).ToArray();
        _breakHi = Enumerable.Repeat(double.NegativeInfinity, groups).ToArray();
        for (int i = 0; i < x.Length; i++)
        {
            double l = Math.Log(x[i]);
            _breakLo[group[i]] = Math.Min(_breakLo[group[i]], l);
            _breakHi[group[i]] = Math.Max(_breakHi[group[i]], l);
        }
    }

    /// <summary>The same problem with another target (a bootstrap resample, already in the fit space).</summary>
    public LawProblem WithTarget(double[] target)
    {
        var p = (LawProblem)MemberwiseClone();
        p._target = target;
        return p;
    }

    private double[]? _target;
    private double[] T => _target ?? Target;

    /// <summary>Group g's form parameters (internal parametrisation) from θ, with the break clamped.</summary>
    public double[] GroupTheta(ReadOnlySpan<double> theta, int g)
    {
        var t = new double[FormParameters];
        for (int j = 0; j < FormParameters; j++) t[j] = theta[Map[g][j]];
        if (Form == ScalingForm.BrokenPower) t[3] = Math.Clamp(t[3], _breakLo[g], _breakHi[g]);
        return t;
    }

    /// <summary>Prediction of point i in the fit space, writing ∂/∂(form parameter) into <paramref name="gradient"/>.</summary>
    public double Predict(double[] groupTheta, int i, Span<double> gradient)
    {
        double f = ScalingForms.EvaluateInternal(Form, groupTheta, X[i], X2[i], gradient);
        if (Space == FitSpace.Linear) return f;
        if (!(f > 0) || !double.IsFinite(f))
        {
            gradient.Clear();
            return LogFloor;
        }
        for (int j = 0; j < gradient.Length; j++) gradient[j] /= f;
        return Math.Log(f);
    }

    /// <summary>ln of a non-positive prediction in log space: a large finite residual, so the solver backs off.</summary>
    private const double LogFloor = -700;

    /// <summary>Fit-space predictions at θ.</summary>
    public double[] Predictions(ReadOnlySpan<double> theta)
    {
        var th = theta.ToArray();
        var thetas = Enumerable.Range(0, Groups).Select(g => GroupTheta(th, g)).ToArray();
        Span<double> grad = stackalloc double[FormParameters];
        var s = new double[Count];
        for (int i = 0; i < Count; i++) s[i] = Predict(thetas[Group[i]], i, grad);
        return s;
    }

    /// <summary>Residuals target − prediction at θ.</summary>
    public double[] Residuals(ReadOnlySpan<double> theta)
    {
        var s = Predictions(theta);
        for (int i = 0; i < s.Length; i++) s[i] = T[i] - s[i];
        return s;
    }

    /// <summary>Σ r² at θ (infinite when not finite).</summary>
    public double Rss(ReadOnlySpan<double> theta)
    {
        double rss = 0;
        foreach (var r in Residuals(theta)) rss += r * r;
        return double.IsFinite(rss) ? rss : double.PositiveInfinity;
    }

    /// <summary>Σ ρ_δ(r) at θ.</summary>
    public double HuberObjective(ReadOnlySpan<double> theta, double delta)
    {
        double s = 0;
        foreach (var r in Residuals(theta)) s += Huber(r, delta);
        return double.IsFinite(s) ? s : double.PositiveInfinity;
    }

    public static double Huber(double r, double delta)
    {
        double a = Math.Abs(r);
        return a <= delta ? 0.5 * r * r : delta * (a - 0.5 * delta);
    }

    /// <summary>
    /// Weighted least squares Σ w r² from <paramref name="start"/> by MathNet's Levenberg-Marquardt minimiser
    /// (null weights: all 1). The model is evaluated at point indices, so one- and two-variable forms, groups and
    /// shared parameters all go through the same call.
    /// </summary>
    public Solution Minimize(double[] start, int maxIterations, double[]? weights = null)
    {
        int n = Count, p = Parameters;
        var thetaBuffer = new double[p];
        double[][] Thetas(Vector<double> th)
        {
            th.CopyTo(Vector<double>.Build.Dense(thetaBuffer));
            return Enumerable.Range(0, Groups).Select(g => GroupTheta(thetaBuffer, g)).ToArray();
        }
        Vector<double> Model(Vector<double> th, Vector<double> _)
        {
            var thetas = Thetas(th);
            var grad = new double[FormParameters];
            var v = Vector<double>.Build.Dense(n);
            for (int i = 0; i < n; i++) v[i] = Predict(thetas[Group[i]], i, grad);
            return v;
        }
        Matrix<double> Jacobian(Vector<double> th, Vector<double> _)
        {
            var thetas = Thetas(th);
            var grad = new double[FormParameters];
            var m = Matrix<double>.Build.Dense(n, p);
            for (int i = 0; i < n; i++)
            {
                int g = Group[i];
                Predict(thetas[g], i, grad);
                for (int j = 0; j < FormParameters; j++)
                {
                    // The clamped break does not move the curve: no gradient outside its range.
                    if (Form == ScalingForm.BrokenPower && j == 3 && thetas[g][3] != th[Map[g][3]]) continue;
                    m[i, Map[g][j]] += grad[j];
                }
            }
            return m;
        }
        var indices = Vector<double>.Build.Dense(n, i => i);
        var observed = Vector<double>.Build.DenseOfArray(T);
        var w = weights is null ? null : Vector<double>.Build.DenseOfArray(weights);
        var objective = ObjectiveFunction.NonlinearModel(Model, Jacobian, indices, observed, w);
        var solver = new LevenbergMarquardtMinimizer(initialMu: 1e-3, gradientTolerance: 1e-15, stepTolerance: 1e-15,
            functionTolerance: 1e-15, maximumIterations: maxIterations);
        double startRss = Rss(start);
        if (!double.IsFinite(startRss)) return new Solution(start, double.PositiveInfinity, 0, FitStopReason.NonFinite);
        try
        {
            var r = solver.FindMinimum(objective, Vector<double>.Build.DenseOfArray(start));
            var theta = r.MinimizingPoint.ToArray();
            for (int g = 0; g < Groups; g++)
                if (Form == ScalingForm.BrokenPower) theta[Map[g][3]] = GroupTheta(theta, g)[3];
            double rss = Rss(theta);
            if (!double.IsFinite(rss) || !theta.All(double.IsFinite))
                return new Solution(start, startRss, r.Iterations, FitStopReason.NonFinite);
            var stop = r.ReasonForExit switch
            {
                ExitCondition.ExceedIterations => FitStopReason.IterationLimit,
                ExitCondition.InvalidValues => FitStopReason.NonFinite,
                ExitCondition.LackOfProgress => FitStopReason.Stalled,
                _ => FitStopReason.Converged,
            };
            return new Solution(theta, rss, r.Iterations, stop);
        }
        catch (Exception e) when (e is ArithmeticException or ArgumentException or InvalidOperationException
            or MaximumIterationsException or MathNet.Numerics.NonConvergenceException)
        {
            return new Solution(start, startRss, 0, FitStopReason.Stalled);
        }
    }

    /// <summary>
    /// Minimises the loss from <paramref name="start"/>: least squares directly; Huber by iteratively reweighted
    /// least squares (weights min(1, δ/|r|), each step a weighted Levenberg-Marquardt solve) until the Huber
    /// objective stops falling. <see cref="Solution.Rss"/> is always Σ r² at the solution.
    /// </summary>
    public Solution Fit(double[] start, FitLoss loss, double delta, int maxIterations)
    {
        var s = Minimize(start, maxIterations);
        if (loss == FitLoss.Squared || !double.IsFinite(s.Rss)) return s;
        double obj = HuberObjective(s.Theta, delta);
        int iterations = s.Iterations;
        for (int round = 0; round < HuberRounds; round++)
        {
            var r = Residuals(s.Theta);
            var w = r.Select(v => Math.Abs(v) <= delta ? 1.0 : delta / Math.Abs(v)).ToArray();
            var next = Minimize(s.Theta, maxIterations, w);
            iterations += next.Iterations;
            double nextObj = HuberObjective(next.Theta, delta);
            if (!(nextObj < obj)) break;
            bool done = obj - nextObj <= 1e-12 * obj;
            (s, obj) = (next, nextObj);
            if (done) break;
        }
        return s with { Iterations = iterations };
    }

    /// <summary>Most reweighting rounds of a Huber fit.</summary>
    private const int HuberRounds = 50;
}

/// <summary>A minimiser's outcome: joint θ (internal parametrisation), Σ r² there, iterations and why it stopped.</summary>
internal sealed record Solution(double[] Theta, double Rss, int Iterations, FitStopReason StopReason);
