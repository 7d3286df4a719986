// The four scaling-law forms of MODEL.md section 6: their names, parameters, data requirements, values and
// parameter gradients, in the internal parametrisation the least-squares fit works in.
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

    /// <summary>The form's name in files and on the command line.</summary>
    public static string Name(ScalingForm form) => form switch
    {
        ScalingForm.Power => "power",
        ScalingForm.PowerOffset => "power-offset",
        ScalingForm.Saturating => "saturating",
        ScalingForm.BrokenPower => "broken-power",
        _ => throw new ArgumentOutOfRangeException(nameof(form), form, "Unknown scaling form."),
    };

    /// <summary>The formula, as text for reports.</summary>
    public static string Formula(ScalingForm form) => form switch
    {
        ScalingForm.Power => "y = a·x^b",
        ScalingForm.PowerOffset => "y = c + a·x^(−b)",
        ScalingForm.Saturating => "y = y_inf·(1 − exp(−x/x0))",
        ScalingForm.BrokenPower => "y = a·x^b1 (x < x_b), a·x_b^(b1−b2)·x^b2 (x ≥ x_b)",
        _ => throw new ArgumentOutOfRangeException(nameof(form), form, "Unknown scaling form."),
    };

    /// <summary>Parses a form name ("power", "power-offset", "saturating", "broken-power"; case-insensitive).</summary>
    public static ScalingForm Parse(string name)
    {
        foreach (var f in All)
            if (string.Equals(Name(f), name?.Trim(), StringComparison.OrdinalIgnoreCase)) return f;
        throw new ArgumentException(
            $"Unknown scaling form '{name}'. Use one of: {string.Join(", ", All.Select(Name))} (or 'auto' where allowed).",
            nameof(name));
    }

    /// <summary>Names of the reported parameters, in order.</summary>
    public static IReadOnlyList<string> ParameterNames(ScalingForm form) => form switch
    {
        ScalingForm.Power => ["a", "b"],
        ScalingForm.PowerOffset => ["c", "a", "b"],
        ScalingForm.Saturating => ["y_inf", "x0"],
        ScalingForm.BrokenPower => ["a", "b1", "b2", "x_b"],
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
    public static int MinDistinctX(ScalingForm form) => form == ScalingForm.BrokenPower ? 4 : ParameterCount(form);

    /// <summary>Whether the form needs x &gt; 0 (it takes powers or logarithms of x).</summary>
    public static bool NeedsPositiveX(ScalingForm form) => form != ScalingForm.Saturating;

    /// <summary>Whether the form needs y &gt; 0 (its starting values come from a log-log regression).</summary>
    public static bool NeedsPositiveY(ScalingForm form) => form is ScalingForm.Power or ScalingForm.BrokenPower;

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

    /// <summary>The curve's value at x for reported parameters.</summary>
    public static double Evaluate(ScalingForm form, ReadOnlySpan<double> reported, double x)
    {
        Span<double> grad = stackalloc double[4];
        return EvaluateInternal(form, ToInternal(form, reported), x, grad[..reported.Length]);
    }

    /// <summary>f(x; θ) in internal parameters, writing ∂f/∂θ into <paramref name="gradient"/>.</summary>
    public static double EvaluateInternal(ScalingForm form, ReadOnlySpan<double> theta, double x, Span<double> gradient)
    {
        switch (form)
        {
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
