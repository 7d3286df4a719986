using DpsTorch.Config;
using DpsTorch.Measures;
using DpsTorch.Model;
using DpsTorch.Optim;
using static TorchSharp.torch;

namespace DpsTorch.TorchSharp.Tests;

/// <summary>Training the torch model: with torch.optim.Adam against the engine's Adam, and with the project's own Trainer.</summary>
public class TrainingTests
{
    public static IEnumerable<object[]> TrainingCases()
    {
        // Both objectives, dense and sparse, fixed and learned, both resource rules, the series propagation: every
        // parameter kind in a long run (the one-step parity over the whole space is ParityTests).
        yield return ["system", "both", "direct", "complete", true, "soft"];
        yield return ["local", "squared", "direct", "ring", false, "budget"];
        yield return ["local", "unmet", "communicability", "random", true, "soft"];
    }

    [SkippableTheory]
    [MemberData(nameof(TrainingCases))]
    public void TwoHundredAdamStepsEndAtTheEngineLoss(string objective, string mismatch, string propagation, string kind, bool learned, string resources)
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        var config = Cases.Config(objective, mismatch, propagation, kind, learned, resources);
        var managed = Cases.Model(config);
        using var module = new DpsModule(managed, config);
        double start = managed.Evaluate(null, backward: false).Total;

        var adam = new Adam(managed.Parameters(), lr: 0.02);
        var torchAdam = optim.Adam(module.TrainableParameters(), lr: 0.02);
        for (int step = 0; step < 200; step++)
        {
            adam.ZeroGrad();
            managed.Loss().Total.Backward();
            adam.Step();
            using var scope = NewDisposeScope();
            torchAdam.zero_grad();
            module.Loss().Total.backward();
            torchAdam.step();
        }
        double lm = managed.Evaluate(null, backward: false).Total;
        double lt;
        using (no_grad()) lt = module.Loss().Total.item<double>();
        Assert.True(lm < 0.9 * start, $"training did not reduce the loss: {start} -> {lm}");
        Assert.True(Math.Abs(lt - lm) <= 1e-8 * Math.Abs(lm), $"after 200 steps: torch {lt:R}, engine {lm:R}");
    }

    [SkippableFact]
    public void TheProjectTrainerDrivesTheTorchBackendToTheSameResult()
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        var config = Cases.Config("system", "squared", "direct", "ring", true, "soft");
        var training = config.Training with { Steps = 60, LogEvery = 20, Schedule = ScheduleKind.Cosine };
        var managed = Cases.Model(config);
        var twin = Cases.Model(config);
        using var torchSystem = new TorchTrainable(twin);

        var a = Trainer.Train(managed, training, SystemMeasures.Quick);
        var b = Trainer.Train(torchSystem, training, s => SystemMeasures.Quick(s.Model));

        Assert.Equal(a.Steps, b.Steps);
        Assert.True(Math.Abs(a.Loss - b.Loss) <= 1e-8 * Math.Abs(a.Loss), $"engine {a.Loss:R}, torch {b.Loss:R}");
        Assert.Equal(a.Trajectory.Count, b.Trajectory.Count);
        for (int i = 0; i < a.Trajectory.Count; i++)
            Assert.True(Math.Abs(a.Trajectory[i].Heterogeneity - b.Trajectory[i].Heterogeneity) <= 1e-8 * a.Trajectory[i].Heterogeneity);
    }

    [SkippableFact]
    public void TheTrainerResumesATorchRunFromItsCheckpointBitForBit()
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        var config = Cases.Config("local", "squared", "direct", "complete", true, "budget");
        var training = config.Training with { Steps = 60, CheckpointEvery = 20 };
        using var whole = new TorchTrainable(Cases.Model(config));
        var full = Trainer.Train(whole, training, _ => (1, 0, 0));

        using var first = new TorchTrainable(Cases.Model(config));
        TrainerCheckpoint? saved = null;
        double[][]? values = null;
        using var cts = new CancellationTokenSource();
        Trainer.Train(first, training, _ => (1, 0, 0), checkpoint: c =>
        {
            if (c.Step != 40) return;
            saved = c;
            values = first.Parameters().Select(p => p.ToArray()).ToArray();
            cts.Cancel();
        }, cancel: cts.Token);
        Assert.NotNull(saved);

        using var resumed = new TorchTrainable(Cases.Model(config));
        for (int k = 0; k < values!.Length; k++) resumed.Parameters()[k].Copy_(values[k]);
        var rest = Trainer.Train(resumed, training, _ => (1, 0, 0), resume: saved);
        Assert.Equal(full.Loss, rest.Loss);
    }

    [SkippableFact]
    public void ANonFiniteTorchGradientIsCaughtAndNamed()
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        var config = Cases.Config("system", "squared", "direct", "none", false, "budget");
        using var system = new TorchTrainable(Cases.Model(config));
        system.Model.Mu[3] = double.NaN;
        var e = Assert.Throws<NonFiniteException>(() => Trainer.Train(system, config.Training with { Steps = 5 }, _ => (1, 0, 0)));
        Assert.Contains("step 0", e.Message);
    }
}
