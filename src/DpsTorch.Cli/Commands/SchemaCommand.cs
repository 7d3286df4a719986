// `dps schema`: prints the JSON Schema of configs (generated from the config records and reader), or writes it to a file.
using System.CommandLine;
using DpsTorch.IO;

namespace DpsTorch.Cli;

internal static class SchemaCommand
{
    public static Command Create()
    {
        var output = new Option<string?>("--out") { Description = $"Write the schema to this file (e.g. schema/{ConfigSchema.FileName}) instead of printing it." };
        var cmd = new Command("schema", "Print the JSON Schema of experiment configs, for editors (reference it with \"$schema\" in a config).") { output };
        cmd.SetAction(r => Cli.Guard(() =>
        {
            string json = ConfigSchema.ToJson();
            if (r.GetValue(output) is not { } path) { CliConsole.Out.Write(json); return ExitCode.Success; }
            AtomicFile.WriteAllText(path, json);
            CliConsole.Error.WriteLine($"dps: wrote {path}");
            return ExitCode.Success;
        }));
        return cmd;
    }
}
