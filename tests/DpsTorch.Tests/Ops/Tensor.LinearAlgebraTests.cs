using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Ops;

public class TensorLinearAlgebraTests
{
    /// <summary>C = A·B by the textbook triple loop (op(A) is A or Aᵀ as stored).</summary>
    private static double[] Naive(double[] a, double[] b, int n, int k, int m)
    {
        var c = new double[n * m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[i * k + p] * b[p * m + j];
                c[i * m + j] = s;
            }
        return c;
    }

    private static double[] Transposed(double[] a, int rows, int cols)
    {
        var t = new double[a.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
        return t;
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 13, 5)]
    [InlineData(65, 33, 17)]
    [InlineData(97, 257, 19)]   // crosses the row block (96), the depth block (256) and the column panel (8)
    [InlineData(13, 600, 9)]    // several depth blocks, partial last one
    [InlineData(200, 3, 130)]   // large enough to run in parallel
    public void MatMul_MatchesNaiveTripleLoop(int n, int k, int m)
    {
        var a = Tensor.Rand(new Random(1), [n, k], -1, 1);
        var b = Tensor.Rand(new Random(2), [k, m], -1, 1);
        var c = a.MatMul(b);
        Assert.Equal(new[] { n, m }, c.Shape);
        AssertClose(Naive(a.ToArray(), b.ToArray(), n, k, m), c.ToArray(), 1e-12 * k);
    }

    [Theory]
    [InlineData(3, 4, 5)]
    [InlineData(13, 7, 9)]   // crosses the micro-tile in both directions
    public void MatMul_Gradients_MatchFiniteDifferences(int n, int k, int m)
    {
        var a = Param(3, [n, k]);
        var b = Param(4, [k, m]);
        var w = Tensor.Rand(new Random(5), [n, m]);
        AssertGradients(x => (x[0].MatMul(x[1]) * w).Sum(), [a, b]);
        AssertGradients(x => Tensor.MatMul(x[0], x[1]).Pow(2.0).Sum(), [a, b]);
    }

    [Fact]
    public void MatMul_Backward_MatchesNaiveTransposedProducts_AcrossBlockBoundaries()
    {
        int n = 50, k = 300, m = 21;
        var a = Param(6, [n, k]);
        var b = Param(7, [k, m]);
        var g = Tensor.Rand(new Random(8), [n, m], -1, 1);
        Tensor.MatMul(a, b).Backward(g.ToArray());
        AssertClose(Naive(g.ToArray(), Transposed(b.ToArray(), k, m), n, m, k), a.Grad!.ToArray(), 1e-11);  // dA = G·Bᵀ
        AssertClose(Naive(Transposed(a.ToArray(), n, k), g.ToArray(), k, n, m), b.Grad!.ToArray(), 1e-11);  // dB = Aᵀ·G
    }

    [Fact]
    public void MatVec_Values_And_Gradients()
    {
        var a = Param(9, [6, 4]);
        var v = Param(10, [4]);
        var y = a.MatMul(v);
        Assert.Equal(new[] { 6 }, y.Shape);
        AssertClose(Naive(a.ToArray(), v.ToArray(), 6, 4, 1), y.ToArray(), 1e-14);
        var w = Tensor.Rand(new Random(11), [6]);
        AssertGradients(x => (x[0].MatMul(x[1]) * w).Sum(), [a, v]);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(97, 257, 19)]   // partial row tile, partial depth block, partial column panel
    [InlineData(300, 260, 41)]  // parallel
    public void MatMul_IntoOutput_IsBitwiseEqualToMatMul_AndOverwritesStaleValues(int n, int k, int m)
    {
        var a = Tensor.Rand(new Random(21), [n, k], -1, 1);
        var b = Tensor.Rand(new Random(22), [k, m], -1, 1);
        var output = Tensor.Full(double.NaN, n, m);
        var returned = Tensor.MatMul(a, b, output);
        Assert.Same(output, returned);
        Assert.Equal(a.MatMul(b).ToArray(), output.ToArray());
        Assert.False(output.RequiresGrad);
    }

