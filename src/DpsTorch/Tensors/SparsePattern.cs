// SparsePattern: the immutable CSR structure (where the non-zeros are) of a rows×cols sparse matrix, used by
// Tensor.SparseMatMul for sparse interaction graphs Q with learnable edge weights (MODEL.md section 1).
namespace DpsTorch;

/// <summary>
/// The positions of the non-zeros of a rows×cols matrix in compressed sparse row (CSR) form. Values live outside
/// (a [Nnz] tensor, in CSR order), so one pattern serves any number of weightings.
/// Entry q (0 ≤ q &lt; Nnz) lies in row r where RowPtr[r] ≤ q &lt; RowPtr[r+1], column ColIndex[q]; within a row
/// entries are sorted by column. EdgeOrder[q] is the index of that entry in the edge list it was built from.
/// </summary>
public sealed class SparsePattern
{
    private readonly int[] _rowPtr;
    private readonly int[] _colIndex;
    private readonly int[] _edgeOrder;
    private SparsePattern? _transpose;

    private SparsePattern(int rows, int cols, int[] rowPtr, int[] colIndex, int[] edgeOrder)
    {
        Rows = rows;
        Cols = cols;
        _rowPtr = rowPtr;
        _colIndex = colIndex;
        _edgeOrder = edgeOrder;
    }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of columns.</summary>
    public int Cols { get; }

    /// <summary>Number of stored entries.</summary>
    public int Nnz => _colIndex.Length;

    /// <summary>Row r's entries are [RowPtr[r], RowPtr[r+1]); length Rows + 1.</summary>
    public ReadOnlySpan<int> RowPtr => _rowPtr;

    /// <summary>Column of each entry, in CSR order; length Nnz.</summary>
    public ReadOnlySpan<int> ColIndex => _colIndex;

    /// <summary>
    /// EdgeOrder[q] = the index, in the caller's edge list, of CSR entry q (the identity for <see cref="FromDense"/>,
    /// which lists entries row-major). Use <see cref="ToCsrOrder"/> to reorder per-edge values.
    /// </summary>
    public ReadOnlySpan<int> EdgeOrder => _edgeOrder;

    internal int[] RowPtrArray => _rowPtr;
    internal int[] ColIndexArray => _colIndex;
    internal int[] EdgeOrderArray => _edgeOrder;

    /// <summary>Row of each CSR entry (length Nnz), e.g. for per-edge costs.</summary>
    public int[] RowIndices()
    {
        var r = new int[Nnz];
        for (int i = 0; i < Rows; i++)
            for (int q = _rowPtr[i]; q < _rowPtr[i + 1]; q++) r[q] = i;
        return r;
    }

    /// <summary>
    /// Builds the pattern from an edge list: edge e is the entry (rowIndex[e], colIndex[e]). Errors name the bad edge
    /// and the allowed range; a repeated (row, col) pair is rejected.
    /// </summary>
    public static SparsePattern FromEdges(int rows, int cols, int[] rowIndex, int[] colIndex)
    {
        const string op = "SparsePattern.FromEdges";
        ArgumentNullException.ThrowIfNull(rowIndex);
        ArgumentNullException.ThrowIfNull(colIndex);
        if (rows < 0 || cols < 0) throw new ArgumentException($"{op}: rows ({rows}) and cols ({cols}) must be >= 0.");
        if (rowIndex.Length != colIndex.Length)
            throw new ArgumentException($"{op}: rowIndex has {rowIndex.Length} entries but colIndex has {colIndex.Length}; give one (row, col) pair per edge.");
        int nnz = rowIndex.Length;
        for (int e = 0; e < nnz; e++)
        {
            if ((uint)rowIndex[e] >= (uint)rows)
                throw new ArgumentOutOfRangeException(nameof(rowIndex), $"{op}: edge {e} has row index {rowIndex[e]}, outside the allowed range 0..{rows - 1} (rows = {rows}).");
            if ((uint)colIndex[e] >= (uint)cols)
                throw new ArgumentOutOfRangeException(nameof(colIndex), $"{op}: edge {e} has column index {colIndex[e]}, outside the allowed range 0..{cols - 1} (cols = {cols}).");
        }

        // Counting sort by row (stable), then sort each row by column, carrying the edge index along.
        var rowPtr = new int[rows + 1];
        for (int e = 0; e < nnz; e++) rowPtr[rowIndex[e] + 1]++;
        for (int r = 0; r < rows; r++) rowPtr[r + 1] += rowPtr[r];
        var next = (int[])rowPtr.Clone();
        var col = new int[nnz];
        var order = new int[nnz];
        for (int e = 0; e < nnz; e++)
        {
            int q = next[rowIndex[e]]++;
            col[q] = colIndex[e];
            order[q] = e;
        }
        for (int r = 0; r < rows; r++)
        {
            int s = rowPtr[r], len = rowPtr[r + 1] - s;
            if (len > 1) Array.Sort(col, order, s, len);
            for (int q = s + 1; q < s + len; q++)
                if (col[q] == col[q - 1])
                    throw new ArgumentException($"{op}: edges {Math.Min(order[q], order[q - 1])} and {Math.Max(order[q], order[q - 1])} both give entry ({r}, {col[q]}); each entry may appear once.");
        }
        return new SparsePattern(rows, cols, rowPtr, col, order);
    }

