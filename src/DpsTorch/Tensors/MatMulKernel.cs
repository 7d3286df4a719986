// The dense matrix-product kernel behind matmul and its gradients: packed, cache-blocked, SIMD (FMA) and
// multithreaded over row panels. Every output element is summed in an order fixed by KC alone, so results are
// bitwise identical for any thread count.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DpsTorch;

/// <summary>
/// C = op(A)·op(B) for row-major float64 matrices (GotoBLAS/BLIS layout: B packed into NR-wide column panels,
/// A packed per thread into MR-tall row panels, an MR×NR register-tile micro-kernel).
/// </summary>
internal static class MatMulKernel
{
    /// <summary>Depth of one packed block: a B micro-panel (KC×NR) stays in L1 while an A block (MC×KC) stays in L2.</summary>
    private const int KC = 256;

    /// <summary>Rows of A packed at once by one thread (a multiple of every MR below).</summary>
    private const int MC = 96;

    /// <summary>Columns of one packed B panel: one Vector512 or two Vector256 of doubles.</summary>
    private const int NR = 8;

    /// <summary>Below this many multiply-adds a product runs on the calling thread (thread start-up would dominate).</summary>
    private const long ParallelThreshold = 1L << 18;

    private enum Path { Avx512, Avx2Fma, Scalar }

    private static readonly Path Kernel =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? Path.Avx512
        : Vector256.IsHardwareAccelerated && Fma.IsSupported && Avx.IsSupported ? Path.Avx2Fma
        : Path.Scalar;

    /// <summary>Rows of the register tile of the selected micro-kernel.</summary>
    private static readonly int MR = Kernel switch { Path.Avx512 => 12, Path.Avx2Fma => 6, _ => 4 };

    /// <summary>Which micro-kernel this machine uses (for benchmarks and reports).</summary>
    internal static string Description => $"{Kernel} {MR}x{NR}, KC={KC}, MC={MC}";

    /// <summary>
    /// C[n×m] = op(A)·op(B), overwriting C. op(A) is n×k: A is stored [n, k], or [k, n] when <paramref name="transA"/>.
    /// op(B) is k×m: B is stored [k, m], or [m, k] when <paramref name="transB"/>.
    /// </summary>
    public static void Gemm(double[] a, bool transA, double[] b, bool transB, double[] c, int n, int k, int m)
        => Gemm(a, transA, b, transB, c, n, k, m, allowDirect: true);

    /// <summary><see cref="Gemm(double[], bool, double[], bool, double[], int, int, int)"/>; allowDirect false forces packing (tests).</summary>
    internal static void Gemm(double[] a, bool transA, double[] b, bool transB, double[] c, int n, int k, int m, bool allowDirect)
    {
        if (n == 0 || m == 0) return;
        if (k == 0) { Array.Clear(c, 0, n * m); return; }

        int mr = MR;
        bool parallel = (long)n * k * m >= ParallelThreshold && TensorEngine.NumThreads > 1;
        if (allowDirect && !transB && Kernel == Path.Avx512 && (long)n * k * m <= DirectMaxWork)
        {
            // Small product: read A and B where they lie (no packing), the same tiles and summation order as below.
            int panels = (n + mr - 1) / mr;
            if (parallel) TensorEngine.ParallelRanges(panels, (s, e) => Direct(a, transA, b, c, n, k, m, s * mr, Math.Min(n, e * mr)));
            else Direct(a, transA, b, c, n, k, m, 0, n);
            return;
        }
        int panelsB = (m + NR - 1) / NR, mPad = panelsB * NR;
        if ((long)k * mPad > Array.MaxLength) throw new ArgumentException($"matmul: B of {k}×{m} is too large to pack.");
        var packedB = Scratch(ref _packedB, k * mPad);

        // Pack all of B once (shared read-only by every thread), panel by panel.
        if (parallel) TensorEngine.ParallelRanges(panelsB, (s, e) => PackB(b, transB, k, m, mPad, packedB, s, e));
        else PackB(b, transB, k, m, mPad, packedB, 0, panelsB);

        int panelsA = (n + mr - 1) / mr;
        void Rows(int s, int e)
        {
            var packedA = Scratch(ref _packedA, MC * KC);
            for (int p0 = s; p0 < e; p0 += MC / mr)
            {
                int p1 = Math.Min(e, p0 + MC / mr);
                int i0 = p0 * mr, i1 = Math.Min(n, p1 * mr);
                for (int pc = 0; pc < k; pc += KC)
                {
                    int kc = Math.Min(KC, k - pc);
                    PackA(a, transA, n, k, i0, i1, pc, kc, mr, packedA);
                    Block(packedA, packedB, c, i0, i1, pc, kc, m, mPad, mr, first: pc == 0);
                }
            }
        }
        if (parallel) TensorEngine.ParallelRanges(panelsA, Rows);
        else Rows(0, panelsA);
    }

