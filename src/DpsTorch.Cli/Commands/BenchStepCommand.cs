// `dps bench-step --config CASE.json`: times Adam steps on the model a config builds, for the comparison with the
// PyTorch peer (bench/compare.sh, bench/peer/dps_torch.py). Saves the initial state first so the peer starts from it.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using DpsTorch.IO;
using DpsTorch.Model;

namespace DpsTorch.Cli;

internal static class BenchStepCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "Benchmark case config (JSON).", Required = true };
        var steps = new Option<int>("--steps") { Description = "Adam steps to run (the first is warm-up, not timed).", DefaultValueFactory = _ => 20 };
        var threads = new Option<int>("--threads") { Description = "Engine threads (TensorEngine.SetNumThreads).", DefaultValueFactory = _ => 2 };
        var stateOut = new Option<string?>("--state-out") { Description = "Write the initial model.json here before training." };
        var backend = new Option<string>("--backend")
        {
            Description = "managed (the engine), torchsharp (libtorch ops and autograd, torch.optim.Adam) or torchsharp-kernels (the same with the engine's fused kernels as torch autograd functions).",
            DefaultValueFactory = _ => "managed",
        };
        var cmd = new Command("bench-step", "Time Adam steps on a config's model (restart 0) and print one JSON line: ms_per_step, losses, peak memory.")
        {
            config, steps, threads, stateOut, backend,
        };
        cmd.SetAction(r => Cli.Guard(() =>
        {
            string path = r.GetValue(config)!;
            int n = r.GetValue(steps);
            if (n < 1) throw new ArgumentException($"--steps must be at least 1, got {n}.");
            TensorEngine.SetNumThreads(r.GetValue(threads) >= 1 ? r.GetValue(threads) : throw new ArgumentException($"--threads must be at least 1, got {r.GetValue(threads)}."));
            var c = ConfigLoader.Load(path, []);
            string which = r.GetValue(backend)!;
            if (which is not ("managed" or "torchsharp" or "torchsharp-kernels"))
                throw new ArgumentException($"--backend: \"{which}\" is not allowed; expected managed, torchsharp or torchsharp-kernels.");
            var log = CliConsole.Json ? null : CliConsole.Note;
            var result = which == "managed"
                ? Run(c, n, r.GetValue(stateOut), Path.GetFileNameWithoutExtension(path), log)
                : TorchBench.Run(c, n, Path.GetFileNameWithoutExtension(path), which == "torchsharp-kernels", r.GetValue(threads), log);
            CliConsole.Out.WriteLine(result.ToJsonString());
            return ExitCode.Success;
        }));
        return cmd;
    }

    /// <summary>Builds the model, saves its initial state, runs the timed Adam steps and returns the JSON result.</summary>
    internal static JsonObject Run(DpsConfig c, int steps, string? stateOut, string caseName, TextWriter? log)
    {
        var model = SystemBuilder.Create(c, 0);
        if (stateOut is not null)
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(stateOut));
            if (dir is not null) Directory.CreateDirectory(dir);
            ModelState.From(model, c).Save(stateOut);
        }
        var ps = model.Parameters();
        var optimizer = Trainer.MakeOptimizer(c.Training with { Optimizer = "adam" }, ps);
        var (times, lossFirst) = TimeSteps(steps, log, s =>
        {
            optimizer.ZeroGrad();
            var loss = model.Loss().Total;
            double value = FiniteLoss(s, loss.Item());
            loss.Backward();
            optimizer.Step();
            TensorEngine.EndStep();
            return value;
        });
        double lossLast;
        using (TensorEngine.NoGrad()) lossLast = model.Loss().Total.Item();
        return Result(caseName, "csharp", model, times, lossFirst, lossLast, TensorEngine.NumThreads);
    }

    /// <summary>
    /// Runs <paramref name="step"/> (optimizer step s, returning the loss it computed) <paramref name="steps"/> times,
    /// timing each. Returns the times in ms and the first loss.
    /// </summary>
    internal static (double[] Times, double LossFirst) TimeSteps(int steps, TextWriter? log, Func<int, double> step)
    {
        var times = new double[steps];
        double lossFirst = double.NaN;
        for (int s = 0; s < steps; s++)
        {
            long t0 = Stopwatch.GetTimestamp();
            double value = step(s);
            times[s] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            if (s == 0) lossFirst = value;
            log?.WriteLine($"step {s}: loss {value.ToString("R", CultureInfo.InvariantCulture)}, {times[s]:F2} ms");
        }
        return (times, lossFirst);
    }

    /// <summary>The loss of step <paramref name="s"/>, or the bench stops (before the backward pass) naming the step.</summary>
    internal static double FiniteLoss(int s, double value)
        => double.IsFinite(value) ? value : throw new NonFiniteException($"bench-step: step {s}: the loss is {value}.");

    /// <summary>The JSON line of a bench run: step times (the first is warm-up, not in the mean or median), losses and peak memory.</summary>
    internal static JsonObject Result(string caseName, string impl, DpsModel model, double[] times, double lossFirst, double lossLast, int threads)
    {
        int steps = times.Length;
        var timed = times[(steps > 1 ? 1 : 0)..];
        double msPerStep = timed.Average();
        Array.Sort(timed);
        double median = timed.Length % 2 == 1 ? timed[timed.Length / 2] : 0.5 * (timed[timed.Length / 2 - 1] + timed[timed.Length / 2]);
        using var self = Process.GetCurrentProcess();
        return new JsonObject
        {
            ["case"] = caseName,
            ["impl"] = impl,
            ["n"] = model.N,
            ["m"] = model.Space.M,
            ["steps"] = steps,
            ["ms_per_step"] = msPerStep,
            ["ms_first_step"] = times[0],
            ["ms_median_step"] = median,
            ["loss_first"] = lossFirst,
            ["loss_last"] = lossLast,
            ["peak_mb"] = Math.Round(self.PeakWorkingSet64 / (1024.0 * 1024.0), 1),
            ["edges"] = model.Interaction.Edges.Count,
            ["learned"] = model.Interaction.Learned,
            ["objective"] = model.Objective.Kind,
            ["threads"] = threads,
        };
    }
}
