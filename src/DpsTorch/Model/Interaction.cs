// The interaction graph Q as the model uses it (MODEL.md section 1): a set of undirected edges (fixed weights or
// learned Q = S ⊙ sigmoid(θ)), the per-edge distance cost d^γ, and the product Q·w through a sparse kernel.
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
    private Tensor? _fixedDense;

    /// <summary>Q·x for an N×M matrix x, given edge weights <paramref name="q"/> from <see cref="Weights"/>.</summary>
    public Tensor Apply(Tensor q, Tensor x)
    {
        if (_pattern is null) return Tensor.ZerosLike(x);
        return Tensor.SparseMatMul(_pattern, q.IndexSelect(0, _entryEdge), x);
    }

    /// <summary>
    /// Support density (stored entries 2·edges over N²) from which <see cref="ApplyWithIdentity"/> builds I + Q as a
    /// dense matrix and uses the blocked matmul: per flop that kernel is about 10x faster than the sparse one, so above a
    /// quarter of the entries the dense product is the cheaper of the two. Dense needs N² doubles, hence the size cap.
    /// </summary>
    public const double DenseDensity = 0.25;

    /// <summary>Largest N for the dense form of I + Q (N² doubles = 128 MiB at 4096).</summary>
    public const int DenseMaxN = 4096;

    /// <summary>Whether <see cref="ApplyWithIdentity"/> uses the dense form (per block when Q is block-diagonal).</summary>
    public bool UsesDense
    {
        get
        {
            double size = N / Blocks;
            return _pattern is not null && size <= DenseMaxN && 2.0 * Edges.Count / Blocks >= DenseDensity * size * size;
        }
    }

    /// <summary>Largest N for which the dense I + Q is filled by a scatter to both triangles (the N×N matrix fits in L2);
    /// above it the upper triangle is written and mirrored in tiles.</summary>
    private const int SmallDenseMaxN = 512;

    private int[][]? _positions;                   // [upper, lower]: flat positions of each edge in the dense (stacked) I + Q
    private SparsePattern? _patternWithIdentity;   // Q's pattern plus the diagonal
    private int[]? _identityEntryValue;            // its CSR entry -> index into [q_0 .. q_{E-1}, 1]

    /// <summary>
    /// (I + Q)·x for an N×M matrix x in one product (the production p = (I + Q) w of MODEL.md section 1): a dense
    /// matmul when the support is dense (<see cref="UsesDense"/>; one per block when <see cref="Blocks"/> &gt; 1), else one
    /// sparse product over Q's pattern plus the diagonal. Equals x + <see cref="Apply"/>(q, x) up to rounding.
    /// </summary>
    public Tensor ApplyWithIdentity(Tensor q, Tensor x)
    {
        if (_pattern is null) return x;
        if (UsesDense)
        {
            int size = N / Blocks;
            Tensor Multiply(Tensor dense) => Blocks == 1 ? Tensor.MatMul(dense, x) : Tensor.BlockDiagonalMatMul(dense, x);
            var positions = _positions ??= DensePositions(size);
            bool mirror = Blocks == 1 && N > SmallDenseMaxN;
            if (!q.RequiresGrad && ReferenceEquals(q, _fixedWeights))
            {
                // A fixed topology's I + Q is a constant: build it once.
                if (_fixedDense is null) using (TensorEngine.NoGrad()) _fixedDense = Tensor.SymmetricFromPositions(q, N, size, positions[0], positions[1], 1.0, mirror);
                return Multiply(_fixedDense);
            }
            return Multiply(Tensor.SymmetricFromPositions(q, N, size, positions[0], positions[1], 1.0, mirror));
        }
        if (_patternWithIdentity is null)
        {
            int nnz = _pattern.Nnz;
            var rows = new int[nnz + N];
            var cols = new int[nnz + N];
            var value = new int[nnz + N];
            var rowOf = _pattern.RowIndices();
            for (int k = 0; k < nnz; k++) (rows[k], cols[k], value[k]) = (rowOf[k], _pattern.ColIndex[k], _entryEdge[k]);
            for (int i = 0; i < N; i++) (rows[nnz + i], cols[nnz + i], value[nnz + i]) = (i, i, Edges.Count);
            var pattern = SparsePattern.FromEdges(N, N, rows, cols);
            var map = new int[pattern.Nnz];
            for (int k = 0; k < map.Length; k++) map[k] = value[pattern.EdgeOrder[k]];
            _identityEntryValue = map;
            _patternWithIdentity = pattern;
        }
        var values = Tensor.Concat([q, Tensor.Ones(1)], 0).IndexSelect(0, _identityEntryValue!);
        return Tensor.SparseMatMul(_patternWithIdentity, values, x);
    }

    /// <summary>
    /// Flat positions of each edge (lo, hi) in the dense I + Q, [upper, lower]: lo·N + hi and hi·N + lo, or within the
    /// stack of <see cref="Blocks"/> blocks of <paramref name="size"/> agents, block b's (lo, hi) at (b·size + lo)·size + hi.
    /// The edges were checked by the constructor (distinct agents, inside one block) and by the sparse pattern (no repeats).
    /// </summary>
    private int[][] DensePositions(int size)
    {
        var upper = new int[Edges.Count];
        var lower = new int[Edges.Count];
        for (int e = 0; e < upper.Length; e++)
        {
            var (i, j) = Edges[e];
            (int lo, int hi) = (Math.Min(i, j), Math.Max(i, j));
            int first = lo / size * size;
            (upper[e], lower[e]) = (lo * size + (hi - first), hi * size + (lo - first));
        }
        return [upper, lower];
    }

    /// <summary>Weighted degree d_j = Σ_i Q_ij (= column sums, Q being symmetric), shape [N], differentiable in q.</summary>
    public Tensor WeightedDegree(Tensor q)
    {
        if (_pattern is null) return Tensor.Zeros(N);
        if (!q.RequiresGrad && ReferenceEquals(q, _fixedWeights))
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
