// Damped Newton with a finite-difference Hessian (Optim/Newton.cs): it reaches the minimum of Rosenbrock's valley and
// of a problem with an exact symmetry (a flat direction with no gradient along it), converges quadratically near a
// minimum, never raises the loss, and refuses what it cannot take.
using DpsTorch.Optim;
using static DpsTorch.Tests.Optim.TestProblems;

namespace DpsTorch.Tests.Optim;

public class NewtonTests
{
    private static Func<double> ClosureOf(Tensor[] ps, Func<Tensor> loss) => () =>
    {
        foreach (var p in ps) p.ZeroGrad();
        var l = loss();
        l.Backward();
        return l.Item();
    };

    [Fact]
    public void Rosenbrock_ReachesTheMinimum_AndNeverRaisesTheLoss()
    {
        var x = Tensor.FromArray([-1.2]).RequiresGrad_();
        var y = Tensor.FromArray([1.0]).RequiresGrad_();
        Tensor[] ps = [x, y];
        var closure = ClosureOf(ps, () => Rosenbrock(x, y));
        double start = closure();
        var result = Newton.Minimize(ps, closure, maxIter: 200, toleranceGrad: 1e-10);
        Assert.Equal(NewtonStopReason.ConvergedOnGradient, result.Reason);
        Assert.InRange(result.Iterations, 1, 200);
        Assert.Equal(1.0, x.Item(), 1e-8);
        Assert.Equal(1.0, y.Item(), 1e-8);
        Assert.True(result.Loss < start);
        Assert.True(result.GradientNorm <= 1e-10);
    }

    [Fact]
    public void AFlatDirection_DoesNotBlowUp_AndTheStepsConvergeQuadratically()
    {
        // f = softmax-like shift symmetry: the loss depends on a − b only, (a − b − 1)⁴ + (a − b − 1)² + c²(1 + c²).
        var a = Tensor.FromArray([0.3]).RequiresGrad_();
        var b = Tensor.FromArray([0.1]).RequiresGrad_();
        var c = Tensor.FromArray([0.8]).RequiresGrad_();
        Tensor[] ps = [a, b, c];
        Tensor Loss()
        {
            var u = a - b - 1.0;
            return (u.Pow(4) + u.Pow(2) + c.Pow(2) * (1.0 + c.Pow(2))).Sum();
        }
        var closure = ClosureOf(ps, Loss);
        var gradients = new List<double>();
        for (int it = 1; it <= 6; it++)
        {
            var step = Newton.Minimize(ps, closure, maxIter: 1, toleranceGrad: 0);
            gradients.Add(step.GradientNorm);
        }
        Assert.Equal(1.0, a.Item() - b.Item(), 1e-9);
        // The flat direction a + b stays near where it was (0.3 + 0.1): the damping floor keeps the finite-difference
        // noise along it from moving it by more than about 1e-3 of the steps taken (0.4 in all).
        Assert.InRange(a.Item() + b.Item(), 0.4 - 1e-3, 0.4 + 1e-3);
        Assert.Equal(0.0, c.Item(), 1e-9);
        // Quadratic convergence: once the gradient is below 0.1, each step squares it (up to a constant), so it falls
        // far faster than any linear rate of 0.1 per step.
        int first = gradients.FindIndex(g => g < 0.1);
        Assert.True(first >= 0 && first + 1 < gradients.Count, string.Join(", ", gradients));
        Assert.True(gradients[first + 1] < 1e-3 * gradients[first] || gradients[first + 1] < 1e-12, string.Join(", ", gradients));
    }

    [Fact]
    public void NonFiniteStart_ChangesNothing()
    {
        var x = Tensor.FromArray([-1.0]).RequiresGrad_();
        var before = x.Item();
        var result = Newton.Minimize([x], ClosureOf([x], () => x.Log().Sum()), maxIter: 10, toleranceGrad: 1e-9);
        Assert.Equal(NewtonStopReason.NonFinite, result.Reason);
        Assert.Equal(before, x.Item());
    }

    [Fact]
    public void RefusesTooManyNumbers_AndNegativeBudgets()
    {
        var big = Tensor.Zeros(Newton.MaxParameters + 1).RequiresGrad_();
        var e = Assert.Throws<ArgumentException>(() => Newton.Minimize([big], ClosureOf([big], () => big.Pow(2).Sum()), 5, 1e-9));
        Assert.Contains($"{Newton.MaxParameters + 1}", e.Message);
        var x = Tensor.Zeros(2).RequiresGrad_();
        Assert.Throws<ArgumentException>(() => Newton.Minimize([x], ClosureOf([x], () => x.Pow(2).Sum()), -1, 1e-9));
        Assert.Throws<ArgumentException>(() => Newton.Minimize([x], ClosureOf([x], () => x.Pow(2).Sum()), 5, double.NaN));
    }
}
