// The interaction graph Q of MODEL.md section 1 as a TorchSharp module: the edge list of an engine Interaction,
// fixed weights or learned logits θ (Q = S ⊙ sigmoid(θ)), the per-edge cost d^γ, and Q·x by a dense product (support
// dense enough, as the engine decides) or a scatter over the edges.
using DpsTorch.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;
using TT = TorchSharp.torch.Tensor;

namespace DpsTorch.TorchSharp;

/// <summary>Q on N agents as torch tensors. Parameter "theta" when learned; buffers for the edges and costs.</summary>
public sealed class TorchInteraction : nn.Module
{
    /// <summary>Number of agents.</summary>
    public int N { get; }
    /// <summary>Number of undirected edges.</summary>
    public int EdgeCount { get; }
    /// <summary>Whether Q·x is one dense N×N product (the engine's <see cref="Interaction.UsesDense"/> rule).</summary>
    public bool UsesDense { get; }
    /// <summary>Whether the weights are learned (θ is a parameter).</summary>
    public bool Learned => theta is not null;

    // Field names are the state-dict keys.
#pragma warning disable IDE1006
    private Parameter? theta;
    private TT? fixed_weights;
    private TT edge_cost;
    private TT rows, cols, entry_edge, dense_pos;
#pragma warning restore IDE1006

    /// <summary>The torch twin of <paramref name="q"/> with its current weights (or θ) copied.</summary>
    public TorchInteraction(Interaction q) : base("interaction")
    {
        N = q.N;
        EdgeCount = q.Edges.Count;
        UsesDense = q.UsesDense;
        var r = new long[2 * EdgeCount];
        var c = new long[2 * EdgeCount];
        var e2 = new long[2 * EdgeCount];
        var pos = new long[2 * EdgeCount];
        for (int e = 0; e < EdgeCount; e++)
        {
            var (i, j) = q.Edges[e];
            (r[2 * e], c[2 * e], r[2 * e + 1], c[2 * e + 1]) = (i, j, j, i);
            (e2[2 * e], e2[2 * e + 1]) = (e, e);
            (pos[2 * e], pos[2 * e + 1]) = ((long)i * N + j, (long)j * N + i);
        }
        rows = tensor(r, dtype: ScalarType.Int64);
        cols = tensor(c, dtype: ScalarType.Int64);
        entry_edge = tensor(e2, dtype: ScalarType.Int64);
        dense_pos = tensor(pos, dtype: ScalarType.Int64);
        edge_cost = tensor(q.EdgeCost, dtype: ScalarType.Float64);
        if (q.Theta is { } th) theta = new Parameter(tensor(th.ToArray(), dtype: ScalarType.Float64));
        else fixed_weights = tensor(q.FixedWeights!, dtype: ScalarType.Float64);
        RegisterComponents();
    }

    /// <summary>θ (learned), else null.</summary>
    public Parameter? Theta => theta;

    /// <summary>The edge weights q_e: sigmoid(θ) when learned (or of <paramref name="thetaOverride"/>), else the fixed ones.</summary>
    public TT Weights(TT? thetaOverride = null)
        => thetaOverride is not null ? thetaOverride.sigmoid() : theta is not null ? theta.sigmoid() : fixed_weights!;

    /// <summary>Q·x for an N×M matrix x and edge weights q from <see cref="Weights"/>.</summary>
    public TT Apply(TT q, TT x)
    {
        if (EdgeCount == 0) return zeros_like(x);
        var entries = q.index_select(0, entry_edge);
        if (UsesDense)
        {
            if (theta is null && ReferenceEquals(q, fixed_weights))
            {
                // A fixed topology's Q is a constant: built once per device (not a buffer, so not in the state dict).
                if (_fixedDense is null || _fixedDense.device != x.device)
                {
                    using var _ = no_grad();
                    _fixedDense?.Dispose();
                    _fixedDense = DenseQ(entries, x.device).DetachFromDisposeScope();
                }
                return _fixedDense.matmul(x);
            }
            return DenseQ(entries, x.device).matmul(x);
        }
        return zeros_like(x).index_add(0, rows, x.index_select(0, cols) * entries.unsqueeze(1), 1.0);
    }

    private TT? _fixedDense;

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) { _fixedDense?.Dispose(); _fixedDense = null; }
        base.Dispose(disposing);
    }

    private TT DenseQ(TT entries, Device device)
        => zeros(new long[] { (long)N * N }, dtype: ScalarType.Float64, device: device).index_add(0, dense_pos, entries, 1.0).view(N, N);

    /// <summary>Communication cost C(Q) = Σ_e q_e d_e^γ.</summary>
    public TT Cost(TT q) => (q * edge_cost).sum();

    /// <summary>The current weights as plain numbers.</summary>
    public double[] WeightValues() { using var scope = NewDisposeScope(); return Interop.Values(Weights()); }
}
