// The flat DPS (MODEL.md sections 1-2) as a TorchSharp module: μ, ρ, α (and θ of a learned topology) are torch
// parameters, the loss is built from torch ops, and libtorch's autograd differentiates it. The structure (grid,
// demand, graph, objective, propagation) comes from an engine DpsModel, so a module is built from the same inputs as
// the managed engine: a config (SystemBuilder.Create), a saved model.json (SystemBuilder.FromState), or a model.
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;
using TT = TorchSharp.torch.Tensor;

namespace DpsTorch.TorchSharp;

/// <summary>The parts of a torch loss, as <see cref="LossParts"/> of the engine.</summary>
public sealed record TorchLossParts(TT Total, TT Coverage, TT Communication, TT Budget, TT Breadth);

/// <summary>
/// A distributed production system as a TorchSharp <c>nn.Module</c>. Parameters (state-dict keys): <c>mu</c>,
/// <c>rho</c>, <c>alpha</c>, and <c>q.theta</c> when the topology is learned; buffers: <c>grid</c>, <c>demand</c> and
/// the graph's edges and costs. <see cref="Loss"/> is the engine's <see cref="DpsModel.Loss"/> in torch ops;
/// <see cref="LossOf"/> takes the parameters as arguments, so another network can emit them.
/// </summary>
public sealed class DpsModule : nn.Module
{
    private readonly DpsModel _template;

#pragma warning disable IDE1006
    private Parameter mu, rho, alpha;
    private TT grid, demand;
    private TorchInteraction q;
#pragma warning restore IDE1006

    /// <summary>The config the module was built from (used by <see cref="SaveModelJson"/>), or null.</summary>
    public DpsConfig? Config { get; }
    /// <summary>Number of agents.</summary>
    public int N { get; }
    /// <summary>Grid spacing Δ.</summary>
    public double Delta { get; }
    /// <summary>The objective and penalties.</summary>
    public ObjectiveConfig Objective => _template.Objective;
    /// <summary>The interaction graph.</summary>
    public TorchInteraction Interaction => q;

    /// <summary>
    /// Compute the skills (and, for the direct propagation, the system mixture or the pooled squared error) with the
    /// managed engine's fused kernels wrapped as torch autograd functions (<see cref="ManagedKernels"/>) instead of
    /// libtorch ops. CPU only. Default false.
    /// </summary>
    public bool UseManagedKernels { get; set; }

    private readonly double[] _gridValues;

