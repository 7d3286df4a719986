// The gradient test of convergence (issue 13): a run that reaches a stationary point says so and why; one stopped by
// the step limit far from it says it did not converge, in the result and in summary.json.
using System.Text.Json.Nodes;
using DpsTorch.Runs;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Measures;
using DpsTorch.Model;
using DpsTorch.Model.Search;

namespace DpsTorch.Tests.Model;

public class ConvergenceTests
{
    private const string SinglePeak = """
        { "space": { "m": 64 }, "agents": { "count": 3 }, "demand": { "kind": "peaks", "peaks": 1, "width": 0.4 },
          "training": { "restarts": 1, "steps": STEPS, "optimizer": "OPT", "lr": LR } }
        """;

    private static DpsConfig Config(int steps, string optimizer, double lr, string extra = "")
        => ConfigLoader.Parse(SinglePeak.Replace("STEPS", steps.ToString()).Replace("OPT", optimizer)
            .Replace("LR", lr.ToString(System.Globalization.CultureInfo.InvariantCulture)).Replace("\"lr\"", extra + "\"lr\""));

    [Fact]
    public void GradientNorm_IsTheRootMeanSquareOverEveryParameter()
    {
        var a = Tensor.FromArray([3.0, 4.0]).RequiresGrad_();
        var b = Tensor.FromArray([1.0, 1.0, 1.0]).RequiresGrad_();
        (a * a).Sum().Backward(); // grad 2a = (6, 8); b has none and counts as zero
        Assert.Equal(Math.Sqrt(100.0 / 5.0), Convergence.GradientNorm([a, b]), 12);
    }

    [Fact]
    public void LbfgsOnASinglePeak_StopsOnTheGradientTest_AndSaysItConverged()
    {
        var c = Config(500, "lbfgs", 1.0, "\"gradTolerance\": 1e-4, ");
        var m = SystemBuilder.Create(c);
        var r = Trainer.Train(m, c.Training, _ => (0, 0, 0));
        Assert.Equal(StopReason.Gradient, r.Reason);
        Assert.True(r.Converged);
        Assert.True(r.GradientNorm <= c.Training.GradTolerance, $"gradient {r.GradientNorm}");
        Assert.True(r.Steps < 500, $"steps {r.Steps}");
        Assert.Null(Convergence.Warning(r, c.Training));
    }

    [Fact]
    public void AStepLimitFarFromTheOptimum_IsNotConverged_AndWarnsWithTheNumbers()
    {
        var c = Config(5, "adam", 0.001);
        var m = SystemBuilder.Create(c);
        var r = Trainer.Train(m, c.Training, _ => (0, 0, 0));
        Assert.Equal(StopReason.StepLimit, r.Reason);
        Assert.False(r.Converged);
        Assert.True(r.GradientNorm > c.Training.GradTolerance);
        var w = Convergence.Warning(r, c.Training);
        Assert.NotNull(w);
        Assert.Contains("did not converge", w);
        Assert.Contains("step limit", w);
    }

    [Fact]
    public void Summary_CarriesConvergedGradientNormAndStopReason()
    {
        var c = Config(5, "adam", 0.001);
        var r = Experiment.Run(c, measureRobustness: false);
        using var dir = new TempDir();
        RunOutput.Write(dir.Path, r);
        var s = JsonNode.Parse(File.ReadAllText(dir.File(RunFiles.Summary)))!.AsObject();
        Assert.False(s["converged"]!.GetValue<bool>());
        Assert.Equal(r.Training.GradientNorm, s["gradientNorm"]!.GetValue<double>());
        Assert.Equal("StepLimit", s["stopReason"]!.GetValue<string>());
        Assert.Equal(1, s["bestReachedBy"]!.GetValue<int>());
    }

    [Fact]
    public void ReachedBest_CountsTheRestartsAtTheBestLoss()
    {
        Assert.Equal(2, Convergence.ReachedBest([0.5, 0.1, 0.1 * (1 + 1e-9), 0.2]));
        Assert.Equal(1, Convergence.ReachedBest([3.0]));
        Assert.Equal(2, Convergence.ReachedBest([0.0, 1e-18, 1e-3]));
        Assert.Equal(0, Convergence.ReachedBest([]));
    }

    [Fact]
    public void Polish_TakesAnAdamRunToTheGradientTolerance()
    {
        var c = Config(200, "adam", 0.02, "\"polish\": 500, ");
        var m = SystemBuilder.Create(c);
        var adam = Trainer.Train(m, c.Training, _ => (0, 0, 0));
        Assert.False(adam.Converged, $"Adam alone reached gradient {adam.GradientNorm}; the test needs a case it does not finish");
        var polished = Polish.Run(m, c.Training, adam, SystemMeasures.Quick);
        Assert.True(polished.Converged, $"gradient after the polish {polished.GradientNorm}");
        Assert.True(polished.Loss <= adam.Loss);
        Assert.Equal(StopReason.Gradient, polished.Reason);
        Assert.True(polished.Steps > adam.Steps);
    }
}
