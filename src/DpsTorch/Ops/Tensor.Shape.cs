// Shape ops: reshape, flatten, unsqueeze, squeeze, expand (views that share storage, as in PyTorch), and
// transpose, t, permute, slice, index_select, gather, cat, stack (copies). Each records its gradient directly below.
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DpsTorch;

public sealed partial class Tensor
{
    // ---- views: same storage, new shape ----

    /// <summary>
    /// The same elements in a new shape (row-major order kept), sharing storage like a PyTorch view.
    /// One size may be −1; it is inferred from the element count.
    /// </summary>
    public Tensor Reshape(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        int infer = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"reshape: shape {Shapes.Format(shape)} has more than one -1; at most one size can be inferred.");
                infer = i;
            }
            else if (shape[i] < 0) throw new ArgumentException($"reshape: shape {Shapes.Format(shape)} has a negative size; sizes must be >= 0, or -1 for one inferred size.");
            else known *= shape[i];
        }
        var target = (int[])shape.Clone();
        if (infer >= 0 && known != 0 && _data.Length % known == 0) target[infer] = (int)(_data.Length / known);
        if ((infer >= 0 && target[infer] == -1) || (infer < 0 && known != _data.Length))
            throw new ArgumentException($"reshape: cannot reshape a tensor of shape {Shapes.Format(_shape)} ({_data.Length} elements) into shape {Shapes.Format(shape)}; the sizes must multiply to {_data.Length}.");
        return ViewAs(target, "reshape");
    }

    /// <summary>The elements as a 1-D tensor (a view; a scalar becomes shape [1]).</summary>
    public Tensor Flatten() => ViewAs([_data.Length], "flatten");

    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/> (−rank−1 ≤ dim ≤ rank), as a view.</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = Shapes.NormalizeDim(dim, Dim + 1, "unsqueeze");
        var shape = new List<int>(_shape);
        shape.Insert(d, 1);
        return ViewAs([.. shape], "unsqueeze");
    }

    /// <summary>Removes dimension <paramref name="dim"/> if its size is 1; otherwise the shape is unchanged (as in PyTorch).</summary>
    public Tensor Squeeze(int dim)
    {
        int d = Shapes.NormalizeDim(dim, Dim, "squeeze");
        return ViewAs(_shape[d] == 1 ? ReducedShape(d, false) : (int[])_shape.Clone(), "squeeze");
    }

    /// <summary>A tensor with this tensor's storage and another shape of the same element count; the gradient passes through.</summary>
    private Tensor ViewAs(int[] shape, string op)
    {
        // AccumulateGrad copies g on first use, so the input's gradient never aliases the output's.
        return Record(new Tensor(_data, shape), op, [this], g => AccumulateGrad(g));
    }

    /// <summary>
    /// This tensor broadcast to <paramref name="shape"/> (torch.Tensor.expand / broadcast_to): sizes of 1 are repeated and
    /// new leading dims added; −1 keeps a size. The result is materialised (storage is shared only when the shape is
    /// unchanged). The gradient sums over the repeated positions.
    /// </summary>
    public Tensor Expand(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        int lead = shape.Length - Dim;
        if (lead < 0)
            throw new ArgumentException($"expand: target shape {Shapes.Format(shape)} has fewer dims than the tensor's shape {Shapes.Format(_shape)}; it needs at least {Dim}.");
        var target = (int[])shape.Clone();
        for (int i = 0; i < target.Length; i++)
        {
            int own = i >= lead ? _shape[i - lead] : 1;
            if (target[i] == -1 && i >= lead) target[i] = own;
            if (target[i] < 0 || (own != 1 && own != target[i]))
                throw new ArgumentException($"expand: cannot expand shape {Shapes.Format(_shape)} to {Shapes.Format(shape)} (dim {i}: size {own} to {shape[i]}); each size must equal the target or be 1, and -1 (keep) is allowed only on existing dims.");
        }
        Shapes.Validate(target, "expand");
        var o = Broadcast.Expand(_data, _shape, target);
        return Record(new Tensor(o, target), "expand", [this], g => AccumulateGrad(Broadcast.SumToShape(g, target, _shape)));
    }

    // ---- permutations ----

    /// <summary>Swaps dimensions <paramref name="dim0"/> and <paramref name="dim1"/> (a copy).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        int d0 = Shapes.NormalizeDim(dim0, Dim, "transpose"), d1 = Shapes.NormalizeDim(dim1, Dim, "transpose");
        var perm = new int[Dim];
        for (int i = 0; i < perm.Length; i++) perm[i] = i;
        (perm[d0], perm[d1]) = (perm[d1], perm[d0]);
        return PermuteOp(perm, "transpose");
    }

    /// <summary>The transpose of a rank-2 tensor.</summary>
    public Tensor T()
    {
        OpCheck.Rank(this, 2, "t");
        return PermuteOp([1, 0], "t");
    }

    /// <summary>Reorders the dimensions: result dim k is this tensor's dim <paramref name="dims"/>[k] (a copy).</summary>
    public Tensor Permute(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length != Dim)
            throw new ArgumentException($"permute: dims {Shapes.Format(dims)} name {dims.Length} dims, but the tensor of shape {Shapes.Format(_shape)} has {Dim}; give each dim exactly once.");
        var perm = new int[Dim];
        var seen = new bool[Dim];
        for (int k = 0; k < perm.Length; k++)
        {
            perm[k] = Shapes.NormalizeDim(dims[k], Dim, "permute");
            if (seen[perm[k]]) throw new ArgumentException($"permute: dims {Shapes.Format(dims)} repeat dim {perm[k]}; give each of 0..{Dim - 1} exactly once.");
            seen[perm[k]] = true;
        }
        return PermuteOp(perm, "permute");
    }

    private Tensor PermuteOp(int[] perm, string op)
    {
        var outShape = new int[perm.Length];
        var inverse = new int[perm.Length];
        for (int k = 0; k < perm.Length; k++) { outShape[k] = _shape[perm[k]]; inverse[perm[k]] = k; }
        var o = PermuteData(_data, _shape, perm);
        return Record(new Tensor(o, outShape), op, [this], g => AccumulateGrad(PermuteData(g, outShape, inverse)));
    }

    /// <summary>The row-major data of src (of shape <paramref name="shape"/>) with its dims reordered by <paramref name="perm"/>.</summary>
    private static double[] PermuteData(double[] src, int[] shape, int[] perm)
    {
        int r = perm.Length;
        var o = new double[src.Length];
        if (o.Length == 0) return o;
        if (r == 0) { o[0] = src[0]; return o; }
        var inStrides = Shapes.Strides(shape);
        var outShape = new int[r];
        var st = new int[r]; // stride in src of each output dim
        for (int k = 0; k < r; k++) { outShape[k] = shape[perm[k]]; st[k] = inStrides[perm[k]]; }
        int inner = outShape[r - 1], innerStride = st[r - 1];
        var idx = new int[r];
        for (int start = 0; start < o.Length; start += inner)
        {
            int s = 0;
            for (int d = 0; d < r - 1; d++) s += idx[d] * st[d];
            if (innerStride == 1) src.AsSpan(s, inner).CopyTo(o.AsSpan(start, inner));
            else for (int j = 0; j < inner; j++) o[start + j] = src[s + j * innerStride];
            for (int d = r - 2; d >= 0; d--) { if (++idx[d] < outShape[d]) break; idx[d] = 0; }
        }
        return o;
    }

    // ---- selection ----

    /// <summary>
    /// Elements start..end−1 along <paramref name="dim"/> (Python slicing x[..., start:end, ...]; negative indices count
    /// from the end). Unlike Python, indices outside the dim are an error rather than clipped.
    /// </summary>
    public Tensor Slice(int dim, int start, int end)
    {
        int d = Shapes.NormalizeDim(dim, Dim, "slice");
        int size = _shape[d];
        int s = start < 0 ? start + size : start, e = end < 0 ? end + size : end;
        if (s < 0 || e > size || s > e)
            throw new ArgumentException($"slice: start {start} and end {end} do not select a range of dim {dim} of size {size} (shape {Shapes.Format(_shape)}); need 0 <= start <= end <= {size}, negative values counting from the end.");
        var (outer, _, inner) = SplitAt(d);
        var shape = (int[])_shape.Clone();
        shape[d] = e - s;
        int len = (e - s) * inner;
        var o = new double[outer * len];
        for (int a = 0; a < outer; a++) _data.AsSpan((a * size + s) * inner, len).CopyTo(o.AsSpan(a * len, len));
        int n = _data.Length;
        return Record(new Tensor(o, shape), "slice", [this], g =>
        {
            var gx = new double[n];
            for (int a = 0; a < outer; a++) g.AsSpan(a * len, len).CopyTo(gx.AsSpan((a * size + s) * inner, len));
            AccumulateGrad(gx);
        });
    }

    /// <summary>
    /// o[t] = values[index[t]], or 1 where index[t] = values.Length: the CSR entries of I + Q gathered from the edge
    /// weights, the identity's entries being the extra index. The same values and gradient as
    /// Concat([values, 1]).IndexSelect(0, index), without the concatenation or the per-call check and copy of the
    /// index (the caller checked it once and does not change it). The output comes from <see cref="GradientPool"/> and
    /// goes back after the backward. Gradient: dValues[i] = Σ_{t: index[t] = i} g[t], added in t order.
    /// </summary>
    internal static Tensor GatherOrOne(Tensor values, int[] index)
    {
        if (values.Dim != 1) throw new ArgumentException($"gather_or_one: values must be a vector, got shape {Shapes.Format(values._shape)}.");
        var v = values._data;
        int len = v.Length;
        var o = GradientPool.Rent(index.Length, clear: false);
        for (int t = 0; t < index.Length; t++) o[t] = index[t] < len ? v[index[t]] : 1.0;
        return Record(new Tensor(o, [index.Length]), "index_select", [values], g =>
        {
            var gv = GradientPool.Rent(len);
            for (int t = 0; t < index.Length; t++)
                if (index[t] < len) gv[index[t]] += g[t];
            values.AccumulateGradOwned(gv);
        }).ReleaseAfterBackward();
    }

    /// <summary>
    /// The entries at <paramref name="index"/> along <paramref name="dim"/> (torch.index_select); indices may repeat,
    /// and the gradient adds up over repeats.
    /// </summary>
    public Tensor IndexSelect(int dim, int[] index)
    {
        ArgumentNullException.ThrowIfNull(index);
        int d = Shapes.NormalizeDim(dim, Dim, "index_select");
        var (outer, size, inner) = SplitAt(d);
        for (int t = 0; t < index.Length; t++)
            if ((uint)index[t] >= (uint)size)
                throw new ArgumentException($"index_select: index {index[t]} at position {t} is out of range for dim {dim} of size {size} (shape {Shapes.Format(_shape)}); allowed 0..{size - 1}.");
        var idx = (int[])index.Clone();
        int m = idx.Length;
        var shape = (int[])_shape.Clone();
        shape[d] = m;
        var o = new double[outer * m * inner];
        var x = _data;
        if (inner == 1) // element gather (e.g. edge weights into CSR order): plain loops, no span per element
            for (int a = 0; a < outer; a++)
                for (int t = 0; t < m; t++) o[a * m + t] = x[a * size + idx[t]];
        else
            for (int a = 0; a < outer; a++)
                for (int t = 0; t < m; t++)
                    x.AsSpan((a * size + idx[t]) * inner, inner).CopyTo(o.AsSpan((a * m + t) * inner, inner));
        int n = _data.Length;
        return Record(new Tensor(o, shape), "index_select", [this], g =>
        {
            var gx = new double[n];
            if (inner == 1)
                for (int a = 0; a < outer; a++)
                    for (int t = 0; t < m; t++) gx[a * size + idx[t]] += g[a * m + t];
            else
                for (int a = 0; a < outer; a++)
                    for (int t = 0; t < m; t++)
                    {
                        var dst = gx.AsSpan((a * size + idx[t]) * inner, inner);
                        TP.Add(dst, g.AsSpan((a * m + t) * inner, inner), dst);
                    }
            AccumulateGradOwned(gx);
        });
    }

    /// <summary>
    /// torch.gather: out[i₀..iₖ] = this[i₀.., index[i₀..iₖ], ..iₖ] with the index replacing coordinate <paramref name="dim"/>.
    /// <paramref name="index"/> has this tensor's rank, sizes no larger than its own outside dim, and integral values in
    /// [0, size of dim); the result has index's shape. The gradient scatter-adds (indices may repeat). Index is not differentiated.
    /// </summary>
    public Tensor Gather(int dim, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        int d = Shapes.NormalizeDim(dim, Dim, "gather");
        var ishape = index._shape;
        if (ishape.Length != Dim)
            throw new ArgumentException($"gather: index of shape {Shapes.Format(ishape)} must have the same rank as the input of shape {Shapes.Format(_shape)}.");
        for (int k = 0; k < Dim; k++)
            if (k != d && ishape[k] > _shape[k])
                throw new ArgumentException($"gather: index of shape {Shapes.Format(ishape)} is larger than the input of shape {Shapes.Format(_shape)} in dim {k}; outside dim {dim} its sizes must not exceed the input's.");
        int size = _shape[d];
        var st = Shapes.Strides(_shape);
        var iv = index._data;
        var src = new int[iv.Length]; // flat source offset of each output element
        var idx = new int[Dim];
        for (int i = 0; i < iv.Length; i++)
        {
            double v = iv[i];
            if (!(v >= 0 && v < size && v == Math.Floor(v)))
                throw new ArgumentException($"gather: index value {v} at flat position {i} is not a valid position along dim {dim} of size {size} (shape {Shapes.Format(_shape)}); allowed integers 0..{size - 1}.");
            int off = 0;
            for (int k = 0; k < idx.Length; k++) off += (k == d ? (int)v : idx[k]) * st[k];
            src[i] = off;
            for (int k = idx.Length - 1; k >= 0; k--) { if (++idx[k] < ishape[k]) break; idx[k] = 0; }
        }
        var o = new double[src.Length];
        for (int i = 0; i < o.Length; i++) o[i] = _data[src[i]];
        int n = _data.Length;
        return Record(new Tensor(o, (int[])ishape.Clone()), "gather", [this], g =>
        {
            var gx = new double[n];
            for (int i = 0; i < src.Length; i++) gx[src[i]] += g[i];
            AccumulateGrad(gx);
        });
    }

    // ---- joining ----

    /// <summary>Joins tensors along an existing <paramref name="dim"/> (torch.cat); all other sizes must match.</summary>
    public static Tensor Concat(Tensor[] xs, int dim)
    {
        ArgumentNullException.ThrowIfNull(xs);
        if (xs.Length == 0) throw new ArgumentException("cat: needs at least one tensor, got an empty list.");
        var first = xs[0]._shape;
        int d = Shapes.NormalizeDim(dim, first.Length, "cat");
        int total = 0;
        for (int i = 0; i < xs.Length; i++)
        {
            var s = xs[i]._shape;
            bool ok = s.Length == first.Length;
            for (int k = 0; ok && k < s.Length; k++) ok = k == d || s[k] == first[k];
            if (!ok)
                throw new ArgumentException($"cat: tensor {i} has shape {Shapes.Format(s)}, which does not match tensor 0's shape {Shapes.Format(first)} outside dim {dim}; all sizes except the joined dim must be equal.");
            total += s[d];
        }
        var inputs = (Tensor[])xs.Clone();
        var (outer, _, inner) = inputs[0].SplitAt(d);
        var shape = (int[])first.Clone();
        shape[d] = total;
        int row = total * inner;
        var o = new double[outer * row];
        int offset = 0;
        foreach (var x in inputs)
        {
            int len = x._shape[d] * inner;
            for (int a = 0; a < outer; a++) x._data.AsSpan(a * len, len).CopyTo(o.AsSpan(a * row + offset, len));
            offset += len;
        }
        return Record(new Tensor(o, shape), "cat", inputs, g =>
        {
            int off = 0;
            foreach (var x in inputs)
            {
                int len = x._shape[d] * inner;
                if (x._requiresGrad)
                {
                    var gx = new double[x._data.Length];
                    for (int a = 0; a < outer; a++) g.AsSpan(a * row + off, len).CopyTo(gx.AsSpan(a * len, len));
                    x.AccumulateGrad(gx);
                }
                off += len;
            }
        });
    }

    /// <summary>Joins same-shaped tensors along a new dimension <paramref name="dim"/> (torch.stack): Concat of Unsqueeze(dim).</summary>
    public static Tensor Stack(Tensor[] xs, int dim)
    {
        ArgumentNullException.ThrowIfNull(xs);
        if (xs.Length == 0) throw new ArgumentException("stack: needs at least one tensor, got an empty list.");
        for (int i = 1; i < xs.Length; i++)
            if (!Shapes.Same(xs[i]._shape, xs[0]._shape))
                throw new ArgumentException($"stack: tensor {i} has shape {Shapes.Format(xs[i]._shape)}, but tensor 0 has shape {Shapes.Format(xs[0]._shape)}; all tensors must have the same shape.");
        int d = Shapes.NormalizeDim(dim, xs[0].Dim + 1, "stack");
        var parts = new Tensor[xs.Length];
        for (int i = 0; i < xs.Length; i++) parts[i] = xs[i].Unsqueeze(d);
        return Concat(parts, d);
    }
}
