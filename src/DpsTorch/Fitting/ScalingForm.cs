// The scaling-law forms of MODEL.md section 6 (four in one variable, two in two variables): their names, parameters,
// data requirements, values and parameter gradients, in the internal parametrisation the fit works in.
namespace DpsTorch.Fitting;

/// <summary>A scaling-law form y = f(x; θ). Names in files and on the command line: see <see cref="ScalingForms.Name"/>.</summary>
public enum ScalingForm
{
    /// <summary>"power": y = a·x^b (x &gt; 0, y &gt; 0).</summary>
    Power,
    /// <summary>"power-offset": y = c + a·x^(−b) (x &gt; 0).</summary>
    PowerOffset,
    /// <summary>"saturating": y = y∞·(1 − exp(−x/x0)), x0 &gt; 0.</summary>
    Saturating,
    /// <summary>
    /// "broken-power": a sharp break at x_b, continuous there: y = a·x^b1 for x &lt; x_b and
    /// y = a·x_b^(b1−b2)·x^b2 for x ≥ x_b (x &gt; 0, y &gt; 0). A straight line with one kink in log-log axes.
    /// </summary>
    BrokenPower,
    /// <summary>
    /// "chinchilla": two variables, y = E + A/x^α + B/x2^β (x, x2 &gt; 0): an irreducible floor plus one power-law
    /// term per variable, the form Hoffmann et al. (2022) fitted to loss against parameters and data.
    /// </summary>
    Chinchilla,
    /// <summary>"power-product": two variables, y = a·x^b·x2^c (x, x2, y &gt; 0): a plane in log-log-log axes.</summary>
    PowerProduct,
}

/// <summary>Names, parameters and evaluation of each <see cref="ScalingForm"/>.</summary>
/// <remarks>
/// The fit works in internal parameters θ equal to the reported ones except that scales which must be positive
/// are fitted as logarithms (saturating: ln x0; broken power: ln x_b). <see cref="ToReported"/> maps θ to the
/// reported values; percentile intervals are unchanged by that monotone map.
/// </remarks>
public static class ScalingForms
{
    /// <summary>All forms, in the order auto-selection lists them.</summary>
    public static readonly IReadOnlyList<ScalingForm> All =
        [ScalingForm.Power, ScalingForm.PowerOffset, ScalingForm.Saturating, ScalingForm.BrokenPower];

    /// <summary>The two-variable forms, in the order auto-selection lists them.</summary>
    public static readonly IReadOnlyList<ScalingForm> TwoVariable = [ScalingForm.Chinchilla, ScalingForm.PowerProduct];

    /// <summary>Every form, one-variable first.</summary>
    public static readonly IReadOnlyList<ScalingForm> Every = [.. All, .. TwoVariable];

    /// <summary>Whether the form takes a second variable x2.</summary>
    public static bool IsTwoVariable(ScalingForm form) => form is ScalingForm.Chinchilla or ScalingForm.PowerProduct;

    /// <summary>The form's name in files and on the command line.</summary>
    public static string Name(ScalingForm form) => form switch
    {
        ScalingForm.Power => "power",
        ScalingForm.PowerOffset => "power-offset",
        ScalingForm.Saturating => "saturating",
        ScalingForm.BrokenPower => "broken-power",
        ScalingForm.Chinchilla => "chinchilla",
        ScalingForm.PowerProduct => "power-product",
        _ => throw new ArgumentOutOfRangeException(nameof(form), form, "Unknown scaling form."),
    };

    /// <summary>The formula, as text for reports.</summary>
    public static string Formula(ScalingForm form) => form switch
    {
        ScalingForm.Power => "y = a·x^b",
        ScalingForm.PowerOffset => "y = c + a·x^(−b)",
        ScalingForm.Saturating => "y = y_inf·(1 − exp(−x/x0))",
        ScalingForm.BrokenPower => "y = a·x^b1 (x < x_b), a·x_b^(b1−b2)·x^b2 (x ≥ x_b)",
        ScalingForm.Chinchilla => "y = E + A/x^alpha + B/x2^beta",
        ScalingForm.PowerProduct => "y = a·x^b·x2^c",
        _ => throw new ArgumentOutOfRangeException(nameof(form), form, "Unknown scaling form."),
    };

    /// <summary>Parses a form name ("power", "power-offset", "saturating", "broken-power", "chinchilla",
    /// "power-product"; case-insensitive).</summary>
    public static ScalingForm Parse(string name)
    {
        foreach (var f in Every)
            if (string.Equals(Name(f), name?.Trim(), StringComparison.OrdinalIgnoreCase)) return f;
        throw new ArgumentException(
            $"Unknown scaling form '{name}'. Use one of: {string.Join(", ", Every.Select(Name))} (or 'auto' where allowed).");
    }

    /// <summary>Names of the reported parameters, in order.</summary>
    public static IReadOnlyList<string> ParameterNames(ScalingForm form) => form switch
    {
        ScalingForm.Power => ["a", "b"],
        ScalingForm.PowerOffset => ["c", "a", "b"],
        ScalingForm.Saturating => ["y_inf", "x0"],
        ScalingForm.BrokenPower => ["a", "b1", "b2", "x_b"],
        ScalingForm.Chinchilla => ["E", "A", "alpha", "B", "beta"],
        ScalingForm.PowerProduct => ["a", "b", "c"],
        _ => throw new ArgumentOutOfRangeException(nameof(form), form, "Unknown scaling form."),
    };

    /// <summary>Number of fitted parameters p.</summary>
    public static int ParameterCount(ScalingForm form) => ParameterNames(form).Count;

