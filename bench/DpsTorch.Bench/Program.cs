// Benchmarks of the kernels that carry the large-N cost: dense matmul and the fused wrapped-normal op.
// `dotnet run -c Release --project bench/DpsTorch.Bench -- --filter '*'` runs BenchmarkDotNet;
// `-- --quick` runs a short Stopwatch loop instead (see bench/README.md).
using DpsTorch.Ops;
using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using DpsTorch;

namespace DpsTorch.Bench;

public static class Program
{
    public static int Main(string[] args)
    {
        int t = Array.IndexOf(args, "--threads");
        if (t >= 0 && t + 1 < args.Length) TensorEngine.SetNumThreads(int.Parse(args[t + 1], System.Globalization.CultureInfo.InvariantCulture));
        if (args.Contains("--quick")) return Quick.Run(compareMethods: args.Contains("--compare-methods"));
        if (args.Contains("--matmul")) return Quick.MatMuls(args.Contains("--json"));
        var config = DefaultConfig.Instance.AddColumn(new GflopsColumn());
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        return 0;
    }
}

/// <summary>Square matmul C = A·B at n = 256, 1024, 2048 (2n³ flops).</summary>
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class MatMulBench
{
    [Params(256, 1024, 2048)]
    public int N;

    private Tensor _a = null!, _b = null!;

    [GlobalSetup]
    public void Setup()
    {
        _a = Tensor.Rand(new Random(1), [N, N], -1, 1);
        _b = Tensor.Rand(new Random(2), [N, N], -1, 1);
    }

    [Benchmark]
    public Tensor MatMul() => _a.MatMul(_b);
}

/// <summary>The fused wrapped-normal op, forward and backward, for N = 1024 agents on M = 256 grid points.</summary>
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class WrappedNormalBench
{
    public const int Agents = 1024, Points = 256;
    private Tensor _mu = null!, _sigma = null!;
    private double[] _grid = null!, _g = null!;

    [GlobalSetup]
    public void Setup() => (_mu, _sigma, _grid, _g) = Quick.WrappedNormalInputs(Agents, Points);

    [Benchmark]
    public void ForwardBackward() => Quick.WrappedNormalStep(_mu, _sigma, _grid, _g);
}

/// <summary>Adds a GFLOP/s column to the matmul rows (2n³ / mean time).</summary>
public sealed class GflopsColumn : IColumn
{
    public string Id => "GFLOPs";
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "2n³ floating-point operations per second of the mean time (matmul only)";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (benchmarkCase.Descriptor.Type != typeof(MatMulBench)) return "-";
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is null) return "-";
        int n = (int)benchmarkCase.Parameters["N"];
        double seconds = report.ResultStatistics.Mean * 1e-9;
        return (2.0 * n * n * (double)n / seconds / 1e9).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>A Stopwatch mode: a few repetitions per case, best and median time, no BenchmarkDotNet.</summary>
public static class Quick
{
    public static (Tensor mu, Tensor sigma, double[] grid, double[] g) WrappedNormalInputs(int n, int m)
    {
        var rng = new Random(3);
        var mu = Tensor.Rand(rng, [n], 0, 2 * Math.PI).RequiresGrad_();
        // σ from two grid spacings to broad generalists: both evaluation methods are exercised.
        var sigma = Tensor.Rand(rng, [n], 2 * 2 * Math.PI / m, 3.0).RequiresGrad_();
        var grid = new double[m];
        for (int j = 0; j < m; j++) grid[j] = 2 * Math.PI * j / m;
        var g = Tensor.Rand(rng, [n, m], -1, 1).ToArray();
        return (mu, sigma, grid, g);
    }

    public static void WrappedNormalStep(Tensor mu, Tensor sigma, double[] grid, double[] g)
    {
        mu.ZeroGrad();
        sigma.ZeroGrad();
        DpsKernels.WrappedNormalDensity(mu, sigma, grid).Backward(g);
    }

    public static int Run(bool compareMethods)
    {
        Console.WriteLine($"threads {TensorEngine.NumThreads}, SIMD path {DpsTorch.Tensors.Simd.Path}");
        foreach (int n in new[] { 256, 1024, 2048 })
        {
            var a = Tensor.Rand(new Random(1), [n, n], -1, 1);
            var b = Tensor.Rand(new Random(2), [n, n], -1, 1);
            var (best, median) = Time(() => a.MatMul(b), n <= 256 ? 20 : 5);
            double flops = 2.0 * n * n * (double)n;
            Console.WriteLine($"matmul {n}x{n}x{n}: best {best * 1e3:F2} ms ({flops / best / 1e9:F1} GFLOP/s), median {median * 1e3:F2} ms ({flops / median / 1e9:F1} GFLOP/s)");
        }
        foreach (var (n, m) in new[] { (1024, 256), (100_000, 256) })
        {
            var (mu, sigma, grid, g) = WrappedNormalInputs(n, m);
            var (fb, fm) = Time(() => DpsKernels.WrappedNormalDensity(mu.Detach(), sigma.Detach(), grid), n > 10_000 ? 3 : 20);
            var (bb, bm) = Time(() => WrappedNormalStep(mu, sigma, grid, g), n > 10_000 ? 3 : 20);
            Console.WriteLine($"wrapped_normal N={n} M={m}: forward best {fb * 1e3:F2} ms (median {fm * 1e3:F2}); forward+backward best {bb * 1e3:F2} ms (median {bm * 1e3:F2}), {bb * 1e9 / ((double)n * m):F2} ns per element");
        }
        // Cost per regime: narrow agents use one image, middling ones 3 to 5, broad ones 1 to 5 Fourier harmonics.
        foreach (var s in new[] { 0.05, 0.2, 0.35, 0.5, 1.0, 1.5, 2.5 })
        {
            var (mu, _, grid, g) = WrappedNormalInputs(100_000, 256);
            var sigma = Tensor.Full(s, 100_000).RequiresGrad_();
            var (fb, _) = Time(() => DpsKernels.WrappedNormalDensity(mu.Detach(), sigma.Detach(), grid), 3);
            var (bb, _) = Time(() => WrappedNormalStep(mu, sigma, grid, g), 3);
            Console.WriteLine($"wrapped_normal N=100000 M=256, all σ={s}: forward best {fb * 1e3:F1} ms, forward+backward best {bb * 1e3:F1} ms");
            if (compareMethods)
                foreach (var meth in new[] { WrappedNormalMethod.Images, WrappedNormalMethod.Fourier })
                {
                    var (f2, _) = Time(() => DpsKernels.WrappedNormalDensity(mu.Detach(), sigma.Detach(), grid, meth), 3);
                    Console.WriteLine($"    {meth}: forward best {f2 * 1e3:F1} ms");
                }
        }
        return 0;
    }