    /// <summary>The pattern of the non-zero entries of a rank-2 tensor, listed row-major (EdgeOrder is the identity).</summary>
    public static SparsePattern FromDense(Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.Dim != 2) throw new ArgumentException($"SparsePattern.FromDense: mask must have rank 2, got shape {Shapes.Format(mask.ShapeRef)}.");
        int rows = mask.ShapeRef[0], cols = mask.ShapeRef[1];
        var d = mask.Storage;
        var rowPtr = new int[rows + 1];
        var col = new List<int>();
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
                if (d[r * cols + c] != 0) col.Add(c);
            rowPtr[r + 1] = col.Count;
        }
        var order = new int[col.Count];
        for (int q = 0; q < order.Length; q++) order[q] = q;
        return new SparsePattern(rows, cols, rowPtr, [.. col], order);
    }

    /// <summary>Reorders per-edge values given in the caller's edge order into CSR order: result[q] = values[EdgeOrder[q]].</summary>
    public double[] ToCsrOrder(ReadOnlySpan<double> valuesInEdgeOrder)
    {
        if (valuesInEdgeOrder.Length != Nnz)
            throw new ArgumentException($"SparsePattern.ToCsrOrder: expected {Nnz} values (one per edge), got {valuesInEdgeOrder.Length}.");
        var o = new double[Nnz];
        for (int q = 0; q < o.Length; q++) o[q] = valuesInEdgeOrder[_edgeOrder[q]];
        return o;
    }

    /// <summary>The dense rows×cols matrix with <paramref name="csrValues"/> (CSR order) at the stored entries.</summary>
    public Tensor ToDense(ReadOnlySpan<double> csrValues)
    {
        if (csrValues.Length != Nnz)
            throw new ArgumentException($"SparsePattern.ToDense: expected {Nnz} values (one per stored entry), got {csrValues.Length}.");
        var t = Tensor.Zeros(Rows, Cols);
        var d = t.Storage;
        for (int r = 0; r < Rows; r++)
            for (int q = _rowPtr[r]; q < _rowPtr[r + 1]; q++) d[r * Cols + _colIndex[q]] = csrValues[q];
        return t;
    }

    /// <summary>
    /// The cols×rows pattern of the transpose (built once, then cached). Its EdgeOrder maps each of its entries to
    /// the CSR position of the same entry in this pattern, so values[EdgeOrder[t]] is the transposed entry t's value.
    /// </summary>
    public SparsePattern Transpose()
    {
        if (_transpose is not null) return _transpose;
        var rowOfEntry = RowIndices();
        var t = FromEdges(Cols, Rows, _colIndex, rowOfEntry);
        Interlocked.CompareExchange(ref _transpose, t, null);
        return _transpose!;
    }
}