    // Per-thread packing buffers, reused across calls: a fresh 196 KB A buffer per call landed on the large-object
    // heap and made every few model steps a full (gen 2) collection. Packing overwrites every entry it reads (padding
    // included), so stale contents never matter. B buffers above ScratchMax are not kept (they are freed with the call).
    [ThreadStatic] private static double[]? _packedA;
    [ThreadStatic] private static double[]? _packedB;

    /// <summary>Largest B buffer (doubles) kept per thread between calls: 4 MiB.</summary>
    private const int ScratchMax = 1 << 19;

    private static double[] Scratch(ref double[]? cache, int length)
    {
        if (cache is not null && cache.Length >= length) return cache;
        var fresh = new double[length];
        if (length <= ScratchMax) cache = fresh;
        return fresh;
    }

    /// <summary>y[n] = A[n×k]·x[k], one dot product per row (parallel over rows for large A).</summary>
    public static void Gemv(double[] a, double[] x, double[] y, int n, int k)
    {
        void Rows(int s, int e)
        {
            for (int i = s; i < e; i++) y[i] = Dot(new ReadOnlySpan<double>(a, i * k, k), x);
        }
        if ((long)n * k >= ParallelThreshold) TensorEngine.ParallelRanges(n, Rows, minPerThread: 64);
        else Rows(0, n);
    }

    /// <summary>y[k] = Aᵀ·x for A[n×k], x[n]: rows of A added in order, parallel over column ranges.</summary>
    public static void GemvT(double[] a, double[] x, double[] y, int n, int k)
    {
        void Cols(int s, int e)
        {
            var yk = new Span<double>(y, s, e - s);
            yk.Clear();
            for (int i = 0; i < n; i++) TP.MultiplyAdd(new ReadOnlySpan<double>(a, i * k + s, e - s), x[i], yk, yk);
        }
        if ((long)n * k >= ParallelThreshold) TensorEngine.ParallelRanges(k, Cols, minPerThread: 256);
        else Cols(0, k);
    }

