// Matrix products: dense matmul (matrix-matrix and matrix-vector) and sparse (CSR) × dense with learnable
// per-edge values, the building blocks of production p = (I + Q) w (MODEL.md section 1).
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DpsTorch;

public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product a·b (like torch.matmul for these ranks): [n, k]·[k, m] → [n, m], or [n, k]·[k] → [n].
    /// Gradients: dA = G·Bᵀ, dB = Aᵀ·G, computed by the same blocked kernel.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        const string op = "matmul";
        if (a.Dim != 2 || (b.Dim != 1 && b.Dim != 2))
            throw new ArgumentException($"{op}: expects a matrix [n, k] times a matrix [k, m] or a vector [k], got shapes {Shapes.Format(a._shape)} and {Shapes.Format(b._shape)}.");
        int n = a._shape[0], k = a._shape[1];
        if (b._shape[0] != k)
            throw new ArgumentException($"{op}: shapes {Shapes.Format(a._shape)} and {Shapes.Format(b._shape)} are not aligned: the first has {k} columns but the second has {b._shape[0]} rows.");

        if (b.Dim == 1)
        {
            var y = new double[n];
            MatMulKernel.Gemv(a._data, b._data, y, n, k);
            return Record(new Tensor(y, [n]), op, [a, b], g =>
            {
                if (a._requiresGrad)
                {
                    // dA[i, p] = g[i] · b[p]
                    var ga = new double[n * k];
                    for (int i = 0; i < n; i++) TP.Multiply(b._data, g[i], ga.AsSpan(i * k, k));
                    a.AccumulateGrad(ga);
                }
                if (b._requiresGrad)
                {
                    var gb = new double[k];
                    MatMulKernel.GemvT(a._data, g, gb, n, k);
                    b.AccumulateGrad(gb);
                }
            });
        }

        int m = b._shape[1];
        var o = GC.AllocateUninitializedArray<double>(n * m); // Gemm writes every entry (zeroing first cost 0.8 ms at 1024×256)
        MatMulKernel.Gemm(a._data, false, b._data, false, o, n, k, m);
        return Record(new Tensor(o, [n, m]), op, [a, b], g =>
        {
            if (a._requiresGrad)
            {
                var ga = GradientPool.Rent(n * k, clear: false); // the product overwrites every element
                MatMulKernel.Gemm(g, false, b._data, true, ga, n, m, k); // G[n×m]·Bᵀ[m×k]
                a.AccumulateGradOwned(ga);
            }
            if (b._requiresGrad)
            {
                var gb = GradientPool.Rent(k * m, clear: false);
                MatMulKernel.Gemm(a._data, true, g, false, gb, k, n, m); // Aᵀ[k×n]·G[n×m]
                b.AccumulateGradOwned(gb);
            }
        });
    }

    /// <summary>Matrix product this·b; see <see cref="MatMul(Tensor, Tensor)"/>.</summary>
    public Tensor MatMul(Tensor b) => MatMul(this, b);

    /// <summary>
    /// Matrix product a·b ([n, k]·[k, m]) written into <paramref name="output"/> ([n, m]), like torch.matmul(a, b, out=c):
    /// the same values as <see cref="MatMul(Tensor, Tensor)"/>, bit for bit, without a fresh n×m array (whose first
    /// touch of every page cost 0.8 ms at 1024×256). Nothing is recorded, so it is refused when a recorded graph would
    /// need it (an input requires grad while grad mode is on); <paramref name="output"/> must be a leaf that shares no
    /// storage with a or b. Returns <paramref name="output"/>.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b, Tensor output)
    {
        const string op = "matmul";
        ArgumentNullException.ThrowIfNull(output);
        if (a.Dim != 2 || b.Dim != 2)
            throw new ArgumentException($"{op}: with an output expects a matrix [n, k] times a matrix [k, m], got shapes {Shapes.Format(a._shape)} and {Shapes.Format(b._shape)}.");
        int n = a._shape[0], k = a._shape[1], m = b._shape[1];
        if (b._shape[0] != k)
            throw new ArgumentException($"{op}: shapes {Shapes.Format(a._shape)} and {Shapes.Format(b._shape)} are not aligned: the first has {k} columns but the second has {b._shape[0]} rows.");
        if (output.Dim != 2 || output._shape[0] != n || output._shape[1] != m)
            throw new ArgumentException($"{op}: the output has shape {Shapes.Format(output._shape)}; the product of {Shapes.Format(a._shape)} and {Shapes.Format(b._shape)} needs [{n}, {m}].");
        if (ShouldRecord(a, b))
            throw new InvalidOperationException($"{op}: an output tensor records no graph, but an input requires grad; call MatMul(a, b) or run under no_grad.");
        if (ReferenceEquals(output._data, a._data) || ReferenceEquals(output._data, b._data))
            throw new ArgumentException($"{op}: the output shares its storage with an input; it must be a separate tensor.");
        output.CheckInPlace(op);
        MatMulKernel.Gemm(a._data, false, b._data, false, output._data, n, k, m);
        return output;
    }

    /// <summary>
    /// The dense symmetric n×n matrix with value[e] at (i_e, j_e) and (j_e, i_e) for each edge e (i_e ≠ j_e, each
    /// unordered pair at most once), <paramref name="diagonal"/> on the diagonal and 0 elsewhere: I + Q for a weighted
    /// graph when the support is dense enough that a blocked matmul beats the sparse kernel. Gradient:
    /// dValue[e] = G[i_e, j_e] + G[j_e, i_e].
    /// </summary>
    public static Tensor SymmetricFromEdges(Tensor values, int n, IReadOnlyList<(int I, int J)> edges, double diagonal = 0.0)
    {
        const string op = "symmetric_from_edges";
        ArgumentNullException.ThrowIfNull(edges);
        if (values.Dim != 1 || values._shape[0] != edges.Count)
            throw new ArgumentException($"{op}: values must have shape [{edges.Count}] (one per edge), got {Shapes.Format(values._shape)}.");
        var lo = new int[edges.Count];
        var hi = new int[edges.Count];
        for (int e = 0; e < edges.Count; e++)
        {
            var (i, j) = edges[e];
            if ((uint)i >= (uint)n || (uint)j >= (uint)n || i == j)
                throw new ArgumentException($"{op}: edge {e} = ({i}, {j}) must join two different agents in 0..{n - 1}.");
            (lo[e], hi[e]) = (Math.Min(i, j), Math.Max(i, j));
        }
        if ((long)n * n > int.MaxValue) throw new ArgumentException($"{op}: n = {n} is too large for a dense matrix.");
        // Values go to the upper triangle (row-major order for edge lists sorted that way), then a tiled mirror fills
        // the lower one: no stride-n write per edge.
        var o = new double[n * n];
        var v = values._data;
        for (int e = 0; e < lo.Length; e++) o[lo[e] * n + hi[e]] = v[e];
        MirrorUpper(o, n, add: false);
        if (diagonal != 0) for (int i = 0; i < n; i++) o[i * n + i] = diagonal;
        return Record(new Tensor(o, [n, n]), op, [values], g =>
        {
            // H = G + Gᵀ on the upper triangle (tiled), then dValue[e] = H[lo, hi].
            MirrorUpper(g, n, add: true); // in the dead output gradient's own storage: no N×N copy
            var gv = new double[lo.Length];
            for (int e = 0; e < gv.Length; e++) gv[e] = g[lo[e] * n + hi[e]];
            values.AccumulateGradOwned(gv);
        });
    }

    /// <summary>
    /// <see cref="SymmetricFromEdges(Tensor, int, IReadOnlyList{ValueTuple{int, int}}, double)"/> with the edges given as
    /// precomputed flat positions (<paramref name="upper"/>[e] = lo·n + hi, <paramref name="lower"/>[e] = hi·n + lo, checked
    /// once by the caller): no per-call validation or index arrays. Small n (<paramref name="mirror"/> false, the matrix in
    /// L2) scatters each value to both triangles and gathers the gradient as G[lo, hi] + G[hi, lo]; large n writes the
    /// upper triangle and mirrors it in tiles, and folds the gradient G + Gᵀ in place in tiles (G is the dead output
    /// gradient: no copy). With <paramref name="rows"/> = k·n the result is k stacked n×n blocks ([k·n, n], positions
    /// within the stack, block-diagonal use): <paramref name="diagonal"/> goes to each block's diagonal.
    /// </summary>
    internal static Tensor SymmetricFromPositions(Tensor values, int rows, int n, int[] upper, int[] lower, double diagonal, bool mirror)
    {
        const string op = "symmetric_from_edges";
        if (values.Dim != 1 || values._shape[0] != upper.Length)
            throw new ArgumentException($"{op}: values must have shape [{upper.Length}] (one per edge), got {Shapes.Format(values._shape)}.");
        if (mirror && rows != n) throw new ArgumentException($"{op}: the tiled mirror needs one square block, got {rows}×{n}.");
        var o = new double[rows * n];
        var v = values._data;
        if (mirror)
        {
            for (int e = 0; e < upper.Length; e++) o[upper[e]] = v[e];
            MirrorUpper(o, n, add: false);
        }
        else
            for (int e = 0; e < upper.Length; e++)
            {
                o[upper[e]] = v[e];
                o[lower[e]] = v[e];
            }
        if (diagonal != 0) for (int i = 0; i < rows; i++) o[i * n + i % n] = diagonal;
        return Record(new Tensor(o, [rows, n]), op, [values], g =>
        {
            var gv = new double[upper.Length];
            if (mirror)
            {
                MirrorUpper(g, n, add: true); // H = G + Gᵀ on the upper triangle, in the dead gradient's own storage
                for (int e = 0; e < gv.Length; e++) gv[e] = g[upper[e]];
            }
            else
                for (int e = 0; e < gv.Length; e++) gv[e] = g[upper[e]] + g[lower[e]];
            values.AccumulateGradOwned(gv);
        });
    }

    /// <summary>
    /// (S)·x for the dense symmetric n×n matrix S that <see cref="SymmetricFromPositions"/> builds from
    /// <paramref name="values"/> (one square block), in one op that keeps its two n×n arrays in <paramref name="scratch"/>
    /// and reuses them every call: S itself (free again once this op's backward has run, or at once when nothing is
    /// recorded; a call while the last S is still needed by an un-run backward gets a fresh array) and the backward's
    /// G·xᵀ. At N = 1024 that is 16 MiB per step not allocated. Gradients: dValue[e] = H[lo, hi] + H[hi, lo] with
    /// H = G·xᵀ, dx = S·G (S is symmetric). The backward must run at most once per forward.
    /// </summary>
    internal static Tensor SymmetricMatMul(Tensor values, int n, int[] upper, int[] lower, double diagonal, bool mirror, Tensor x, SymmetricScratch scratch)
    {
        const string op = "symmetric_matmul";
        if (values.Dim != 1 || values._shape[0] != upper.Length)
            throw new ArgumentException($"{op}: values must have shape [{upper.Length}] (one per edge), got {Shapes.Format(values._shape)}.");
        if (x.Dim != 2 || x._shape[0] != n)
            throw new ArgumentException($"{op}: x must have shape [{n}, m], got {Shapes.Format(x._shape)}.");
        int m = x._shape[1];
        bool pooled = !scratch.Busy && scratch.Matrix?.Length == n * n;
        var a = pooled ? scratch.Matrix! : new double[n * n];
        // A complete graph writes every off-diagonal entry (directly or by the mirror) and the diagonal below: no clear.
        bool complete = upper.Length == (long)n * (n - 1) / 2 && diagonal != 0;
        if (pooled && !complete) Array.Clear(a);
        var v = values._data;
        if (mirror)
        {
            for (int e = 0; e < upper.Length; e++) a[upper[e]] = v[e];
            MirrorUpper(a, n, add: false);
        }
        else
            for (int e = 0; e < upper.Length; e++)
            {
                a[upper[e]] = v[e];
                a[lower[e]] = v[e];
            }
        if (diagonal != 0) for (int i = 0; i < n; i++) a[i * n + i] = diagonal;
        var o = GradientPool.Rent(n * m, clear: false); // the product overwrites every element
        MatMulKernel.Gemm(a, false, x._data, false, o, n, n, m);
        if (!scratch.Busy) scratch.Matrix = a; // else an earlier graph still holds the pooled S: this call's stays its own
        if (!ShouldRecord(values, x)) return new Tensor(o, [n, m]);
        bool owns = ReferenceEquals(scratch.Matrix, a);
        if (owns) scratch.Busy = true;
        return Record(new Tensor(o, [n, m]), op, [values, x], g =>
        {
            if (values._requiresGrad)
            {
                var h = scratch.Gradient?.Length == n * n ? scratch.Gradient : scratch.Gradient = new double[n * n];
                MatMulKernel.Gemm(g, false, x._data, true, h, n, m, n); // H = G·xᵀ, every entry overwritten
                var gv = GradientPool.Rent(upper.Length, clear: false); // every entry written below
                if (mirror)
                {
                    MirrorUpper(h, n, add: true);
                    for (int e = 0; e < gv.Length; e++) gv[e] = h[upper[e]];
                }
                else
                    for (int e = 0; e < gv.Length; e++) gv[e] = h[upper[e]] + h[lower[e]];
                values.AccumulateGradOwned(gv);
            }
            if (x._requiresGrad)
            {
                var gx = GradientPool.Rent(n * m, clear: false);
                MatMulKernel.Gemm(a, false, g, false, gx, n, n, m);
                x.AccumulateGradOwned(gx);
            }
            if (owns) scratch.Busy = false;
        });
    }

    /// <summary>
    /// Block-diagonal product: <paramref name="blocks"/> holds k stacked n×n blocks A_r ([k·n, n]), <paramref name="x"/> is
    /// [k·n, m], and block r of the result is A_r·X_r ([k·n, m]), each by the blocked matmul kernel. k independent systems
    /// (batched multi-start) multiply in one op without the (k·n)² zeros. Gradients per block: dA_r = G_r·X_rᵀ,
    /// dX_r = A_rᵀ·G_r. Blocks run in parallel; each is computed alone, so results do not depend on the thread count.
    /// </summary>
    internal static Tensor BlockDiagonalMatMul(Tensor blocks, Tensor x)
    {
        const string op = "block_matmul";
        if (blocks.Dim != 2 || x.Dim != 2 || blocks._shape[0] != x._shape[0] || blocks._shape[1] == 0 || blocks._shape[0] % blocks._shape[1] != 0)
            throw new ArgumentException($"{op}: expects stacked n×n blocks [k·n, n] and x [k·n, m], got shapes {Shapes.Format(blocks._shape)} and {Shapes.Format(x._shape)}.");
        int n = blocks._shape[1], k = blocks._shape[0] / n, m = x._shape[1];
        var o = new double[k * n * m];
        BlockGemm(k, blocks._data, n * n, false, x._data, n * m, false, o, n * m, n, n, m);
        return Record(new Tensor(o, [k * n, m]), op, [blocks, x], g =>
        {
            if (blocks._requiresGrad)
            {
                var ga = new double[k * n * n];
                BlockGemm(k, g, n * m, false, x._data, n * m, true, ga, n * n, n, m, n); // G_r·X_rᵀ
                blocks.AccumulateGradOwned(ga);
            }
            if (x._requiresGrad)
            {
                var gx = GradientPool.Rent(k * n * m);
                BlockGemm(k, blocks._data, n * n, true, g, n * m, false, gx, n * m, n, n, m); // A_rᵀ·G_r
                x.AccumulateGradOwned(gx);
            }
        });
    }

    /// <summary>
    /// For each block r &lt; k: C_r[rows×m] = op(A_r)·op(B_r) (op(A_r) rows×inner, op(B_r) inner×m, as in
    /// MatMulKernel.Gemm), where A_r, B_r, C_r are the r-th slices (of aLen, bLen, cLen doubles) of a, b, c. Slices are
    /// copied to contiguous scratch for the kernel, which takes whole arrays.
    /// </summary>
    private static void BlockGemm(int k, double[] a, int aLen, bool transA, double[] b, int bLen, bool transB,
        double[] c, int cLen, int rows, int inner, int m)
    {
        TensorEngine.ParallelRanges(k, (s, e) =>
        {
            var (ta, tb, tc) = (new double[aLen], new double[bLen], new double[cLen]);
            for (int r = s; r < e; r++)
            {
                Array.Copy(a, r * aLen, ta, 0, aLen);
                Array.Copy(b, r * bLen, tb, 0, bLen);
                MatMulKernel.Gemm(ta, transA, tb, transB, tc, rows, inner, m);
                Array.Copy(tc, 0, c, r * cLen, cLen);
            }
        }, Math.Max(1, (1 << 15) / Math.Max(1, rows * inner * m)));
    }

    /// <summary>Tile edge of <see cref="MirrorUpper"/> (two 32×32 double tiles fit in L1).</summary>
    private const int MirrorTile = 32;

    /// <summary>
    /// add false: x[j, i] = x[i, j] for i &lt; j (copy the upper triangle to the lower one); add true: x[i, j] += x[j, i]
    /// for i &lt; j (fold the lower triangle into the upper one). n×n row-major, in 32×32 tiles for cache locality.
    /// </summary>
    private static void MirrorUpper(double[] x, int n, bool add)
    {
        int tiles = (n + MirrorTile - 1) / MirrorTile;
        TensorEngine.ParallelFor(tiles, bi =>
        {
            int i0 = bi * MirrorTile, i1 = Math.Min(n, i0 + MirrorTile);
            for (int j0 = i0; j0 < n; j0 += MirrorTile)
            {
                int j1 = Math.Min(n, j0 + MirrorTile);
                for (int i = i0; i < i1; i++)
                    for (int j = Math.Max(j0, i + 1); j < j1; j++)
                    {
                        if (add) x[i * n + j] += x[j * n + i];
                        else x[j * n + i] = x[i * n + j];
                    }
            }
        }, Math.Max(1, 64 * 1024 / (n * MirrorTile)));
    }

    /// <summary>
    /// Sparse × dense product A·dense, where A is the rows×cols matrix with <paramref name="pattern"/>'s non-zeros
    /// holding <paramref name="values"/> (shape [Nnz], in CSR order: see <see cref="SparsePattern.EdgeOrder"/>) and
    /// <paramref name="dense"/> has shape [cols, m]; the result has shape [rows, m]. Cost O(Nnz·m).
    /// Differentiable in both: dValues[e] = G[row(e), :]·dense[col(e), :], dDense = Aᵀ·G.
    /// </summary>
    public static Tensor SparseMatMul(SparsePattern pattern, Tensor values, Tensor dense)
    {
        const string op = "sparse_matmul";
        ArgumentNullException.ThrowIfNull(pattern);
        if (values.Dim != 1 || values._shape[0] != pattern.Nnz)
            throw new ArgumentException($"{op}: values must have shape [{pattern.Nnz}] (one per stored entry of the {pattern.Rows}×{pattern.Cols} pattern), got {Shapes.Format(values._shape)}.");
        if (dense.Dim != 2 || dense._shape[0] != pattern.Cols)
            throw new ArgumentException($"{op}: dense must have shape [{pattern.Cols}, m] to multiply a {pattern.Rows}×{pattern.Cols} sparse matrix, got {Shapes.Format(dense._shape)}.");
        int m = dense._shape[1];
        var o = GradientPool.Rent(pattern.Rows * m);
        SpMM(pattern.RowPtrArray, pattern.ColIndexArray, null, values._data, dense._data, o, pattern.Rows, m);
        return Record(new Tensor(o, [pattern.Rows, m]), op, [values, dense], g =>
        {
            if (values._requiresGrad)
            {
                var gv = GradientPool.Rent(pattern.Nnz, clear: false); // every entry written below
                var rowPtr = pattern.RowPtrArray;
                var col = pattern.ColIndexArray;
                var d = dense._data;
                TensorEngine.ParallelRanges(pattern.Rows, (s, e) =>
                {
                    for (int r = s; r < e; r++)
                    {
                        var gr = new ReadOnlySpan<double>(g, r * m, m);
                        for (int q = rowPtr[r]; q < rowPtr[r + 1]; q++)
                            gv[q] = m == 1 ? g[r] * d[col[q]] : MatMulKernel.Dot(gr, new ReadOnlySpan<double>(d, col[q] * m, m));
                    }
                }, MinRowsPerThread(pattern.Nnz, pattern.Rows, m));
                values.AccumulateGradOwned(gv);
            }
            if (dense._requiresGrad)
            {
                // Aᵀ·G over the transposed pattern; its EdgeOrder maps each transposed entry to A's CSR position.
                var t = pattern.Transpose();
                var gd = GradientPool.Rent(pattern.Cols * m);
                SpMM(t.RowPtrArray, t.ColIndexArray, t.EdgeOrderArray, values._data, g, gd, pattern.Cols, m);
                dense.AccumulateGradOwned(gd);
            }
        });
    }

    /// <summary>
    /// out[r, :] = Σ_q values[map(q)]·x[col[q], :] over the CSR row r, rows in parallel; each row is summed in
    /// CSR order, so the result does not depend on the thread count.
    /// </summary>
    private static void SpMM(int[] rowPtr, int[] col, int[]? valueIndex, double[] values, double[] x, double[] o, int rows, int m)
    {
        int nnz = rowPtr[rows];
        TensorEngine.ParallelRanges(rows, (s, e) =>
        {
            if (m == 1) // matrix-vector (e.g. weighted degrees Q·1): scalar loop, same order as below
            {
                for (int r = s; r < e; r++)
                {
                    double acc = 0;
                    for (int q = rowPtr[r]; q < rowPtr[r + 1]; q++) acc += values[valueIndex is null ? q : valueIndex[q]] * x[col[q]];
                    o[r] = acc;
                }
                return;
            }
            for (int r = s; r < e; r++)
            {
                var orow = new Span<double>(o, r * m, m);
                for (int q = rowPtr[r]; q < rowPtr[r + 1]; q++)
                {
                    double v = values[valueIndex is null ? q : valueIndex[q]];
                    TP.MultiplyAdd(new ReadOnlySpan<double>(x, col[q] * m, m), v, orow, orow);
                }
            }
        }, MinRowsPerThread(nnz, rows, m));
    }

    /// <summary>Rows per thread so that each thread gets at least about 2^15 multiply-adds.</summary>
    private static int MinRowsPerThread(int nnz, int rows, int m)
    {
        double workPerRow = Math.Max(1.0, (double)nnz * Math.Max(1, m) / Math.Max(1, rows));
        return (int)Math.Max(1, Math.Min(int.MaxValue, (1 << 15) / workPerRow));
    }
}

/// <summary>The two reusable n×n arrays of <see cref="Tensor.SymmetricMatMul"/> (held by its caller, e.g. an interaction graph).</summary>
internal sealed class SymmetricScratch
{
    /// <summary>The last dense matrix S.</summary>
    public double[]? Matrix;
    /// <summary>The backward's G·xᵀ.</summary>
    public double[]? Gradient;
    /// <summary>Whether <see cref="Matrix"/> is still needed by a recorded backward that has not run.</summary>
    public bool Busy;
}
