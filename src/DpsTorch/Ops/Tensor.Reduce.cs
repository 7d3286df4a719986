// Reductions: sum, mean, max and min over everything or along one dim; argmax; and the stable
// log-sum-exp family (logsumexp, softmax, log_softmax), each one op with its analytic gradient.
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DpsTorch;

public sealed partial class Tensor
{
    /// <summary>Sum of all elements, a scalar.</summary>
    public Tensor Sum()
    {
        var o = new Tensor([TP.Sum(_data)], []);
        int n = _data.Length;
        return Record(o, "sum", [this], g =>
        {
            var gx = new double[n];
            Array.Fill(gx, g[0]);
            AccumulateGrad(gx);
        });
    }

    /// <summary>Mean of all elements, a scalar.</summary>
    public Tensor Mean()
    {
        if (_data.Length == 0) throw new InvalidOperationException("mean: cannot take the mean of an empty tensor.");
        return Sum() / _data.Length;
    }

    /// <summary>Sum along <paramref name="dim"/>; keepDim keeps it with size 1.</summary>
    public Tensor Sum(int dim, bool keepDim = false)
    {
        int d = Shapes.NormalizeDim(dim, Dim, "sum");
        var (outer, size, inner) = SplitAt(d);
        var o = new double[outer * inner];
        if (inner == 1)
            for (int a = 0; a < outer; a++) o[a] = TP.Sum(_data.AsSpan(a * size, size)); // last dim: each line as Sum() sums it
        else
            for (int a = 0; a < outer; a++)
                for (int k = 0; k < size; k++)
                    TP.Add(o.AsSpan(a * inner, inner), _data.AsSpan((a * size + k) * inner, inner), o.AsSpan(a * inner, inner));
        var shape = ReducedShape(d, keepDim);
        return Record(new Tensor(o, shape), "sum", [this], g =>
        {
            var gx = new double[_data.Length];
            for (int a = 0; a < outer; a++)
                for (int k = 0; k < size; k++)
                    g.AsSpan(a * inner, inner).CopyTo(gx.AsSpan((a * size + k) * inner, inner));
            AccumulateGrad(gx);
        });
    }

    /// <summary>Mean along <paramref name="dim"/>.</summary>
    public Tensor Mean(int dim, bool keepDim = false)
    {
        int d = Shapes.NormalizeDim(dim, Dim, "mean");
        if (_shape[d] == 0) throw new InvalidOperationException($"mean: dim {dim} has size 0.");
        return Sum(d, keepDim) / _shape[d];
    }

    /// <summary>Largest element, a scalar; the gradient goes to the first position holding it. NaN propagates.</summary>
    public Tensor Max() => Extreme(true, "max");

    /// <summary>Smallest element, a scalar; the gradient goes to the first position holding it. NaN propagates.</summary>
    public Tensor Min() => Extreme(false, "min");

    /// <summary>
    /// Largest values along <paramref name="dim"/> (the values of torch.max(x, dim)); the gradient is routed to the
    /// arg-max along the dim, the first one on ties. keepDim keeps the dim with size 1.
    /// </summary>
    public Tensor Max(int dim, bool keepDim = false) => ExtremeAlong(dim, keepDim, true, "max");

    /// <summary>Smallest values along <paramref name="dim"/>; the gradient goes to the first arg-min along the dim.</summary>
    public Tensor Min(int dim, bool keepDim = false) => ExtremeAlong(dim, keepDim, false, "min");

    /// <summary>Indices (as doubles) of the largest values along <paramref name="dim"/>, the first on ties; not differentiable.</summary>
    public Tensor ArgMax(int dim)
    {
        int d = Shapes.NormalizeDim(dim, Dim, "argmax");
        var idx = ArgExtremeAlong(d, true, "argmax");
        var o = new double[idx.Length];
        for (int i = 0; i < o.Length; i++) o[i] = idx[i];
        return new Tensor(o, ReducedShape(d, false));
    }

    private Tensor Extreme(bool max, string op)
    {
        if (_data.Length == 0) throw new InvalidOperationException($"{op}: an empty tensor (shape {Shapes.Format(_shape)}) has no {op}; reduce a tensor with at least one element.");
        int best = ArgExtreme(_data, 0, _data.Length, 1, max);
        int n = _data.Length;
        return Record(new Tensor([_data[best]], []), op, [this], g =>
        {
            var gx = new double[n];
            gx[best] = g[0];
            AccumulateGrad(gx);
        });
    }

    private Tensor ExtremeAlong(int dim, bool keepDim, bool max, string op)
    {
        int d = Shapes.NormalizeDim(dim, Dim, op);
        var idx = ArgExtremeAlong(d, max, op);
        var (outer, size, inner) = SplitAt(d);
        var o = new double[idx.Length];
        for (int a = 0; a < outer; a++)
            for (int j = 0; j < inner; j++)
                o[a * inner + j] = _data[(a * size + idx[a * inner + j]) * inner + j];
        int n = _data.Length;
        return Record(new Tensor(o, ReducedShape(d, keepDim)), op, [this], g =>
        {
            var gx = new double[n];
            for (int a = 0; a < outer; a++)
                for (int j = 0; j < inner; j++)
                    gx[(a * size + idx[a * inner + j]) * inner + j] = g[a * inner + j];
            AccumulateGrad(gx);
        });
    }

    /// <summary>For each line along dim d (outer × inner of them), the index of its extreme.</summary>
    private int[] ArgExtremeAlong(int d, bool max, string op)
    {
        var (outer, size, inner) = SplitAt(d);
        if (size == 0) throw new InvalidOperationException($"{op}: dim {d} of shape {Shapes.Format(_shape)} has size 0, so there is nothing to reduce.");
        var idx = new int[outer * inner];
        for (int a = 0; a < outer; a++)
            for (int j = 0; j < inner; j++)
                idx[a * inner + j] = ArgExtreme(_data, a * size * inner + j, size, inner, max);
        return idx;
    }

