// Training progress for `dps run`: a live Spectre.Console bar on a terminal, plain log lines (about one per 10% of
// the steps) otherwise. Both count steps over all restarts, since the trainer reports each restart from step 0.
using System.Diagnostics;
using DpsTorch.Config;
using DpsTorch.Model;
using Spectre.Console;

namespace DpsTorch.Cli;

/// <summary>Overall position of a run with restarts: fraction done, time left, and a one-line description.</summary>
internal sealed class RunProgress(int stepsPerRestart, int restarts)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _restart, _lastStep = -1;

    public double Total => (double)stepsPerRestart * restarts;

    /// <summary>Steps done over all restarts after <paramref name="p"/> (a lower step than the last one starts the next restart).</summary>
    public double Done(TrainProgress p)
    {
        if (p.Step < _lastStep && _restart < restarts - 1) _restart++;
        _lastStep = p.Step;
        return Math.Min((double)_restart * stepsPerRestart + p.Step, Total);
    }

    public string Describe(TrainProgress p, double done)
    {
        string restart = restarts > 1 ? $" (restart {_restart + 1}/{restarts})" : "";
        string left = done > 0 && done < Total ? $"  ~{Output.Num(Math.Ceiling(_clock.Elapsed.TotalSeconds / done * (Total - done)))} s left" : "";
        return $"step {p.Step}/{p.TotalSteps}{restart}  loss {Output.Num(p.Loss)}  heterogeneity {p.Heterogeneity:F3}  coverage {p.Coverage:P1}{left}";
    }

    /// <summary>A shorter description that leaves room for the bar on an 80-column terminal.</summary>
    public string Compact(TrainProgress p)
    {
        string restart = restarts > 1 ? $"r{_restart + 1}/{restarts} " : "";
        return $"{restart}step {p.Step}/{p.TotalSteps} loss {p.Loss:G4} het {p.Heterogeneity:F2} cov {p.Coverage:P0}";
    }

    /// <summary>True when a live bar may draw: the invocation's standard error (and output) is an interactive terminal
    /// (not CI, not a file, pipe or capture) and --quiet was not given.</summary>
    public static bool Interactive => !CliConsole.Quiet && CliConsole.IsErrorTerminal && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="train"/> with a live bar; the bar's task is updated from the training thread.</summary>
    public static T WithBar<T>(DpsConfig config, Func<IProgress<TrainProgress>, T> train)
    {
        var run = new RunProgress(config.Training.Steps, config.Training.Restarts);
        return Output.ErrorConsole().Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 16 }, new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("starting", maxValue: Math.Max(run.Total, 1));
                var result = train(new Reporter(p =>
                {
                    task.Value = run.Done(p);
                    task.Description = Markup.Escape(run.Compact(p));
                }));
                task.Value = task.MaxValue;
                return result;
            });
    }

    /// <summary>Plain progress: a line to <paramref name="log"/> each time another tenth of the steps is done.</summary>
    public static IProgress<TrainProgress> Lines(DpsConfig config, TextWriter log)
    {
        var run = new RunProgress(config.Training.Steps, config.Training.Restarts);
        int printedTenths = -1;
        return new Reporter(p =>
        {
            double done = run.Done(p);
            int tenths = run.Total > 0 ? (int)Math.Floor(10 * done / run.Total) : 10;
            if (tenths <= printedTenths) return;
            printedTenths = tenths;
            log.WriteLine($"dps: {run.Describe(p, done)}");
        });
    }

    /// <summary>Reports synchronously on the caller's thread (unlike Progress&lt;T&gt;, which posts).</summary>
    private sealed class Reporter(Action<TrainProgress> report) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => report(value);
    }
}
