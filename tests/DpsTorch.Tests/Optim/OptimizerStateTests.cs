using DpsTorch.Optim;
using static DpsTorch.Tests.Optim.TestProblems;

namespace DpsTorch.Tests.Optim;

public class OptimizerStateTests
{
    [Fact]
    public void Adam_GetState_HoldsMomentsAndHyperParameters_AsCopies()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequiresGrad_();
        var opt = new Adam([x], lr: 0.05, weightDecay: 0.1, decoupledWeightDecay: true);
        TrainStep(opt, () => x.Pow(2).Sum());
        var s = opt.GetState();
        Assert.Equal("adam", s.Kind);
        Assert.Equal(1, s.StepCount);
        Assert.Equal(0.05, s.HyperParameters["lr"]);
        Assert.Equal(1.0, s.HyperParameters["decoupled_weight_decay"]);
        Assert.Equal(2, s.ParameterBuffers[0]["exp_avg"].Length);
        var before = (double[])s.ParameterBuffers[0]["exp_avg"].Clone();
        TrainStep(opt, () => x.Pow(2).Sum());
        Assert.Equal(before, s.ParameterBuffers[0]["exp_avg"]); // a snapshot, not a view
    }

    [Fact]
    public void LoadState_RejectsWrongKind_WrongBufferLength_MissingHyperParameter_NamingThem()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequiresGrad_();
        var adam = new Adam([x]);
        var sgdState = new Sgd([x], lr: 0.1).GetState();
        var ex = Assert.Throws<ArgumentException>(() => adam.LoadState(sgdState));
        Assert.Contains("'sgd'", ex.Message);

        var good = adam.GetState();
        var shortBuffer = good with
        {
            ParameterBuffers = [new Dictionary<string, double[]> { ["exp_avg"] = [0.0], ["exp_avg_sq"] = [0.0, 0.0] }],
        };
        ex = Assert.Throws<ArgumentException>(() => adam.LoadState(shortBuffer));
        Assert.Contains("'exp_avg' of parameter 0 has 1 values", ex.Message);

        var hyper = new Dictionary<string, double>(good.HyperParameters);
        hyper.Remove("beta2");
        ex = Assert.Throws<ArgumentException>(() => adam.LoadState(good with { HyperParameters = hyper }));
        Assert.Contains("'beta2'", ex.Message);
    }

    [Fact]
    public void Sgd_LoadState_RestoresMomentum_AndResumesIdentically()
    {
        var x1 = Tensor.FromArray([1.0, -1.0]).RequiresGrad_();
        var opt1 = new Sgd([x1], lr: 0.1, momentum: 0.9, nesterov: true);
        for (int i = 0; i < 3; i++) TrainStep(opt1, () => x1.Pow(2).Sum());
        var x2 = Tensor.FromArray(x1.ToArray()).RequiresGrad_();
        var opt2 = new Sgd([x2], lr: 0.5);
        opt2.LoadState(opt1.GetState());
        Assert.True(opt2.Nesterov);
        Assert.Equal(0.1, opt2.LearningRate);
        for (int i = 0; i < 3; i++)
        {
            TrainStep(opt1, () => x1.Pow(2).Sum());
            TrainStep(opt2, () => x2.Pow(2).Sum());
        }
        Assert.Equal(x1.Data, x2.Data);
    }
}
