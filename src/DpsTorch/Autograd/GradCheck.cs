// The one finite-difference gradient checker (float64, central differences), used by every gradient test.
namespace DpsTorch.Autograd;

/// <summary>Result of a gradient check: the worst relative error and where it occurred.</summary>
public sealed record GradCheckResult(bool Passed, double MaxRelativeError, string Where);

/// <summary>
/// Compares autograd gradients with central finite differences:
/// (f(x + h e) − f(x − h e)) / 2h, with h a power of two scaled to |x|.
/// Small inputs are checked element by element; large ones along random unit directions (fixed seed).
/// </summary>
public static class GradCheck
{
    /// <summary>Default relative step: 2^-20 (about 1e-6), exactly representable, so x ± h is exact in float64 for |x| ~ 1.</summary>
    public const double DefaultStep = 1.0 / (1 << 20);

    /// <summary>Default tolerance on the relative error |analytic − numeric| / max(1, |analytic|, |numeric|).</summary>
    public const double DefaultTolerance = 1e-6;

    /// <summary>Inputs with more elements than this are checked along random directions instead of elementwise.</summary>
    public const int ElementwiseLimit = 64;

    /// <summary>
    /// Checks d f / d inputs. <paramref name="f"/> must build a scalar from the inputs, which must be leaves with
    /// RequiresGrad set. Their Grad is overwritten.
    /// </summary>
    public static GradCheckResult Check(Func<Tensor[], Tensor> f, Tensor[] inputs,
        double tolerance = DefaultTolerance, double step = DefaultStep, int directions = 8, int seed = 12345)
    {
        foreach (var x in inputs)
        {
            if (!x.IsLeaf || !x.RequiresGrad) throw new ArgumentException("GradCheck: every input must be a leaf with RequiresGrad = true.");
            x.ZeroGrad();
        }
        var y = f(inputs);
        if (y.Numel != 1) throw new ArgumentException($"GradCheck: f must return a scalar, got shape {Shapes.Format(y.ShapeRef)}.");
        y.Backward();
        var analytic = inputs.Select(x => x.Grad?.ToArray() ?? new double[x.Numel]).ToArray();

        double worst = 0;
        string where = "";
        double Eval()
        {
            using var _ = TensorEngine.NoGrad();
            return f(inputs).Item();
        }
        var rng = new Random(seed);
        for (int k = 0; k < inputs.Length; k++)
        {
            var data = inputs[k].Storage;
            if (data.Length <= ElementwiseLimit)
            {
                for (int i = 0; i < data.Length; i++)
                {
                    double num = Directional(data, Unit(data.Length, i), step, Eval);
                    Compare(analytic[k][i], num, $"input {k}, element {i}");
                }
            }
            else
            {
                for (int r = 0; r < directions; r++)
                {
                    var v = new double[data.Length];
                    double norm = 0;
                    for (int i = 0; i < v.Length; i++) { v[i] = Tensor.NormalSample(rng); norm += v[i] * v[i]; }
                    norm = Math.Sqrt(norm);
                    double an = 0;
                    for (int i = 0; i < v.Length; i++) { v[i] /= norm; an += v[i] * analytic[k][i]; }
                    Compare(an, Directional(data, v, step, Eval), $"input {k}, direction {r}");
                }
            }
        }
        return new GradCheckResult(worst <= tolerance, worst, where);

        void Compare(double a, double n, string at)
        {
            double err = Math.Abs(a - n) / Math.Max(1.0, Math.Max(Math.Abs(a), Math.Abs(n)));
            if (double.IsNaN(err)) err = double.PositiveInfinity;
            if (err > worst) { worst = err; where = $"{at}: analytic {a:G10}, numeric {n:G10}"; }
        }
    }

    private static double[] Unit(int n, int i) { var v = new double[n]; v[i] = 1; return v; }

    /// <summary>Central difference of f along v, restoring the data afterwards.</summary>
    private static double Directional(double[] data, double[] v, double step, Func<double> f)
    {
        var saved = (double[])data.Clone();
        double scale = 0;
        for (int i = 0; i < data.Length; i++) if (v[i] != 0) scale = Math.Max(scale, Math.Abs(data[i]));
        double h = step * Math.Max(1.0, PowerOfTwoAtLeast(scale));
        for (int i = 0; i < data.Length; i++) data[i] = saved[i] + h * v[i];
        double fp = f();
        for (int i = 0; i < data.Length; i++) data[i] = saved[i] - h * v[i];
        double fm = f();
        Array.Copy(saved, data, data.Length);
        return (fp - fm) / (2 * h);
    }

    private static double PowerOfTwoAtLeast(double x) => x <= 0 ? 1 : Math.Pow(2, Math.Ceiling(Math.Log2(x)));
}
