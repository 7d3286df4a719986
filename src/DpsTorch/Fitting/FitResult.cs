// Options and results of a scaling-law fit (MODEL.md section 6): parameters with bootstrap intervals, R², AIC, AICc.
using MathNet.Numerics.Statistics;

namespace DpsTorch.Fitting;

/// <summary>Why a least-squares fit stopped.</summary>
public enum FitStopReason
{
    /// <summary>The solver's gradient, step or objective tolerance was met.</summary>
    Converged,
    /// <summary>The iteration limit was reached first.</summary>
    IterationLimit,
    /// <summary>The solver made no further progress, or failed numerically, before meeting a tolerance.</summary>
    Stalled,
    /// <summary>The model gave a non-finite value at the starting point.</summary>
    NonFinite,
}

/// <summary>Which information criterion chooses between forms.</summary>
public enum InformationCriterion
{
    /// <summary>AICc = AIC + 2k(k+1)/(n−k−1): the small-sample correction; tends to AIC as n grows. Default.</summary>
    Aicc,
    /// <summary>AIC = n·ln(RSS/n) + 2k.</summary>
    Aic,
}

/// <summary>How bootstrap resamples are drawn.</summary>
public enum BootstrapMethod
{
    /// <summary>
    /// Residual resampling (default): y* = ŷ + r*, with r* drawn with replacement from the residuals scaled by
    /// √(n/(n−p)) to undo their shrinkage. Keeps the x design fixed, so it works with few distinct x.
    /// </summary>
    Residuals,
    /// <summary>Case resampling: draws (x, y) pairs with replacement; resamples too degenerate to fit are skipped.</summary>
    Cases,
}

/// <summary>Settings of a scaling-law fit. Defaults are documented on each property.</summary>
public sealed record FitOptions
{
    /// <summary>Number of bootstrap resamples for the confidence intervals (default 1000; 0 = no intervals).</summary>
    public int BootstrapResamples { get; init; } = 1000;
    /// <summary>Seed of the bootstrap; results are identical for a seed on any thread count.</summary>
    public int Seed { get; init; } = 1;
    /// <summary>Bootstrap scheme (default residual resampling).</summary>
    public BootstrapMethod Bootstrap { get; init; } = BootstrapMethod.Residuals;
    /// <summary>Confidence level of the percentile intervals (default 0.95).</summary>
    public double ConfidenceLevel { get; init; } = 0.95;
    /// <summary>Criterion for choosing a form in <see cref="ScalingFit.FitAuto"/> (default AICc).</summary>
    public InformationCriterion Criterion { get; init; } = InformationCriterion.Aicc;
    /// <summary>Levenberg–Marquardt iteration limit per start (default 200).</summary>
    public int MaxIterations { get; init; } = 200;
    /// <summary>How many of the best grid starting points are refined by Levenberg–Marquardt (default 3).</summary>
    public int Starts { get; init; } = 3;
    /// <summary>Threads for the bootstrap (default 1; results do not depend on it).</summary>
    public int Threads { get; init; } = 1;
    /// <summary>Residuals on y (default) or on ln y.</summary>
    public FitSpace Space { get; init; } = FitSpace.Linear;
    /// <summary>Squared (default) or Huber loss.</summary>
    public FitLoss Loss { get; init; } = FitLoss.Squared;
    /// <summary>Huber's δ in fit-space units; NaN (default): 1.345 × the MAD scale of the least-squares residuals.</summary>
    public double HuberDelta { get; init; } = double.NaN;
    /// <summary>Parameters that take one value across all groups (e.g. ["b"]: a shared exponent); default none.</summary>
    public IReadOnlyList<string> Shared { get; init; } = [];

    /// <summary>Throws with the property name, value and allowed range when an option is out of range.</summary>
    public void Validate()
    {
        if (BootstrapResamples < 0) throw new ArgumentOutOfRangeException(nameof(BootstrapResamples), BootstrapResamples, "BootstrapResamples must be 0 or more.");
        if (!(ConfidenceLevel > 0 && ConfidenceLevel < 1)) throw new ArgumentOutOfRangeException(nameof(ConfidenceLevel), ConfidenceLevel, "ConfidenceLevel must lie strictly between 0 and 1, e.g. 0.95.");
        if (MaxIterations < 1) throw new ArgumentOutOfRangeException(nameof(MaxIterations), MaxIterations, "MaxIterations must be at least 1.");
        if (Starts < 1) throw new ArgumentOutOfRangeException(nameof(Starts), Starts, "Starts must be at least 1.");
        if (Threads < 1) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be at least 1.");
        if (!double.IsNaN(HuberDelta) && !(HuberDelta > 0 && double.IsFinite(HuberDelta))) throw new ArgumentOutOfRangeException(nameof(HuberDelta), HuberDelta, "HuberDelta must be a positive number, or NaN for the automatic scale.");
    }
}

/// <summary>One fitted parameter: estimate and bootstrap percentile interval (NaN when no bootstrap was run);
/// <paramref name="Shared"/> when one value serves all groups of a joint fit.</summary>
public sealed record FitParameter(string Name, double Estimate, double CiLow, double CiHigh, bool Shared = false)
{
    /// <summary>Whether <paramref name="value"/> lies inside [CiLow, CiHigh].</summary>
    public bool CiContains(double value) => value >= CiLow && value <= CiHigh;
}

