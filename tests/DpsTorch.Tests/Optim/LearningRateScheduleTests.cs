using DpsTorch.Optim;

namespace DpsTorch.Tests.Optim;

public class LearningRateScheduleTests
{
    [Fact]
    public void Cosine_Endpoints_AreBaseAndMin_AndMidpointIsTheirMean()
    {
        var s = new CosineSchedule(0.1, totalSteps: 100, minLr: 0.01);
        Assert.Equal(0.1, s.LearningRate(0));
        Assert.Equal(0.01, s.LearningRate(100), 15);
        Assert.Equal(0.01, s.LearningRate(250));
        Assert.Equal(0.055, s.LearningRate(50), 15);
        Assert.True(s.LearningRate(30) > s.LearningRate(31));
    }

    [Fact]
    public void Cosine_Warmup_RisesLinearly_ToBaseAtEndOfWarmup()
    {
        var s = new CosineSchedule(1.0, totalSteps: 20, warmupSteps: 4);
        Assert.Equal(0.25, s.LearningRate(0));
        Assert.Equal(0.5, s.LearningRate(1));
        Assert.Equal(1.0, s.LearningRate(3));
        Assert.Equal(1.0, s.LearningRate(4));
        Assert.Equal(0.5, s.LearningRate(12), 15);
        Assert.Equal(0.0, s.LearningRate(20), 15);
    }

    [Fact]
    public void Step_DecaysByGamma_EveryStepSize()
    {
        var s = new StepSchedule(1.0, stepSize: 3, gamma: 0.5);
        Assert.Equal([1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25], Enumerable.Range(0, 7).Select(s.LearningRate).ToArray());
    }

    [Fact]
    public void Apply_SetsOptimizerLearningRate_AndConstantIsConstant()
    {
        var x = Tensor.FromArray([1.0]).RequiresGrad_();
        var opt = new Sgd([x], lr: 1.0);
        Assert.Equal(0.5, new StepSchedule(1.0, 2, 0.5).Apply(opt, 2));
        Assert.Equal(0.5, opt.LearningRate);
        new ConstantSchedule(0.3).Apply(opt, 1000);
        Assert.Equal(0.3, opt.LearningRate);
    }

    [Fact]
    public void Schedules_RejectBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineSchedule(0.1, totalSteps: 5, warmupSteps: 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineSchedule(0.1, 10, minLr: 0.2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepSchedule(0.1, 0, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantSchedule(0.1).LearningRate(-1));
    }
}
