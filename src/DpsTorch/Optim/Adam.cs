// Adam and AdamW: the bias-corrected update of torch.optim.Adam / torch.optim.AdamW, written with TensorPrimitives.
using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DpsTorch.Optim;

/// <summary>
/// Adam (Kingma &amp; Ba) with optional L2 or decoupled (AdamW) weight decay, the same arithmetic as
/// torch.optim.Adam (amsgrad off, maximize off). At step t = 1, 2, ... for each parameter p with gradient g:
/// <code>
/// g ← g + λ·p                                 (L2 weight decay,  decoupledWeightDecay = false)
/// p ← p · (1 − lr·λ)                          (AdamW decay,      decoupledWeightDecay = true)
/// m ← m + (1 − β₁)·(g − m)                    (= β₁·m + (1 − β₁)·g, written as torch's lerp)
/// v ← β₂·v + (1 − β₂)·g²
/// p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// </code>
/// m and v start at zero; t is <see cref="Optimizer.StepCount"/> after the increment. Defaults follow MODEL.md §2
/// (lr = 0.02) and PyTorch (β₁ = 0.9, β₂ = 0.999, ε = 1e-8). One step count is shared by all parameters (torch keeps
/// one per parameter; they differ only if a parameter has no gradient at some step).
/// </summary>
public sealed class Adam : Optimizer
{
    private static readonly string[] BufferNames = ["exp_avg", "exp_avg_sq"];
    private double _beta1, _beta2, _eps, _weightDecay;
    private bool _decoupled;
    private readonly double[][] _expAvg, _expAvgSq, _scratch2;

    /// <summary>Creates Adam (or AdamW with <paramref name="decoupledWeightDecay"/>) over leaves with RequiresGrad.</summary>
    /// <param name="parameters">The tensors to update.</param>
    /// <param name="lr">Learning rate (finite, >= 0); 0.02 is the model's default.</param>
    /// <param name="beta1">Decay of the first-moment average, in [0, 1).</param>
    /// <param name="beta2">Decay of the second-moment average, in [0, 1).</param>
    /// <param name="eps">Added to the denominator, >= 0.</param>
    /// <param name="weightDecay">Weight decay λ >= 0.</param>
    /// <param name="decoupledWeightDecay">False: λ·p is added to the gradient (Adam's L2). True: p is shrunk by lr·λ directly (AdamW).</param>
    public Adam(IReadOnlyList<Tensor> parameters, double lr = 0.02, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weightDecay = 0, bool decoupledWeightDecay = false)
        : base(parameters, lr)
    {
        Validate(beta1, beta2, eps, weightDecay, (arg, msg) => new ArgumentOutOfRangeException(arg, msg));
        (_beta1, _beta2, _eps, _weightDecay, _decoupled) = (beta1, beta2, eps, weightDecay, decoupledWeightDecay);
        int n = Parameters.Count;
        (_expAvg, _expAvgSq, _scratch2) = (new double[n][], new double[n][], new double[n][]);
        for (int i = 0; i < n; i++)
        {
            int len = Parameters[i].Numel;
            (_expAvg[i], _expAvgSq[i], _scratch2[i]) = (new double[len], new double[len], new double[len]);
        }
    }

    /// <inheritdoc/>
    public override string Kind => "adam";

    /// <summary>β₁.</summary>
    public double Beta1 => _beta1;

    /// <summary>β₂.</summary>
    public double Beta2 => _beta2;

    /// <summary>ε.</summary>
    public double Eps => _eps;

    /// <summary>Weight decay λ.</summary>
    public double WeightDecay => _weightDecay;

    /// <summary>True for AdamW's decoupled decay, false for L2 decay through the gradient.</summary>
    public bool DecoupledWeightDecay => _decoupled;

