// The nested DPS of MODEL.md section 4 as a TorchSharp module: leaf parameters μ, ρ, α and the θ of every learned
// level are torch parameters; each level forms p = (I + Q_ℓ) x over its block-diagonal graph and sums every group into
// the composite agent above, as NestedSystem does with engine ops. Built from an engine NestedSystem (so from a config
// through NestedBuilder), with parity to it held by the tests.
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Nested;
using TorchSharp.Modules;
using static TorchSharp.torch;
using TT = TorchSharp.torch.Tensor;

namespace DpsTorch.TorchSharp;

/// <summary>The parts of a nested torch loss, as <see cref="NestedLossParts"/>.</summary>
public sealed record TorchNestedLossParts(TT Total, TT Coverage, IReadOnlyList<TT> Communication, IReadOnlyList<TT> LevelDemand, TT Budget, TT Breadth);

/// <summary>A nested system as a TorchSharp module. State-dict keys: mu, rho, alpha, levels.K.theta, and buffers.</summary>
public sealed class NestedModule : nn.Module
{
    private readonly NestedSystem _template;

#pragma warning disable IDE1006
    private Parameter mu, rho, alpha;
    private TT grid, demand, tie;
    private ModuleList<TorchInteraction> levels;
#pragma warning restore IDE1006

    /// <summary>Number of leaf agents.</summary>
    public int N => _template.N;

    /// <summary>The torch twin of <paramref name="system"/> with its current parameter values.</summary>
    public NestedModule(NestedSystem system) : base("nested_dps")
    {
        ArgumentNullException.ThrowIfNull(system);
        if (system.FixedResources || system.Objective.Kind == ObjectiveKind.LocalShare || system.Levels.Any(l => l.DemandObjective == ObjectiveKind.LocalShare))
            throw new NotSupportedException("NestedModule: agents.resources \"fixed-equal\" and the \"local-share\" objective are implemented by the managed engine only.");
        TorchRuntime.EnsureAvailable();
        _template = system;
        mu = new Parameter(tensor(system.Mu.ToArray(), dtype: ScalarType.Float64));
        rho = new Parameter(tensor(system.Rho.ToArray(), dtype: ScalarType.Float64));
        alpha = new Parameter(tensor(system.Alpha.ToArray(), dtype: ScalarType.Float64));
        grid = tensor(system.Space.Grid.ToArray(), dtype: ScalarType.Float64);
        int m = system.Space.M;
        var flat = system.DemandFrames.SelectMany(f => f).ToArray();
        demand = tensor(flat, new long[] { system.DemandFrames.Count, m }, dtype: ScalarType.Float64);
        tie = zeros(system.N, dtype: ScalarType.Int64);
        levels = nn.ModuleList(system.Levels.Select(l => new TorchInteraction(l.Interaction)).ToArray());
        RegisterComponents();
    }

    /// <summary>A nested config's restart (NestedBuilder.Create).</summary>
    public static NestedModule FromConfig(DpsConfig config, int restart = 0) => new(NestedBuilder.Create(config, restart));

    /// <summary>μ, ρ, α, then θ of every learned level (the engine's order).</summary>
    public IReadOnlyList<Parameter> TrainableParameters()
    {
        var ps = new List<Parameter> { mu, rho, alpha };
        foreach (var level in levels) if (level.Theta is { } th) ps.Add(th);
        return ps;
    }

    private TT Leaf(TT t) => _template.Homogeneous ? t.index_select(0, tie) : t;

    /// <summary>Leaf σ = σ_min + softplus(ρ).</summary>
    public TT Sigma() => TorchFormulas.Sigma(Leaf(rho), _template.SigmaMin);

    /// <summary>Leaf resources (per budget block under a fixed share), as <see cref="NestedSystem.Resources"/>.</summary>
    public TT Resources()
    {
        int n = _template.N, block = _template.BudgetBlock;
        if (_template.SoftBudget) return nn.functional.softplus(Leaf(alpha));
        if (block == n || block == 0) return Leaf(alpha).softmax(0L) * _template.Budget;
        int blocks = n / block;
        return Leaf(alpha).reshape(blocks, block).softmax(1L).reshape(n) * (_template.Budget / blocks);
    }

