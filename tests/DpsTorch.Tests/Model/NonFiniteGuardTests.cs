using DpsTorch.IO;
using DpsTorch.Model;

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
        Assert.All(model.Parameters(), p => Assert.All(p.Data, v => Assert.True(double.IsFinite(v))));
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
}
