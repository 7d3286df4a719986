// The interaction graph Q as the model uses it (MODEL.md section 1): a set of undirected edges (fixed weights or
// learned Q = S ⊙ sigmoid(θ)), the per-edge distance cost d^γ, the product Q·w through a sparse kernel, and the
// production product (I + Q)·w through a replaceable strategy (InteractionKernels.cs: dense or sparse).
namespace DpsTorch.Model;

/// <summary>
/// Q on N agents: undirected edges e = (i, j), i &lt; j, each with a weight q_e (constant, or sigmoid(θ_e) when
/// learned). Applies Q to an N×M matrix in O(edges · M) with <see cref="Tensor.SparseMatMul"/>.
/// </summary>
public sealed class Interaction
{
    private readonly SparsePattern? _pattern;
    private readonly int[] _entryEdge;   // CSR entry -> undirected edge index

    /// <summary>Number of agents.</summary>
    public int N { get; }
    /// <summary>Edge endpoints, i &lt; j.</summary>
    public IReadOnlyList<(int I, int J)> Edges { get; }
    /// <summary>d_e^γ for each edge (the communication cost per unit weight).</summary>
    public double[] EdgeCost { get; }
    /// <summary>Fixed edge weights, or null when learned. They are constants: tensors built from them (the weights, Q·1,
    /// the dense I + Q) are cached on first use, so changing this array afterwards is not supported.</summary>
    public double[]? FixedWeights { get; }
    /// <summary>θ per edge (a leaf requiring grad) when learned, else null.</summary>
    public Tensor? Theta { get; }

    /// <summary>Number of independent diagonal blocks of Q (1 unless stacked for batched multi-start).</summary>
    public int Blocks { get; }

    /// <summary>Whether the topology is learned.</summary>
    public bool Learned => Theta is not null;

    /// <summary>
    /// Builds Q from edges and either fixed weights or initial logits θ (learned). <paramref name="blocks"/> &gt; 1 declares
    /// Q block-diagonal: agents split into that many consecutive equal groups (independent systems, as in
    /// <see cref="BatchedStarts"/>) with no edge between groups, and a dense I + Q is then built and multiplied per block.
    /// </summary>
    public Interaction(int n, IReadOnlyList<(int I, int J)> edges, double[] edgeCost, double[]? fixedWeights, double[]? theta, int blocks = 1)
    {
        if ((fixedWeights is null) == (theta is null)) throw new ArgumentException("Interaction: give exactly one of fixed weights or learned logits θ.");
        if (blocks < 1 || n % blocks != 0) throw new ArgumentException($"Interaction: blocks = {blocks}; it must be at least 1 and divide the {n} agents.");
        int size = n / blocks;
        for (int e = 0; blocks > 1 && e < edges.Count; e++)
            if (edges[e].I / size != edges[e].J / size)
                throw new ArgumentException($"Interaction: edge {e} = ({edges[e].I}, {edges[e].J}) joins two of the {blocks} blocks of {size} agents; a block-diagonal Q has none.");
        N = n;
        Blocks = blocks;
        Edges = edges;
        EdgeCost = edgeCost;
        FixedWeights = fixedWeights;
        if (theta is not null) Theta = Tensor.FromArray(theta).RequiresGrad_();
        _entryEdge = [];
        if (edges.Count == 0) return;

        var rows = new int[2 * edges.Count];
        var cols = new int[2 * edges.Count];
        var index = new Dictionary<long, int>(edges.Count);
        for (int e = 0; e < edges.Count; e++)
        {
            var (i, j) = edges[e];
            rows[2 * e] = i; cols[2 * e] = j;
            rows[2 * e + 1] = j; cols[2 * e + 1] = i;
            index[(long)Math.Min(i, j) * n + Math.Max(i, j)] = e;
        }
        _pattern = SparsePattern.FromEdges(n, n, rows, cols);
        _entryEdge = new int[_pattern.Nnz];
        for (int r = 0; r < n; r++)
            for (int k = _pattern.RowPtr[r]; k < _pattern.RowPtr[r + 1]; k++)
            {
                int c = _pattern.ColIndex[k];
                _entryEdge[k] = index[(long)Math.Min(r, c) * n + Math.Max(r, c)];
            }
    }

