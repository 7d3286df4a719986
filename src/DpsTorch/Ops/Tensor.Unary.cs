// Elementwise unary ops: exp, log, sin, cos, sqrt, abs, softplus, sigmoid, tanh, relu, square, remainder, clamp.
// Each op: validate, compute, then record its gradient g ⊙ f'(x) directly below.
using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DpsTorch;

public sealed partial class Tensor
{
    /// <summary>eˣ elementwise.</summary>
    public Tensor Exp()
    {
        var o = new double[_data.Length];
        TP.Exp(_data, o);
        return RecordUnary(o, "exp", (g, gx) => TP.Multiply(g, o, gx)); // d eˣ = eˣ
    }

    /// <summary>Natural logarithm elementwise (−∞ at 0, NaN below).</summary>
    public Tensor Log()
    {
        var o = new double[_data.Length];
        TP.Log(_data, o);
        var x = _data;
        return RecordUnary(o, "log", (g, gx) => TP.Divide(g, x, gx)); // d ln x = 1/x
    }

    /// <summary>sin x elementwise.</summary>
    public Tensor Sin()
    {
        var o = new double[_data.Length];
        TP.Sin(_data, o);
        var x = _data;
        return RecordUnary(o, "sin", (g, gx) => { TP.Cos(x, gx); TP.Multiply(gx, g, gx); });
    }

    /// <summary>cos x elementwise.</summary>
    public Tensor Cos()
    {
        var o = new double[_data.Length];
        TP.Cos(_data, o);
        var x = _data;
        return RecordUnary(o, "cos", (g, gx) => { TP.Sin(x, gx); TP.Multiply(gx, g, gx); TP.Negate(gx, gx); });
    }

    /// <summary>√x elementwise (its gradient 1/(2√x) is infinite at 0).</summary>
    public Tensor Sqrt()
    {
        var o = new double[_data.Length];
        TP.Sqrt(_data, o);
        return RecordUnary(o, "sqrt", (g, gx) =>
        {
            for (int i = 0; i < gx.Length; i++) gx[i] = 0.5 * g[i] / o[i];
        });
    }

    /// <summary>|x| elementwise; the gradient is sign(x), 0 at 0 (as in PyTorch).</summary>
    public Tensor Abs()
    {
        var o = new double[_data.Length];
        TP.Abs(_data, o);
        var x = _data;
        return RecordUnary(o, "abs", (g, gx) =>
        {
            for (int i = 0; i < gx.Length; i++) gx[i] = x[i] > 0 ? g[i] : x[i] < 0 ? -g[i] : 0.0;
        });
    }

    /// <summary>
    /// softplus(x) = ln(1 + e^(βx)) / β, evaluated stably as (log1p(e^(−|βx|)) + max(βx, 0)) / β, so it neither
    /// overflows for large x nor loses the tiny positive value for very negative x. Where βx &gt; threshold it is
    /// x itself (as in PyTorch). The gradient is sigmoid(βx), or 1 above the threshold.
    /// </summary>
    public Tensor Softplus(double beta = 1.0, double threshold = 20.0)
    {
        if (!(beta > 0) || !double.IsFinite(beta))
            throw new ArgumentException($"softplus: beta must be positive and finite, got {beta}.");
        if (double.IsNaN(threshold))
            throw new ArgumentException("softplus: threshold must be a number (use +∞ to never switch to linear), got NaN.");
        var x = _data;
        var o = new double[x.Length];
        for (int i = 0; i < o.Length; i++) o[i] = SoftplusValue(x[i], beta, threshold);
        return RecordUnary(o, "softplus", (g, gx) =>
        {
            for (int i = 0; i < gx.Length; i++) gx[i] = SoftplusGradient(g[i], x[i], beta, threshold);
        });
    }

