// Sgd: stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay, as torch.optim.SGD.
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DpsTorch.Optim;

/// <summary>
/// Gradient descent with momentum, the same update as torch.optim.SGD (dampening 0). Per parameter p with gradient g:
/// <code>
/// g ← g + λ·p                       (weight decay λ, if λ ≠ 0)
/// b ← μ·b + g                       (momentum μ, if μ ≠ 0; b starts at 0, so b₁ = g₁)
/// g ← g + μ·b  (Nesterov)  or  g ← b
/// p ← p − lr·g
/// </code>
/// </summary>
public sealed class Sgd : Optimizer
{
    private static readonly string[] BufferNames = ["momentum_buffer"];
    private double _momentum, _weightDecay;
    private bool _nesterov;
    private readonly double[][] _momentumBuffers;
    private readonly double[][] _scratch;

    /// <summary>Creates SGD over <paramref name="parameters"/> (leaves with RequiresGrad).</summary>
    /// <param name="parameters">The tensors to update.</param>
    /// <param name="lr">Learning rate (finite, >= 0).</param>
    /// <param name="momentum">Momentum factor μ in [0, 1).</param>
    /// <param name="nesterov">Use Nesterov momentum (needs μ &gt; 0).</param>
    /// <param name="weightDecay">L2 penalty λ >= 0 added to the gradient.</param>
    public Sgd(IReadOnlyList<Tensor> parameters, double lr, double momentum = 0, bool nesterov = false, double weightDecay = 0)
        : base(parameters, lr)
    {
        Validate(momentum, nesterov, weightDecay, (m, msg) => new ArgumentOutOfRangeException(m, msg));
        (_momentum, _nesterov, _weightDecay) = (momentum, nesterov, weightDecay);
        _momentumBuffers = new double[Parameters.Count][];
        _scratch = new double[Parameters.Count][];
        for (int i = 0; i < Parameters.Count; i++)
        {
            _momentumBuffers[i] = new double[Parameters[i].Numel];
            _scratch[i] = new double[Parameters[i].Numel];
        }
    }

    /// <inheritdoc/>
    public override string Kind => "sgd";

    /// <summary>Momentum factor μ.</summary>
    public double Momentum => _momentum;

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov => _nesterov;

    /// <summary>L2 weight decay λ.</summary>
    public double WeightDecay => _weightDecay;

    /// <inheritdoc/>
    public override void Step()
    {
        double lr = LearningRate;
        for (int i = 0; i < Parameters.Count; i++)
        {
            var gData = GradData(i);
            if (gData is null) continue;
            var p = Parameters[i].Storage;
            ReadOnlySpan<double> g = gData;
            var work = _scratch[i];
            if (_weightDecay != 0) { TP.MultiplyAdd(p, _weightDecay, g, work); g = work; }
            if (_momentum != 0)
            {
                var b = _momentumBuffers[i];
                TP.MultiplyAdd(b, _momentum, g, b);
                if (_nesterov) { TP.MultiplyAdd(b, _momentum, g, work); g = work; }
                else g = b;
            }
            TP.MultiplyAdd(g, -lr, p, p);
        }
        StepCount++;
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> ParameterBufferNames => BufferNames;

    /// <inheritdoc/>
    protected override double[] ParameterBuffer(string name, int index) => _momentumBuffers[index];

    /// <inheritdoc/>
    protected override void WriteHyperParameters(Dictionary<string, double> hyper)
    {
        hyper["momentum"] = _momentum;
        hyper["nesterov"] = _nesterov ? 1 : 0;
        hyper["weight_decay"] = _weightDecay;
    }

    /// <inheritdoc/>
    protected override Action PrepareLoad(OptimizerState state)
    {
        double momentum = RequireHyperParameter(state, "momentum");
        double nesterovFlag = RequireHyperParameter(state, "nesterov");
        double weightDecay = RequireHyperParameter(state, "weight_decay");
        if (nesterovFlag is not (0 or 1))
            throw new ArgumentException($"sgd: hyper-parameter 'nesterov' must be 0 or 1, got {nesterovFlag}.", nameof(state));
        Validate(momentum, nesterovFlag == 1, weightDecay, (m, msg) => new ArgumentException(msg, nameof(state)));
        return () => (_momentum, _nesterov, _weightDecay) = (momentum, nesterovFlag == 1, weightDecay);
    }

    private static void Validate(double momentum, bool nesterov, double weightDecay, Func<string, string, Exception> error)
    {
        if (!(momentum >= 0 && momentum < 1))
            throw error("momentum", $"sgd: momentum must be in [0, 1), got {momentum}.");
        if (nesterov && momentum == 0)
            throw error("nesterov", "sgd: Nesterov momentum needs momentum > 0.");
        if (!(weightDecay >= 0) || !double.IsFinite(weightDecay))
            throw error("weightDecay", $"sgd: weight_decay must be finite and >= 0, got {weightDecay}.");
    }
}
