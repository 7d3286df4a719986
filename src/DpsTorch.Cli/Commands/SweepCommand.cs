// `dps sweep CONFIG.json --out DIR [--shard K/N] [--jobs J]`: runs every grid point of the config's "sweep" block
// (one run per worker, each run single-threaded by default), skipping runs already finished in DIR, and writes
// DIR/results.csv. Ctrl-C / SIGTERM starts no further run, lets the running ones stop after their step (keeping their
// checkpoints), writes results.csv for the finished runs and exits 130 / 143; the same command resumes.
// `dps sweep --merge SHARD_DIR... --out DIR` combines the folders of shards.
using System.CommandLine;
using System.Text.Json.Nodes;
using System.Globalization;
using DpsTorch.IO;
using DpsTorch.Config;
using DpsTorch.Sweeps;
using Spectre.Console;

namespace DpsTorch.Cli;

internal static class SweepCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("input") { Description = "Config (JSON) with a \"sweep\" block; with --merge, the shard folders to combine.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Sweep folder: one sub-folder per run, runs.json, results.csv.", Required = true };
        var shard = new Option<string>("--shard") { Description = "Run only slice K of N (K from 0), e.g. --shard ${SLURM_ARRAY_TASK_ID}/8." };
        var jobs = new Option<int>("--jobs", "-j") { Description = "Runs at once (default: the number of cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var threads = new Option<int>("--threads") { Description = "Threads per run (default 1: the cores go to parallel runs).", DefaultValueFactory = _ => 1 };
        var set = new Option<string[]>("--set") { Description = "Override a key of the base config or the sweep block: --set training.steps=500 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var sweep = SweepOption();
        var merge = new Option<bool>("--merge") { Description = "Combine the shard folders given as arguments into --out instead of running." };
        var cmd = new Command("sweep", """
            Run a config's grid of runs in parallel (resumable), or merge shard folders.

            Examples:
              dps sweep experiments/08-scaling-laws/config.json --out runs/scaling
              dps sweep cfg.json --out runs/s3 --shard 3/8        (slice 3 of 8, e.g. a Slurm array task)
              dps sweep --merge runs/s0 runs/s1 runs/s2 --out runs/all
              dps sweep cfg.json --out runs/n --sweep agents.count=4,8,16 --sweep seeds=3
            """) { inputs, output, shard, jobs, threads, set, sweep, merge };
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var args = r.GetValue(inputs) ?? [];
            string outDir = r.GetValue(output)!;
            if (r.GetValue(merge)) return Merge(args, outDir);
            if (args.Length != 1) throw ConfigException.Invalid("config", string.Join(" ", args), "one config file (several folders only with --merge)");
            int threadCount = r.GetValue(threads);
            if (threadCount < 1) throw ConfigException.Invalid("--threads", threadCount, "an integer >= 1");
            var options = new SweepOptions
            {
                Jobs = r.GetValue(jobs),
                Shard = r.GetValue(shard) is { } s ? Shard.Parse(s) : Shard.All,
            };
            var plan = SweepReader.Load(args[0], r.GetValue(set) ?? [], r.GetValue(sweep) ?? []);
            foreach (var training in plan.Points.Select(p => plan.ConfigFor(p).Training).DistinctBy(t => (t.Backend, t.Device)))
                DpsTorch.Model.TrainingBackends.Check(training); // before the sweep folder is touched
            return Run(plan, outDir, options, threadCount);
        }));
        return cmd;
    }

    /// <summary>--sweep key=a,b,c (repeatable): a grid axis from the command line (dps sweep and dps run).</summary>
    internal static Option<string[]> SweepOption() => new("--sweep")
    {
        Description = "Sweep a key over values: --sweep agents.count=4,8,16 (repeatable: a grid; --sweep seeds=3 repeats each run with 3 seeds).",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>Runs the plan into <paramref name="outDir"/>: progress on standard error, and with --json the outcome on standard output.</summary>
    internal static int Run(SweepPlan plan, string outDir, SweepOptions options, int threads)
    {
        options = options with { CommandLine = CliConsole.CommandLine };
        var stderr = CliConsole.Note; // the signal handlers and the progress callback run on other threads
        using var interrupt = new Interrupt(stderr, "starting no further runs; the running ones stop after their current step and keep their checkpoints");
        int previousThreads = TensorEngine.NumThreads;
        TensorEngine.SetNumThreads(threads); // global: set once for the whole sweep, not per run
        try
        {
            stderr.WriteLine($"dps: sweep of {plan.Points.Count} runs ({string.Join(" x ", plan.Keys.Append("seed"))})"
                + (options.Shard.Count > 1 ? $", shard {options.Shard}" : "") + $", {options.Jobs} at once, {threads} thread(s) each, into {outDir}");
            var outcome = SweepRunner.Run(plan, outDir, options, report =>
            {
                string what = report.Error is null && report.Result is null ? "case study written" // a case study's replicate
                    : report.Error is null
                    ? $"loss {report.Result!.Loss.ToString("G6", CultureInfo.InvariantCulture)}, heterogeneity {report.Result.Heterogeneity.ToString("G4", CultureInfo.InvariantCulture)}, {report.Result.Seconds.ToString("F1", CultureInfo.InvariantCulture)} s"
                    : $"FAILED: {Cli.WithoutParameterName(report.Error.Message)}";
                stderr.WriteLine($"dps: [{report.Done}/{report.Total}] {report.Point.Run} ({report.Point.Describe()}): {what}");
            }, interrupt.Token);
            stderr.WriteLine($"dps: {outcome.Executed} run(s) done, {outcome.Skipped} already finished, {outcome.Failed.Count} failed"
                + (outcome.Busy.Count > 0 ? $", {outcome.Busy.Count} left to another process" : "")
                + $"; {Path.Combine(outDir, SweepResults.Results)} has {outcome.Rows} of {plan.Points.Count} rows.");
            if (outcome.Busy.Count > 0)
                stderr.WriteLine($"dps: skipped {outcome.Busy.Count} run(s) another dps process is running: "
                    + string.Join(", ", outcome.Busy.Take(5).Select(b => $"{b.Run} ({b.Holder})")) + (outcome.Busy.Count > 5 ? ", ..." : "")
                    + "; its results.csv will hold them when it finishes.");
            var statistics = SweepResults.Statistics(outDir);
            if (outcome.Rows > 0) SweepReport.Write(outDir);
            if (!CliConsole.Json) PrintStatistics(statistics);
            if (outcome.Rows > 0 && statistics.MinSeeds < SweepStatistics.RecommendedSeeds)
                stderr.WriteLine($"dps: note: the intervals rest on as few as {statistics.MinSeeds} seed(s) per point; "
                    + $"for {SweepStatistics.RecommendedSeeds} or more set \"seeds\": {SweepStatistics.RecommendedSeeds} in the sweep block or add --sweep seeds={SweepStatistics.RecommendedSeeds}.");
            if (outcome.Rows > 0) Output.Wrote([Path.Combine(outDir, SweepStatistics.File), Path.Combine(outDir, RunFiles.Report)]);
            if (CliConsole.Json)
                Output.PrintJson(new JsonObject
                {
                    ["out"] = outDir,
                    ["results"] = Path.Combine(outDir, SweepResults.Results),
                    ["statistics"] = Path.Combine(outDir, SweepStatistics.File),
                    ["report"] = outcome.Rows > 0 ? Path.Combine(outDir, RunFiles.Report) : null,
                    ["points"] = StatisticsJson(statistics),
                    ["runs"] = plan.Points.Count,
                    ["executed"] = outcome.Executed,
                    ["skipped"] = outcome.Skipped,
                    ["rows"] = outcome.Rows,
                    ["interrupted"] = outcome.Interrupted,
                    ["failed"] = new JsonArray([.. outcome.Failed.Select(f => (JsonNode)new JsonObject { ["run"] = f.Run, ["message"] = f.Message })]),
                });
            foreach (var (run, message) in outcome.Failed) CliConsole.Error.WriteLine($"dps: error: {run}: {Cli.WithoutParameterName(message)} (see {Path.Combine(outDir, run, SweepRunner.ErrorFile)})");
            if (outcome.Interrupted)
            {
                stderr.WriteLine("dps: interrupted; run the same command again to resume (finished runs are skipped, interrupted ones continue from their checkpoints).");
                return interrupt.ExitCode;
            }
            return outcome.Failed.Count > 0 ? ExitCode.Failure : ExitCode.Success;
        }
        finally
        {
            TensorEngine.SetNumThreads(previousThreads);
        }
    }

    /// <summary>Measures the console table shows per point (all of them are in statistics.csv and --json).</summary>
    internal static readonly string[] TableMeasures = ["loss", "heterogeneity", "coverage", "resourceEfficiency", "utilisation", "robustness"];

    /// <summary>The sweep's points as a table on standard output: swept values, n, and mean ± 95% half-width of the main measures.</summary>
    internal static void PrintStatistics(SweepStatistics statistics)
    {
        if (statistics.Points.Count == 0) return;
        var table = new Table();
        foreach (var k in statistics.Keys) table.AddColumn(Markup.Escape(k));
        table.AddColumn(new TableColumn("n").RightAligned());
        var shown = TableMeasures.Where(m => statistics.Points.Any(p => p.Measures[m].N > 0)).ToList();
        if (shown.Count == 0) shown = [.. statistics.CaseMeasureNames.Where(statistics.Varies).Take(TableMeasures.Length)]; // a case study's sweep
        foreach (var m in shown) table.AddColumn(new TableColumn(Markup.Escape(m + " (mean ± 95% CI)")).RightAligned());
        foreach (var p in statistics.Points)
        {
            var cells = p.Values.ToList();
            cells.Add(p.Runs.Count.ToString(CultureInfo.InvariantCulture));
            cells.AddRange(shown.Select(m => p.Measures[m] is { N: > 0 } s
                ? Output.Num(s.Mean) + (double.IsFinite(s.HalfWidth) ? " ± " + s.ShownHalfWidth.ToString("G3", CultureInfo.InvariantCulture) : "")
                : "-"));
            table.AddRow([.. cells.Select(Markup.Escape)]);
        }
        var console = Output.Console();
        if (!CliConsole.IsTerminal) console.Profile.Width = 400; // a file or pipe gets whole rows, not wrapped cells
        console.Write(table);
    }

    /// <summary>The points for --json: swept values, runs, and every measure's n, mean, half-width and interval.</summary>
    internal static JsonArray StatisticsJson(SweepStatistics statistics)
    {
        static JsonNode? N(double v) => double.IsFinite(v) ? v : null;
        var points = new JsonArray();
        foreach (var p in statistics.Points)
        {
            var values = new JsonObject();
            for (int i = 0; i < statistics.Keys.Count; i++) values[statistics.Keys[i]] = p.Values[i];
            var measures = new JsonObject();
            foreach (var (m, s) in p.Measures)
                measures[m] = new JsonObject { ["n"] = s.N, ["mean"] = N(s.Mean), ["halfWidth"] = N(s.HalfWidth), ["low"] = N(s.Low), ["high"] = N(s.High) };
            points.Add((JsonNode)new JsonObject
            {
                ["values"] = values,
                ["runs"] = new JsonArray([.. p.Runs.Select(r => (JsonNode?)r)]),
                ["measures"] = measures,
            });
        }
        return points;
    }

    private static int Merge(string[] dirs, string outDir)
    {
        var m = SweepMerge.Merge(dirs, outDir);
        if (m.Finished > 0) SweepReport.Write(outDir);
        CliConsole.Note.WriteLine($"dps: merged {dirs.Length} folder(s) into {outDir}: {m.Finished} of {m.Runs} runs finished ({m.Copied} copied"
            + (m.Duplicates > 0 ? $", {m.Duplicates} finished in more than one shard, first kept" : "") + ").");
        if (m.Missing.Count > 0)
            CliConsole.Note.WriteLine($"dps: warning: {m.Missing.Count} run(s) finished in no shard: {string.Join(", ", m.Missing.Take(10))}{(m.Missing.Count > 10 ? ", ..." : "")}; run the missing shards (or resume them) and merge again.");
        if (CliConsole.Json)
            Output.PrintJson(new JsonObject
            {
                ["out"] = outDir,
                ["results"] = Path.Combine(outDir, SweepResults.Results),
                ["runs"] = m.Runs,
                ["finished"] = m.Finished,
                ["copied"] = m.Copied,
                ["duplicates"] = m.Duplicates,
                ["missing"] = new JsonArray([.. m.Missing.Select(r => (JsonNode?)r)]),
            });
        return ExitCode.Success;
    }
}