    /// <summary>
    /// Fewest points a fit of this form accepts: p + 2, so that AICc (which counts the noise variance as a
    /// parameter, k = p + 1, and needs n &gt; k + 1) is defined and one degree of freedom is left for the bootstrap.
    /// </summary>
    public static int MinPoints(ScalingForm form) => ParameterCount(form) + 2;

    /// <summary>Fewest distinct x values that identify the parameters (broken power: two on each side of the break).</summary>
    public static int MinDistinctX(ScalingForm form) => form switch
    {
        ScalingForm.BrokenPower => 4,
        ScalingForm.Chinchilla => 3,
        ScalingForm.PowerProduct => 2,
        _ => ParameterCount(form),
    };

    /// <summary>Whether the form needs x &gt; 0 (it takes powers or logarithms of x).</summary>
    public static bool NeedsPositiveX(ScalingForm form) => form != ScalingForm.Saturating;

    /// <summary>Whether the form needs y &gt; 0 (its starting values come from a log-log regression).</summary>
    public static bool NeedsPositiveY(ScalingForm form) => form is ScalingForm.Power or ScalingForm.BrokenPower or ScalingForm.PowerProduct;

    /// <summary>Maps internal parameters θ to the reported ones (exponentiates the fitted logarithms).</summary>
    public static double[] ToReported(ScalingForm form, ReadOnlySpan<double> theta)
    {
        var p = theta.ToArray();
        if (form == ScalingForm.Saturating) p[1] = Math.Exp(p[1]);
        if (form == ScalingForm.BrokenPower) p[3] = Math.Exp(p[3]);
        return p;
    }

    /// <summary>Maps reported parameters to internal θ (inverse of <see cref="ToReported"/>).</summary>
    public static double[] ToInternal(ScalingForm form, ReadOnlySpan<double> reported)
    {
        var t = reported.ToArray();
        if (form == ScalingForm.Saturating) t[1] = Math.Log(t[1]);
        if (form == ScalingForm.BrokenPower) t[3] = Math.Log(t[3]);
        return t;
    }

    /// <summary>The curve's value at x (and x2 for a two-variable form) for reported parameters.</summary>
    public static double Evaluate(ScalingForm form, ReadOnlySpan<double> reported, double x, double x2 = double.NaN)
    {
        Span<double> grad = stackalloc double[5];
        return EvaluateInternal(form, ToInternal(form, reported), x, x2, grad[..reported.Length]);
    }

    /// <summary>f(x; θ) of a one-variable form in internal parameters, writing ∂f/∂θ into <paramref name="gradient"/>.</summary>
    public static double EvaluateInternal(ScalingForm form, ReadOnlySpan<double> theta, double x, Span<double> gradient)
        => EvaluateInternal(form, theta, x, double.NaN, gradient);

    /// <summary>f(x, x2; θ) in internal parameters (x2 ignored by one-variable forms), writing ∂f/∂θ into <paramref name="gradient"/>.</summary>
    public static double EvaluateInternal(ScalingForm form, ReadOnlySpan<double> theta, double x, double x2, Span<double> gradient)
    {
        switch (form)
        {
            case ScalingForm.Chinchilla:
            {
                double lx = Math.Log(x), lx2 = Math.Log(x2);
                double u = Math.Exp(-theta[2] * lx), v = Math.Exp(-theta[4] * lx2);
                gradient[0] = 1.0;
                gradient[1] = u;
                gradient[2] = -theta[1] * u * lx;
                gradient[3] = v;
                gradient[4] = -theta[3] * v * lx2;
                return theta[0] + theta[1] * u + theta[3] * v;
            }
            case ScalingForm.PowerProduct:
            {
                double lx = Math.Log(x), lx2 = Math.Log(x2);
                double u = Math.Exp(theta[1] * lx + theta[2] * lx2), y = theta[0] * u;
                gradient[0] = u;
                gradient[1] = y * lx;
                gradient[2] = y * lx2;
                return y;
            }
            case ScalingForm.Power:
            {
                double xb = Math.Pow(x, theta[1]), y = theta[0] * xb;
                gradient[0] = xb;
                gradient[1] = y * Math.Log(x);
                return y;
            }
            case ScalingForm.PowerOffset:
            {
                double xb = Math.Pow(x, -theta[2]);
                gradient[0] = 1.0;
                gradient[1] = xb;
                gradient[2] = -theta[1] * xb * Math.Log(x);
                return theta[0] + theta[1] * xb;
            }
            case ScalingForm.Saturating:
            {
                double x0 = Math.Exp(theta[1]), e = Math.Exp(-x / x0);
                gradient[0] = 1.0 - e;
                gradient[1] = -theta[0] * e * x / x0;
                return theta[0] * (1.0 - e);
            }
            case ScalingForm.BrokenPower:
            {
                double a = theta[0], b1 = theta[1], b2 = theta[2], lb = theta[3], lx = Math.Log(x);
                if (lx < lb)
                {
                    double xb1 = Math.Exp(b1 * lx);
                    gradient[0] = xb1;
                    gradient[1] = a * xb1 * lx;
                    gradient[2] = 0.0;
                    gradient[3] = 0.0;
                    return a * xb1;
                }
                double u = Math.Exp((b1 - b2) * lb + b2 * lx), y = a * u;
                gradient[0] = u;
                gradient[1] = y * lb;
                gradient[2] = y * (lx - lb);
                gradient[3] = y * (b1 - b2);
                return y;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(form), form, "Unknown scaling form.");
        }
    }
}
