using DpsTorch.Model;
using static TorchSharp.torch;

namespace DpsTorch.TorchSharp.Tests;

/// <summary>The torch model against the managed engine, from the same state, over the whole generated config space.</summary>
public class ParityTests
{
    public static IEnumerable<object[]> AllCases() => Cases.All();

    [SkippableTheory]
    [MemberData(nameof(AllCases))]
    public void LossAndEveryGradientMatchTheEngine(string objective, string mismatch, string propagation, string kind, bool learned, string resources)
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        var config = Cases.Config(objective, mismatch, propagation, kind, learned, resources);
        var managed = Cases.Model(config);
        using var scope = NewDisposeScope();
        using var module = new DpsModule(managed, config);
        if (kind == "ring") Assert.False(module.Interaction.UsesDense);
        if (kind == "complete") Assert.True(module.Interaction.UsesDense);

        var parts = managed.Loss();
        parts.Total.Backward();
        var torchParts = module.Loss();
        torchParts.Total.backward();

        double lm = parts.Total.Item(), lt = torchParts.Total.item<double>();
        Assert.True(Math.Abs(lt - lm) <= 1e-10 * Math.Abs(lm), $"loss: torch {lt:R}, managed {lm:R}");
        Assert.True(lm > 0);
        var names = managed.ParameterNames();
        var torchParams = module.TrainableParameters();
        Assert.Equal(names.Count, torchParams.Count);
        var (err, worst) = Cases.GradientError(
            torchParams.Select(p => Interop.Values(p.grad!)).ToArray(), managed.Parameters().Select(p => p.Grad!.ToArray()).ToArray(), names);
        Assert.True(err <= 1e-10, $"gradient of {worst}: relative error {err:E2}");
    }
}