    /// <summary>Index k in [0, count) of the extreme of data[start + k·stride]: the first on ties, the first NaN if any.</summary>
    private static int ArgExtreme(double[] data, int start, int count, int stride, bool max)
    {
        int best = 0;
        double b = data[start];
        if (double.IsNaN(b)) return 0;
        for (int k = 1; k < count; k++)
        {
            double v = data[start + k * stride];
            if (double.IsNaN(v)) return k;
            if (max ? v > b : v < b) { b = v; best = k; }
        }
        return best;
    }

    /// <summary>
    /// log Σ exp(x) along <paramref name="dim"/>, computed as m + log Σ exp(x − m) with m the line's maximum, so it
    /// neither overflows nor underflows. The gradient is softmax(x) along the dim. An empty dim gives −∞.
    /// </summary>
    public Tensor LogSumExp(int dim, bool keepDim = false)
    {
        int d = Shapes.NormalizeDim(dim, Dim, "logsumexp");
        var (outer, size, inner) = SplitAt(d);
        var x = _data;
        var o = new double[outer * inner];
        for (int a = 0; a < outer; a++)
            for (int j = 0; j < inner; j++)
                o[a * inner + j] = LogSumExpLine(x, a * size * inner + j, size, inner);
        return Record(new Tensor(o, ReducedShape(d, keepDim)), "logsumexp", [this], g =>
        {
            var gx = new double[x.Length];
            for (int a = 0; a < outer; a++)
                for (int j = 0; j < inner; j++)
                {
                    int b = a * size * inner + j;
                    double lse = o[a * inner + j], gl = g[a * inner + j];
                    for (int k = 0; k < size; k++) gx[b + k * inner] = gl * Math.Exp(x[b + k * inner] - lse);
                }
            AccumulateGrad(gx);
        });
    }

    /// <summary>
    /// softmax(x)_k = exp(x_k − m) / Σ exp(x − m) along <paramref name="dim"/> (m the line's maximum, for stability).
    /// Gradient: s ⊙ (g − Σ g ⊙ s).
    /// </summary>
    public Tensor Softmax(int dim)
    {
        int d = Shapes.NormalizeDim(dim, Dim, "softmax");
        var (outer, size, inner) = SplitAt(d);
        var x = _data;
        var o = new double[x.Length];
        for (int a = 0; a < outer; a++)
            for (int j = 0; j < inner; j++)
            {
                int b = a * size * inner + j;
                double lse = LogSumExpLine(x, b, size, inner);
                for (int k = 0; k < size; k++) o[b + k * inner] = Math.Exp(x[b + k * inner] - lse);
            }
        return Record(new Tensor(o, _shape), "softmax", [this], g =>
        {
            var gx = new double[x.Length];
            for (int a = 0; a < outer; a++)
                for (int j = 0; j < inner; j++)
                {
                    int b = a * size * inner + j;
                    double dot = 0;
                    for (int k = 0; k < size; k++) dot += g[b + k * inner] * o[b + k * inner];
                    for (int k = 0; k < size; k++) gx[b + k * inner] = o[b + k * inner] * (g[b + k * inner] - dot);
                }
            AccumulateGrad(gx);
        });
    }

    /// <summary>log softmax(x) = x − logsumexp(x) along <paramref name="dim"/>. Gradient: g − softmax ⊙ Σ g.</summary>
    public Tensor LogSoftmax(int dim)
    {
        int d = Shapes.NormalizeDim(dim, Dim, "log_softmax");
        var (outer, size, inner) = SplitAt(d);
        var x = _data;
        var o = new double[x.Length];
        for (int a = 0; a < outer; a++)
            for (int j = 0; j < inner; j++)
            {
                int b = a * size * inner + j;
                double lse = LogSumExpLine(x, b, size, inner);
                for (int k = 0; k < size; k++) o[b + k * inner] = x[b + k * inner] - lse;
            }
        return Record(new Tensor(o, _shape), "log_softmax", [this], g =>
        {
            var gx = new double[x.Length];
            for (int a = 0; a < outer; a++)
                for (int j = 0; j < inner; j++)
                {
                    int b = a * size * inner + j;
                    double sum = 0;
                    for (int k = 0; k < size; k++) sum += g[b + k * inner];
                    for (int k = 0; k < size; k++) gx[b + k * inner] = g[b + k * inner] - Math.Exp(o[b + k * inner]) * sum;
                }
            AccumulateGrad(gx);
        });
    }

    /// <summary>log Σ_k exp(x[start + k·stride]) shifted by the maximum; a line of −∞ (or an empty one) gives −∞.</summary>
    internal static double LogSumExpLine(ReadOnlySpan<double> x, int start, int count, int stride)
    {
        double m = double.NegativeInfinity;
        for (int k = 0; k < count; k++) m = Math.Max(m, x[start + k * stride]); // Math.Max propagates NaN
        double shift = double.IsFinite(m) ? m : 0.0;
        double s = 0;
        for (int k = 0; k < count; k++) s += Math.Exp(x[start + k * stride] - shift);
        return shift + Math.Log(s);
    }

    /// <summary>(product of dims before d, size of d, product of dims after d).</summary>
    internal (int outer, int size, int inner) SplitAt(int d)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= _shape[i];
        for (int i = d + 1; i < _shape.Length; i++) inner *= _shape[i];
        return (outer, _shape[d], inner);
    }

    internal int[] ReducedShape(int d, bool keepDim)
    {
        var list = new List<int>(_shape);
        if (keepDim) list[d] = 1; else list.RemoveAt(d);
        return [.. list];
    }
}
