// Reductions: sum and mean over everything or along one dim (max and friends join here).
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
