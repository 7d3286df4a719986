// Optimizer: the base of Sgd, Adam and Lbfgs: the parameter list, ZeroGrad, the learning rate and
// checkpoint export/import (GetState/LoadState), validated before anything is changed. Optimisers sit inside the
// engine's boundary: like torch.optim's updates under no_grad, they write the parameters' internal storage
// (Tensor.Storage) in place, on the hot path without a copy; everything above the engine writes through Copy_/Fill_.
namespace DpsTorch.Optim;

/// <summary>
/// Base class of gradient-based optimizers (like torch.optim.Optimizer, one parameter group).
/// Typical loop: <c>opt.ZeroGrad(); loss.Backward(); opt.Step();</c>. Updates write the parameters' storage in place.
/// Parameters whose <see cref="Tensor.Grad"/> is null at a step are skipped, as in PyTorch.
/// </summary>
public abstract class Optimizer
{
    private readonly Tensor[] _parameters;
    private double _learningRate;

    /// <summary>Checks the parameters (non-empty, distinct leaves that require gradients) and the learning rate.</summary>
    protected Optimizer(IReadOnlyList<Tensor> parameters, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Count == 0)
            throw new ArgumentException($"{Kind}: the parameter list is empty; pass at least one tensor with RequiresGrad = true.", nameof(parameters));
        _parameters = new Tensor[parameters.Count];
        var seen = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i] ?? throw new ArgumentException($"{Kind}: parameter {i} is null.", nameof(parameters));
            if (!p.IsLeaf)
                throw new ArgumentException($"{Kind}: parameter {i} (shape {Shapes.Format(p.ShapeRef)}) is not a leaf (it was made by '{p.GradFn}'); optimize the leaf tensors it was computed from.", nameof(parameters));
            if (!p.RequiresGrad)
                throw new ArgumentException($"{Kind}: parameter {i} (shape {Shapes.Format(p.ShapeRef)}) does not require grad; set RequiresGrad = true on it or leave it out.", nameof(parameters));
            if (!seen.TryAdd(p, i))
                throw new ArgumentException($"{Kind}: parameter {i} is the same tensor as parameter {seen[p]}; pass each tensor once.", nameof(parameters));
            _parameters[i] = p;
        }
        LearningRate = learningRate;
    }

    /// <summary>The optimizer kind as stored in <see cref="OptimizerState.Kind"/> (<c>"sgd"</c>, <c>"adam"</c>, <c>"lbfgs"</c>).</summary>
    public abstract string Kind { get; }

    /// <summary>The parameters being optimized, in the order given.</summary>
    public IReadOnlyList<Tensor> Parameters => _parameters;

    /// <summary>The learning rate (finite, >= 0). Schedules set it before each step.</summary>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (!double.IsFinite(value) || value < 0)
                throw new ArgumentOutOfRangeException(nameof(LearningRate), value, $"{Kind}: the learning rate must be finite and >= 0.");
            _learningRate = value;
        }
    }

    /// <summary>Number of <see cref="Step()"/> calls taken (restored by <see cref="LoadState"/>).</summary>
    public long StepCount { get; protected set; }

    /// <summary>Clears every parameter's gradient (sets it to null, like zero_grad(set_to_none=True)).</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.ZeroGrad();
    }

    /// <summary>Updates the parameters from their current gradients.</summary>
    public abstract void Step();

    /// <summary>A deep copy of the optimizer's state, for checkpoints (see IO/ParameterState).</summary>
    public OptimizerState GetState()
    {
        var hyper = new Dictionary<string, double> { ["lr"] = LearningRate };
        WriteHyperParameters(hyper);
        var perParam = new IReadOnlyDictionary<string, double[]>[_parameters.Length];
        for (int i = 0; i < _parameters.Length; i++)
        {
            var d = new Dictionary<string, double[]>();
            foreach (var name in ParameterBufferNames) d[name] = (double[])ParameterBuffer(name, i).Clone();
            perParam[i] = d;
        }
        var global = new Dictionary<string, double[]>();
        WriteGlobalBuffers(global);
        return new OptimizerState(Kind, StepCount, hyper, perParam, global);
    }

    /// <summary>
    /// The first NaN or infinite entry of the optimizer's own state (hyper-parameters, per-parameter buffers such as
    /// Adam's <c>exp_avg_sq</c>, global buffers), described as "adam's buffer 'exp_avg_sq' of parameter mu[3] is
    /// Infinity"; null when every entry is finite. Such a state cannot be checkpointed and stalls or poisons training
    /// even while the parameters stay finite (Adam's squared gradients overflow long before the gradients do).
    /// <paramref name="parameterNames"/>, when given, names the parameters instead of their indices.
    /// </summary>
    public string? FirstNonFinite(IReadOnlyList<string>? parameterNames = null)
    {
        var hyper = new Dictionary<string, double> { ["lr"] = LearningRate };
        WriteHyperParameters(hyper);
        foreach (var (name, v) in hyper)
            if (!double.IsFinite(v)) return $"{Kind}'s hyper-parameter '{name}' is {v}";
        for (int i = 0; i < _parameters.Length; i++)
            foreach (var name in ParameterBufferNames)
            {
                var b = ParameterBuffer(name, i);
                for (int j = 0; j < b.Length; j++)
                    if (!double.IsFinite(b[j]))
                        return $"{Kind}'s buffer '{name}' of parameter {(parameterNames is null ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) : parameterNames[i])}[{j}] is {b[j]}";
            }
        var global = new Dictionary<string, double[]>();
        WriteGlobalBuffers(global);
        foreach (var (name, b) in global)
            for (int j = 0; j < b.Length; j++)
                if (!double.IsFinite(b[j])) return $"{Kind}'s buffer '{name}'[{j}] is {b[j]}";
        return null;
    }

    /// <summary>
    /// Restores a state from <see cref="GetState"/> (hyper-parameters included, as torch's load_state_dict does).
    /// Everything is validated first (kind, parameter count, each buffer's presence and length, hyper-parameters);
    /// on an error nothing has changed and the message names the offending field.
    /// </summary>
    public void LoadState(OptimizerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Kind != Kind)
            throw new ArgumentException($"{Kind}: cannot load a state of kind '{state.Kind}' into a '{Kind}' optimizer.", nameof(state));
        if (state.StepCount < 0)
            throw new ArgumentException($"{Kind}: state StepCount must be >= 0, got {state.StepCount}.", nameof(state));
        if (state.ParameterBuffers is null || state.ParameterBuffers.Count != _parameters.Length)
            throw new ArgumentException($"{Kind}: the state has buffers for {state.ParameterBuffers?.Count ?? 0} parameters but this optimizer has {_parameters.Length}.", nameof(state));
        if (state.HyperParameters is null)
            throw new ArgumentException($"{Kind}: the state has no hyper-parameters.", nameof(state));
        double lr = RequireHyperParameter(state, "lr");
        if (!double.IsFinite(lr) || lr < 0)
            throw new ArgumentException($"{Kind}: hyper-parameter 'lr' must be finite and >= 0, got {lr}.", nameof(state));
        for (int i = 0; i < _parameters.Length; i++)
        {
            var buffers = state.ParameterBuffers[i];
            foreach (var name in ParameterBufferNames)
            {
                if (buffers is null || !buffers.TryGetValue(name, out var values) || values is null)
                    throw new ArgumentException($"{Kind}: the state has no buffer '{name}' for parameter {i}.", nameof(state));
                if (values.Length != _parameters[i].Numel)
                    throw new ArgumentException($"{Kind}: buffer '{name}' of parameter {i} has {values.Length} values but the parameter (shape {Shapes.Format(_parameters[i].ShapeRef)}) has {_parameters[i].Numel}.", nameof(state));
            }
        }
        var commit = PrepareLoad(state);

        LearningRate = lr;
        StepCount = state.StepCount;
        for (int i = 0; i < _parameters.Length; i++)
            foreach (var name in ParameterBufferNames)
                state.ParameterBuffers[i][name].CopyTo(ParameterBuffer(name, i), 0);
        commit();
    }

    /// <summary>Names of the per-parameter buffers (each as long as its parameter).</summary>
    protected virtual IReadOnlyList<string> ParameterBufferNames => [];

    /// <summary>The live buffer <paramref name="name"/> of parameter <paramref name="index"/>.</summary>
    protected virtual double[] ParameterBuffer(string name, int index)
        => throw new InvalidOperationException($"{Kind}: no parameter buffer '{name}'.");

    /// <summary>Adds hyper-parameters other than <c>lr</c> to the state.</summary>
    protected virtual void WriteHyperParameters(Dictionary<string, double> hyper) { }

    /// <summary>Adds buffers that span all parameters to the state.</summary>
    protected virtual void WriteGlobalBuffers(Dictionary<string, double[]> buffers) { }

    /// <summary>
    /// Validates the optimizer-specific part of <paramref name="state"/> (hyper-parameters, global buffers) without
    /// changing anything, and returns the action that applies it.
    /// </summary>
    protected virtual Action PrepareLoad(OptimizerState state) => () => { };

    /// <summary>A hyper-parameter the state must contain, or an error naming it.</summary>
    protected double RequireHyperParameter(OptimizerState state, string name)
    {
        if (!state.HyperParameters.TryGetValue(name, out var v))
            throw new ArgumentException($"{Kind}: the state has no hyper-parameter '{name}'.", nameof(state));
        return v;
    }

    /// <summary>The live gradient storage of parameter <paramref name="index"/>, or null when it has none.</summary>
    protected double[]? GradData(int index) => _parameters[index].GradStorage;
}
