// The Tensor type: a shape and contiguous row-major float64 storage, plus factories.
// Ops live in Ops/Tensor.*.cs; the autograd facet in Autograd/Tensor.Autograd.cs.
using System.Globalization;
using System.Text;

namespace DpsTorch;

/// <summary>
/// A dense, contiguous, row-major float64 tensor with reverse-mode automatic differentiation.
/// Names follow PyTorch/TorchSharp: <see cref="RequiresGrad"/>, <see cref="Backward()"/>, <see cref="Grad"/>.
/// </summary>
public sealed partial class Tensor
{
    private double[] _data; // replaced only by ReleaseStorage (Tensor.Autograd.cs)
    private readonly int[] _shape;

    internal Tensor(double[] data, int[] shape)
    {
        if (data.Length != Shapes.Numel(shape))
            throw new ArgumentException($"Storage of length {data.Length} does not fit shape {Shapes.Format(shape)} ({Shapes.Numel(shape)} elements).");
        _data = data;
        _shape = shape;
    }

    /// <summary>
    /// A read-only view of the values, row-major, without a copy. Write values through the in-place no-grad ops
    /// (<see cref="Copy_(Tensor)"/>, <see cref="Copy_(ReadOnlySpan{double})"/>, <see cref="Fill_"/>, <see cref="Zero_"/>);
    /// take a copy with <see cref="ToArray"/>.
    /// </summary>
    public ReadOnlySpan<double> Data => _data;

    /// <summary>
    /// The storage array itself, for the engine's kernels, autograd and optimisers (Tensors, Autograd, Ops, Optim) only:
    /// writing to it bypasses autograd. Code outside the engine reads <see cref="Data"/> and writes through Copy_/Fill_.
    /// </summary>
    internal double[] Storage => _data;

    /// <summary>The sizes of each dimension (a copy).</summary>
    public int[] Shape => (int[])_shape.Clone();

    internal int[] ShapeRef => _shape;

    /// <summary>Number of dimensions.</summary>
    public int Dim => _shape.Length;

    /// <summary>Total number of elements.</summary>
    public int Numel => _data.Length;

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => _shape[Shapes.NormalizeDim(dim, Dim, "size")];

    /// <summary>The single value of a one-element tensor.</summary>
    public double Item()
    {
        if (_data.Length != 1)
            throw new InvalidOperationException($"item() needs a tensor with one element, got shape {Shapes.Format(_shape)}.");
        return _data[0];
    }

    /// <summary>
    /// Element at a multi-index. Reading records nothing; writing (like PyTorch's <c>t[i] = v</c> under no_grad) is an
    /// in-place no-grad op allowed on leaves only, see <see cref="Copy_(Tensor)"/>.
    /// </summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public double this[params int[] index]
    {
        get => _data[Shapes.Offset(_shape, index)];
        set { CheckInPlace("setitem"); _data[Shapes.Offset(_shape, index)] = value; }
    }

    /// <summary>A copy of the values as a flat array.</summary>
    public double[] ToArray() => (double[])_data.Clone();

    /// <summary>A copy that shares no storage and is detached from the graph.</summary>
    public Tensor Clone() => new((double[])_data.Clone(), (int[])_shape.Clone());

    /// <summary>A tensor that shares storage with this one but is cut from the autograd graph.</summary>
    public Tensor Detach() => new(_data, _shape);

    // ---- factories ----

    /// <summary>A tensor from values and a shape (the values are copied).</summary>
    public static Tensor FromArray(double[] values, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (shape.Length == 0 && values.Length != 1) shape = [values.Length];
        Shapes.Validate(shape, "from_array");
        return new Tensor((double[])values.Clone(), (int[])shape.Clone());
    }

    /// <summary>A 1-D tensor from values.</summary>
    public static Tensor FromArray(double[] values) => FromArray(values, values.Length);

    /// <summary>A rank-2 tensor from a rectangular array.</summary>
    public static Tensor FromArray(double[,] values)
    {
        int r = values.GetLength(0), c = values.GetLength(1);
        var d = new double[r * c];
        for (int i = 0; i < r; i++)
            for (int j = 0; j < c; j++)
                d[i * c + j] = values[i, j];
        return new Tensor(d, [r, c]);
    }

    /// <summary>A zero-dimensional tensor holding one value.</summary>
    public static Tensor Scalar(double value) => new([value], []);

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(params int[] shape) { Shapes.Validate(shape, "zeros"); return new(new double[Shapes.Numel(shape)], (int[])shape.Clone()); }

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(params int[] shape) => Full(1.0, shape);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(double value, params int[] shape)
    {
        Shapes.Validate(shape, "full");
        var d = new double[Shapes.Numel(shape)];
        Array.Fill(d, value);
        return new Tensor(d, (int[])shape.Clone());
    }

    /// <summary>A tensor of zeros with the shape of <paramref name="other"/>.</summary>
    public static Tensor ZerosLike(Tensor other) => new(new double[other.Numel], (int[])other._shape.Clone());

    /// <summary>The n×n identity matrix.</summary>
    public static Tensor Eye(int n)
    {
        Shapes.Validate([n, n], "eye");
        var d = new double[n * n];
        for (int i = 0; i < n; i++) d[i * n + i] = 1.0;
        return new Tensor(d, [n, n]);
    }

    /// <summary>Values start, start+step, ... below end (like torch.arange).</summary>
    public static Tensor Arange(double start, double end, double step = 1.0)
    {
        if (!(step != 0) || double.IsNaN(step)) throw new ArgumentException($"arange: step must be non-zero and finite, got {step}.");
        int n = Math.Max(0, (int)Math.Ceiling((end - start) / step));
        var d = new double[n];
        for (int i = 0; i < n; i++) d[i] = start + i * step;
        return new Tensor(d, [n]);
    }

    /// <summary>Uniform samples in [low, high) from a seeded generator.</summary>
    public static Tensor Rand(Random rng, int[] shape, double low = 0.0, double high = 1.0)
    {
        Shapes.Validate(shape, "rand");
        var d = new double[Shapes.Numel(shape)];
        for (int i = 0; i < d.Length; i++) d[i] = low + (high - low) * rng.NextDouble();
        return new Tensor(d, (int[])shape.Clone());
    }

    /// <summary>Standard normal samples (Box–Muller) from a seeded generator.</summary>
    public static Tensor RandN(Random rng, params int[] shape)
    {
        Shapes.Validate(shape, "randn");
        var d = new double[Shapes.Numel(shape)];
        for (int i = 0; i < d.Length; i++) d[i] = NormalSample(rng);
        return new Tensor(d, (int[])shape.Clone());
    }

    internal static double NormalSample(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>A short description with shape and (for small tensors) values.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("tensor(");
        if (_data.Length <= 16)
        {
            sb.Append('[');
            sb.Append(string.Join(", ", _data.Select(v => v.ToString("G6", CultureInfo.InvariantCulture))));
            sb.Append("], ");
        }
        sb.Append("shape=").Append(Shapes.Format(_shape));
        if (RequiresGrad) sb.Append(", requires_grad=True");
        if (_node is not null) sb.Append(", grad_fn=").Append(_node.Op);
        return sb.Append(')').ToString();
    }
}
