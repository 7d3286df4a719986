using DpsTorch.Optim;
using static DpsTorch.Tests.Optim.TestProblems;

namespace DpsTorch.Tests.Optim;

public class SgdTests
{
    [Fact]
    public void Sgd_WithMomentum_ConvergesOnQuadratic()
    {
        // f = Σ cᵢ (xᵢ − tᵢ)² with curvatures 1 and 10.
        var c = Tensor.FromArray([1.0, 10.0]);
        var target = Tensor.FromArray([3.0, -1.0]);
        var x = Tensor.Zeros(2).RequiresGrad_();
        var opt = new Sgd([x], lr: 0.02, momentum: 0.9);
        for (int i = 0; i < 400; i++) TrainStep(opt, () => (c * (x - target).Pow(2)).Sum());
        Assert.True(MaxAbsDiff([3.0, -1.0], x.ToArray()) <= 1e-8, $"x = [{x.Data[0]:R}, {x.Data[1]:R}]");
    }

    [Fact]
    public void Sgd_MomentumAndNesterov_FirstTwoSteps_MatchTorchFormula()
    {
        // f = x², g = 2x, weight decay λ = 0.1 adds λx.
        foreach (bool nesterov in new[] { false, true })
        {
            var x = Tensor.FromArray([1.0]).RequiresGrad_();
            var opt = new Sgd([x], lr: 0.1, momentum: 0.5, nesterov: nesterov, weightDecay: 0.1);
            double xr = 1.0, b = 0;
            for (int t = 0; t < 2; t++)
            {
                TrainStep(opt, () => x.Pow(2).Sum());
                double g = 2 * xr + 0.1 * xr;
                b = 0.5 * b + g;
                xr -= 0.1 * (nesterov ? g + 0.5 * b : b);
                Assert.Equal(xr, x.Data[0], 15);
            }
        }
    }

    [Fact]
    public void Sgd_Nesterov_WithoutMomentum_Throws()
    {
        var x = Tensor.FromArray([1.0]).RequiresGrad_();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([x], lr: 0.1, nesterov: true));
        Assert.Contains("momentum > 0", ex.Message);
    }
}