    /// <summary>One element of <see cref="Softplus"/>: (log1p(e^(−|βx|)) + max(βx, 0)) / β, or x where βx &gt; threshold.</summary>
    internal static double SoftplusValue(double x, double beta, double threshold)
    {
        double bx = beta * x;
        return bx > threshold ? x : (Log1p(Math.Exp(-Math.Abs(bx))) + Math.Max(bx, 0.0)) / beta;
    }

    /// <summary>One element of <see cref="Softplus"/>'s backward: g·sigmoid(βx), or g where βx &gt; threshold.</summary>
    internal static double SoftplusGradient(double g, double x, double beta, double threshold)
    {
        double bx = beta * x;
        return bx > threshold ? g : g * StableSigmoid(bx);
    }

    /// <summary>σ(x) = 1 / (1 + e^(−x)), evaluated without overflow for any x (exactly 0 or 1 far out).</summary>
    public Tensor Sigmoid()
    {
        // t = e^(−|x|) by the vector exp, then 1/(1 + t) for x ≥ 0 and t/(1 + t) below: the same stable form as
        // StableSigmoid without a per-element branchy scalar exp (8128 edge logits at N = 128: 61 -> 28 µs).
        var x = _data;
        var o = GradientPool.Rent(x.Length, clear: false); // every element written by SigmoidInto
        SigmoidInto(x, o);
        return RecordUnary(o, "sigmoid", (g, gx) =>
        {
            for (int i = 0; i < gx.Length; i++) gx[i] = g[i] * o[i] * (1.0 - o[i]);
        });
    }

    /// <summary>
    /// o = <see cref="Sigmoid"/>'s values of x (same length; o may not overlap x). From one vector's length up, in chunks
    /// that stay in L1: per chunk −|x|, TensorPrimitives.Exp and the division, so each array is read or written once
    /// instead of four times. A short last chunk is taken as the last full chunk's length back from the end (it overlaps
    /// the one before, whose values are computed again the same), so every element goes through the vector exp as in
    /// <see cref="SigmoidByPasses"/> over the whole array: the same bits.
    /// </summary>
    internal static void SigmoidInto(ReadOnlySpan<double> x, Span<double> o)
    {
        const int chunk = 256;
        int n = x.Length;
        if (n < 2 * chunk) { SigmoidByPasses(x, o); return; }
        Span<double> t = stackalloc double[chunk];
        for (int i = 0; ; i += chunk)
        {
            if (i > n - chunk) i = n - chunk;
            var xs = x.Slice(i, chunk);
            TP.Abs(xs, t);
            TP.Negate(t, t);
            TP.Exp(t, t);
            TP.Add(t, 1.0, o.Slice(i, chunk));
            var os = o.Slice(i, chunk);
            int k = 0;
            if (Vector.IsHardwareAccelerated)
                for (; k <= chunk - Vector<double>.Count; k += Vector<double>.Count)
                {
                    var xv = new Vector<double>(xs[k..]);
                    (Vector.ConditionalSelect(Vector.GreaterThanOrEqual(xv, Vector<double>.Zero), Vector<double>.One, new Vector<double>(t[k..])) / new Vector<double>(os[k..])).CopyTo(os[k..]);
                }
            for (; k < chunk; k++) os[k] = (xs[k] >= 0 ? 1.0 : t[k]) / os[k];
            if (i == n - chunk) return;
        }
    }

    /// <summary><see cref="SigmoidInto"/> as four passes: |x|, its negation, TensorPrimitives.Exp, the division.</summary>
    internal static void SigmoidByPasses(ReadOnlySpan<double> x, Span<double> o)
    {
        TP.Abs(x, o);
        TP.Negate(o, o);
        TP.Exp(o, o);
        for (int i = 0; i < o.Length; i++)
        {
            double t = o[i];
            o[i] = (x[i] >= 0 ? 1.0 : t) / (1.0 + t);
        }
    }

    /// <summary>tanh x elementwise.</summary>
    public Tensor Tanh()
    {
        var o = new double[_data.Length];
        TP.Tanh(_data, o);
        return RecordUnary(o, "tanh", (g, gx) =>
        {
            for (int i = 0; i < gx.Length; i++) gx[i] = g[i] * (1.0 - o[i] * o[i]);
        });
    }

