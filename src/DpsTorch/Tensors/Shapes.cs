// Shapes: shape arithmetic: element counts, strides, broadcasting rules and readable formatting.
namespace DpsTorch;

/// <summary>Static helpers for tensor shapes (int arrays, row-major).</summary>
public static class Shapes
{
    /// <summary>Product of the sizes; 1 for a scalar shape.</summary>
    public static int Numel(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var s in shape) n *= s;
        if (n > Array.MaxLength) throw new ArgumentException($"Shape {Format(shape)} holds {n} elements, more than one array can (max {Array.MaxLength}).");
        return (int)n;
    }

    /// <summary>"[2, 3]" style text.</summary>
    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    /// <summary>Throws when a size is negative.</summary>
    public static void Validate(ReadOnlySpan<int> shape, string op)
    {
        foreach (var s in shape)
            if (s < 0) throw new ArgumentException($"{op}: shape {Format(shape)} has a negative size; sizes must be >= 0.");
        Numel(shape);
    }

    /// <summary>Row-major strides.</summary>
    public static int[] Strides(ReadOnlySpan<int> shape)
    {
        var st = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { st[i] = acc; acc *= shape[i]; }
        return st;
    }

    /// <summary>Whether two shapes are identical.</summary>
    public static bool Same(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    /// <summary>Maps a possibly negative dim to [0, rank), naming the op in the error.</summary>
    public static int NormalizeDim(int dim, int rank, string op)
    {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank) throw new ArgumentException($"{op}: dim {dim} is out of range for a tensor of rank {rank} (allowed {-rank}..{rank - 1}).");
        return d;
    }

    /// <summary>Flat offset of a multi-index.</summary>
    public static int Offset(ReadOnlySpan<int> shape, ReadOnlySpan<int> index)
    {
        if (index.Length != shape.Length) throw new ArgumentException($"Index of rank {index.Length} does not match tensor of shape {Format(shape)}.");
        int off = 0;
        for (int i = 0; i < shape.Length; i++)
        {
            if ((uint)index[i] >= (uint)shape[i]) throw new IndexOutOfRangeException($"Index {index[i]} is out of range for dim {i} of size {shape[i]}.");
            off = off * shape[i] + index[i];
        }
        return off;
    }

    /// <summary>The broadcast shape of two shapes (NumPy rules), or an error naming the op and both shapes.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string op)
    {
        int r = Math.Max(a.Length, b.Length);
        var o = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i - (r - a.Length) >= 0 ? a[i - (r - a.Length)] : 1;
            int db = i - (r - b.Length) >= 0 ? b[i - (r - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast together (dim {i}: {da} vs {db}).");
            o[i] = da == 1 ? db : da;
        }
        return o;
    }

    /// <summary>Strides of <paramref name="inner"/> viewed in the broadcast shape <paramref name="outer"/> (0 on broadcast dims).</summary>
    internal static int[] BroadcastStrides(ReadOnlySpan<int> inner, ReadOnlySpan<int> outer)
    {
        var st = new int[outer.Length];
        var own = Strides(inner);
        int lead = outer.Length - inner.Length;
        for (int i = 0; i < inner.Length; i++)
            st[lead + i] = inner[i] == 1 && outer[lead + i] != 1 ? 0 : own[i];
        return st;
    }
}
