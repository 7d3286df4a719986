// How the production product (I + Q)·x is computed (MODEL.md section 1, p = (I + Q) w): one interface, a dense and a
// sparse strategy, and the one rule that picks between them. A second backend replaces the strategy through
// Interaction.Kernel; the memory estimate asks the same rule.
namespace DpsTorch.Model;

/// <summary>A strategy for the product (I + Q)·x of one <see cref="Interaction"/>.</summary>
public interface IInteractionKernel
{
    /// <summary>
    /// (I + Q)·x for an N×M matrix x, with Q the symmetric matrix of the interaction's edges and the per-edge weights
    /// <paramref name="q"/> (from <see cref="Interaction.Weights"/>, in edge order); differentiable in q and x.
    /// </summary>
    Tensor ApplyWithIdentity(Tensor q, Tensor x);
}

/// <summary>The default (I + Q)·x strategies and the rule that chooses between them.</summary>
public static class InteractionKernels
{
    /// <summary>
    /// Support density (stored entries 2·edges over N²) from which I + Q is built as a dense matrix and multiplied by
    /// the blocked matmul: per flop that kernel is about 10x faster than the sparse one, so above a quarter of the
    /// entries the dense product is the cheaper of the two. Dense needs N² doubles, hence the size cap.
    /// </summary>
    public const double DenseDensity = 0.25;

    /// <summary>Largest N for the dense form of I + Q (N² doubles = 128 MiB at 4096).</summary>
    public const int DenseMaxN = 4096;

    /// <summary>
    /// Whether (I + Q)·x on <paramref name="n"/> agents and <paramref name="edges"/> undirected edges is computed densely;
    /// with <paramref name="blocks"/> &gt; 1 (a block-diagonal Q) the rule applies to one block.
    /// </summary>
    public static bool PrefersDense(long n, long edges, int blocks = 1)
    {
        long size = n / blocks;
        return edges > 0 && size <= DenseMaxN && 2.0 * edges / blocks >= DenseDensity * size * (double)size;
    }

    /// <summary>The default strategy for <paramref name="interaction"/>: dense when <see cref="PrefersDense"/>, else sparse.</summary>
    public static IInteractionKernel For(Interaction interaction)
    {
        ArgumentNullException.ThrowIfNull(interaction);
        return PrefersDense(interaction.N, interaction.Edges.Count, interaction.Blocks)
            ? new DenseInteractionKernel(interaction)
            : new SparseInteractionKernel(interaction);
    }
}

/// <summary>
/// (I + Q)·x as a dense N×N matrix times x (blocked matmul; one product per block when Q is block-diagonal). A fixed
/// topology's I + Q is built once; a learned one is scattered from the edge weights at cached flat positions every call.
/// </summary>
public sealed class DenseInteractionKernel : IInteractionKernel
{
    private readonly Interaction _interaction;
    private int N => _interaction.N;
    private int Blocks => _interaction.Blocks;
    private IReadOnlyList<(int I, int J)> Edges => _interaction.Edges;

    /// <summary>Largest N for which the dense I + Q is filled by a scatter to both triangles (the N×N matrix fits in L2);
    /// above it the upper triangle is written and mirrored in tiles.</summary>
    internal const int SmallDenseMaxN = 512;

    private Tensor? _fixedDense;
    private int[][]? _positions;                   // [upper, lower]: flat positions of each edge in the dense (stacked) I + Q
    private readonly SymmetricScratch _denseScratch = new(); // the learned dense I + Q and its gradient, reused every step

    /// <summary>The dense strategy for <paramref name="interaction"/> (any size up to memory; the default picks it by density).</summary>
    public DenseInteractionKernel(Interaction interaction) => _interaction = interaction ?? throw new ArgumentNullException(nameof(interaction));

    /// <inheritdoc/>
    public Tensor ApplyWithIdentity(Tensor q, Tensor x)
    {
        int size = N / Blocks;
        Tensor Multiply(Tensor dense) => Blocks == 1 ? Tensor.MatMul(dense, x) : Tensor.BlockDiagonalMatMul(dense, x);
        var positions = _positions ??= DensePositions(size);
        bool mirror = Blocks == 1 && N > SmallDenseMaxN;
        if (_interaction.IsFixedWeights(q))
        {
            // A fixed topology's I + Q is a constant: build it once.
            if (_fixedDense is null) using (TensorEngine.NoGrad()) _fixedDense = Tensor.SymmetricFromPositions(q, N, size, positions[0], positions[1], 1.0, mirror);
            return Multiply(_fixedDense);
        }
        if (Blocks == 1) return Tensor.SymmetricMatMul(q, N, positions[0], positions[1], 1.0, mirror, x, _denseScratch);
        return Multiply(Tensor.SymmetricFromPositions(q, N, size, positions[0], positions[1], 1.0, mirror));
    }

    /// <summary>[upper, lower] flat positions of each edge in the dense (stacked) I + Q (<see cref="DensePositions"/>), built once.</summary>
    internal int[][] Positions => _positions ??= DensePositions(N / Blocks);

    /// <summary>
    /// Flat positions of each edge (lo, hi) in the dense I + Q, [upper, lower]: lo·N + hi and hi·N + lo, or within the
    /// stack of <see cref="Interaction.Blocks"/> blocks of <paramref name="size"/> agents, block b's (lo, hi) at (b·size + lo)·size + hi.
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
}

/// <summary>(I + Q)·x as one sparse product over Q's pattern plus the diagonal, O((edges + N)·M).</summary>
public sealed class SparseInteractionKernel : IInteractionKernel
{
    private readonly Interaction _interaction;
    private int N => _interaction.N;
    private IReadOnlyList<(int I, int J)> Edges => _interaction.Edges;

    private SparsePattern? _patternWithIdentity;   // Q's pattern plus the diagonal
    private int[]? _identityEntryValue;            // its CSR entry -> index into [q_0 .. q_{E-1}, 1]

    /// <summary>The sparse strategy for <paramref name="interaction"/>.</summary>
    public SparseInteractionKernel(Interaction interaction) => _interaction = interaction ?? throw new ArgumentNullException(nameof(interaction));

    /// <inheritdoc/>
    public Tensor ApplyWithIdentity(Tensor q, Tensor x)
    {
        var qPattern = _interaction.Pattern;
        if (qPattern is null) return x;
        if (_patternWithIdentity is null)
        {
            int nnz = qPattern.Nnz;
            var entryEdge = _interaction.EntryEdge;
            var rows = new int[nnz + N];
            var cols = new int[nnz + N];
            var value = new int[nnz + N];
            var rowOf = qPattern.RowIndices();
            for (int k = 0; k < nnz; k++) (rows[k], cols[k], value[k]) = (rowOf[k], qPattern.ColIndex[k], entryEdge[k]);
            for (int i = 0; i < N; i++) (rows[nnz + i], cols[nnz + i], value[nnz + i]) = (i, i, Edges.Count);
            var pattern = SparsePattern.FromEdges(N, N, rows, cols);
            var map = new int[pattern.Nnz];
            for (int k = 0; k < map.Length; k++) map[k] = value[pattern.EdgeOrder[k]];
            _identityEntryValue = map;
            _patternWithIdentity = pattern;
        }
        var values = Tensor.GatherOrOne(q, _identityEntryValue!);
        return Tensor.SparseMatMul(_patternWithIdentity, values, x);
    }
}
