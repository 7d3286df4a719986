// Small deterministic objectives for optimizer tests, built only from add/sub/mul/pow/sum/mean.
using DpsTorch.Optim;

namespace DpsTorch.Tests.Optim;

internal static class TestProblems
{
    /// <summary>A well-conditioned 6×3 design matrix.</summary>
    public static readonly double[,] A =
    {
        { 1.0, 0.2, -0.3 }, { 0.1, 1.5, 0.4 }, { -0.2, 0.3, 0.9 },
        { 0.7, -0.4, 0.2 }, { 0.3, 0.8, -0.6 }, { -0.5, 0.1, 1.2 },
    };

    /// <summary>The known least-squares optimum: y is generated as A·xStar, so the residual there is zero.</summary>
    public static readonly double[] XStar = [1.5, -2.0, 0.5];

    public static Tensor Y()
    {
        var y = new double[A.GetLength(0)];
        for (int i = 0; i < y.Length; i++)
            for (int j = 0; j < XStar.Length; j++) y[i] += A[i, j] * XStar[j];
        return Tensor.FromArray(y);
    }

    /// <summary>mean((A·x − y)²) with A·x written as (A ⊙ x broadcast).Sum(1).</summary>
    public static Tensor LeastSquares(Tensor x, Tensor a, Tensor y) => ((a * x).Sum(1) - y).Pow(2).Mean();

    /// <summary>Rosenbrock (1 − x)² + 100 (y − x²)², minimum 0 at (1, 1).</summary>
    public static Tensor Rosenbrock(Tensor x, Tensor y) => ((1.0 - x).Pow(2) + 100.0 * (y - x.Pow(2)).Pow(2)).Sum();

    /// <summary>A closure in PyTorch form: zero the gradients, compute the loss, Backward, return the loss value.</summary>
    public static Func<double> Closure(Optimizer opt, Func<Tensor> loss) => () =>
    {
        opt.ZeroGrad();
        var l = loss();
        l.Backward();
        return l.Item();
    };

    /// <summary>One gradient step of a first-order optimizer on <paramref name="loss"/>; returns the loss before the step.</summary>
    public static double TrainStep(Optimizer opt, Func<Tensor> loss)
    {
        opt.ZeroGrad();
        var l = loss();
        l.Backward();
        opt.Step();
        return l.Item();
    }

    public static double MaxAbsDiff(double[] a, double[] b)
    {
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }
}
