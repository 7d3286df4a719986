// OptimizerState: the serialisable snapshot of an optimizer (kind, step count, hyper-parameters, buffers)
// that Optimizer.GetState/LoadState exchange and IO/ParameterState writes to checkpoints.
namespace DpsTorch.Optim;

/// <summary>
/// A deep-copied snapshot of an optimizer, enough to resume it bit-identically.
/// Names follow torch.optim's state_dict where one exists (<c>exp_avg</c>, <c>momentum_buffer</c>, <c>lr</c>).
/// </summary>
/// <param name="Kind">The optimizer kind: <c>"sgd"</c>, <c>"adam"</c> or <c>"lbfgs"</c>.</param>
/// <param name="StepCount">Number of <see cref="Optimizer.Step()"/> calls taken so far.</param>
/// <param name="HyperParameters">Hyper-parameters by torch name (<c>lr</c>, <c>beta1</c>, ...); flags are stored as 0 or 1.</param>
/// <param name="ParameterBuffers">One dictionary per parameter, in parameter order: buffer name to values (length = the parameter's element count).</param>
/// <param name="GlobalBuffers">Buffers that span all parameters (L-BFGS history); empty for per-parameter optimizers.</param>
public sealed record OptimizerState(
    string Kind,
    long StepCount,
    IReadOnlyDictionary<string, double> HyperParameters,
    IReadOnlyList<IReadOnlyDictionary<string, double[]>> ParameterBuffers,
    IReadOnlyDictionary<string, double[]> GlobalBuffers);
