// `dps bench-step --backend torchsharp[-kernels]`: the same timed Adam steps as the managed bench, on the TorchSharp
// module (torch.optim.Adam, one DisposeScope per step), optionally with the engine's fused kernels inside the graph.
using System.Text.Json.Nodes;
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.TorchSharp;
using static TorchSharp.torch;

namespace DpsTorch.Cli;

internal static class TorchBench
{
    public static JsonObject Run(DpsConfig c, int steps, string caseName, bool managedKernels, int threads, TextWriter? log, int warmup = 1)
    {
        if (TorchRuntime.Unavailable is { } why) throw new InvalidOperationException(why);
        set_num_threads(threads);
        DpsTorch.TensorEngine.SetNumThreads(threads);
        var model = SystemBuilder.Create(c, 0);
        using var module = new DpsModule(model, c) { UseManagedKernels = managedKernels };
        var optimizer = optim.Adam(module.TrainableParameters(), lr: c.Training.Lr);
        var (times, lossFirst) = BenchStepCommand.TimeSteps(steps, log, s =>
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = module.Loss().Total;
            double value = BenchStepCommand.FiniteLoss(s, loss.item<double>());
            loss.backward();
            optimizer.step();
            return value;
        }, warmup: warmup);
        double lossLast;
        using (var scope = NewDisposeScope())
        using (no_grad()) lossLast = module.Loss().Total.item<double>();
        return BenchStepCommand.Result(caseName, managedKernels ? "torchsharp-kernels" : "torchsharp", model, times, lossFirst, lossLast, threads, warmup);
    }
}