    /// <summary>The full loss for the given top-level frames (default: the system's own).</summary>
    public TorchNestedLossParts Loss(IReadOnlyList<double[]>? frames = null)
    {
        double delta = _template.Space.Delta;
        int m = _template.Space.M;
        var objective = _template.Objective;
        var x = Resources().unsqueeze(1) * TorchFormulas.WrappedNormalDensity(Leaf(mu), Sigma(), grid);
        var tiers = new List<TT> { x };
        var productions = new List<TT>();
        TT? W = null;
        for (int k = 0; k < levels.Count; k++)
        {
            var level = _template.Levels[k];
            var q = levels[k];
            var p = x + q.Apply(q.Weights(), x);
            productions.Add(p);
            if (level.Groups == 1) { W = p.sum(dim: 0L); x = W.unsqueeze(0); }
            else x = p.reshape(level.Groups, level.Size, m).sum(dim: 1L);
            tiers.Add(x);
        }
        var frameList = frames ?? _template.DemandFrames;
        var zero = zeros(1, dtype: ScalarType.Float64, device: mu.device).sum();
        TT coverage = zero;
        var top = _template.Levels[^1];
        foreach (var frame in frameList)
        {
            var d = tensor(frame, dtype: ScalarType.Float64, device: mu.device);
            coverage = coverage + (objective.Kind == ObjectiveKind.Local
                ? TorchFormulas.Mismatch(objective, delta, TorchFormulas.PooledDensities(productions[^1], delta), d / (delta * frame.Sum())) / top.Members
                : TorchFormulas.Mismatch(objective, delta, W!, d));
        }
        coverage = coverage / frameList.Count;
        var total = coverage;
        var comm = new List<TT>();
        for (int k = 0; k < levels.Count; k++)
        {
            var level = _template.Levels[k];
            bool on = level.LambdaC > 0 && level.Interaction.Edges.Count > 0;
            var c = on ? levels[k].Cost(levels[k].Weights()) : zero;
            comm.Add(c);
            if (on) total = total + c * level.LambdaC;
        }
        var budget = _template.SoftBudget && objective.LambdaR > 0 ? (Resources().sum() - _template.Budget).pow(2.0) : zero;
        var sigma = Sigma();
        var breadth = objective.LambdaSigma > 0 ? (sigma * sigma).sum() : zero;
        total = total + budget * objective.LambdaR + breadth * objective.LambdaSigma;
        var levelDemand = new List<TT>();
        for (int k = 0; k < levels.Count; k++)
        {
            var level = _template.Levels[k];
            if (level.DemandFrames is null) { levelDemand.Add(zero); continue; }
            TT term = zero;
            foreach (var frame in level.DemandFrames)
            {
                var d = tensor(frame, dtype: ScalarType.Float64, device: mu.device);
                term = term + (level.DemandObjective == ObjectiveKind.Local
                    ? TorchFormulas.Mismatch(objective, delta, TorchFormulas.PooledDensities(productions[k], delta), d / (delta * frame.Sum())) / level.Members
                    : TorchFormulas.Mismatch(objective, delta, tiers[k + 1], d.unsqueeze(0)) / level.Groups);
            }
            term = term / level.DemandFrames.Count;
            levelDemand.Add(term);
            total = total + term * level.DemandWeight;
        }
        return new TorchNestedLossParts(total, coverage, comm, levelDemand, budget, breadth);
    }

    /// <summary>Copies the module's parameter values into an engine system of the same structure (for the nested measures).</summary>
    public void CopyTo(NestedSystem target)
    {
        var ps = target.Parameters();
        var mine = TrainableParameters();
        if (ps.Count != mine.Count) throw new ArgumentException("CopyTo: the engine system's parameters do not match this module's.");
        for (int k = 0; k < ps.Count; k++)
        {
            var v = Interop.Values(mine[k]);
            if (v.Length != ps[k].Numel) throw new ArgumentException($"CopyTo: parameter {k} has {v.Length} values here and {ps[k].Numel} there.");
            ps[k].Copy_(v);
        }
    }
}