    /// <summary>
    /// Σ x[i]·y[i] in an order fixed by the length alone (two 4-wide accumulators, then a scalar tail), so the result
    /// never depends on memory alignment or thread count (TensorPrimitives.Dot makes no such promise).
    /// </summary>
    internal static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        int n = x.Length, i = 0;
        if (y.Length != n) throw new ArgumentException($"dot: lengths {n} and {y.Length} differ.");
        double s = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<double> s0 = default, s1 = default;
            for (; i <= n - 8; i += 8)
            {
                s0 += Vector256.Create(x.Slice(i, 4)) * Vector256.Create(y.Slice(i, 4));
                s1 += Vector256.Create(x.Slice(i + 4, 4)) * Vector256.Create(y.Slice(i + 4, 4));
            }
            s = Vector256.Sum(s0 + s1);
        }
        for (; i < n; i++) s += x[i] * y[i];
        return s;
    }

    /// <summary>Packs B panels [s, e): panel j holds columns 8j..8j+7, row after row, zero-padded past m.</summary>
    private static void PackB(double[] b, bool transB, int k, int m, int mPad, double[] packed, int s, int e)
    {
        for (int pc = 0; pc < k; pc += KC)
        {
            int kc = Math.Min(KC, k - pc);
            for (int jp = s; jp < e; jp++)
            {
                int j0 = jp * NR, w = Math.Min(NR, m - j0);
                int dst = pc * mPad + jp * kc * NR;
                for (int p = 0; p < kc; p++, dst += NR)
                {
                    int row = pc + p;
                    if (!transB)
                    {
                        new ReadOnlySpan<double>(b, row * m + j0, w).CopyTo(packed.AsSpan(dst, w));
                    }
                    else
                    {
                        for (int jj = 0; jj < w; jj++) packed[dst + jj] = b[(j0 + jj) * k + row];
                    }
                    for (int jj = w; jj < NR; jj++) packed[dst + jj] = 0;
                }
            }
        }
    }

    /// <summary>Packs rows [i0, i1) × depth [pc, pc+kc) of op(A) into MR-tall panels, zero-padded past i1.</summary>
    private static void PackA(double[] a, bool transA, int n, int k, int i0, int i1, int pc, int kc, int mr, double[] packed)
    {
        int dst = 0;
        for (int r0 = i0; r0 < i1; r0 += mr)
        {
            int h = Math.Min(mr, i1 - r0);
            if (!transA)
            {
                for (int ii = 0; ii < h; ii++)
                {
                    int src = (r0 + ii) * k + pc;
                    for (int p = 0; p < kc; p++) packed[dst + p * mr + ii] = a[src + p];
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                    new ReadOnlySpan<double>(a, (pc + p) * n + r0, h).CopyTo(packed.AsSpan(dst + p * mr, h));
            }
            for (int ii = h; ii < mr; ii++)
                for (int p = 0; p < kc; p++) packed[dst + p * mr + ii] = 0;
            dst += kc * mr;
        }
    }

    /// <summary>
    /// Largest product (multiply-adds) that <see cref="Direct"/> computes without packing. Measured (1 thread, M = 256
    /// columns): 16×16 rows/depth 8.7 -> 5.0 µs, 16 rows × 1024 columns 37 -> 27 µs; at 32×32 and above the packed
    /// path is as fast or faster (at 128×128, 0.19 vs 0.25 ms: B's rows, 2 KiB apart, thrash a few L1 sets).
    /// </summary>
    private const long DirectMaxWork = 1L << 17;

    /// <summary>
    /// Rows [i0, i1) of C = op(A)·B with B stored [k, m] (not transposed), on the AVX-512 path, without packing: each
    /// 12×8 tile broadcasts op(A)'s entries from A itself and loads B's rows in place. Depth is cut into the same KC
    /// blocks and each element accumulated by FMA in the same order as the packed kernel, so results are bitwise equal.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Direct(double[] a, bool transA, double[] b, double[] c, int n, int k, int m, int i0, int i1)
    {
        // Element (i, p) of op(A) is at a[i·rowStep + p·depthStep].
        long rowStep = transA ? 1 : k, depthStep = transA ? n : 1;
        fixed (double* pa = a, pb = b, pc0 = c)
        {
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                bool first = pc == 0;
                for (int r0 = i0; r0 < i1; r0 += 12)
                {
                    int h = Math.Min(12, i1 - r0);
                    double* aRow = pa + r0 * rowStep + pc * depthStep;
                    for (int j0 = 0; j0 < m; j0 += NR)
                    {
                        int w = Math.Min(NR, m - j0);
                        double* bCol = pb + (long)pc * m + j0;
                        double* dst = pc0 + (long)r0 * m + j0;
                        if (h == 12 && w == NR) DirectTile12(kc, aRow, rowStep, depthStep, bCol, m, dst, m, first);
                        else DirectEdge(kc, h, w, aRow, rowStep, depthStep, bCol, m, dst, m, first);
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DirectTile12(int kc, double* a, long rowStep, long depthStep, double* b, int ldb, double* c, int ldc, bool first)
    {
        Vector512<double> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default,
            c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        double* a0 = a, a1 = a + rowStep, a2 = a + 2 * rowStep, a3 = a + 3 * rowStep, a4 = a + 4 * rowStep, a5 = a + 5 * rowStep;
        double* a6 = a + 6 * rowStep, a7 = a + 7 * rowStep, a8 = a + 8 * rowStep, a9 = a + 9 * rowStep, a10 = a + 10 * rowStep, a11 = a + 11 * rowStep;
        for (long p = 0, q = 0; p < kc; p++, q += depthStep, b += ldb)
        {
            var bv = Vector512.Load(b);
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a0[q]), bv, c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a1[q]), bv, c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a2[q]), bv, c2);
            c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a3[q]), bv, c3);
            c4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a4[q]), bv, c4);
            c5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a5[q]), bv, c5);
            c6 = Avx512F.FusedMultiplyAdd(Vector512.Create(a6[q]), bv, c6);
            c7 = Avx512F.FusedMultiplyAdd(Vector512.Create(a7[q]), bv, c7);
            c8 = Avx512F.FusedMultiplyAdd(Vector512.Create(a8[q]), bv, c8);
            c9 = Avx512F.FusedMultiplyAdd(Vector512.Create(a9[q]), bv, c9);
            c10 = Avx512F.FusedMultiplyAdd(Vector512.Create(a10[q]), bv, c10);
            c11 = Avx512F.FusedMultiplyAdd(Vector512.Create(a11[q]), bv, c11);
        }
        Store512(c, c0, first); Store512(c + ldc, c1, first); Store512(c + 2 * ldc, c2, first);
        Store512(c + 3 * ldc, c3, first); Store512(c + 4 * ldc, c4, first); Store512(c + 5 * ldc, c5, first);
        Store512(c + 6 * ldc, c6, first); Store512(c + 7 * ldc, c7, first); Store512(c + 8 * ldc, c8, first);
        Store512(c + 9 * ldc, c9, first); Store512(c + 10 * ldc, c10, first); Store512(c + 11 * ldc, c11, first);
    }

    /// <summary>A tile of h ≤ 12 rows and w ≤ 8 columns (the edges), one row at a time, same FMA order.</summary>
    private static unsafe void DirectEdge(int kc, int h, int w, double* a, long rowStep, long depthStep, double* b, int ldb, double* c, int ldc, bool first)
    {
        double* tile = stackalloc double[NR];
        for (int ii = 0; ii < h; ii++)
        {
            Vector512<double> acc = default;
            double* ai = a + ii * rowStep;
            double* bp = b;
            if (w == NR)
            {
                for (long p = 0, q = 0; p < kc; p++, q += depthStep, bp += ldb)
                    acc = Avx512F.FusedMultiplyAdd(Vector512.Create(ai[q]), Vector512.Load(bp), acc);
                Store512(c + ii * ldc, acc, first);
                continue;
            }
            for (long p = 0, q = 0; p < kc; p++, q += depthStep, bp += ldb)
            {
                for (int jj = 0; jj < NR; jj++) tile[jj] = jj < w ? bp[jj] : 0;
                acc = Avx512F.FusedMultiplyAdd(Vector512.Create(ai[q]), Vector512.Load(tile), acc);
            }
            acc.Store(tile);
            for (int jj = 0; jj < w; jj++) c[ii * ldc + jj] = first ? tile[jj] : c[ii * ldc + jj] + tile[jj];
        }
    }

    /// <summary>Runs the micro-kernel over every (row panel, column panel) tile of one packed A block.</summary>
    private static unsafe void Block(double[] packedA, double[] packedB, double[] c, int i0, int i1, int pc, int kc,
        int m, int mPad, int mr, bool first)
    {
        double* tile = stackalloc double[12 * NR];
        fixed (double* pa = packedA, pb = packedB, pcMat = c)
        {
            for (int j0 = 0, jp = 0; j0 < m; j0 += NR, jp++)
            {
                double* bPanel = pb + pc * mPad + jp * kc * NR;
                int w = Math.Min(NR, m - j0);
                double* aPanel = pa;
                for (int r0 = i0; r0 < i1; r0 += mr, aPanel += kc * mr)
                {
                    int h = Math.Min(mr, i1 - r0);
                    bool full = h == mr && w == NR;
                    double* dst = full ? pcMat + (long)r0 * m + j0 : tile;
                    int ldc = full ? m : NR;
                    if (!full && !first)
                        for (int ii = 0; ii < h; ii++)
                            for (int jj = 0; jj < w; jj++) tile[ii * NR + jj] = pcMat[(long)(r0 + ii) * m + j0 + jj];
                    switch (Kernel)
                    {
                        case Path.Avx512: Kernel12x8(kc, aPanel, bPanel, dst, ldc, first); break;
                        case Path.Avx2Fma: Kernel6x8(kc, aPanel, bPanel, dst, ldc, first); break;
                        default: KernelScalar(kc, mr, aPanel, bPanel, dst, ldc, first); break;
                    }
                    if (!full)
                        for (int ii = 0; ii < h; ii++)
                            for (int jj = 0; jj < w; jj++) pcMat[(long)(r0 + ii) * m + j0 + jj] = tile[ii * NR + jj];
                }
            }
        }
    }

    // Each micro-kernel: acc = Σ_p a[p]·b[p] by fused multiply-add in p order, then C = acc (first block) or C += acc.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel12x8(int kc, double* a, double* b, double* c, int ldc, bool first)
    {
        Vector512<double> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default,
            c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (int p = 0; p < kc; p++, a += 12, b += NR)
        {
            var bv = Vector512.Load(b);
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[0]), bv, c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[1]), bv, c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[2]), bv, c2);
            c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[3]), bv, c3);
            c4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[4]), bv, c4);
            c5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[5]), bv, c5);
            c6 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[6]), bv, c6);
            c7 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[7]), bv, c7);
            c8 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[8]), bv, c8);
            c9 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[9]), bv, c9);
            c10 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[10]), bv, c10);
            c11 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[11]), bv, c11);
        }
        Store512(c, c0, first); Store512(c + ldc, c1, first); Store512(c + 2 * ldc, c2, first);
        Store512(c + 3 * ldc, c3, first); Store512(c + 4 * ldc, c4, first); Store512(c + 5 * ldc, c5, first);
        Store512(c + 6 * ldc, c6, first); Store512(c + 7 * ldc, c7, first); Store512(c + 8 * ldc, c8, first);
        Store512(c + 9 * ldc, c9, first); Store512(c + 10 * ldc, c10, first); Store512(c + 11 * ldc, c11, first);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store512(double* c, Vector512<double> acc, bool first)
        => (first ? acc : Vector512.Load(c) + acc).Store(c);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel6x8(int kc, double* a, double* b, double* c, int ldc, bool first)
    {
        Vector256<double> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++, a += 6, b += NR)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 4);
            var av = Vector256.Create(a[0]); c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[1]); c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[2]); c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[3]); c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[4]); c40 = Fma.MultiplyAdd(av, b0, c40); c41 = Fma.MultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[5]); c50 = Fma.MultiplyAdd(av, b0, c50); c51 = Fma.MultiplyAdd(av, b1, c51);
        }
        Store256(c, c00, c01, first); Store256(c + ldc, c10, c11, first); Store256(c + 2 * ldc, c20, c21, first);
        Store256(c + 3 * ldc, c30, c31, first); Store256(c + 4 * ldc, c40, c41, first); Store256(c + 5 * ldc, c50, c51, first);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store256(double* c, Vector256<double> lo, Vector256<double> hi, bool first)
    {
        (first ? lo : Vector256.Load(c) + lo).Store(c);
        (first ? hi : Vector256.Load(c + 4) + hi).Store(c + 4);
    }

    /// <summary>Portable fallback (no SIMD FMA): the same tile with plain multiply and add.</summary>
    private static unsafe void KernelScalar(int kc, int mr, double* a, double* b, double* c, int ldc, bool first)
    {
        double* acc = stackalloc double[12 * NR];
        new Span<double>(acc, mr * NR).Clear();
        for (int p = 0; p < kc; p++, a += mr, b += NR)
            for (int ii = 0; ii < mr; ii++)
            {
                double av = a[ii];
                for (int jj = 0; jj < NR; jj++) acc[ii * NR + jj] += av * b[jj];
            }
        for (int ii = 0; ii < mr; ii++)
            for (int jj = 0; jj < NR; jj++)
                c[ii * ldc + jj] = first ? acc[ii * NR + jj] : c[ii * ldc + jj] + acc[ii * NR + jj];
    }
}
