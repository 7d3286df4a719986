// The non-finite guard (Model/NonFiniteGuard.cs), shared by the flat and the nested trainer: each failure names the
// step, the quantity and the value, and the parameters keep their last finite state.
using DpsTorch.Config;
using DpsTorch.Measures;
using DpsTorch.Model;
using DpsTorch.Nested;

namespace DpsTorch.Tests.Model;

public class NonFiniteGuardTests
{
    // One SGD step at lr = 1e300 sends ρ to ~1e300, so the breadth cost λ_σ Σσ² overflows at the next step.
    // The config loader refuses such a rate, so it is set on the record directly.
    private static DpsConfig Config(double backoff)
    {
        var c = ConfigLoader.Parse($$"""
            { "space": { "m": 32 }, "agents": { "count": 4, "init": "spread" },
              "objective": { "lambdaSigma": 1 },
              "training": { "optimizer": "sgd", "momentum": 0, "steps": 5, "restarts": 1, "backoff": {{backoff}}, "gradTolerance": 0 } }
            """);
        return c with { Training = c.Training with { Lr = 1e300 } };
    }

    [Fact]
    public void NonFiniteStep_NamesStepParameterAndValue_AndKeepsTheLastFiniteState()
    {
        var c = Config(0);
        var model = SystemBuilder.Create(c);
        var initial = model.Rho.ToArray();
        var ex = Assert.Throws<NonFiniteException>(() => Trainer.Train(model, c.Training, _ => (0, 0, 0)));
        Assert.StartsWith("training step 1: the loss is Infinity", ex.Message);
        Assert.Contains("before step 0's update", ex.Message);
        Assert.Equal(initial, model.Rho.ToArray()); // the state whose loss was finite
        Assert.Contains("training.lr", ex.Message);
        Assert.All(model.Parameters(), p => Assert.All(p.ToArray(), v => Assert.True(double.IsFinite(v))));
    }

    [Fact]
    public void Backoff_ShrinksTheLearningRate_AndTrainingGoesOn()
    {
        var c = Config(1e-100);
        var model = SystemBuilder.Create(c);
        var result = Trainer.Train(model, c.Training, _ => (0, 0, 0));
        Assert.Equal(5, result.Steps);
        Assert.NotEmpty(result.Warnings!);
        Assert.Contains("backed off", result.Warnings![0]);
        Assert.True(double.IsFinite(result.Loss));
    }

    // Budget and mass at 1e100 (above ConfigLoader.MaxScale, so set on the record): the loss is ~1e200, finite, but
    // Adam's exp_avg_sq = g² overflows at the first step; before the guard looked at the optimizer the run stalled.
    private static DpsConfig Huge(string json)
    {
        var c = ConfigLoader.Parse(json);
        return c with { Agents = c.Agents with { Budget = 1e100 }, Demand = c.Demand with { Mass = 1e100 } };
    }

    [Fact]
    public void AdamSecondMomentOverflow_NamesTheStepTheBufferAndTheValue()
    {
        var c = Huge("""{ "space": { "m": 32 }, "agents": { "count": 4 }, "training": { "steps": 5, "restarts": 1 } }""");
        var model = SystemBuilder.Create(c);
        var initial = model.Mu.ToArray();
        var ex = Assert.Throws<NonFiniteException>(() => Trainer.Train(model, c.Training, _ => (0, 0, 0)));
        Assert.StartsWith("training step 0: after the update the optimizer's state is not finite: adam's buffer 'exp_avg_sq' of parameter mu[", ex.Message);
        Assert.Contains("is Infinity", ex.Message);
        Assert.Equal(initial, model.Mu.ToArray());
    }

    [Fact]
    public void NestedSystem_TrainsUnderTheSameGuard()
    {
        var c = Huge(TestConfigs.TinyNested);
        var system = NestedBuilder.Create(c, 0, homogeneous: false);
        var initial = system.Mu.ToArray();
        var ex = Assert.Throws<NonFiniteException>(() => Trainer.Train(system, c.Training, _ => (0, 0, 0)));
        Assert.StartsWith("training step 0: after the update the optimizer's state is not finite: adam's buffer 'exp_avg_sq'", ex.Message);
        Assert.Contains("restored to their finite state before step 0's update", ex.Message);
        Assert.Equal(initial, system.Mu.ToArray());
    }

    [Fact]
    public void SoftResourcesUnderflowingToZero_NameTheStepAndTheFormula()
    {
        var c = ConfigLoader.Parse(TestConfigs.SoftCollapse);
        var model = SystemBuilder.Create(c);
        var ex = Assert.Throws<NonFiniteException>(() => Trainer.Train(model, c.Training, SystemMeasures.Quick));
        Assert.Matches(@"^training step \d+: the resources a = softplus\(alpha\) sum to 0 after the update", ex.Message);
        Assert.True(model.Resources().ToArray().Sum() > 0);
    }

    [Fact]
    public void Similarity_OfAgentsBroaderThanTheSquareRootOfDoubleMax_IsFinite()
    {
        // SGD at a large rate drives σ to ~1e200: a uniform skill. √(σ_i² + σ_j²) used to overflow to σ = Infinity.
        var z = Heterogeneity.Similarity([0.0, 1.0], [1e200, 3e200]);
        Assert.All(z, v => Assert.InRange(v, 0.999, 1.0));
    }

    [Fact]
    public void OptimizerFirstNonFinite_IsNull_ForAFreshOrHealthyState()
    {
        var p = Tensor.FromArray([1.0, 2.0]).RequiresGrad_();
        var adam = new DpsTorch.Optim.Adam([p], lr: 0.1);
        Assert.Null(adam.FirstNonFinite());
        p.Sum().Backward();
        adam.Step();
        Assert.Null(adam.FirstNonFinite(["w"]));
    }
}