    /// <summary>max(x, 0) elementwise; the gradient is 1 where x &gt; 0, else 0.</summary>
    public Tensor Relu()
    {
        var o = new double[_data.Length];
        TP.Max(_data, 0.0, o);
        var x = _data;
        return RecordUnary(o, "relu", (g, gx) =>
        {
            for (int i = 0; i < gx.Length; i++) gx[i] = x[i] > 0 ? g[i] : 0.0;
        });
    }

    /// <summary>x² elementwise.</summary>
    public Tensor Square()
    {
        var o = new double[_data.Length];
        TP.Multiply(_data, _data, o);
        var x = _data;
        return RecordUnary(o, "square", (g, gx) =>
        {
            for (int i = 0; i < gx.Length; i++) gx[i] = 2.0 * x[i] * g[i];
        });
    }

    /// <summary>
    /// x mod m with the sign of m (Python/PyTorch remainder), so the result lies in [0, m) for m &gt; 0: used to read
    /// angles modulo 2π. A value that would round up to m itself (x a tiny negative number) becomes 0, its equal on
    /// the circle. The gradient is 1 everywhere except at the jumps, which have measure zero.
    /// </summary>
    public Tensor Remainder(double modulus)
    {
        if (!(modulus > 0) || !double.IsFinite(modulus))
            throw new ArgumentException($"remainder: modulus must be positive and finite, got {modulus}.");
        var o = new double[_data.Length];
        for (int i = 0; i < o.Length; i++)
        {
            double r = _data[i] % modulus; // C# % is fmod: exact, with the sign of x
            if (r < 0) r += modulus;
            o[i] = r >= modulus ? 0.0 : r;
        }
        return RecordUnary(o, "remainder", (g, gx) => g.CopyTo(gx));
    }

    /// <summary>
    /// x limited to [min, max] elementwise. The gradient is 1 where min ≤ x ≤ max and 0 outside (as in PyTorch).
    /// </summary>
    public Tensor Clamp(double min, double max)
    {
        if (double.IsNaN(min) || double.IsNaN(max) || min > max)
            throw new ArgumentException($"clamp: bounds must satisfy min <= max, got min {min} and max {max}.");
        var o = new double[_data.Length];
        TP.Clamp(_data, min, max, o);
        var x = _data;
        return RecordUnary(o, "clamp", (g, gx) =>
        {
            for (int i = 0; i < gx.Length; i++) gx[i] = x[i] >= min && x[i] <= max ? g[i] : 0.0;
        });
    }

    /// <summary>
    /// Records an elementwise op with output values <paramref name="o"/> (this tensor's shape).
    /// <paramref name="derivative"/>(g, gx) writes the input gradient gx = g ⊙ f'(x) into every element of gx (an array
    /// from <see cref="GradientPool"/>, so it may hold stale values before).
    /// </summary>
    private Tensor RecordUnary(double[] o, string op, Action<double[], double[]> derivative)
    {
        return Record(new Tensor(o, _shape), op, [this], g =>
        {
            var gx = GradientPool.Rent(g.Length, clear: false); // every derivative writes all of gx
            derivative(g, gx);
            AccumulateGradOwned(gx);
        });
    }

    /// <summary>σ(x) without overflow: 1/(1 + e^(−x)) for x ≥ 0, e^x/(1 + e^x) below (keeps relative precision near 0).</summary>
    internal static double StableSigmoid(double x)
    {
        if (x >= 0) return 1.0 / (1.0 + Math.Exp(-x));
        double e = Math.Exp(x);
        return e / (1.0 + e);
    }

    /// <summary>ln(1 + x), accurate for tiny x (Goldberg's trick: the rounding of 1 + x is divided back out).</summary>
    internal static double Log1p(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0) return x;
        if (double.IsPositiveInfinity(u)) return u;
        return Math.Log(u) * x / (u - 1.0);
    }
}
