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
/// <remarks>
/// The loops that run per call (packing, the block loop) are compiled fully optimized on first use
/// (AggressiveOptimization, as the micro-kernels): tier 0, unoptimized code, covers a process's first calls until the
/// background recompilation lands, part-way through a short run (a benchmark's 13 products, a few model steps). With
/// it, 1 thread, CPU per 1024×1024·1024×256 product: 14.7-19.1 -> 11.6-11.7 ms (bench/results/2026-12-02-o-matmul-ab.txt).
/// </remarks>
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

    /// <summary>Whether the micro-kernel accumulates by fused multiply-add (else a separate multiply and add).</summary>
    internal static bool UsesFma => Kernel != Path.Scalar;

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
        => Gemm(a, transA, null, b, transB, c, n, k, m, allowDirect);

    /// <summary>Rows of one packed row panel of op(A) (the register tile's height on this machine).</summary>
    internal static int PanelHeight => MR;

    /// <summary>Rows of op(A) in the packed layout: n rounded up to the micro-kernel's row panel.</summary>
    private static int PaddedRows(int n) => (n + MR - 1) / MR * MR;

    /// <summary>Doubles of an n×k op(A) in the packed layout that <see cref="GemmPacked"/> reads (every depth block's row panels).</summary>
    internal static long PackedLength(int n, int k) => (long)PaddedRows(n) * k;

    /// <summary>
    /// Index of op(A)[i, p] in the packed layout of an n×k op(A): depth block pc = ⌊p/KC⌋·KC first (pc·padded rows), then
    /// the MR-row panel of i (MR·kc each), then p − pc (MR each), then i's row in the panel. Entries never written stay 0,
    /// as packing pads them.
    /// </summary>
    internal static int PackedIndex(int n, int k, int i, int p)
    {
        int mr = MR, pc = p / KC * KC, kc = Math.Min(KC, k - pc);
        return pc * PaddedRows(n) + i / mr * mr * kc + (p - pc) * mr + i % mr;
    }

    /// <summary>
    /// C[n×m] = A·op(B) with A given already packed (<see cref="PackedLength"/> doubles, entry (i, p) at
    /// <see cref="PackedIndex"/>): what <see cref="Gemm(double[], bool, double[], bool, double[], int, int, int)"/> computes
    /// from the same A, bit for bit, without packing A (a matrix built straight into this layout, e.g. a dense I + Q from
    /// its edge values, and multiplied more than once).
    /// </summary>
    internal static void GemmPacked(double[] packedA, double[] b, bool transB, double[] c, int n, int k, int m)
    {
        if (packedA.LongLength < PackedLength(n, k)) throw new ArgumentException($"matmul: the packed A holds {packedA.LongLength} doubles; an {n}×{k} A needs {PackedLength(n, k)}.");
        Gemm(null, false, packedA, b, transB, c, n, k, m, allowDirect: false);
    }

    private static unsafe void Gemm(double[]? a, bool transA, double[]? prepackedA, double[] b, bool transB, double[] c, int n, int k, int m, bool allowDirect)
    {
        if (n == 0 || m == 0) return;
        if (k == 0) { Array.Clear(c, 0, n * m); return; }

        int mr = MR;
        bool parallel = (long)n * k * m >= ParallelThreshold && TensorEngine.NumThreads > 1;
        if (allowDirect && a is not null && !transB && Kernel == Path.Avx512 && (long)n * k * m <= DirectMaxWork)
        {
            // Small product: read A and B where they lie (no packing), the same tiles and summation order as below.
            int panels = (n + mr - 1) / mr;
            if (parallel) TensorEngine.ParallelRanges(panels, (s, e) => Direct(a, transA, b, c, n, k, m, s * mr, Math.Min(n, e * mr)));
            else Direct(a, transA, b, c, n, k, m, 0, n);
            return;
        }
        int panelsB = (m + NR - 1) / NR, mPad = panelsB * NR;
        if ((long)k * mPad > Array.MaxLength) throw new ArgumentException($"matmul: B of {k}×{m} is too large to pack.");
        var packedB = TakeSharedB(k * mPad);
        int panelsA = (n + mr - 1) / mr, nPad = panelsA * mr;
        fixed (double* pa = a, pre = prepackedA, pb = b, pbPacked = packedB, pc0 = c)
        {
            // Locals for the lambdas (the fixed pointers themselves cannot be captured).
            double* aPtr = pa, prePtr = pre, bPack = pbPacked, bPtr = pb, cPtr = pc0;

            // Pack all of B once (shared read-only by every thread), panel by panel: panel j of depth block pc holds
            // columns 8j..8j+7 row after row, zero-padded past m.
            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            void PackBPanels(int s, int e)
            {
                for (int pc = 0; pc < k; pc += KC)
                {
                    int kc = Math.Min(KC, k - pc);
                    for (int jp = s; jp < e; jp++)
                    {
                        int j0 = jp * NR, w = Math.Min(NR, m - j0);
                        double* dst = bPack + (long)pc * mPad + (long)jp * kc * NR;
                        if (transB) PackTransposed(bPtr, k, j0, w, pc, kc, NR, dst);
                        else PackRows(bPtr, m, j0, w, pc, kc, NR, dst);
                    }
                }
            }
            // Row panels [s, e) of C over its columns [j0, j1). Depth blocks are the outer loop, so one KC-deep slab of
            // packed B is reused by every MC block of the thread while it is still in cache.
            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            void Panels(int s, int e, int j0, int j1)
            {
                var bufferA = prePtr is null ? _packedA ??= new double[MC * KC] : null;
                fixed (double* packedA = bufferA)
                {
                    for (int pc = 0; pc < k; pc += KC)
                    {
                        int kc = Math.Min(KC, k - pc);
                        for (int p0 = s; p0 < e; p0 += MC / mr)
                        {
                            int i0 = p0 * mr, i1 = Math.Min(n, Math.Min(e, p0 + MC / mr) * mr);
                            double* block = packedA;
                            if (prePtr is null) PackA(aPtr, transA, n, k, i0, i1, pc, kc, mr, packedA);
                            else block = prePtr + (long)pc * nPad + (long)p0 * mr * kc; // the same panels, packed beforehand
                            Block(block, bPack + (long)pc * mPad, cPtr, i0, i1, kc, m, mr, pc == 0, j0, j1);
                        }
                    }
                }
            }

            // A small product whose few row panels split unevenly over the threads (128 rows: 11 AVX-512 panels, 6/5)
            // is split by B's column panels instead, in one parallel job: each thread packs its own B panels and then
            // runs every row over them (packing A itself: A is small here). Each C tile gets the same kernel calls on
            // the same packed A and B in the same depth order as the row split, so the same bits.
            if (parallel && prePtr is null && (long)n * k * m <= ColumnSplitMaxWork && panelsB >= 2 * TensorEngine.NumThreads)
            {
                TensorEngine.ParallelRanges(panelsB, (s, e) =>
                {
                    PackBPanels(s, e);
                    Panels(0, panelsA, s * NR, Math.Min(m, e * NR));
                });
            }
            else
            {
                // Otherwise B is packed once, shared read-only, and each thread owns a contiguous range of A's row panels.
                if (parallel) TensorEngine.ParallelRanges(panelsB, PackBPanels);
                else PackBPanels(0, panelsB);
                if (parallel) TensorEngine.ParallelRanges(panelsA, (s, e) => Panels(s, e, 0, m));
                else Panels(0, panelsA, 0, m);
            }
        }
        ReturnSharedB(packedB);
    }

    // Packing buffers, reused across calls: a fresh A or B buffer per call lands on the large-object heap and makes
    // every few model steps a full (gen 2) collection. Packing overwrites every entry it reads (padding included), so
    // stale contents never matter. A is packed per thread; B once per call into one buffer shared by that call's
    // threads, handed between calls through _sharedB (a call that finds it taken, by a concurrent product, allocates
    // its own). B buffers above SharedBMax doubles are not kept.
    [ThreadStatic] private static double[]? _packedA;
    private static double[]? _sharedB;

    /// <summary>Largest packed-B buffer (doubles) kept between calls: 32 MiB, a 2048×2048 B.</summary>
    private const int SharedBMax = 1 << 22;

    private static double[] TakeSharedB(int length)
    {
        var buffer = Interlocked.Exchange(ref _sharedB, null);
        return buffer is not null && buffer.Length >= length ? buffer : new double[length];
    }

    private static void ReturnSharedB(double[] buffer)
    {
        if (buffer.Length <= SharedBMax) Interlocked.Exchange(ref _sharedB, buffer);
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

    /// <summary>Packs rows [i0, i1) × depth [pc, pc+kc) of op(A) into MR-tall panels, zero-padded past i1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackA(double* a, bool transA, int n, int k, int i0, int i1, int pc, int kc, int mr, double* dst)
    {
        if (!transA)
        {
            for (int r0 = i0; r0 < i1; r0 += mr, dst += kc * mr)
                PackTransposed(a, k, r0, Math.Min(mr, i1 - r0), pc, kc, mr, dst);
            return;
        }
        // op(A)'s rows are A's columns: read each of A's rows once, front to back, and deal it out to the panels
        // (a panel at a time would read kc rows 8n bytes apart for every few values).
        int full = (i1 - i0) / mr, rest = i1 - i0 - full * mr;
        for (int p = 0; p < kc; p++)
        {
            double* src = a + (long)(pc + p) * n + i0, d = dst + p * mr;
            for (int q = 0; q < full; q++, src += mr, d += kc * mr)
                for (int ii = 0; ii < mr; ii++) d[ii] = src[ii];
            if (rest == 0) continue;
            for (int ii = 0; ii < mr; ii++) d[ii] = ii < rest ? src[ii] : 0;
        }
    }

    /// <summary>
    /// dst[p·width + j] = src[(pc + p)·ld + j0 + j] for p &lt; kc, j &lt; w, and 0 for w ≤ j &lt; width: a panel of w columns
    /// of a row-major matrix, row after row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackRows(double* src, long ld, int j0, int w, int pc, int kc, int width, double* dst)
    {
        double* s = src + pc * ld + j0;
        if (w == width)
        {
            for (int p = 0; p < kc; p++, s += ld, dst += width) new ReadOnlySpan<double>(s, width).CopyTo(new Span<double>(dst, width));
            return;
        }
        for (int p = 0; p < kc; p++, s += ld, dst += width)
            for (int j = 0; j < width; j++) dst[j] = j < w ? s[j] : 0;
    }

    /// <summary>
    /// dst[p·width + i] = src[(r0 + i)·ld + pc + p] for p &lt; kc, i &lt; h, and 0 for h ≤ i &lt; width: h rows of a row-major
    /// matrix, transposed into a panel (4×4 blocks through AVX registers where available).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackTransposed(double* src, long ld, int r0, int h, int pc, int kc, int width, double* dst)
    {
        double* s = src + r0 * ld + pc;
        if (Avx.IsSupported && h == width && width % 2 == 0)
        {
            PackTransposedFull(s, ld, kc, width, dst);
            return;
        }
        int i = 0;
        if (Avx.IsSupported)
            for (; i + 4 <= h; i += 4)
            {
                double* s0 = s + i * ld, s1 = s0 + ld, s2 = s1 + ld, s3 = s2 + ld, d = dst + i;
                int p = 0;
                for (; p + 4 <= kc; p += 4, d += 4 * width)
                {
                    Vector256<double> r0v = Avx.LoadVector256(s0 + p), r1v = Avx.LoadVector256(s1 + p);
                    Vector256<double> r2v = Avx.LoadVector256(s2 + p), r3v = Avx.LoadVector256(s3 + p);
                    Vector256<double> t0 = Avx.UnpackLow(r0v, r1v), t1 = Avx.UnpackHigh(r0v, r1v);
                    Vector256<double> t2 = Avx.UnpackLow(r2v, r3v), t3 = Avx.UnpackHigh(r2v, r3v);
                    Avx.Store(d, Avx.Permute2x128(t0, t2, 0x20));
                    Avx.Store(d + width, Avx.Permute2x128(t1, t3, 0x20));
                    Avx.Store(d + 2 * width, Avx.Permute2x128(t0, t2, 0x31));
                    Avx.Store(d + 3 * width, Avx.Permute2x128(t1, t3, 0x31));
                }
                for (; p < kc; p++, d += width) { d[0] = s0[p]; d[1] = s1[p]; d[2] = s2[p]; d[3] = s3[p]; }
            }
        for (; i < h; i++)
        {
            double* si = s + i * ld, d = dst + i;
            for (int p = 0; p < kc; p++, d += width) *d = si[p];
        }
        for (; i < width; i++)
        {
            double* d = dst + i;
            for (int p = 0; p < kc; p++, d += width) *d = 0;
        }
    }

    /// <summary>
    /// <see cref="PackTransposed"/> for a full panel (h = width, width even): four depths at a time across all rows, so
    /// the panel is written front to back once. Packing panel by panel in 4-row strips (three passes for width 12, a
    /// strided scalar pass for the last 2 of 6) measured 2.8 ms of a 14 ms 1024×1024·1024×256 product on 1 thread.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackTransposedFull(double* s, long ld, int kc, int width, double* dst)
    {
        int p = 0;
        double* d = dst;
        for (; p + 4 <= kc; p += 4, d += 4 * width)
        {
            int i = 0;
            for (; i + 4 <= width; i += 4)
            {
                double* s0 = s + i * ld + p;
                Vector256<double> r0v = Avx.LoadVector256(s0), r1v = Avx.LoadVector256(s0 + ld);
                Vector256<double> r2v = Avx.LoadVector256(s0 + 2 * ld), r3v = Avx.LoadVector256(s0 + 3 * ld);
                Vector256<double> t0 = Avx.UnpackLow(r0v, r1v), t1 = Avx.UnpackHigh(r0v, r1v);
                Vector256<double> t2 = Avx.UnpackLow(r2v, r3v), t3 = Avx.UnpackHigh(r2v, r3v);
                Avx.Store(d + i, Avx.Permute2x128(t0, t2, 0x20));
                Avx.Store(d + width + i, Avx.Permute2x128(t1, t3, 0x20));
                Avx.Store(d + 2 * width + i, Avx.Permute2x128(t0, t2, 0x31));
                Avx.Store(d + 3 * width + i, Avx.Permute2x128(t1, t3, 0x31));
            }
            if (i < width)
            {
                double* s0 = s + i * ld + p;
                Vector256<double> r0v = Avx.LoadVector256(s0), r1v = Avx.LoadVector256(s0 + ld);
                Vector256<double> lo = Avx.UnpackLow(r0v, r1v), hi = Avx.UnpackHigh(r0v, r1v);
                Sse2.Store(d + i, lo.GetLower());
                Sse2.Store(d + width + i, hi.GetLower());
                Sse2.Store(d + 2 * width + i, lo.GetUpper());
                Sse2.Store(d + 3 * width + i, hi.GetUpper());
            }
        }
        for (; p < kc; p++, d += width)
            for (int i = 0; i < width; i++) d[i] = s[i * ld + p];
    }

    /// <summary>
    /// Largest product (multiply-adds) that <see cref="Direct"/> computes without packing. Measured (1 thread, M = 256
    /// columns): 16×16 rows/depth 8.7 -> 5.0 µs, 16 rows × 1024 columns 37 -> 27 µs; at 32×32 and above the packed
    /// path is as fast or faster (at 128×128, 0.19 vs 0.25 ms: B's rows, 2 KiB apart, thrash a few L1 sets).
    /// </summary>
    private const long DirectMaxWork = 1L << 17;

    /// <summary>
    /// Largest product (multiply-adds) split over the threads by B's column panels rather than A's row panels: up to
    /// 128×128×256 (2^22) and 256×256×128 (2^23), where the row panels are few and one parallel job instead of two
    /// (pack B, then rows) matters.
    /// </summary>
    private const long ColumnSplitMaxWork = 1L << 23;

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

    /// <summary>
    /// Runs the micro-kernel over every (row panel, column panel) tile of one packed A block against one depth slab of
    /// packed B: for each B panel (kept in L1), every A panel of the block (from L2). While a B panel serves the block's
    /// A panels, the next B panel is asked for (prefetcht1), a share of its cache lines before each A panel: a depth slab
    /// wider than L2 (kc·m·8 bytes, 4 MiB at m = 2048) otherwise comes from L3 on the first tile of every B panel
    /// (measured on 1 thread at 2048³: 5-9% less CPU time per product on both SIMD paths; no change at 1024×1024·1024×256).
    /// Only C's columns [jStart, jEnd) are computed (jStart a multiple of NR; C's row stride stays m).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Block(double* packedA, double* bSlab, double* c, int i0, int i1, int kc, int m, int mr, bool first, int jStart, int jEnd)
    {
        double* tile = stackalloc double[12 * NR];
        int panelsA = (i1 - i0 + mr - 1) / mr;
        for (int j0 = jStart; j0 < jEnd; j0 += NR)
        {
            double* bPanel = bSlab + (long)j0 * kc;
            int w = Math.Min(NR, m - j0);
            double* aPanel = packedA;
            // The next B panel: kc rows of NR doubles, one cache line each, asked for a share before each A panel.
            double* next = bPanel + kc * NR;
            int lines = Sse.IsSupported && j0 + NR < jEnd ? kc : 0, perPanel = (lines + panelsA - 1) / panelsA, asked = 0;
            for (int r0 = i0; r0 < i1; r0 += mr, aPanel += kc * mr)
            {
                for (int end = Math.Min(lines, asked + perPanel); asked < end; asked++) Sse.Prefetch1(next + asked * NR);
                int h = Math.Min(mr, i1 - r0);
                bool full = h == mr && w == NR;
                double* dst = full ? c + (long)r0 * m + j0 : tile;
                int ldc = full ? m : NR;
                if (!full && !first)
                    for (int ii = 0; ii < h; ii++)
                        for (int jj = 0; jj < w; jj++) tile[ii * NR + jj] = c[(long)(r0 + ii) * m + j0 + jj];
                switch (Kernel)
                {
                    case Path.Avx512: Kernel12x8(kc, aPanel, bPanel, dst, ldc, first); break;
                    case Path.Avx2Fma: Kernel6x8(kc, aPanel, bPanel, dst, ldc, first); break;
                    default: KernelScalar(kc, mr, aPanel, bPanel, dst, ldc, first); break;
                }
                if (!full)
                    for (int ii = 0; ii < h; ii++)
                        for (int jj = 0; jj < w; jj++) c[(long)(r0 + ii) * m + j0 + jj] = tile[ii * NR + jj];
            }
        }
    }

    /// <summary>Asks for the rows of a C tile (one cache line each, NR doubles) while the depth loop runs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchTile(double* c, int ldc, int rows)
    {
        if (!Sse.IsSupported) return;
        for (int i = 0; i < rows; i++)
        {
            Sse.Prefetch0(c + i * ldc);
            Sse.Prefetch0(c + i * ldc + NR - 1);
        }
    }

    // Each micro-kernel: acc = Σ_p a[p]·b[p] by fused multiply-add in p order, then C = acc (first block) or C += acc.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel12x8(int kc, double* a, double* b, double* c, int ldc, bool first)
    {
        PrefetchTile(c, ldc, 12);
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
        PrefetchTile(c, ldc, 6);
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
