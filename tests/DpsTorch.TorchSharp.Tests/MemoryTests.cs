using DpsTorch.Model;
using static TorchSharp.torch;
using TorchTensor = TorchSharp.torch.Tensor;

namespace DpsTorch.TorchSharp.Tests;

/// <summary>No tensor leaks per step: the live-tensor count stays flat over many steps of both training paths.</summary>
[Collection("live tensor count")]
public class MemoryTests
{
    private static DpsModule Module()
    {
        var config = Cases.Config("system", "both", "power", "ring", true, "soft");
        return new DpsModule(Cases.Model(config), config);
    }

    [SkippableFact]
    public void TorchAdamStepsKeepTheLiveTensorCountFlat()
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        using var module = Module();
        TorchTraining.Adam(module, 5);
        long before = TorchTensor.TotalCount;
        TorchTraining.Adam(module, 80);
        long after = TorchTensor.TotalCount;
        // The optimizer's own state (2 buffers per parameter) is allocated anew per call; nothing grows with the steps.
        Assert.True(after - before <= 16, $"live tensors grew by {after - before} over 80 steps");
    }

    [SkippableFact]
    public void TheProjectTrainerOnTorchKeepsTheLiveTensorCountFlat()
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        var config = Cases.Config("local", "squared", "communicability", "random", true, "budget");
        using var system = new TorchTrainable(Cases.Model(config));
        var training = config.Training with { Steps = 5 };
        Trainer.Train(system, training, _ => (1, 0, 0));
        long before = TorchTensor.TotalCount;
        Trainer.Train(system, training with { Steps = 80 }, _ => (1, 0, 0));
        long after = TorchTensor.TotalCount;
        Assert.True(after - before <= 4, $"live tensors grew by {after - before} over 80 steps");
    }

    /// <summary>The control: the same loop without a DisposeScope does leak, so the count above can fail.</summary>
    [SkippableFact]
    public void WithoutADisposeScopeTheCountGrows()
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        using var module = Module();
        long before = TorchTensor.TotalCount;
        using (var outer = NewDisposeScope())
        {
            var optimizer = optim.Adam(module.TrainableParameters(), lr: 0.02);
            for (int step = 0; step < 10; step++)
            {
                optimizer.zero_grad();
                module.Loss().Total.backward();
                optimizer.step();
            }
            long inside = TorchTensor.TotalCount;
            Assert.True(inside - before >= 10 * 20, $"only {inside - before} tensors over 10 unscoped steps");
        }
    }
}

/// <summary>The live-tensor count is process-wide: these tests run alone, after the parallel ones.</summary>
[CollectionDefinition("live tensor count", DisableParallelization = true)]
public class LiveTensorCountCollection;
