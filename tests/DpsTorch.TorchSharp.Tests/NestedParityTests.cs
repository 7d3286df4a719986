using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Nested;
using static TorchSharp.torch;

namespace DpsTorch.TorchSharp.Tests;

/// <summary>Nested systems of depth 1-3 in torch against the engine's NestedSystem, over generated configs.</summary>
public class NestedParityTests
{
    /// <summary>Depth × top objective × mismatch × level topology (fixed or learned, sparse or dense) × resource rule ×
    /// level demand (none, system, local) × fixed share; homogeneous fleets on the side.</summary>
    public static IEnumerable<object[]> NestedCases()
    {
        foreach (int depth in new[] { 1, 2, 3 })
            foreach (var objective in Cases.Objectives)
                foreach (var mismatch in new[] { "squared", "both" })
                    foreach (var (kind, learned) in new[] { ("ring", false), ("complete", true), ("ring", true) })
                        foreach (var resources in Cases.ResourceRules)
                            foreach (var levelDemand in new[] { "none", "system", "local" })
                                yield return [depth, objective, mismatch, kind, learned, resources, levelDemand, resources == "budget" && levelDemand == "system", false];
        yield return [2, "system", "squared", "ring", true, "budget", "none", false, true];
        yield return [3, "local", "both", "complete", false, "soft", "local", false, true];
    }

    public static DpsConfig Config(int depth, string objective, string mismatch, string kind, bool learned, string resources,
        string levelDemand, bool fixedShare)
    {
        // 24 leaves: sizes 24 | (6, 4) | (4, 3, 2), the top level one group.
        int[] sizes = depth switch { 1 => [24], 2 => [6, 4], _ => [4, 3, 2] };
        var flat = Cases.Config(objective, mismatch, "direct", "none", false, resources, n: 24);
        var levels = sizes.Select((size, k) => new LevelConfig
        {
            Name = $"L{k}",
            Size = size,
            Topology = new TopologyConfig { Kind = size >= 4 ? Choices.Parse<TopologyKind>("topology.kind", kind) : TopologyKind.Complete, K = 1, Learned = learned, InitWeight = 0.4, Weight = 0.3, Seed = k },
            LambdaC = 0.02 * (k + 1),
            Demand = levelDemand == "none" || k == sizes.Length - 1 ? null : new DemandConfig { Kind = DemandKind.Peaks, Peaks = 1, Width = 0.5, Phase = k },
            DemandObjective = levelDemand == "local" ? ObjectiveKind.Local : ObjectiveKind.System,
            DemandWeight = 0.5,
            FixedShare = fixedShare && k == 0,
        }).ToArray();
        return flat with { Levels = levels };
    }

    [SkippableTheory]
    [MemberData(nameof(NestedCases))]
    public void NestedLossAndEveryGradientMatchTheEngine(int depth, string objective, string mismatch, string kind, bool learned,
        string resources, string levelDemand, bool fixedShare, bool homogeneous)
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        var config = Config(depth, objective, mismatch, kind, learned, resources, levelDemand, fixedShare);
        var system = NestedBuilder.Create(config, homogeneous: homogeneous);
        Cases.Spread(system.Parameters(), system.ParameterNames(), depth * 31 + (learned ? 1 : 0));
        Assert.Equal(depth, system.Levels.Count);
        using var scope = NewDisposeScope();
        using var module = new NestedModule(system);
        var parts = system.Loss();
        parts.Total.Backward();
        var t = module.Loss();
        t.Total.backward();
        double lm = parts.Total.Item(), lt = t.Total.item<double>();
        Assert.True(Math.Abs(lt - lm) <= 1e-10 * Math.Abs(lm), $"loss: torch {lt:R}, engine {lm:R}");
        var (err, worst) = Cases.GradientError(module.TrainableParameters().Select(p => Interop.Values(p.grad!)).ToArray(),
            system.Parameters().Select(p => p.Grad!.ToArray()).ToArray(), system.ParameterNames());
        Assert.True(err <= 1e-10, $"gradient of {worst}: relative error {err:E2}");
    }

    [SkippableFact]
    public void TwoHundredAdamStepsOfANestedSystemEndAtTheEngineLoss()
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        var config = Config(2, "system", "squared", "ring", true, "budget", "system", false);
        var system = NestedBuilder.Create(config);
        using var module = new NestedModule(system);
        var adam = new DpsTorch.Optim.Adam(system.Parameters(), lr: 0.02);
        var torchAdam = optim.Adam(module.TrainableParameters(), lr: 0.02);
        for (int step = 0; step < 200; step++)
        {
            adam.ZeroGrad();
            system.Loss().Total.Backward();
            adam.Step();
            using var scope = NewDisposeScope();
            torchAdam.zero_grad();
            module.Loss().Total.backward();
            torchAdam.step();
        }
        double lm, lt;
        using (DpsTorch.TensorEngine.NoGrad()) lm = system.Loss().Total.Item();
        using (no_grad()) lt = module.Loss().Total.item<double>();
        Assert.True(Math.Abs(lt - lm) <= 1e-8 * Math.Abs(lm), $"after 200 steps: torch {lt:R}, engine {lm:R}");
    }
}