    /// <summary>The edge weights q_e as a tensor (sigmoid(θ) when learned).</summary>
    public Tensor Weights() => Theta is not null ? Theta.Sigmoid() : _fixedWeights ??= Tensor.FromArray(FixedWeights!);

    // Constants of a fixed topology, built once: the weights as a tensor and the weighted degree Q·1.
    private Tensor? _fixedWeights;
    private Tensor? _fixedDegree;

    /// <summary>Q·x for an N×M matrix x, given edge weights <paramref name="q"/> from <see cref="Weights"/>.</summary>
    public Tensor Apply(Tensor q, Tensor x)
    {
        if (_pattern is null) return Tensor.ZerosLike(x);
        return Tensor.SparseMatMul(_pattern, q.IndexSelect(0, _entryEdge), x);
    }

    private IInteractionKernel? _kernel;

    /// <summary>
    /// The strategy that computes (I + Q)·x (<see cref="ApplyWithIdentity"/>): by default the one
    /// <see cref="InteractionKernels.For"/> chooses (dense or sparse by the support's density). A backend may set its own;
    /// it must compute the same product for this Q's edges, in the order of <see cref="Edges"/>.
    /// </summary>
    public IInteractionKernel Kernel
    {
        get => _kernel ??= InteractionKernels.For(this);
        set => _kernel = value ?? throw new ArgumentNullException(nameof(value), "Interaction.Kernel: give a kernel, or leave the default.");
    }

    /// <summary>Whether <see cref="ApplyWithIdentity"/> uses the engine's dense strategy (<see cref="DenseInteractionKernel"/>, per block when Q is block-diagonal).</summary>
    public bool UsesDense => _pattern is not null && Kernel is DenseInteractionKernel;

    /// <summary>
    /// (I + Q)·x for an N×M matrix x in one product (the production p = (I + Q) w of MODEL.md section 1), by
    /// <see cref="Kernel"/>. Equals x + <see cref="Apply"/>(q, x) up to rounding; x itself when Q has no edge.
    /// </summary>
    public Tensor ApplyWithIdentity(Tensor q, Tensor x) => _pattern is null ? x : Kernel.ApplyWithIdentity(q, x);

    /// <summary>Q's CSR pattern (both directions of every edge), or null without edges.</summary>
    internal SparsePattern? Pattern => _pattern;

    /// <summary>CSR entry of <see cref="Pattern"/> -> undirected edge index.</summary>
    internal int[] EntryEdge => _entryEdge;

    /// <summary>
    /// Whether <paramref name="q"/> is this fixed topology's own constant weight tensor (from <see cref="Weights"/>, not
    /// requiring grad), so that a kernel may build products with it once and reuse them.
    /// </summary>
    public bool IsFixedWeights(Tensor q) => !q.RequiresGrad && ReferenceEquals(q, _fixedWeights);

    /// <summary>Weighted degree d_j = Σ_i Q_ij (= column sums, Q being symmetric), shape [N], differentiable in q.</summary>
    public Tensor WeightedDegree(Tensor q)
    {
        if (_pattern is null) return Tensor.Zeros(N);
        if (IsFixedWeights(q))
        {
            using var _ = TensorEngine.NoGrad();
            return _fixedDegree ??= Apply(q, Tensor.Ones(N, 1)).Reshape(N);
        }
        return Apply(q, Tensor.Ones(N, 1)).Reshape(N);
    }

    /// <summary>Communication cost C(Q) = Σ_e q_e d_e^γ.</summary>
    public Tensor Cost(Tensor q) => Edges.Count == 0 ? Tensor.Scalar(0) : (q * Tensor.FromArray(EdgeCost)).Sum();

    /// <summary>Current edge weights as plain numbers.</summary>
    public double[] WeightValues()
    {
        using var _ = TensorEngine.NoGrad();
        return Weights().ToArray();
    }
}