    /// <inheritdoc/>
    public override void Step()
    {
        StepCount++;
        double lr = LearningRate;
        double biasCorrection1 = 1 - Math.Pow(_beta1, StepCount);
        double biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(_beta2, StepCount));
        double stepSize = lr / biasCorrection1;
        for (int i = 0; i < Parameters.Count; i++)
        {
            var gData = GradData(i);
            if (gData is null) continue;
            var p = Parameters[i].Storage;
            var (m, v) = (_expAvg[i], _expAvgSq[i]);
            var g = gData;
            if (_weightDecay != 0)
            {
                if (_decoupled) TP.Multiply(p, 1 - lr * _weightDecay, p);
                else { TP.MultiplyAdd(p, _weightDecay, g, _scratch2[i]); g = _scratch2[i]; }
            }
            if (p.Length < ParallelLength) Update(p, g, m, v, _beta1, _beta2, biasCorrection2Sqrt, _eps, stepSize);
            else
            {
                // Elementwise, so ranges on several threads give the same bits (a learned N = 2048 topology: 2 M edges).
                double b1 = _beta1, b2 = _beta2, eps = _eps;
                TensorEngine.ParallelRanges(p.Length, (s, e) =>
                    Update(p.AsSpan(s, e - s), g.AsSpan(s, e - s), m.AsSpan(s, e - s), v.AsSpan(s, e - s), b1, b2, biasCorrection2Sqrt, eps, stepSize),
                    ParallelLength / 2);
            }
        }
    }

    /// <summary>Parameters of at least this many elements are updated on the engine's threads.</summary>
    private const int ParallelLength = 1 << 16;

    /// <summary>
    /// The moment and parameter update of one parameter in one pass over its four vectors (one read and write of each
    /// instead of ten passes: at a learned N = 2048 topology that is 2 M edges, 16 MB per vector). Each element gets the
    /// same correctly rounded operations in the same order as the elementwise form (separate multiply and add, never
    /// fused), so results are bitwise those of
    /// <code>
    /// t = g − m; m = t·(1 − β₁) + m; t = g·g; v = v·β₂; v = t·(1 − β₂) + v;
    /// d = √v / √(1 − β₂ᵗ) + ε; p = (m / d)·(−stepSize) + p
    /// </code>
    /// </summary>
    internal static void Update(Span<double> p, ReadOnlySpan<double> g, Span<double> m, Span<double> v,
        double beta1, double beta2, double biasCorrection2Sqrt, double eps, double stepSize)
    {
        double c1 = 1 - beta1, c2 = 1 - beta2, step = -stepSize;
        int n = p.Length, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int width = Vector<double>.Count;
            Vector<double> vc1 = new(c1), vc2 = new(c2), vb2 = new(beta2), vbc = new(biasCorrection2Sqrt), veps = new(eps), vstep = new(step);
            for (; i <= n - width; i += width)
            {
                var gi = new Vector<double>(g.Slice(i));
                var mi = new Vector<double>(m.Slice(i));
                var vi = new Vector<double>(v.Slice(i));
                mi = (gi - mi) * vc1 + mi;
                vi = gi * gi * vc2 + vi * vb2;
                var d = Vector.SquareRoot(vi) / vbc + veps;
                (mi / d * vstep + new Vector<double>(p.Slice(i))).CopyTo(p.Slice(i));
                mi.CopyTo(m.Slice(i));
                vi.CopyTo(v.Slice(i));
            }
        }
        for (; i < n; i++)
        {
            double gi = g[i];
            double mi = (gi - m[i]) * c1 + m[i];
            double vi = gi * gi * c2 + v[i] * beta2;
            m[i] = mi;
            v[i] = vi;
            p[i] = mi / (Math.Sqrt(vi) / biasCorrection2Sqrt + eps) * step + p[i];
        }
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<string> ParameterBufferNames => BufferNames;

    /// <inheritdoc/>
    protected override double[] ParameterBuffer(string name, int index) => name == "exp_avg" ? _expAvg[index] : _expAvgSq[index];

    /// <inheritdoc/>
    protected override void WriteHyperParameters(Dictionary<string, double> hyper)
    {
        hyper["beta1"] = _beta1;
        hyper["beta2"] = _beta2;
        hyper["eps"] = _eps;
        hyper["weight_decay"] = _weightDecay;
        hyper["decoupled_weight_decay"] = _decoupled ? 1 : 0;
    }

    /// <inheritdoc/>
    protected override Action PrepareLoad(OptimizerState state)
    {
        double b1 = RequireHyperParameter(state, "beta1"), b2 = RequireHyperParameter(state, "beta2");
        double eps = RequireHyperParameter(state, "eps"), wd = RequireHyperParameter(state, "weight_decay");
        double decoupled = RequireHyperParameter(state, "decoupled_weight_decay");
        if (decoupled is not (0 or 1))
            throw new ArgumentException($"adam: hyper-parameter 'decoupled_weight_decay' must be 0 or 1, got {decoupled}.", nameof(state));
        Validate(b1, b2, eps, wd, (arg, msg) => new ArgumentException(msg, nameof(state)));
        return () => (_beta1, _beta2, _eps, _weightDecay, _decoupled) = (b1, b2, eps, wd, decoupled == 1);
    }

    private static void Validate(double beta1, double beta2, double eps, double weightDecay, Func<string, string, Exception> error)
    {
        if (!(beta1 >= 0 && beta1 < 1)) throw error("beta1", $"adam: beta1 must be in [0, 1), got {beta1}.");
        if (!(beta2 >= 0 && beta2 < 1)) throw error("beta2", $"adam: beta2 must be in [0, 1), got {beta2}.");
        if (!(eps >= 0) || !double.IsFinite(eps)) throw error("eps", $"adam: eps must be finite and >= 0, got {eps}.");
        if (!(weightDecay >= 0) || !double.IsFinite(weightDecay))
            throw error("weightDecay", $"adam: weight_decay must be finite and >= 0, got {weightDecay}.");
    }
}