    [Fact]
    public void MatMul_IntoOutput_RejectsWrongShapeAliasingAndInputsThatNeedGrad()
    {
        var a = Tensor.Rand(new Random(23), [4, 3], -1, 1);
        var b = Tensor.Rand(new Random(24), [3, 5], -1, 1);
        var shape = Assert.Throws<ArgumentException>(() => Tensor.MatMul(a, b, Tensor.Zeros(5, 4)));
        Assert.Contains("[5, 4]", shape.Message);
        Assert.Contains("[4, 5]", shape.Message);
        var square = Tensor.Rand(new Random(25), [3, 3], -1, 1);
        Assert.Throws<ArgumentException>(() => Tensor.MatMul(square, square, square));
        var w = Param(26, [3, 5]);
        var grad = Assert.Throws<InvalidOperationException>(() => Tensor.MatMul(a, w, Tensor.Zeros(4, 5)));
        Assert.Contains("requires grad", grad.Message);
        using (TensorEngine.NoGrad())
        {
            var c = Tensor.MatMul(a, w, Tensor.Zeros(4, 5));
            Assert.Equal(a.MatMul(w.Detach()).ToArray(), c.ToArray());
        }
        var recorded = a.MatMul(w); // a product in a recorded graph is needed by its backward: never overwritten
        Assert.Throws<InvalidOperationException>(() => Tensor.MatMul(a, b, recorded));
    }

    [Fact]
    public void MatMul_IsBitwiseIdentical_ForOneAndTwoThreads()
    {
        int saved = TensorEngine.NumThreads;
        try
        {
            double[] Run(int threads, out double[] ga, out double[] gb, out double[] mv)
            {
                TensorEngine.SetNumThreads(threads);
                var a = Param(12, [200, 150]);
                var b = Param(13, [150, 170]);
                var c = a.MatMul(b);
                c.Backward(Tensor.Rand(new Random(14), [200, 170]).ToArray());
                ga = a.Grad!.ToArray();
                gb = b.Grad!.ToArray();
                var big = Tensor.Rand(new Random(15), [3000, 200]);
                mv = big.MatMul(Tensor.Rand(new Random(16), [200])).ToArray();
                return c.ToArray();
            }
            var c1 = Run(1, out var ga1, out var gb1, out var mv1);
            var c2 = Run(2, out var ga2, out var gb2, out var mv2);
            Assert.Equal(c1, c2);
            Assert.Equal(ga1, ga2);
            Assert.Equal(gb1, gb2);
            Assert.Equal(mv1, mv2);
        }
        finally { TensorEngine.SetNumThreads(saved); }
    }

