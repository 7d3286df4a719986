// Elementwise binary arithmetic with broadcasting: add, sub, mul, div, pow, minimum, maximum, where.
// Each op: validate, compute, then record its gradient directly below.
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DpsTorch;

public sealed partial class Tensor
{
    /// <summary>Applies a same-shape kernel to a and b broadcast to a common shape.</summary>
    private static (double[] a, double[] b, int[] shape) Broadcasted(Tensor a, Tensor b, string op)
    {
        var shape = Shapes.Broadcast(a._shape, b._shape, op);
        return (Broadcast.Expand(a._data, a._shape, shape), Broadcast.Expand(b._data, b._shape, shape), shape);
    }

    /// <summary>a + b, broadcasting.</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        var (x, y, shape) = Broadcasted(a, b, "add");
        var o = new double[x.Length];
        TP.Add(x, y, o);
        return Record(new Tensor(o, shape), "add", [a, b], g =>
        {
            a.AccumulateGrad(Broadcast.SumToShape(g, shape, a._shape));
            b.AccumulateGrad(Broadcast.SumToShape(g, shape, b._shape));
        });
    }

    /// <summary>a − b, broadcasting.</summary>
    public static Tensor Sub(Tensor a, Tensor b)
    {
        var (x, y, shape) = Broadcasted(a, b, "sub");
        var o = new double[x.Length];
        TP.Subtract(x, y, o);
        return Record(new Tensor(o, shape), "sub", [a, b], g =>
        {
            a.AccumulateGrad(Broadcast.SumToShape(g, shape, a._shape));
            if (b._requiresGrad) b.AccumulateGrad(Negated(Broadcast.SumToShape(g, shape, b._shape)));
        });
    }

    /// <summary>a ⊙ b, broadcasting.</summary>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        var (x, y, shape) = Broadcasted(a, b, "mul");
        var o = new double[x.Length];
        TP.Multiply(x, y, o);
        return Record(new Tensor(o, shape), "mul", [a, b], g =>
        {
            if (a._requiresGrad) a.AccumulateGrad(Broadcast.SumToShape(Product(g, y), shape, a._shape));
            if (b._requiresGrad) b.AccumulateGrad(Broadcast.SumToShape(Product(g, x), shape, b._shape));
        });
    }

    /// <summary>a / b, broadcasting.</summary>
    public static Tensor Div(Tensor a, Tensor b)
    {
        var (x, y, shape) = Broadcasted(a, b, "div");
        var o = new double[x.Length];
        TP.Divide(x, y, o);
        return Record(new Tensor(o, shape), "div", [a, b], g =>
        {
            if (a._requiresGrad)
            {
                var ga = new double[g.Length];
                TP.Divide(g, y, ga);
                a.AccumulateGrad(Broadcast.SumToShape(ga, shape, a._shape));
            }
            if (b._requiresGrad)
            {
                // d(x/y)/dy = −(x/y)/y
                var gb = new double[g.Length];
                for (int i = 0; i < gb.Length; i++) gb[i] = -g[i] * o[i] / y[i];
                b.AccumulateGrad(Broadcast.SumToShape(gb, shape, b._shape));
            }
        });
    }

    /// <summary>a ^ b elementwise for a tensor exponent, broadcasting (a must be positive where b's gradient is needed).</summary>
    public static Tensor Pow(Tensor a, Tensor b)
    {
        var (x, y, shape) = Broadcasted(a, b, "pow");
        var o = new double[x.Length];
        TP.Pow(x, y, o);
        return Record(new Tensor(o, shape), "pow", [a, b], g =>
        {
            if (a._requiresGrad)
            {
                var ga = new double[g.Length];
                for (int i = 0; i < ga.Length; i++) ga[i] = g[i] * y[i] * Math.Pow(x[i], y[i] - 1.0);
                a.AccumulateGrad(Broadcast.SumToShape(ga, shape, a._shape));
            }
            if (b._requiresGrad)
            {
                var gb = new double[g.Length];
                for (int i = 0; i < gb.Length; i++) gb[i] = o[i] == 0 ? 0 : g[i] * o[i] * Math.Log(x[i]);
                b.AccumulateGrad(Broadcast.SumToShape(gb, shape, b._shape));
            }
        });
    }

    /// <summary>x ^ p elementwise for a constant exponent.</summary>
    public Tensor Pow(double p)
    {
        var o = new double[_data.Length];
        if (p == 2.0) TP.Multiply(_data, _data, o);
        else TP.Pow(_data, p, o);
        var x = _data;
        return Record(new Tensor(o, _shape), "pow", [this], g =>
        {
            var gx = new double[g.Length];
            if (p == 2.0) for (int i = 0; i < gx.Length; i++) gx[i] = 2.0 * x[i] * g[i];
            else for (int i = 0; i < gx.Length; i++) gx[i] = p == 0 ? 0 : g[i] * p * Math.Pow(x[i], p - 1.0);
            AccumulateGrad(gx);
        });
    }

    /// <summary>Elementwise minimum, broadcasting; the gradient goes to the smaller input (to a on ties).</summary>
    public static Tensor Minimum(Tensor a, Tensor b) => Select(a, b, "minimum", (x, y) => x <= y);

    /// <summary>Elementwise maximum, broadcasting; the gradient goes to the larger input (to a on ties).</summary>
    public static Tensor Maximum(Tensor a, Tensor b) => Select(a, b, "maximum", (x, y) => x >= y);

    /// <summary>Elementwise minimum with a constant.</summary>
    public Tensor Minimum(double c) => Minimum(this, Scalar(c));

    /// <summary>Elementwise maximum with a constant.</summary>
    public Tensor Maximum(double c) => Maximum(this, Scalar(c));

    /// <summary>Values from a where the condition is non-zero, else from b (like torch.where); condition is not differentiated.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        var shape = Shapes.Broadcast(Shapes.Broadcast(condition._shape, a._shape, "where"), b._shape, "where");
        var c = Broadcast.Expand(condition._data, condition._shape, shape);
        var pick = new bool[c.Length];
        for (int i = 0; i < c.Length; i++) pick[i] = c[i] != 0;
        return Choose(a, b, shape, pick, "where");
    }

    private static Tensor Select(Tensor a, Tensor b, string op, Func<double, double, bool> takeA)
    {
        var (x, y, shape) = Broadcasted(a, b, op);
        var pick = new bool[x.Length];
        for (int i = 0; i < x.Length; i++) pick[i] = takeA(x[i], y[i]);
        return Choose(a, b, shape, pick, op);
    }

    /// <summary>o[i] = pick[i] ? a[i] : b[i] in the broadcast shape, with the gradient routed the same way.</summary>
    private static Tensor Choose(Tensor a, Tensor b, int[] shape, bool[] pick, string op)
    {
        var x = Broadcast.Expand(a._data, a._shape, shape);
        var y = Broadcast.Expand(b._data, b._shape, shape);
        var o = new double[pick.Length];
        for (int i = 0; i < o.Length; i++) o[i] = pick[i] ? x[i] : y[i];
        return Record(new Tensor(o, shape), op, [a, b], g =>
        {
            var ga = new double[g.Length];
            var gb = new double[g.Length];
            for (int i = 0; i < g.Length; i++) { if (pick[i]) ga[i] = g[i]; else gb[i] = g[i]; }
            a.AccumulateGrad(Broadcast.SumToShape(ga, shape, a._shape));
            b.AccumulateGrad(Broadcast.SumToShape(gb, shape, b._shape));
        });
    }

    /// <summary>−x.</summary>
    public Tensor Neg()
    {
        return Record(new Tensor(Negated(_data), _shape), "neg", [this], g => AccumulateGrad(Negated(g)));
    }

    private static double[] Negated(double[] x)
    {
        var o = new double[x.Length];
        TP.Negate(x, o);
        return o;
    }

    private static double[] Product(double[] x, double[] y)
    {
        var o = new double[x.Length];
        TP.Multiply(x, y, o);
        return o;
    }

    // ---- operators and scalar forms ----

    /// <summary>Elementwise a + b with broadcasting (<see cref="Add"/>).</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Add(a, b);
    /// <summary>Elementwise a − b with broadcasting (<see cref="Sub"/>).</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Sub(a, b);
    /// <summary>Elementwise a · b with broadcasting (<see cref="Mul"/>).</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Mul(a, b);
    /// <summary>Elementwise a / b with broadcasting (<see cref="Div"/>).</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Div(a, b);
    /// <summary>Elementwise −a (<see cref="Neg"/>).</summary>
    public static Tensor operator -(Tensor a) => a.Neg();
    /// <summary>Adds the constant c to every element.</summary>
    public static Tensor operator +(Tensor a, double c) => Add(a, Scalar(c));
    /// <summary>Adds the constant c to every element.</summary>
    public static Tensor operator +(double c, Tensor a) => Add(Scalar(c), a);
    /// <summary>Subtracts the constant c from every element.</summary>
    public static Tensor operator -(Tensor a, double c) => Sub(a, Scalar(c));
    /// <summary>The constant c minus every element.</summary>
    public static Tensor operator -(double c, Tensor a) => Sub(Scalar(c), a);
    /// <summary>Multiplies every element by the constant c.</summary>
    public static Tensor operator *(Tensor a, double c) => Mul(a, Scalar(c));
    /// <summary>Multiplies every element by the constant c.</summary>
    public static Tensor operator *(double c, Tensor a) => Mul(Scalar(c), a);
    /// <summary>Divides every element by the constant c.</summary>
    public static Tensor operator /(Tensor a, double c) => Div(a, Scalar(c));
    /// <summary>The constant c divided by every element.</summary>
    public static Tensor operator /(double c, Tensor a) => Div(Scalar(c), a);
}
