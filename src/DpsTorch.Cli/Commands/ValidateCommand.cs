// `dps validate CONFIG.json`: checks a config (and its files) without running it, and prints the resolved config.
using System.CommandLine;
using DpsTorch.IO;
using DpsTorch.Model;

namespace DpsTorch.Cli;

internal static class ValidateCommand
{
    public static Command Create()
    {
        var config = new Argument<string>("config") { Description = "Experiment config (JSON)." };
        var set = new Option<string[]>("--set") { Description = "Override a key: --set agents.count=24 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var cmd = new Command("validate", "Check a config and print it with every default resolved.") { config, set };
        cmd.SetAction(r => Cli.Guard(() =>
        {
            var c = ConfigLoader.Load(r.GetValue(config)!, r.GetValue(set) ?? []);
            SystemBuilder.Create(c); // builds demand and topology too, so file and size problems surface here
            Console.WriteLine(ConfigLoader.ToJson(c));
            Console.Error.WriteLine($"dps: {r.GetValue(config)} is valid.");
            return ExitCode.Success;
        }));
        return cmd;
    }
}