    [Theory]
    [InlineData(37, 700, 29, false, false)] // three depth blocks, the last partial; partial row and column tiles
    [InlineData(130, 513, 150, true, false)] // above the column split's size: two row ranges with two threads
    [InlineData(61, 300, 75, false, true)]
    [InlineData(300, 260, 41, true, true)]  // two column ranges with two threads, the last panel partial
    [InlineData(300, 260, 20, false, false)] // three column panels: too few to split, two row ranges instead
    [InlineData(128, 128, 256, false, false)] // the N = 128 model's (I + Q)·w and (I + Q)·G: column split
    [InlineData(128, 256, 128, false, true)]  // its G·wᵀ
    public void MatMul_SumsEachElement_InTheDocumentedOrder(int n, int k, int m, bool transA, bool transB)
    {
        // The order behind bitwise reproducibility of saved models across kernel changes: per 256-deep block a
        // chain of multiply-adds in depth order (fused where the kernel uses FMA), then C = block (first) or C += block.
        var rng = new Random(n * 7 + k);
        var a = new double[n * k];
        var b = new double[k * m];
        for (int i = 0; i < a.Length; i++) a[i] = rng.NextDouble() - 0.5;
        for (int i = 0; i < b.Length; i++) b[i] = rng.NextDouble() - 0.5;
        var expected = new double[n * m];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
            {
                double c = 0;
                for (int p0 = 0; p0 < k; p0 += 256)
                {
                    double acc = 0;
                    for (int p = p0; p < Math.Min(k, p0 + 256); p++)
                    {
                        double x = transA ? a[p * n + i] : a[i * k + p], y = transB ? b[j * k + p] : b[p * m + j];
                        acc = MatMulKernel.UsesFma ? Math.FusedMultiplyAdd(x, y, acc) : acc + x * y;
                    }
                    c = p0 == 0 ? acc : c + acc;
                }
                expected[i * m + j] = c;
            }
        foreach (int threads in new[] { 1, 2 })
        {
            int saved = TensorEngine.NumThreads;
            TensorEngine.SetNumThreads(threads);
            try
            {
                var actual = new double[n * m];
                MatMulKernel.Gemm(a, transA, b, transB, actual, n, k, m);
                Assert.Equal(expected, actual);
            }
            finally { TensorEngine.SetNumThreads(saved); }
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(13, 600, 9)]     // several depth blocks, partial last one, partial column panel
    [InlineData(97, 257, 19)]    // partial row tile, partial depth block
    [InlineData(16, 16, 256)]    // the N = 16 model's (I + Q)·w
    [InlineData(128, 128, 256)]  // above the direct path's size: both pack
    public void MatMul_SmallDirectPath_IsBitwiseEqualToPackedPath(int n, int k, int m)
    {
        var rng = new Random(n + k + m);
        var a = new double[n * k];
        var b = new double[k * m];
        for (int i = 0; i < a.Length; i++) a[i] = rng.NextDouble() - 0.5;
        for (int i = 0; i < b.Length; i++) b[i] = rng.NextDouble() - 0.5;
        foreach (bool transA in new[] { false, true })
            foreach (int threads in new[] { 1, 2 })
            {
                int saved = TensorEngine.NumThreads;
                TensorEngine.SetNumThreads(threads);
                try
                {
                    var direct = new double[n * m];
                    var packed = new double[n * m];
                    MatMulKernel.Gemm(a, transA, b, false, direct, n, k, m, allowDirect: true);
                    MatMulKernel.Gemm(a, transA, b, false, packed, n, k, m, allowDirect: false);
                    Assert.Equal(packed, direct);
                    if (!transA) AssertClose(Naive(a, b, n, k, m), direct, 1e-12);
                }
                finally { TensorEngine.SetNumThreads(saved); }
            }
    }

    [Theory]
    [InlineData(1, 1, 1, false)]
    [InlineData(13, 600, 9, false)]    // several depth blocks, partial last one, partial row and column panels
    [InlineData(97, 257, 19, true)]    // partial row tile, partial depth block, B transposed
    [InlineData(300, 300, 64, false)]
    public void GemmPacked_FromEntriesWrittenAtPackedIndex_IsBitwiseEqualToGemm(int n, int k, int m, bool transB)
    {
        var rng = new Random(3 * n + k + m);
        var a = new double[n * k];
        var b = new double[k * m];
        for (int i = 0; i < a.Length; i++) a[i] = rng.NextDouble() - 0.5;
        for (int i = 0; i < b.Length; i++) b[i] = rng.NextDouble() - 0.5;
        var packedA = new double[MatMulKernel.PackedLength(n, k)];
        var seen = new HashSet<int>();
        for (int i = 0; i < n; i++)
            for (int p = 0; p < k; p++)
            {
                int at = MatMulKernel.PackedIndex(n, k, i, p);
                Assert.True(seen.Add(at)); // one place per entry
                packedA[at] = a[i * k + p];
            }
        foreach (int threads in new[] { 1, 2 })
        {
            int saved = TensorEngine.NumThreads;
            TensorEngine.SetNumThreads(threads);
            try
            {
                var expected = new double[n * m];
                var actual = new double[n * m];
                MatMulKernel.Gemm(a, false, b, transB, expected, n, k, m);
                MatMulKernel.GemmPacked(packedA, b, transB, actual, n, k, m);
                Assert.Equal(expected, actual);
            }
            finally { TensorEngine.SetNumThreads(saved); }
        }
        Assert.Throws<ArgumentException>(() => MatMulKernel.GemmPacked(new double[1], b, transB, new double[n * m], n + 1, k, m));
    }

    [Fact]
    public void MatMul_Throws_NamingBothShapes_WhenNotAligned()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).MatMul(Tensor.Zeros(4, 5)));
        Assert.Contains("matmul", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4, 5]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(3).MatMul(Tensor.Zeros(3)));
        Assert.Contains("[3]", ex.Message);
    }

    // ---- sparse ----

    /// <summary>A 5×4 pattern given in scrambled edge order, with values per edge.</summary>
    private static (SparsePattern p, int[] rows, int[] cols) Example()
    {
        int[] rows = [3, 0, 4, 0, 2, 3, 1, 4];
        int[] cols = [1, 3, 0, 0, 2, 0, 1, 3];
        return (SparsePattern.FromEdges(5, 4, rows, cols), rows, cols);
    }

    [Fact]
    public void SparsePattern_FromEdges_SortsIntoCsr_AndKeepsEdgeOrder()
    {
        var (p, rows, cols) = Example();
        Assert.Equal(8, p.Nnz);
        Assert.Equal(new[] { 0, 2, 3, 4, 6, 8 }, p.RowPtr.ToArray());
        Assert.Equal(new[] { 0, 3, 1, 2, 0, 1, 0, 3 }, p.ColIndex.ToArray());
        for (int q = 0; q < p.Nnz; q++)
        {
            int e = p.EdgeOrder[q];
            Assert.Equal(cols[e], p.ColIndex[q]);
            Assert.Equal(rows[e], p.RowIndices()[q]);
        }
        double[] perEdge = [10, 11, 12, 13, 14, 15, 16, 17];
        var dense = p.ToDense(p.ToCsrOrder(perEdge));
        for (int e = 0; e < perEdge.Length; e++) Assert.Equal(perEdge[e], dense[rows[e], cols[e]]);
    }

    [Fact]
    public void SparsePattern_FromDense_And_Transpose()
    {
        var mask = Tensor.FromArray(new double[,] { { 0, 2, 0 }, { 1, 0, 3 } });
        var p = SparsePattern.FromDense(mask);
        Assert.Equal(3, p.Nnz);
        Assert.Equal(new[] { 1, 0, 2 }, p.ColIndex.ToArray());
        var t = p.Transpose();
        Assert.Equal((3, 2), (t.Rows, t.Cols));
        double[] v = [5, 6, 7];
        var dt = t.ToDense(Gather(t, v)); // the transpose of [[0, 5, 0], [6, 0, 7]]
        AssertClose([0, 6, 5, 0, 0, 7], dt.ToArray());

        static double[] Gather(SparsePattern t, double[] v)
        {
            var o = new double[t.Nnz];
            for (int q = 0; q < o.Length; q++) o[q] = v[t.EdgeOrder[q]];
            return o;
        }
    }

    [Fact]
    public void SparsePattern_Errors_NameTheEdgeAndTheAllowedRange()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => SparsePattern.FromEdges(3, 4, [0, 1, 3], [0, 1, 2]));
        Assert.Contains("edge 2", ex.Message);
        Assert.Contains("0..2", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => SparsePattern.FromEdges(3, 4, [0, 1], [-1, 1]));
        Assert.Contains("edge 0", ex.Message);
        Assert.Contains("0..3", ex.Message);
        var dup = Assert.Throws<ArgumentException>(() => SparsePattern.FromEdges(3, 4, [0, 1, 0], [2, 1, 2]));
        Assert.Contains("edges 0 and 2", dup.Message);
        Assert.Throws<ArgumentException>(() => SparsePattern.FromEdges(3, 4, [0, 1], [0]));
    }

    [Fact]
    public void SparseMatMul_EqualsDenseMatMulOfTheSameMatrix()
    {
        var (p, _, _) = Example();
        var values = Tensor.Rand(new Random(20), [p.Nnz], -1, 1);
        var x = Tensor.Rand(new Random(21), [4, 6], -1, 1);
        var s = Tensor.SparseMatMul(p, values, x);
        Assert.Equal(new[] { 5, 6 }, s.Shape);
        AssertClose(p.ToDense(values.Data).MatMul(x).ToArray(), s.ToArray(), 1e-14);
    }

    [Fact]
    public void SparseMatMul_Gradients_InValuesAndDense_MatchFiniteDifferences()
    {
        var (p, _, _) = Example();
        var values = Param(22, [p.Nnz]);
        var x = Param(23, [4, 3]);
        var w = Tensor.Rand(new Random(24), [5, 3]);
        AssertGradients(t => (Tensor.SparseMatMul(p, t[0], t[1]) * w).Sum(), [values, x]);
        AssertGradients(t => Tensor.SparseMatMul(p, t[0], t[1]).Pow(2.0).Sum(), [values, x]);
    }

    [Fact]
    public void SparseMatMul_Gradients_MatchDenseMatMulGradients_OnALargerRandomGraph()
    {
        var rng = new Random(25);
        int n = 300, m = 40;
        var rows = new List<int>();
        var cols = new List<int>();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (i != j && rng.NextDouble() < 0.03) { rows.Add(i); cols.Add(j); }
        var p = SparsePattern.FromEdges(n, n, [.. rows], [.. cols]);
        var values = Param(26, [p.Nnz]);
        var x = Param(27, [n, m]);
        var g = Tensor.Rand(new Random(28), [n, m], -1, 1);
        Tensor.SparseMatMul(p, values, x).Backward(g.ToArray());

        var dense = p.ToDense(values.Data).RequiresGrad_();
        var x2 = x.Detach().Clone().RequiresGrad_();
        dense.MatMul(x2).Backward(g.ToArray());
        AssertClose(x2.Grad!.ToArray(), x.Grad!.ToArray(), 1e-12);
        var rowOf = p.RowIndices();
        var expected = new double[p.Nnz];
        for (int q = 0; q < p.Nnz; q++) expected[q] = dense.Grad![rowOf[q], p.ColIndex[q]];
        AssertClose(expected, values.Grad!.ToArray(), 1e-12);
    }

    [Fact]
    public void SparseMatMul_Throws_NamingShapes()
    {
        var (p, _, _) = Example();
        var ex = Assert.Throws<ArgumentException>(() => Tensor.SparseMatMul(p, Tensor.Zeros(7), Tensor.Zeros(4, 2)));
        Assert.Contains("sparse_matmul", ex.Message);
        Assert.Contains("[8]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Tensor.SparseMatMul(p, Tensor.Zeros(8), Tensor.Zeros(5, 2)));
        Assert.Contains("[5, 2]", ex.Message);
    }
}