    /// <summary>The torch twin of <paramref name="model"/>: its structure, and its current parameter values copied.</summary>
    public DpsModule(DpsModel model, DpsConfig? config = null) : base("dps")
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.FixedResources || model.Objective.Kind == ObjectiveKind.LocalShare)
            throw new NotSupportedException("DpsModule: agents.resources \"fixed-equal\" and objective.kind \"local-share\" are implemented by the managed engine only.");
        TorchRuntime.EnsureAvailable();
        _template = model;
        Config = config;
        N = model.N;
        Delta = model.Space.Delta;
        mu = new Parameter(tensor(model.Mu.ToArray(), dtype: ScalarType.Float64));
        rho = new Parameter(tensor(model.Rho.ToArray(), dtype: ScalarType.Float64));
        alpha = new Parameter(tensor(model.Alpha.ToArray(), dtype: ScalarType.Float64));
        _gridValues = model.Space.Grid.ToArray();
        grid = tensor(_gridValues, dtype: ScalarType.Float64);
        demand = Frames(model.DemandFrames, CPU);
        q = new TorchInteraction(model.Interaction);
        RegisterComponents();
    }

    /// <summary>Restart <paramref name="restart"/> of a config (the same initial state as the managed engine's).</summary>
    public static DpsModule FromConfig(DpsConfig config, int restart = 0) => new(SystemBuilder.Create(config, restart), config);

    /// <summary>The system a saved model.json describes (written by either backend).</summary>
    public static DpsModule FromModelFile(string path)
    {
        var state = ModelState.Load(path);
        return new DpsModule(state.ToModel(), state.Config);
    }

    /// <summary>Locations μ.</summary>
    public Parameter Mu => mu;
    /// <summary>Breadth logits ρ.</summary>
    public Parameter Rho => rho;
    /// <summary>Resource logits α.</summary>
    public Parameter Alpha => alpha;
    /// <summary>θ of a learned topology, else null.</summary>
    public Parameter? Theta => q.Theta;

    /// <summary>The trainable parameters in the engine's order: μ, ρ, α, then θ when learned.</summary>
    public IReadOnlyList<Parameter> TrainableParameters() => Theta is { } th ? [mu, rho, alpha, th] : [mu, rho, alpha];

    /// <summary>σ = σ_min + softplus(ρ).</summary>
    public TT Sigma() => TorchFormulas.Sigma(rho, _template.SigmaMin);

    /// <summary>a = R·softmax(α), or softplus(α) under a soft budget.</summary>
    public TT Resources() => TorchFormulas.Resources(alpha, _template.Budget, _template.SoftBudget);

    /// <summary>Production rows p = (I+Q)w (or the multi-hop variants), N×M.</summary>
    public TT Production() => Production(mu, Sigma(), Resources(), q.Weights());

    /// <summary>The full loss at the module's own parameters for the given demand frames (default: the model's own).</summary>
    public TorchLossParts Loss(IReadOnlyList<double[]>? frames = null) => LossOf(mu, rho, alpha, null, frames);

    /// <summary>
    /// The full loss at the given parameter tensors (float64; μ, ρ, α of length N and θ of length edges, or null for the
    /// module's own θ / fixed weights): the entry point when another module produces the parameters.
    /// </summary>
    public TorchLossParts LossOf(TT mu, TT rho, TT alpha, TT? theta = null, IReadOnlyList<double[]>? frames = null)
    {
        foreach (var (t, name) in new[] { (mu, "mu"), (rho, "rho"), (alpha, "alpha") })
        {
            Interop.RequireFloat64(t, name);
            if (t.dim() != 1 || t.shape[0] != N) throw new ArgumentException($"{name}: shape [{string.Join(", ", t.shape)}] is not allowed; expected [{N}].");
        }
        if (theta is not null)
        {
            Interop.RequireFloat64(theta, "theta");
            if (!q.Learned) throw new ArgumentException("theta: given, but this model's topology is fixed (topology.learned is false).");
        }
        var sigma = TorchFormulas.Sigma(rho, _template.SigmaMin);
        var a = TorchFormulas.Resources(alpha, _template.Budget, _template.SoftBudget);
        var w = q.Weights(theta);
        var d = frames is null ? demand : Frames(frames, mu.device);
        int count = (int)d.shape[0];
        var frameList = frames ?? _template.DemandFrames;
        var masses = frameList.Select(f => f.Sum()).ToArray();
        var objective = _template.Objective;
        TT coverage = zeros(1, dtype: ScalarType.Float64, device: mu.device).sum();
        bool fused = UseManagedKernels && _template.Propagation == Propagation.Direct;
        if (fused && objective.Kind == ObjectiveKind.System)
        {
            // W = Σ_j (1 + Σ_i Q_ij) a_j s_j by the engine's mixture kernel: no N×M production.
            var degree = q.Apply(w, ones(N, 1, dtype: ScalarType.Float64, device: mu.device)).view(N);
            var W = ManagedKernels.WrappedNormalMixture(mu, sigma, a * (degree + 1.0), _gridValues);
            for (int f = 0; f < count; f++) coverage = coverage + TorchFormulas.Mismatch(objective, Delta, W, d[f]);
        }
        else if (fused && objective.Kind == ObjectiveKind.Local && objective.Mismatch == MismatchKind.Squared)
        {
            var x = ManagedKernels.ScaledWrappedNormalDensity(mu, sigma, a, _gridValues);
            var p = x + q.Apply(w, x);
            for (int f = 0; f < count; f++)
            {
                var target = frameList[f].Select(v => v / (Delta * masses[f])).ToArray();
                coverage = coverage + ManagedKernels.PooledSquaredError(p, target, Delta) / N;
            }
        }
        else if (objective.Kind == ObjectiveKind.System && _template.Propagation == Propagation.Direct)
        {
            // W = 1ᵀ(I + Q)(a ⊙ s) = Σ_j (1 + Σ_i Q_ij) a_j s_j: O(edges + N·M) instead of the N×N×M product.
            var degree = q.Apply(w, ones(N, 1, dtype: ScalarType.Float64, device: mu.device)).view(N);
            var s = TorchFormulas.WrappedNormalDensity(mu, sigma, grid);
            // sum(dim: 0L), never sum(0): a literal 0 binds to sum(ScalarType) and sums as bytes (issue 17).
            var W = ((a * (degree + 1.0)).unsqueeze(1) * s).sum(dim: 0L);
            for (int f = 0; f < count; f++) coverage = coverage + TorchFormulas.Mismatch(objective, Delta, W, d[f]);
        }
        else if (objective.Kind == ObjectiveKind.System)
        {
            var W = Production(mu, sigma, a, w).sum(dim: 0L);
            for (int f = 0; f < count; f++) coverage = coverage + TorchFormulas.Mismatch(objective, Delta, W, d[f]);
        }
        else
        {
            var pooled = TorchFormulas.PooledDensities(Production(mu, sigma, a, w), Delta);
            for (int f = 0; f < count; f++)
                coverage = coverage + TorchFormulas.Mismatch(objective, Delta, pooled, d[f] / (Delta * masses[f])) / N;
        }
        coverage = coverage / count;
        var zero = zeros(1, dtype: ScalarType.Float64, device: mu.device).sum();
        var comm = objective.LambdaC > 0 && q.EdgeCount > 0 ? q.Cost(w) : zero;
        var budget = _template.SoftBudget && objective.LambdaR > 0 ? (a.sum() - _template.Budget).pow(2.0) : zero;
        var breadth = objective.LambdaSigma > 0 ? (sigma * sigma).sum() : zero;
        var total = coverage + comm * objective.LambdaC + budget * objective.LambdaR + breadth * objective.LambdaSigma;
        return new TorchLossParts(total, coverage, comm, budget, breadth);
    }

    private TT Production(TT mu, TT sigma, TT a, TT w)
    {
        var x = UseManagedKernels
            ? ManagedKernels.ScaledWrappedNormalDensity(mu, sigma, a, _gridValues)
            : a.unsqueeze(1) * TorchFormulas.WrappedNormalDensity(mu, sigma, grid);
        return Propagate(w, x);
    }

    /// <summary>The propagation rule of the model applied to individual production x: (I+Q)x, (I+Q)^h x or exp(βQ)x.</summary>
    public TT Propagate(TT w, TT x)
    {
        switch (_template.Propagation)
        {
            case Propagation.Direct:
                return x + q.Apply(w, x);
            case Propagation.Power:
                var p = x;
                for (int h = 0; h < _template.Hops; h++) p = p + q.Apply(w, p);
                return p;
            case Propagation.Communicability:
                // The engine's series and stopping rule: terms until one's largest entry is below the tolerance × x's.
                var term = x;
                var sum = x;
                double xMax = MaxAbs(x);
                for (int k = 1; k <= DpsModel.MaxCommunicabilityTerms; k++)
                {
                    term = q.Apply(w, term) * (_template.CommunicabilityBeta / k);
                    sum = sum + term;
                    if (MaxAbs(term) <= DpsModel.CommunicabilityTolerance * xMax) break;
                }
                return sum;
            default:
                throw Choices.Unknown("topology.propagation", _template.Propagation);
        }
    }

    private static double MaxAbs(TT t)
    {
        using var scope = NewDisposeScope();
        return t.detach().abs().max().cpu().item<double>();
    }

    private static TT Frames(IReadOnlyList<double[]> frames, Device device)
    {
        int m = frames[0].Length;
        var flat = new double[frames.Count * m];
        for (int f = 0; f < frames.Count; f++) frames[f].CopyTo(flat, f * m);
        var t = tensor(flat, new long[] { frames.Count, m }, dtype: ScalarType.Float64);
        return device.type == global::TorchSharp.DeviceType.CPU ? t : t.to(device);
    }

    /// <summary>The parameter values as plain numbers, in <see cref="TrainableParameters"/>' order.</summary>
    public double[][] ParameterValues() => TrainableParameters().Select(p => Interop.Values(p)).ToArray();

    /// <summary>Sets the parameters from plain numbers (in <see cref="TrainableParameters"/>' order).</summary>
    public void SetParameterValues(IReadOnlyList<double[]> values)
    {
        var ps = TrainableParameters();
        if (values.Count != ps.Count) throw new ArgumentException($"parameters: {values.Count} arrays for {ps.Count} parameters.");
        for (int k = 0; k < ps.Count; k++) Interop.Assign(ps[k], values[k], ps[k].name ?? $"parameter {k}");
    }

    /// <summary>Copies the module's parameter values into an engine model of the same structure (for measures).</summary>
    public void CopyTo(DpsModel target)
    {
        var ps = target.Parameters();
        var values = ParameterValues();
        if (ps.Count != values.Length || ps.Where((p, k) => p.Numel != values[k].Length).Any())
            throw new ArgumentException("CopyTo: the engine model's parameters do not match this module's (different N or edges).");
        for (int k = 0; k < ps.Count; k++) ps[k].Copy_(values[k]);
    }

    /// <summary>Copies an engine model's parameter values (same structure) into the module.</summary>
    public void CopyFrom(DpsModel source) => SetParameterValues(source.Parameters().Select(p => p.ToArray()).ToArray());

    /// <summary>A new engine model with this module's structure and current parameter values: every managed measure
    /// (heterogeneity, coverage, robustness, ...) applies to it.</summary>
    public DpsModel ToManaged()
    {
        var m = _template.Subset(Enumerable.Repeat(true, N).ToArray());
        CopyTo(m);
        return m;
    }

    /// <summary>Writes model.json (the format the managed engine and <c>dps</c> read) with the module's current values.</summary>
    public void SaveModelJson(string path, DpsConfig? config = null)
    {
        var c = config ?? Config ?? throw new InvalidOperationException("SaveModelJson: this module was built without a config; pass the config that made it.");
        ModelState.From(ToManaged(), c).Save(path);
    }

    /// <summary>Writes the TorchSharp state dict (parameters and buffers) to <paramref name="path"/> atomically.</summary>
    public void SaveStateDict(string path)
    {
        string full = Path.GetFullPath(path);
        string tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try { save(tmp); File.Move(tmp, full, overwrite: true); }
        finally { if (File.Exists(tmp)) File.Delete(tmp); }
    }

    /// <summary>Reads a state dict written by <see cref="SaveStateDict"/> into a module of the same structure.</summary>
    public void LoadStateDict(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"state dict '{path}' does not exist.", path);
        load(path, strict: true);
    }
}
