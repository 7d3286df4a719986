// `dps robustness MODEL.json [--removal random|resource|degree] [--seeds N] [--resilience-steps N] [--json]`:
// the coverage kept as agents are removed (robustness) and after a short re-optimisation (resilience), with the
// areas under the curves. Options default to the measures section of the config saved in the model.
using System.CommandLine;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Measures;
using DpsTorch.Model;
using Spectre.Console;

namespace DpsTorch.Cli;

internal static class RobustnessCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "A saved model state (model.json of a run) or a run folder." };
        var removal = new Option<string>("--removal") { Description = "Removal order: random (averaged over seeds), resource (largest first) or degree (best connected first)." };
        var seeds = new Option<int>("--seeds") { Description = "Random removal orders averaged (>= 1)." };
        var steps = new Option<int>("--resilience-steps") { Description = "Re-optimisation steps for resilience (0 skips it)." };
        var cmd = new Command("robustness", "Coverage versus fraction of agents removed, without and with re-optimisation.")
        {
            model, removal, seeds, steps,
        };
        cmd.SetAction(r => Cli.Guard(() =>
        {
            string path = Output.ModelPath(r.GetValue(model)!);
            ResultCommit.Check(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileName(path)); // not a model left mixed by a kill
            var state = ModelState.Load(path);
            var c = state.Config;
            var options = c.Measures;
            if (r.GetValue(removal) is string rm) options = options with { Removal = Choices.Parse<RemovalKind>("--removal", rm) };
            if (r.GetResult(seeds) is not null)
            {
                int s = r.GetValue(seeds);
                if (s < 1) throw ConfigException.Invalid("--seeds", s, "an integer >= 1");
                options = options with { Seeds = s };
            }
            if (r.GetResult(steps) is not null)
            {
                int k = r.GetValue(steps);
                if (k < 0) throw ConfigException.Invalid("--resilience-steps", k, "an integer >= 0");
                options = options with { ResilienceSteps = k };
            }
            var measures = SystemMeasures.Compute(state.ToModel(), options, c.Objective.LambdaC, c.Training.Lr);
            var o = Output.Pick(Output.MeasuresJson(measures, c), "robustness", "resilience", "robustnessCurve", "resilienceCurve");
            o["removal"] = Choices.Name(options.Removal);
            o["seeds"] = options.Removal == RemovalKind.Random ? options.Seeds : 1;
            o["resilienceSteps"] = options.ResilienceSteps;
            if (CliConsole.Json) { Output.PrintJson(o); return ExitCode.Success; }

            var console = Output.Console();
            console.Write(CurveTable(measures, options));
            console.WriteLine($"robustness (area) {Output.Show(o["robustness"])}   resilience (area) {Output.Show(o["resilience"])}", Style.Plain);
            return ExitCode.Success;
        }));
        return cmd;
    }

    private static Table CurveTable(MeasureSet m, MeasuresConfig options)
    {
        var title = $"Coverage kept, removal {Choices.Name(options.Removal)}" + (options.Removal == RemovalKind.Random ? $" ({options.Seeds} seeds)" : "");
        var table = new Table().Title(title).AddColumn(new TableColumn("removed").RightAligned())
            .AddColumn(new TableColumn("robustness").RightAligned()).AddColumn(new TableColumn("spread").RightAligned());
        var res = m.Resilience;
        if (res is not null) table.AddColumn(new TableColumn($"resilience ({options.ResilienceSteps} steps)").RightAligned()).AddColumn(new TableColumn("spread").RightAligned());
        var rob = m.Robustness;
        if (rob is null) return table;
        for (int i = 0; i < rob.Fractions.Count; i++)
        {
            var row = new List<string> { $"{rob.Fractions[i]:P0}", Output.Num(rob.Coverage[i]), Output.Num(rob.Spread[i]) };
            if (res is not null) { row.Add(Output.Num(res.Coverage[i])); row.Add(Output.Num(res.Spread[i])); }
            table.AddRow([.. row]);
        }
        return table;
    }
}
