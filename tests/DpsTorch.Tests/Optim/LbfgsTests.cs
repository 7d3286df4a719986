using DpsTorch.Optim;
using static DpsTorch.Tests.Optim.TestProblems;

namespace DpsTorch.Tests.Optim;

public class LbfgsTests
{
    [Fact]
    public void Lbfgs_ReachesLeastSquaresOptimum_InFewerStepCallsThanAdam()
    {
        var a = Tensor.FromArray(A);
        var y = Y();
        // The loss is ~|x − x*|², so the default absolute loss-change tolerance (1e-9) would stop near 1e-5.
        var x = Tensor.Zeros(3).RequiresGrad_();
        var lbfgs = new Lbfgs([x], toleranceGrad: 1e-12, toleranceChange: 1e-15);
        int lbfgsCalls = StepsUntilOptimum(x, () => lbfgs.Step(Closure(lbfgs, () => LeastSquares(x, a, y))));

        var xAdam = Tensor.Zeros(3).RequiresGrad_();
        var adam = new Adam([xAdam], lr: 0.02);
        int adamSteps = StepsUntilOptimum(xAdam, () => TrainStep(adam, () => LeastSquares(xAdam, a, y)));

        Assert.True(lbfgsCalls < adamSteps, $"L-BFGS took {lbfgsCalls} Step calls, Adam {adamSteps}");
        Assert.True(lbfgs.TotalIterations < adamSteps, $"L-BFGS took {lbfgs.TotalIterations} iterations, Adam {adamSteps} steps");
    }

    /// <summary>Calls <paramref name="step"/> until x is within 1e-6 of x* (asserting it gets there); returns the call count.</summary>
    private static int StepsUntilOptimum(Tensor x, Action step)
    {
        const int Limit = 5000;
        int calls = 0;
        while (MaxAbsDiff(XStar, x.ToArray()) > 1e-6 && calls < Limit) { step(); calls++; }
        Assert.True(MaxAbsDiff(XStar, x.ToArray()) <= 1e-6, $"max |x − x*| = {MaxAbsDiff(XStar, x.ToArray()):G3} after {calls} calls");
        return calls;
    }

    [Fact]
    public void Lbfgs_StrongWolfe_SolvesRosenbrock_To1e5()
    {
        var x = Tensor.FromArray([-1.2]).RequiresGrad_();
        var y = Tensor.FromArray([1.0]).RequiresGrad_();
        var opt = new Lbfgs([x, y], maxIter: 100);
        var closure = Closure(opt, () => Rosenbrock(x, y));
        opt.Step(closure);
        // Converges in one Step call (about 36 iterations, as torch.optim.LBFGS does from this start).
        Assert.True(opt.LastStopReason is LbfgsStopReason.ConvergedOnGradient or LbfgsStopReason.ConvergedOnChange, $"stopped: {opt.LastStopReason}");
        Assert.True(opt.LastIterations < 100);
        Assert.True(Math.Abs(x.Data[0] - 1) <= 1e-5 && Math.Abs(y.Data[0] - 1) <= 1e-5, $"(x, y) = ({x.Data[0]:R}, {y.Data[0]:R})");
    }

    [Fact]
    public void Lbfgs_WithoutLineSearch_ConvergesOnQuadratic_AndReportsIterationLimit()
    {
        var c = Tensor.FromArray([1.0, 4.0]);
        var x = Tensor.FromArray([2.0, -1.0]).RequiresGrad_();
        var opt = new Lbfgs([x], lr: 0.5, maxIter: 3, lineSearch: LineSearch.None, maxEval: 10, toleranceChange: 1e-15);
        var closure = Closure(opt, () => (c * x.Pow(2)).Sum());
        double first = opt.Step(closure);
        Assert.Equal(2.0 * 2.0 + 4.0 * 1.0, first);
        Assert.Equal(LbfgsStopReason.IterationLimit, opt.LastStopReason);
        Assert.Equal(3, opt.LastIterations);
        for (int i = 0; i < 50 && opt.LastStopReason != LbfgsStopReason.ConvergedOnGradient; i++) opt.Step(closure);
        Assert.True(MaxAbsDiff([0.0, 0.0], x.ToArray()) <= 1e-6, $"x = [{x.Data[0]:G3}, {x.Data[1]:G3}]");
    }

    [Fact]
    public void Lbfgs_AtOptimum_StopsConvergedOnGradient_WithoutMoving()
    {
        var x = Tensor.FromArray([0.0]).RequiresGrad_();
        var opt = new Lbfgs([x]);
        opt.Step(Closure(opt, () => x.Pow(2).Sum()));
        Assert.Equal(LbfgsStopReason.ConvergedOnGradient, opt.LastStopReason);
        Assert.Equal(0, opt.LastIterations);
        Assert.Equal(0.0, x.Data[0]);
    }

    [Fact]
    public void Lbfgs_NonFiniteLoss_StopsWithNonFinite()
    {
        var x = Tensor.FromArray([1.0]).RequiresGrad_();
        var opt = new Lbfgs([x]);
        opt.Step(Closure(opt, () => (x * double.NaN).Sum()));
        Assert.Equal(LbfgsStopReason.NonFinite, opt.LastStopReason);
    }

    [Fact]
    public void Lbfgs_StepWithoutClosure_ThrowsSayingClosureIsRequired()
    {
        var x = Tensor.FromArray([1.0]).RequiresGrad_();
        var ex = Assert.Throws<InvalidOperationException>(() => new Lbfgs([x]).Step());
        Assert.Contains("closure", ex.Message);
    }

    [Fact]
    public void Lbfgs_StateRoundTrip_ResumesIdentically()
    {
        var x1 = Tensor.FromArray([-1.2]).RequiresGrad_();
        var y1 = Tensor.FromArray([1.0]).RequiresGrad_();
        var opt1 = new Lbfgs([x1, y1], maxIter: 5);
        var closure1 = Closure(opt1, () => Rosenbrock(x1, y1));
        opt1.Step(closure1);
        opt1.Step(closure1);

        var x2 = Tensor.FromArray(x1.ToArray()).RequiresGrad_();
        var y2 = Tensor.FromArray(y1.ToArray()).RequiresGrad_();
        var opt2 = new Lbfgs([x2, y2], maxIter: 5);
        opt2.LoadState(opt1.GetState());
        opt1.Step(closure1);
        opt2.Step(Closure(opt2, () => Rosenbrock(x2, y2)));
        Assert.Equal(x1.Data, x2.Data);
        Assert.Equal(y1.Data, y2.Data);
    }
}
