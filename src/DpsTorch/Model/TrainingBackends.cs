// The seam through which another tensor library computes a flat model's loss and gradients while the project's own
// Trainer keeps the optimizer, schedule, checkpoints, non-finite guard and measures (issue 17). The core knows backends
// only by name: an add-on (src/DpsTorch.TorchSharp) registers itself, the CLI calls that registration, and the core
// never references the add-on's packages.
using DpsTorch.Config;

namespace DpsTorch.Model;

/// <summary>
/// A system the one <see cref="Trainer"/> drives, flat (<see cref="DpsModel"/>, or a backend's wrapper of one) or nested
/// (<see cref="Nested.NestedSystem"/>): the parameters it updates (engine tensors: the optimizer, the checkpoints and the
/// guard read and write them), one evaluation of the loss that fills their gradients, and what the non-finite guard
/// checks after each update (σ and the resources).
/// </summary>
public interface ITrainableSystem
{
    /// <summary>The grid (for demand continuation).</summary>
    Space Space { get; }
    /// <summary>The demand frames the loss averages by default.</summary>
    IReadOnlyList<double[]> DemandFrames { get; }
    /// <summary>The trainable leaves the optimizer updates in place.</summary>
    IReadOnlyList<Tensor> Parameters();
    /// <summary>Names aligned with <see cref="Parameters"/> (used in error messages and checkpoints).</summary>
    IReadOnlyList<string> ParameterNames();
    /// <summary>
    /// The total loss and its coverage part at the parameters' current values for <paramref name="frames"/> (null: the
    /// system's own). With <paramref name="backward"/> the gradient of the total is added to each parameter's
    /// <see cref="Tensor.Grad"/>; without it nothing is recorded.
    /// </summary>
    (double Total, double Coverage) Evaluate(IReadOnlyList<double[]>? frames, bool backward);
    /// <summary>The (leaf) agents' breadths σ, which the guard checks after each update.</summary>
    Tensor Sigma();
    /// <summary>The (leaf) agents' resources a, which the guard checks after each update.</summary>
    Tensor Resources();
    /// <summary>True when a = softplus(α) with a budget penalty (names the resources formula in the guard's messages).</summary>
    bool SoftBudget { get; }
}

/// <summary>
/// Training backends (config key training.backend). "managed" is the engine itself; others are registered by
/// add-ons (DpsTorch.TorchSharp registers "torchsharp") with a factory that wraps a managed model: the wrapper keeps the
/// managed model's tensors as the parameters and computes loss and gradients its own way.
/// </summary>
public static class TrainingBackends
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<TrainingBackend, Func<DpsModel, TrainingConfig, ITrainableSystem>> Factories = new();
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<TrainingBackend, Action<TrainingConfig>> Checks = new();

    /// <summary>
    /// Registers (or replaces) the factory of backend <paramref name="backend"/>, and optionally a check that throws a
    /// <see cref="ConfigException"/> when this machine cannot run it (libtorch missing, no CUDA for "cuda").
    /// </summary>
    public static void Register(TrainingBackend backend, Func<DpsModel, TrainingConfig, ITrainableSystem> factory, Action<TrainingConfig>? check = null)
    {
        if (backend == TrainingBackend.Managed) throw new ArgumentException("The managed backend is built in; it cannot be replaced.", nameof(backend));
        Choices.Check("training.backend", backend);
        Factories[backend] = factory;
        if (check is not null) Checks[backend] = check;
    }

    /// <summary>
    /// Fails early, before a run touches its output folder, when training.backend / training.device cannot run here:
    /// an unregistered backend, or the backend's own check.
    /// </summary>
    public static void Check(TrainingConfig training)
    {
        if (training.Backend == TrainingBackend.Managed) return;
        if (!Factories.ContainsKey(training.Backend)) throw Unregistered(training.Backend);
        if (Checks.TryGetValue(training.Backend, out var check)) check(training);
    }

    private static ConfigException Unregistered(TrainingBackend backend)
    {
        Choices.Check("training.backend", backend);
        return ConfigException.Invalid("training.backend", Choices.Name(backend),
            $"\"{Choices.Name(TrainingBackend.Managed)}\" here: the \"{Choices.Name(backend)}\" backend is an add-on this program was built without (the dps CLI includes DpsTorch.TorchSharp)");
    }

    /// <summary>Whether <paramref name="backend"/> can be used in this process.</summary>
    public static bool IsAvailable(TrainingBackend backend) => backend == TrainingBackend.Managed || Factories.ContainsKey(backend);

    /// <summary>
    /// The system the trainer drives for <paramref name="model"/> under training.backend: the model itself for
    /// "managed", else the registered wrapper. An unregistered backend is a <see cref="ConfigException"/> naming
    /// the key and what is needed.
    /// </summary>
    public static ITrainableSystem For(DpsModel model, TrainingConfig training)
    {
        if (training.Backend == TrainingBackend.Managed) return model;
        if (Factories.TryGetValue(training.Backend, out var make)) return make(model, training);
        throw Unregistered(training.Backend);
    }
}