public class TensorSymmetricFromEdgesTests
{
    private static readonly (int I, int J)[] Edges = [(0, 1), (2, 0), (1, 3), (3, 4), (0, 4), (2, 3)];

    [Fact]
    public void SymmetricFromEdges_PlacesValuesBothWays_AndDiagonal()
    {
        var v = Tensor.FromArray([1.0, 2, 3, 4, 5, 6]);
        var o = Tensor.SymmetricFromEdges(v, 5, Edges, diagonal: 1.0);
        for (int e = 0; e < Edges.Length; e++)
        {
            Assert.Equal(v[e], o[Edges[e].I, Edges[e].J]);
            Assert.Equal(v[e], o[Edges[e].J, Edges[e].I]);
        }
        for (int i = 0; i < 5; i++) Assert.Equal(1.0, o[i, i]);
        Assert.Equal(0.0, o[1, 2]);
        Assert.Equal(2 * 21.0 + 5, o.Sum().Item());
    }

    [Fact]
    public void SymmetricFromEdges_Gradients_MatchFiniteDifferences()
    {
        var w = Tensor.Rand(new Random(3), [5, 5], -1, 1);
        AssertGradients(x => (Tensor.SymmetricFromEdges(x[0], 5, Edges, 1.0) * w).Sum(), [Param(4, [6])]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SymmetricFromPositions_IsBitwiseEqualToSymmetricFromEdges_ValuesAndGradients(bool mirror)
    {
        int n = 9;
        var edges = new List<(int, int)>();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j += 2) edges.Add(((i + j) % 3 == 0 ? j : i, (i + j) % 3 == 0 ? i : j));
        var upper = new int[edges.Count];
        var lower = new int[edges.Count];
        for (int e = 0; e < edges.Count; e++)
        {
            var (i, j) = edges[e];
            (upper[e], lower[e]) = (Math.Min(i, j) * n + Math.Max(i, j), Math.Max(i, j) * n + Math.Min(i, j));
        }
        var v1 = Param(3, [edges.Count], -1, 1);
        var v2 = Tensor.FromArray(v1.ToArray()).RequiresGrad_();
        var weight = Param(4, [n, n], -1, 1);
        var a1 = Tensor.SymmetricFromEdges(v1, n, edges, 1.0);
        var a2 = Tensor.SymmetricFromPositions(v2, n, n, upper, lower, 1.0, mirror);
        Assert.Equal(a1.ToArray(), a2.ToArray());
        (a1 * weight).Sum().Backward();
        (a2 * weight).Sum().Backward();
        Assert.Equal(v1.Grad!.ToArray(), v2.Grad!.ToArray());
        Assert.Throws<ArgumentException>(() => Tensor.SymmetricFromPositions(Tensor.Zeros(2), n, n, upper, lower, 1.0, mirror));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SymmetricMatMul_EqualsSymmetricFromPositionsThenMatMul_AndReusesItsArraysSafely(bool mirror)
    {
        int n = 40, m = 3;
        var edges = new List<(int, int)>();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j += 3) edges.Add((i, j));
        var upper = edges.Select(e => e.Item1 * n + e.Item2).ToArray();
        var lower = edges.Select(e => e.Item2 * n + e.Item1).ToArray();
        var scratch = new SymmetricScratch();
        var w = Tensor.Rand(new Random(8), [n, m], -1, 1);
        for (int call = 0; call < 3; call++)
        {
            var v1 = Param(10 + call, [edges.Count], -1, 1);
            var x1 = Param(20 + call, [n, m], -1, 1);
            var v2 = Tensor.FromArray(v1.ToArray()).RequiresGrad_();
            var x2 = Tensor.FromArray(x1.ToArray(), n, m).RequiresGrad_();
            var expected = Tensor.MatMul(Tensor.SymmetricFromPositions(v1, n, n, upper, lower, 1.0, mirror), x1);
            var actual = Tensor.SymmetricMatMul(v2, n, upper, lower, 1.0, mirror, x2, scratch);
            // A second product while the first graph's backward has not run must not overwrite the first's matrix.
            var other = Tensor.SymmetricMatMul(Tensor.FromArray(v1.ToArray()).RequiresGrad_(), n, upper, lower, 5.0, mirror, x1.Detach(), scratch);
            Assert.NotEqual(actual.ToArray(), other.ToArray());
            AssertAllClose(expected.ToArray(), actual.ToArray());
            (expected * w).Sum().Backward();
            (actual * w).Sum().Backward();
            AssertAllClose(v1.Grad!.ToArray(), v2.Grad!.ToArray());
            AssertAllClose(x1.Grad!.ToArray(), x2.Grad!.ToArray());
            (other * w).Sum().Backward();
        }
        AssertGradients(t => (Tensor.SymmetricMatMul(t[0], n, upper, lower, 1.0, mirror, t[1], scratch) * w).Sum(),
            [Param(30, [edges.Count]), Param(31, [n, m])]);
    }

    private static void AssertAllClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * Math.Max(1, Math.Abs(expected[i])), $"[{i}]: {actual[i]:R} vs {expected[i]:R}");
    }

    [Fact]
    public void BlockDiagonalMatMul_EqualsTheDenseBlockDiagonalProduct_AndItsGradients()
    {
        int k = 3, n = 4, m = 5;
        var blocks = Param(5, [k * n, n], -1, 1);
        var x = Param(6, [k * n, m], -1, 1);
        var dense = new double[k * n * k * n];
        for (int r = 0; r < k; r++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) dense[(r * n + i) * k * n + r * n + j] = blocks.Data[(r * n + i) * n + j];
        var expected = Tensor.MatMul(Tensor.FromArray(dense, k * n, k * n), x.Detach()).ToArray();
        var actual = Tensor.BlockDiagonalMatMul(blocks, x).ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 12);
        var w = Tensor.Rand(new Random(7), [k * n, m], -1, 1);
        AssertGradients(t => (Tensor.BlockDiagonalMatMul(t[0], t[1]) * w).Sum(), [blocks, x]);
        Assert.Throws<ArgumentException>(() => Tensor.BlockDiagonalMatMul(Tensor.Zeros(10, 4), Tensor.Zeros(10, 2)));
    }

    [Fact]
    public void SymmetricFromEdges_Large_MatchesSparseProduct()
    {
        // n above the 32-wide mirror tile, complete graph: (I + Q)·x dense equals x + sparse Q·x.
        int n = 70;
        var edges = new List<(int, int)>();
        var rows = new List<int>();
        var cols = new List<int>();
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) edges.Add((i, j));
        foreach (var (i, j) in edges) { rows.Add(i); cols.Add(j); rows.Add(j); cols.Add(i); }
        var pattern = SparsePattern.FromEdges(n, n, [.. rows], [.. cols]);
        var q = Param(5, [edges.Count], 0, 1);
        var x = Param(6, [n, 3]);
        var csr = new int[pattern.Nnz];
        for (int k = 0; k < csr.Length; k++) csr[k] = pattern.EdgeOrder[k] / 2;
        var dense = Tensor.MatMul(Tensor.SymmetricFromEdges(q, n, edges, 1.0), x);
        var sparse = x + Tensor.SparseMatMul(pattern, q.IndexSelect(0, csr), x);
        AssertClose(sparse.ToArray(), dense.ToArray(), 1e-12);
        var g = Tensor.Rand(new Random(7), [n, 3], -1, 1).ToArray();
        dense.Backward(g);
        var gDense = q.Grad!.ToArray();
        q.ZeroGrad();
        sparse.Backward(g);
        AssertClose(q.Grad!.ToArray(), gDense, 1e-12);
    }

    [Fact]
    public void SymmetricFromEdges_RejectsSelfLoop()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.SymmetricFromEdges(Tensor.Ones(1), 3, [(1, 1)]));
        Assert.Contains("symmetric_from_edges", e.Message);
    }
}
