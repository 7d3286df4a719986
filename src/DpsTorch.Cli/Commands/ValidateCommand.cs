// `dps validate CONFIG.json`: checks a config (and its files) without running it, and prints the resolved config.
using System.CommandLine;
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Sweeps;

namespace DpsTorch.Cli;

internal static class ValidateCommand
{
    public static Command Create()
    {
        var config = new Argument<string>("config") { Description = "Experiment config (JSON)." };
        var set = new Option<string[]>("--set") { Description = "Override a key: --set agents.count=24 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var cmd = new Command("validate", "Check a config (every run of its sweep block, if any) and print it with every default resolved.") { config, set };
        cmd.SetAction(r => Cli.Guard(() =>
        {
            // A config with a sweep block is checked run by run (every grid point validated and built).
            var plan = SweepReader.Load(r.GetValue(config)!, r.GetValue(set) ?? []);
            plan.Validate();
            DpsConfig? first = null;
            MemoryEstimate? largest = null;
            foreach (var point in plan.Points)
            {
                var c = plan.ConfigFor(point); // refuses a run that does not fit in memory, before building it
                var estimate = MemoryEstimate.For(c);
                if (largest is null || estimate.Total > largest.Total) largest = estimate;
                if (c.Levels is null) SystemBuilder.Create(c); // builds demand and topology too, so file and size problems surface here
                first ??= c;
            }
            CliConsole.Out.WriteLine(ConfigLoader.ToJson(first!));
            var (available, source) = MemoryLimit.Available();
            CliConsole.Note.WriteLine($"dps: memory estimate{(plan.Points.Count > 1 ? " of the largest run" : "")}: {largest!.Describe()}; available: {MemoryEstimate.Bytes(available)} ({source}).");
            CliConsole.Note.WriteLine(plan.Points.Count == 1
                ? $"dps: {r.GetValue(config)} is valid."
                : $"dps: {r.GetValue(config)} is valid: its sweep block expands to {plan.Points.Count} runs, each valid (the first is printed); run them with dps sweep.");
            return ExitCode.Success;
        }));
        return cmd;
    }
}
