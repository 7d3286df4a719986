// The project's own Trainer driving a TorchSharp model (issue 17): the engine model keeps the parameters (so the
// optimizer, schedule, checkpoints, non-finite guard, back-off and measures are exactly those of a managed run), and
// each evaluation copies them into the DpsModule, builds the loss with torch ops inside a DisposeScope, runs
// libtorch's backward, and hands the gradients back as engine tensors.
using DpsTorch.Config;
using DpsTorch.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace DpsTorch.TorchSharp;

/// <summary>An engine model whose loss and gradients libtorch computes.</summary>
public sealed class TorchTrainable : ITrainableSystem, IDisposable
{
    /// <summary>The engine model: its parameters are the ones trained; measures read it.</summary>
    public DpsModel Model { get; }
    /// <summary>The torch twin that computes the loss.</summary>
    public DpsModule Module { get; }

    /// <summary>Wraps <paramref name="model"/>; the torch twin lives on <paramref name="device"/> (default CPU).</summary>
    public TorchTrainable(DpsModel model, Device? device = null)
    {
        Model = model;
        Module = new DpsModule(model);
        if (device is not null && device.type != global::TorchSharp.DeviceType.CPU) Module.to(device);
    }

    /// <inheritdoc/>
    public DpsTorch.Tensor Sigma() => Model.Sigma();
    /// <inheritdoc/>
    public DpsTorch.Tensor Resources() => Model.Resources();
    /// <inheritdoc/>
    public bool SoftBudget => Model.SoftBudget;
    /// <inheritdoc/>
    public Space Space => Model.Space;
    /// <inheritdoc/>
    public IReadOnlyList<double[]> DemandFrames => Model.DemandFrames;
    /// <inheritdoc/>
    public IReadOnlyList<DpsTorch.Tensor> Parameters() => Model.Parameters();
    /// <inheritdoc/>
    public IReadOnlyList<string> ParameterNames() => Model.ParameterNames();

    /// <inheritdoc/>
    public (double Total, double Coverage) Evaluate(IReadOnlyList<double[]>? frames, bool backward)
    {
        using var scope = NewDisposeScope();
        Module.CopyFrom(Model);
        if (!backward)
        {
            using var _ = no_grad();
            var p = Module.Loss(frames);
            return (p.Total.item<double>(), p.Coverage.item<double>());
        }
        var ps = Module.TrainableParameters();
        foreach (var p in ps) p.grad = null;
        var parts = Module.Loss(frames);
        parts.Total.backward();
        var engine = Model.Parameters();
        for (int k = 0; k < ps.Count; k++)
        {
            var g = ps[k].grad;
            if (g is null) continue;
            var values = Interop.Values(g);
            if (engine[k].Grad is { } existing) for (int i = 0; i < values.Length; i++) values[i] += existing.Data[i];
            engine[k].Grad = DpsTorch.Tensor.FromArray(values, engine[k].Shape);
            ps[k].grad = null;
        }
        return (parts.Total.item<double>(), parts.Coverage.item<double>());
    }

    /// <summary>Releases the torch tensors.</summary>
    public void Dispose() => Module.Dispose();
}

/// <summary>Registers the "torchsharp" training backend with the core (<see cref="TrainingBackends"/>).</summary>
public static class TorchBackend
{
    /// <summary>The config name of this backend (training.backend).</summary>
    public static string Name => Choices.Name(TrainingBackend.Torchsharp);

    /// <summary>
    /// Makes training.backend "torchsharp" available to Experiment.Run (dps run, dps sweep). Loading libtorch is deferred
    /// to the first run that asks for it; a machine where it cannot load gets a one-line error naming what is missing.
    /// </summary>
    public static void Register() => TrainingBackends.Register(TrainingBackend.Torchsharp, (model, training) => new TorchTrainable(model, DeviceFor(training)), t => DeviceFor(t));

    /// <summary>The device of training.device; a one-line <see cref="ConfigException"/> when libtorch cannot load or has no such device.</summary>
    public static Device DeviceFor(TrainingConfig training)
    {
        if (TorchRuntime.Unavailable is { } why) throw new ConfigException("training.backend", $"\"{Name}\" cannot be used here: {why}");
        try { return TorchRuntime.ParseDevice(training.Device); }
        catch (ArgumentException e) { throw new ConfigException("training.device", e.Message.Replace("training.device: ", "")); }
    }
}
