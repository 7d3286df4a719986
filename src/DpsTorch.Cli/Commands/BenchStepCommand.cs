// `dps bench-step --config CASE.json`: times Adam steps on the model a config builds, for the comparison with the
// PyTorch peer (bench/compare.sh, bench/peer/dps_torch.py). Saves the initial state first so the peer starts from it.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Model;
using DpsTorch.Ops;

namespace DpsTorch.Cli;

internal static class BenchStepCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "Benchmark case config (JSON).", Required = true };
        var steps = new Option<int>("--steps") { Description = "Adam steps to run (the first --warmup of them are not timed).", DefaultValueFactory = _ => 20 };
        var warmup = new Option<int>("--warmup") { Description = "Steps trained but not timed nor counted, before the timed ones (0 to steps - 1).", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "Engine threads (TensorEngine.SetNumThreads).", DefaultValueFactory = _ => 2 };
        var stateOut = new Option<string?>("--state-out") { Description = "Write the initial model.json here before training." };
        var backend = new Option<string>("--backend")
        {
            Description = "managed (the engine), torchsharp (libtorch ops and autograd, torch.optim.Adam) or torchsharp-kernels (the same with the engine's fused kernels as torch autograd functions).",
            DefaultValueFactory = _ => "managed",
        };
        var starts = new Option<int>("--starts")
        {
            Description = "Also time R starts (restarts 0..R-1) advanced together as one batched system (BatchedStarts) and report their cost against one start's.",
            DefaultValueFactory = _ => 1,
        };
        var mixture = new Option<string>("--batched-mixture")
        {
            Description = "How --starts evaluates the batch: spectral (default: the Fourier-space path where it applies, else images; what a run's batched restarts use), images (the grid, the lone starts' bits) or auto (the grid, the Fourier series mixture where cheaper).",
            DefaultValueFactory = _ => "spectral",
        };
        var cmd = new Command("bench-step", "Time Adam steps on a config's model (restart 0) and print one JSON line: ms_per_step, losses, peak memory, allocation and ops per step.")
        {
            config, steps, warmup, threads, stateOut, backend, starts, mixture,
        };
        cmd.SetAction(r => Cli.Guard(() =>
        {
            string path = r.GetValue(config)!;
            int n = r.GetValue(steps);
            if (n < 1) throw new ArgumentException($"--steps must be at least 1, got {n}.");
            int w = r.GetValue(warmup);
            if (w < 0 || w > n - 1) throw new ArgumentException($"--warmup must be from 0 to steps - 1 = {n - 1}, got {w}.");
            TensorEngine.SetNumThreads(r.GetValue(threads) >= 1 ? r.GetValue(threads) : throw new ArgumentException($"--threads must be at least 1, got {r.GetValue(threads)}."));
            var c = ConfigLoader.Load(path, []);
            MemoryLimit.Check(c);
            string which = r.GetValue(backend)!;
            if (which is not ("managed" or "torchsharp" or "torchsharp-kernels"))
                throw new ArgumentException($"--backend: \"{which}\" is not allowed; expected managed, torchsharp or torchsharp-kernels.");
            int r0 = r.GetValue(starts);
            if (r0 < 1) throw new ArgumentException($"--starts must be at least 1, got {r0}.");
            if (r0 > 1 && which != "managed") throw new ArgumentException($"--starts {r0} needs --backend managed, got {which}.");
            var log = CliConsole.Json ? null : CliConsole.Note;
            var result = which == "managed"
                ? Run(c, n, r.GetValue(stateOut), Path.GetFileNameWithoutExtension(path), log, w)
                : TorchBench.Run(c, n, Path.GetFileNameWithoutExtension(path), which == "torchsharp-kernels", r.GetValue(threads), log, w);
            string how = r.GetValue(mixture)!;
            if (how is not ("spectral" or "images" or "auto")) throw new ArgumentException($"--batched-mixture: \"{how}\" is not allowed; expected spectral, images or auto.");
            if (r0 > 1) AddBatched(result, c, n, r0, log, how == "auto" ? WrappedNormalMethod.Auto : WrappedNormalMethod.Images, spectral: how == "spectral", warmup: w);
            CliConsole.Out.WriteLine(result.ToJsonString());
            return ExitCode.Success;
        }));
        return cmd;
    }

    /// <summary>
    /// Builds the model, saves its initial state, runs the Adam steps (the first <paramref name="warmup"/> untimed) and
    /// returns the JSON result. ops_per_step is what the timed steps really recorded (<see cref="TensorEngine.RecordedOps"/>:
    /// 0 on the graph-free path, step_path "graph-free"); graph_ops_per_loss is the size of the loss's graph when it is
    /// built, which the graph-free path does not build.
    /// </summary>
    internal static JsonObject Run(DpsConfig c, int steps, string? stateOut, string caseName, TextWriter? log, int warmup = 1)
    {
        var model = SystemBuilder.Create(c, 0);
        if (stateOut is not null)
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(stateOut));
            if (dir is not null) Directory.CreateDirectory(dir);
            ModelState.From(model, c).Save(stateOut);
        }
        var ps = model.Parameters();
        var optimizer = Trainer.MakeOptimizer(c.Training with { Optimizer = OptimizerKind.Adam }, ps);
        var counts = StepCounts.Start();
        var cpu = new double[steps];
        var (times, lossFirst) = TimeSteps(steps, log, s =>
        {
            // What the Trainer calls: the graph-free step where the model has one (Model/FusedStep.cs), else Loss + Backward.
            optimizer.ZeroGrad();
            double value = FiniteLoss(s, model.Evaluate(null, backward: true).Total);
            optimizer.Step();
            TensorEngine.EndStep();
            return value;
        }, cpu, () => counts = StepCounts.Start(), warmup);
        counts = counts.Stop(Math.Max(1, steps - Warm(steps, warmup)));
        double lossLast;
        using (TensorEngine.NoGrad()) lossLast = model.Loss().Total.Item();
        var result = Result(caseName, "csharp", model, times, lossFirst, lossLast, TensorEngine.NumThreads, warmup);
        if (ThreadCpu.Available) result["cpu_ms_median_step"] = Median(cpu[Warm(steps, warmup)..]);
        counts.AddTo(result, "");
        result["graph_ops_per_loss"] = model.Loss().Total.GraphSize;
        return result;
    }

    /// <summary>
    /// Times <paramref name="starts"/> starts (restarts 0..R-1) advanced as one <see cref="BatchedStarts"/> with one Adam,
    /// and adds to <paramref name="result"/> (one start's run) the batch's ms per step, its ratio to one start's, its ops,
    /// allocation and gen-0 collections per step, and the best start's last loss.
    /// </summary>
    internal static void AddBatched(JsonObject result, DpsConfig c, int steps, int starts, TextWriter? log,
        WrappedNormalMethod mixture = WrappedNormalMethod.Images, bool spectral = true, int warmup = 1)
    {
        var batch = new BatchedStarts([.. Enumerable.Range(0, starts).Select(r => SystemBuilder.Create(c, r))]) { MixtureMethod = mixture, Spectral = spectral };
        int spectralSteps = 0;
        var optimizer = Trainer.MakeOptimizer(c.Training with { Optimizer = OptimizerKind.Adam }, batch.Parameters());
        var counts = StepCounts.Start();
        var cpu = new double[steps];
        var (times, _) = TimeSteps(steps, log, s =>
        {
            optimizer.ZeroGrad();
            double value = FiniteLoss(s, batch.Evaluate(null, backward: true).Total);
            if (batch.LastEvaluationSpectral) spectralSteps++;
            optimizer.Step();
            TensorEngine.EndStep();
            return value;
        }, cpu, () => counts = StepCounts.Start(), warmup);
        counts = counts.Stop(Math.Max(1, steps - Warm(steps, warmup)));
        batch.Evaluate(null, backward: false);
        var timed = times[Warm(steps, warmup)..];
        double ms = timed.Average(), median = Median(timed);
        result["starts"] = starts;
        result["batched_mixture"] = spectral ? "spectral" : mixture == WrappedNormalMethod.Auto ? "auto" : "images";
        result["batched_spectral_steps"] = spectralSteps;
        result["batched_ms_per_step"] = ms;
        result["batched_ms_median_step"] = median;
        result["batched_over_one_start"] = median / (double)result["ms_median_step"]!;
        if (ThreadCpu.Available && result["cpu_ms_median_step"] is { } one)
        {
            double batchedCpu = Median(cpu[Warm(steps, warmup)..]);
            result["batched_cpu_ms_median_step"] = batchedCpu;
            result["batched_cpu_over_one_start"] = batchedCpu / (double)one;
        }
        result["batched_graph_ops_per_loss"] = batch.StartLossParts().Total.Sum().GraphSize;
        result["batched_best_loss_last"] = batch.StartLosses.Min();
        counts.AddTo(result, "batched_");
    }

    private static double Median(double[] values)
    {
        var v = (double[])values.Clone();
        Array.Sort(v);
        return v.Length % 2 == 1 ? v[v.Length / 2] : 0.5 * (v[v.Length / 2 - 1] + v[v.Length / 2]);
    }

    /// <summary>
    /// Bytes allocated (all threads) and gen-0 and gen-2 collections per step, counted from the end of the first
    /// (warm-up, untimed) step: steady-state counts, without the first step's one-off allocations.
    /// </summary>
    private readonly record struct StepCounts(long Bytes, int Gen0, int Gen2, long Ops, double BytesPerStep = 0, double Gen0PerStep = 0,
        double Gen2PerStep = 0, double OpsPerStep = 0)
    {
        public static StepCounts Start() => new(GC.GetTotalAllocatedBytes(precise: true), GC.CollectionCount(0), GC.CollectionCount(2), TensorEngine.RecordedOps);

        public StepCounts Stop(int steps) => this with
        {
            BytesPerStep = (GC.GetTotalAllocatedBytes(precise: true) - Bytes) / (double)steps,
            Gen0PerStep = (GC.CollectionCount(0) - Gen0) / (double)steps,
            Gen2PerStep = (GC.CollectionCount(2) - Gen2) / (double)steps,
            OpsPerStep = (TensorEngine.RecordedOps - Ops) / (double)steps,
        };

        public void AddTo(JsonObject result, string prefix)
        {
            result[prefix + "alloc_kb_per_step"] = Math.Round(BytesPerStep / 1024.0, 1);
            result[prefix + "gen2_per_step"] = Gen2PerStep;
            result[prefix + "gen0_per_step"] = Gen0PerStep;
            result[prefix + "ops_per_step"] = OpsPerStep;
            result[prefix + "step_path"] = OpsPerStep == 0 ? "graph-free" : "graph";
        }
    }

    /// <summary>The untimed warm-up steps of a run of <paramref name="steps"/>: <paramref name="warmup"/>, at most steps − 1.</summary>
    internal static int Warm(int steps, int warmup) => Math.Clamp(warmup, 0, Math.Max(0, steps - 1));

    /// <summary>
    /// Runs <paramref name="step"/> (optimizer step s, returning the loss it computed) <paramref name="steps"/> times,
    /// timing each. Returns the times in ms and the first loss. With <paramref name="cpu"/>, also this thread's CPU time
    /// of each step in ms (<see cref="ThreadCpu"/>: with one engine thread the whole step, and unlike the wall time not
    /// stretched when a loaded machine preempts the process); <paramref name="afterWarmup"/> runs after the last of the
    /// first <paramref name="warmup"/> steps (untimed warm-up), outside its time.
    /// </summary>
    internal static (double[] Times, double LossFirst) TimeSteps(int steps, TextWriter? log, Func<int, double> step, double[]? cpu = null,
        Action? afterWarmup = null, int warmup = 1)
    {
        int warm = Warm(steps, warmup);
        var times = new double[steps];
        double lossFirst = double.NaN;
        for (int s = 0; s < steps; s++)
        {
            double c0 = cpu is null ? 0 : ThreadCpu.Milliseconds();
            long t0 = Stopwatch.GetTimestamp();
            double value = step(s);
            times[s] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            if (cpu is not null) cpu[s] = ThreadCpu.Milliseconds() - c0;
            if (s == warm - 1) afterWarmup?.Invoke();
            if (s == 0) lossFirst = value;
            log?.WriteLine($"step {s}: loss {value.ToString("R", CultureInfo.InvariantCulture)}, {times[s]:F2} ms");
        }
        return (times, lossFirst);
    }

    /// <summary>The loss of step <paramref name="s"/>, or the bench stops (before the backward pass) naming the step.</summary>
    internal static double FiniteLoss(int s, double value)
        => double.IsFinite(value) ? value : throw new NonFiniteException($"bench-step: step {s}: the loss is {value}.");

    /// <summary>
    /// The JSON line of a bench run: step times (the first <paramref name="warmup"/> are warm-up, not in the mean or
    /// median), losses and peak memory.
    /// </summary>
    internal static JsonObject Result(string caseName, string impl, DpsModel model, double[] times, double lossFirst, double lossLast, int threads,
        int warmup = 1)
    {
        int steps = times.Length;
        int warm = Warm(steps, warmup);
        var timed = times[warm..];
        double msPerStep = timed.Average();
        double median = Median(timed);
        using var self = Process.GetCurrentProcess();
        return new JsonObject
        {
            ["case"] = caseName,
            ["impl"] = impl,
            ["n"] = model.N,
            ["m"] = model.Space.M,
            ["steps"] = steps,
            ["warmup"] = warm,
            ["timed_steps"] = timed.Length,
            ["ms_per_step"] = msPerStep,
            ["ms_first_step"] = times[0],
            ["ms_median_step"] = median,
            // Drift check: the medians of the first and the second half of the timed steps (equal on a steady step).
            ["ms_median_first_half"] = timed.Length > 1 ? (double?)Median(timed[..(timed.Length / 2)]) : null,
            ["ms_median_second_half"] = timed.Length > 1 ? (double?)Median(timed[(timed.Length / 2)..]) : null,
            ["loss_first"] = lossFirst,
            ["loss_last"] = lossLast,
            ["peak_mb"] = Math.Round(self.PeakWorkingSet64 / (1024.0 * 1024.0), 1),
            ["edges"] = model.Interaction.Edges.Count,
            ["learned"] = model.Interaction.Learned,
            ["objective"] = Choices.Name(model.Objective.Kind),
            ["threads"] = threads,
        };
    }
}

/// <summary>The calling thread's CPU time (Linux clock_gettime(CLOCK_THREAD_CPUTIME_ID)); NaN elsewhere.</summary>
internal static class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>Whether the thread CPU clock can be read here.</summary>
    public static bool Available { get; } = OperatingSystem.IsLinux() && Probe();

    /// <summary>This thread's CPU time in ms, or NaN when <see cref="Available"/> is false.</summary>
    public static double Milliseconds()
        => Available && ClockGetTime(ClockThreadCpuTimeId, out var t) == 0 ? t.Seconds * 1e3 + t.Nanoseconds * 1e-6 : double.NaN;

    private static bool Probe()
    {
        try { return ClockGetTime(ClockThreadCpuTimeId, out _) == 0; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }
}
