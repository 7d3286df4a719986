// The one place op arguments are validated, so every error names the op and the offending shapes.
namespace DpsTorch;

internal static class OpCheck
{
    public static void Rank(Tensor t, int rank, string op, string arg = "input")
    {
        if (t.Dim != rank)
            throw new ArgumentException($"{op}: {arg} must have rank {rank}, got shape {Shapes.Format(t.ShapeRef)}.");
    }

    public static void SameShape(Tensor a, Tensor b, string op)
    {
        if (!Shapes.Same(a.ShapeRef, b.ShapeRef))
            throw new ArgumentException($"{op}: shapes {Shapes.Format(a.ShapeRef)} and {Shapes.Format(b.ShapeRef)} must be equal.");
    }

    public static void Finite(double v, string op, string arg)
    {
        if (!double.IsFinite(v)) throw new ArgumentException($"{op}: {arg} must be finite, got {v}.");
    }
}
