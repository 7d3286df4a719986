// Broadcasting support shared by every binary op: expanding an operand to the result's shape and
// summing a result-shaped gradient back to an operand's shape (the one SumToShape helper).
namespace DpsTorch;

internal static class Broadcast
{
    /// <summary>The values <paramref name="data"/> of shape <paramref name="shape"/> laid out in the (broadcast) shape <paramref name="outShape"/>.</summary>
    public static double[] Expand(double[] data, int[] shape, int[] outShape)
    {
        if (Shapes.Same(shape, outShape)) return data;
        int n = Shapes.Numel(outShape);
        var o = new double[n];
        if (data.Length == 1) { Array.Fill(o, data[0]); return o; }
        var st = Shapes.BroadcastStrides(shape, outShape);
        int r = outShape.Length;
        int inner = r == 0 ? 1 : outShape[r - 1];
        int innerStride = r == 0 ? 0 : st[r - 1];
        var idx = new int[r];
        for (int start = 0; start < n; start += inner)
        {
            int src = 0;
            for (int d = 0; d < r - 1; d++) src += idx[d] * st[d];
            var dst = o.AsSpan(start, inner);
            if (innerStride == 0) dst.Fill(data[src]);
            else data.AsSpan(src, inner).CopyTo(dst);
            for (int d = r - 2; d >= 0; d--) { if (++idx[d] < outShape[d]) break; idx[d] = 0; }
        }
        return o;
    }

    /// <summary>
    /// Sums a gradient of shape <paramref name="gShape"/> over the dims that broadcasting expanded,
    /// giving a gradient of shape <paramref name="target"/>. Returns <paramref name="g"/> itself when shapes match.
    /// </summary>
    public static double[] SumToShape(double[] g, int[] gShape, int[] target)
    {
        if (Shapes.Same(gShape, target)) return g;
        var o = new double[Shapes.Numel(target)];
        if (o.Length == 1) { o[0] = System.Numerics.Tensors.TensorPrimitives.Sum(g); return o; }
        var st = Shapes.BroadcastStrides(target, gShape);
        int r = gShape.Length;
        int inner = gShape[r - 1];
        int innerStride = st[r - 1];
        var idx = new int[r];
        for (int start = 0; start < g.Length; start += inner)
        {
            int dst = 0;
            for (int d = 0; d < r - 1; d++) dst += idx[d] * st[d];
            var src = g.AsSpan(start, inner);
            if (innerStride == 0) o[dst] += System.Numerics.Tensors.TensorPrimitives.Sum(src);
            else System.Numerics.Tensors.TensorPrimitives.Add(o.AsSpan(dst, inner), src, o.AsSpan(dst, inner));
            for (int d = r - 2; d >= 0; d--) { if (++idx[d] < gShape[d]) break; idx[d] = 0; }
        }
        return o;
    }
}
