// `dps nested CONFIG.json [--out DIR] [--set key=value ...] [--baseline]`: an alias of `dps run` kept for old scripts
// (dps run trains a config with a `levels` block as a nested system): the same progress, folder, checkpoints,
// --resume, Ctrl-C handling and output.
using System.CommandLine;
using DpsTorch.Config;

namespace DpsTorch.Cli;

internal static class NestedCommand
{
    public static Command Create()
    {
        var config = new Argument<string>("config") { Description = "Experiment config (JSON) with a levels block." };
        var set = new Option<string[]>("--set") { Description = "Override a key: --set training.steps=500 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var output = new Option<string?>("--out") { Description = "Output folder (default: runs/<config name>/<run id>, new for every run)." };
        var baseline = RunCommand.BaselineOption();
        var cmd = new Command("nested", "Alias of `dps run` (which trains a config with a levels block as a nested system).") { config, set, output, baseline };
        cmd.SetAction(r => Cli.Guard(() =>
        {
            string path = r.GetValue(config)!;
            if (ConfigLoader.Load(path, r.GetValue(set) ?? []).Levels is null)
                throw new ConfigException("levels", "the config has no levels block; use `dps run` for a flat system.");
            return RunCommand.Run(path, r.GetValue(output), r.GetValue(set) ?? [], r.GetValue(baseline));
        }));
        return cmd;
    }
}
