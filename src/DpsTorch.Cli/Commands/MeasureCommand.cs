// `dps measure MODEL.json|RUN_DIR [--json]`: reloads a saved model state, recomputes every measure (with the measures
// section of the config saved in it) and prints a table or JSON with summary.json's field names. A model.json whose
// folder's commit record (IO/ResultCommit.cs) is unfinished or does not match it is refused.
using System.CommandLine;
using DpsTorch.IO;
using DpsTorch.Measures;
using DpsTorch.Model;

namespace DpsTorch.Cli;

internal static class MeasureCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A saved model state (model.json of a run) or a run folder." };
        var cmd = new Command("measure", "Reload a model state and recompute all measures (--json: summary.json field names).") { model };
        cmd.SetAction(r => Cli.Guard(() =>
        {
            string path = Output.ModelPath(r.GetValue(model)!);
            ResultCommit.Check(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileName(path));
            var state = ModelState.Load(path);
            var c = state.Config;
            var measures = SystemMeasures.Compute(state.ToModel(), c.Measures, c.Objective.LambdaC, c.Training.Lr);
            var o = Output.MeasuresJson(measures, c);
            if (CliConsole.Json) Output.PrintJson(o);
            else Output.Console().Write(Output.ScalarTable(o, $"Measures of {r.GetValue(model)}", Output.ScalarMeasures));
            return ExitCode.Success;
        }));
        return cmd;
    }
}
