// The Newton steps of the polish (training.newton, Optim/Newton.cs) are on by default for objective.kind "fisher" only,
// so every other objective's polish is L-BFGS alone, as before; from where the L-BFGS leaves a small efficient-coding
// population they pass the gradient test.
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Model.Search;

namespace DpsTorch.Tests.Model.Search;

public class PolishNewtonTests
{
    private const string Fisher = """
        { "space": { "m": 256 }, "agents": { "count": 6, "init": "quantiles-spacing" },
          "demand": { "kind": "mixture", "centers": [2.0, 4.5], "widths": [0.5, 2.0], "weights": [0.4, 0.6] },
          "objective": { "kind": "fisher" }, "training": { "steps": 60, "lr": 0.002, "polish": 20 } }
        """;

    [Fact]
    public void NewtonIsOnByDefault_ForTheFisherObjectiveOnly()
    {
        var system = ConfigLoader.Parse("""{ "agents": { "count": 4 } }""");
        var fisher = ConfigLoader.Parse(Fisher);
        Assert.Equal(0, Polish.NewtonIterations(system.Training, SystemBuilder.Create(system)));
        Assert.Equal(Polish.DefaultFisherNewton, Polish.NewtonIterations(fisher.Training, SystemBuilder.Create(fisher)));
        var set = system with { Training = system.Training with { Newton = 3 } };
        Assert.Equal(3, Polish.NewtonIterations(set.Training, SystemBuilder.Create(set)));
    }

    [Fact]
    public void ThePolish_WithNewton_PassesTheGradientTest_WhereL_BfgsAloneDoesNot()
    {
        var c = ConfigLoader.Validate(ConfigLoader.Parse(Fisher));
        TrainResult Polished(int? newton)
        {
            var training = c.Training with { Newton = newton };
            var model = SystemBuilder.Create(c);
            var trained = Trainer.Train(model, training, _ => (0.0, 0.0, 0.0));
            return Polish.Run(model, training, trained, _ => (0.0, 0.0, 0.0));
        }
        var lbfgsOnly = Polished(0);
        var withNewton = Polished(null);
        Assert.True(withNewton.Converged, $"RMS gradient {withNewton.GradientNorm}");
        Assert.Equal(StopReason.Gradient, withNewton.Reason);
        Assert.True(withNewton.GradientNorm < lbfgsOnly.GradientNorm, $"{withNewton.GradientNorm} vs {lbfgsOnly.GradientNorm}");
        Assert.True(withNewton.Loss <= lbfgsOnly.Loss + 1e-9, $"{withNewton.Loss} vs {lbfgsOnly.Loss}");
    }
}