    /// <summary>
    /// The matmul shapes issue 18 compares with OpenBLAS (bench/peer/blas_matmul.py times the same): 1024×1024·1024×256,
    /// 1024³ and 2048³, float64, best and median of 11 products after two warm-ups, each shape two ways: into a
    /// preallocated output (<c>Tensor.MatMul(a, b, c)</c>, what numpy's <c>matmul(a, b, out=c)</c> in blas_matmul.py
    /// measures) and into a fresh one (<c>a.MatMul(b)</c>, which also pays the first touch of the new array's pages).
    /// </summary>
    public static int MatMuls(bool json)
    {
        foreach (var (n, k, m) in new[] { (1024, 1024, 256), (1024, 1024, 1024), (2048, 2048, 2048) })
        {
            var a = Tensor.Rand(new Random(1), [n, k], -1, 1);
            var b = Tensor.Rand(new Random(2), [k, m], -1, 1);
            var c = Tensor.Zeros(n, m);
            double flops = 2.0 * n * k * (double)m;
            string shape = $"{n}x{k}x{m}";
            foreach (var (output, product) in new (string, Action)[] { ("preallocated", () => Tensor.MatMul(a, b, c)), ("fresh", () => a.MatMul(b)) })
            {
                var (best, median, cpu) = TimeWithCpu(product, 11);
                Console.WriteLine(json
                    ? $"{{\"impl\":\"dpstorch\",\"path\":\"{DpsTorch.Tensors.Simd.Path}\",\"threads\":{TensorEngine.NumThreads},\"shape\":\"{shape}\",\"output\":\"{output}\",\"best_ms\":{best * 1e3:F3},\"median_ms\":{median * 1e3:F3},\"best_gflops\":{flops / best / 1e9:F1},\"median_gflops\":{flops / median / 1e9:F1},\"cpu_ms_median\":{cpu * 1e3:F3}}}"
                    : $"matmul {shape} ({DpsTorch.Tensors.Simd.Path}, {TensorEngine.NumThreads} threads, {output} output): best {best * 1e3:F2} ms ({flops / best / 1e9:F1} GFLOP/s), median {median * 1e3:F2} ms ({flops / median / 1e9:F1} GFLOP/s), process CPU median {cpu * 1e3:F2} ms ({flops / cpu / 1e9 * TensorEngine.NumThreads:F1} GFLOP/s per {TensorEngine.NumThreads} busy threads)");
            }
        }
        return 0;
    }

    /// <summary>
    /// <see cref="Time"/> plus the median process CPU time (all threads) per call: on a loaded machine it is stretched
    /// far less than the wall time when other processes take the cores.
    /// </summary>
    private static (double best, double median, double cpuMedian) TimeWithCpu(Action f, int reps)
    {
        f();
        f();
        var t = new double[reps];
        var cpu = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            double c0 = ProcessCpuSeconds();
            var sw = Stopwatch.StartNew();
            f();
            t[r] = sw.Elapsed.TotalSeconds;
            cpu[r] = ProcessCpuSeconds() - c0;
        }
        Array.Sort(t);
        Array.Sort(cpu);
        return (t[0], t[reps / 2], cpu[reps / 2]);
    }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct TimeSpec { public long Seconds, Nanoseconds; }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>CPU time of the whole process (Linux CLOCK_PROCESS_CPUTIME_ID, ns resolution); NaN elsewhere.</summary>
    private static double ProcessCpuSeconds()
    {
        if (!OperatingSystem.IsLinux()) return double.NaN;
        return ClockGetTime(2, out var t) == 0 ? t.Seconds + t.Nanoseconds * 1e-9 : double.NaN;
    }

    private static (double best, double median) Time(Action f, int reps)
    {
        f(); // warm-up (JIT, tiered compilation)
        f();
        var t = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            var sw = Stopwatch.StartNew();
            f();
            t[r] = sw.Elapsed.TotalSeconds;
        }
        Array.Sort(t);
        return (t[0], t[reps / 2]);
    }
}