/// <summary>A fitted scaling law.</summary>
/// <param name="Form">The form fitted.</param>
/// <param name="Parameters">Reported parameters in the order of <see cref="ScalingForms.ParameterNames"/>.</param>
/// <param name="N">Number of points fitted (this group's).</param>
/// <param name="Rss">Residual sum of squares Σ r² of this group, r in the fit space (y − ŷ, or ln y − ln ŷ).</param>
/// <param name="RSquared">1 − RSS/TSS in the fit space.</param>
/// <param name="Aic">n·ln(RSS/n) + 2k, with k = p + 1 (the p curve parameters and the noise variance); for a joint
/// fit with shared parameters, of all groups together (n points, p joint parameters).</param>
/// <param name="Aicc">AIC + 2k(k+1)/(n−k−1).</param>
/// <param name="StopReason">Why the best Levenberg–Marquardt run stopped.</param>
/// <param name="Iterations">Iterations of the best run.</param>
/// <param name="BootstrapUsed">Resamples whose refit was finite and entered the intervals.</param>
/// <param name="BootstrapRequested">Resamples drawn.</param>
/// <param name="ConfidenceLevel">Level of the intervals.</param>
public sealed record FitResult(
    ScalingForm Form, IReadOnlyList<FitParameter> Parameters, int N, double Rss, double RSquared, double Aic, double Aicc,
    FitStopReason StopReason, int Iterations, int BootstrapUsed, int BootstrapRequested, double ConfidenceLevel)
{
    /// <summary>Space the residuals were taken in.</summary>
    public FitSpace Space { get; init; }
    /// <summary>Loss minimised.</summary>
    public FitLoss Loss { get; init; }
    /// <summary>Huber's δ used (NaN for squared loss).</summary>
    public double HuberDelta { get; init; } = double.NaN;
    /// <summary>Groups fitted jointly with this one (1: fitted alone).</summary>
    public int JointGroups { get; init; } = 1;
    /// <summary>Points of the joint fit (N when fitted alone).</summary>
    public int JointPoints { get; init; }
    /// <summary>Parameters of the joint fit (p when fitted alone).</summary>
    public int JointParameters { get; init; }
    /// <summary>Σ r² of the joint fit (Rss when fitted alone).</summary>
    public double JointRss { get; init; }
    /// <summary>Reported parameters of every usable bootstrap refit (for intervals of the curve); empty without bootstrap.</summary>
    public IReadOnlyList<double[]> Draws { get; init; } = [];

    /// <summary>The form's name ("power", ...).</summary>
    public string FormName => ScalingForms.Name(Form);
    /// <summary>Whether the fit converged.</summary>
    public bool Converged => StopReason == FitStopReason.Converged;
    /// <summary>Number of parameters counted by AIC: p + 1 (joint parameters + 1 for a joint fit).</summary>
    public int K => (JointGroups > 1 ? JointParameters : Parameters.Count) + 1;

    /// <summary>The parameter called <paramref name="name"/>.</summary>
    public FitParameter this[string name] => Parameters.FirstOrDefault(p => p.Name == name)
        ?? throw new KeyNotFoundException($"The {FormName} form has no parameter '{name}'; it has {string.Join(", ", Parameters.Select(p => p.Name))}.");

    /// <summary>The value of the criterion <paramref name="c"/>.</summary>
    public double Criterion(InformationCriterion c) => c == InformationCriterion.Aic ? Aic : Aicc;

    /// <summary>The fitted curve at x (and x2 for a two-variable form).</summary>
    public double Predict(double x, double x2 = double.NaN)
    {
        var p = new double[Parameters.Count];
        for (int i = 0; i < p.Length; i++) p[i] = Parameters[i].Estimate;
        return ScalingForms.Evaluate(Form, p, x, x2);
    }

    /// <summary>
    /// Pointwise percentile band of the curve at x over the bootstrap refits, at <see cref="ConfidenceLevel"/>
    /// (NaN, NaN without bootstrap).
    /// </summary>
    public (double Low, double High) Band(double x, double x2 = double.NaN)
    {
        var v = Draws.Select(d => ScalingForms.Evaluate(Form, d, x, x2)).Where(double.IsFinite).ToArray();
        if (v.Length == 0) return (double.NaN, double.NaN);
        Array.Sort(v);
        double alpha = (1 - ConfidenceLevel) / 2;
        return (SortedArrayStatistics.QuantileCustom(v, alpha, QuantileDefinition.R7),
            SortedArrayStatistics.QuantileCustom(v, 1 - alpha, QuantileDefinition.R7));
    }
}

/// <summary>A form considered by <see cref="ScalingFit.FitAuto"/>: its fit, or why it was skipped.</summary>
/// <param name="Form">The form.</param>
/// <param name="Result">Its fit; null when skipped.</param>
/// <param name="SkippedReason">Why the data cannot support the form; null when fitted.</param>
/// <param name="Delta">Criterion minus the best criterion (NaN when skipped).</param>
/// <param name="Weight">Akaike weight exp(−Δ/2) / Σ exp(−Δ/2) (0 when skipped).</param>
public sealed record FitCandidate(ScalingForm Form, FitResult? Result, string? SkippedReason, double Delta, double Weight)
{
    /// <summary>The form's name.</summary>
    public string FormName => ScalingForms.Name(Form);
}

/// <summary>All candidate fits and the one the criterion chose.</summary>
public sealed record FitSelection(IReadOnlyList<FitCandidate> Candidates, FitResult Chosen, InformationCriterion Criterion);
