// `dps fit results.csv --x COL --y COL [--form auto|power|power-offset|saturating|broken-power] [--group COL]`:
// fits a scaling law to two columns of a results table (Fitting/ScalingStudy.cs), prints the parameters with
// bootstrap intervals, R² and the criterion, and writes fit.json and fit.svg.
using System.CommandLine;
using System.Globalization;
using DpsTorch.Fitting;
using DpsTorch.IO;

namespace DpsTorch.Cli;

internal static class FitCommand
{
    public static Command Create()
    {
        var table = new Argument<string>("table") { Description = "Results table (CSV with a header row), e.g. the results.csv of dps sweep." };
        var x = new Option<string>("--x") { Description = "Column of the size, e.g. agents.count.", Required = true };
        var y = new Option<string>("--y") { Description = "Column of the measured quantity, e.g. heterogeneity.", Required = true };
        var form = new Option<string>("--form") { Description = "auto (fit all, choose by the criterion), power, power-offset, saturating or broken-power.", DefaultValueFactory = _ => "auto" };
        var group = new Option<string>("--group") { Description = "Fit separately for each value of this column." };
        var raw = new Option<bool>("--all-points") { Description = "Fit every row instead of the mean over seeds at each x." };
        var criterion = new Option<string>("--criterion") { Description = "aicc (default; AIC with the small-sample correction) or aic.", DefaultValueFactory = _ => "aicc" };
        var resamples = new Option<int>("--bootstrap") { Description = "Bootstrap resamples for the 95% intervals (0: none).", DefaultValueFactory = _ => new FitOptions().BootstrapResamples };
        var seed = new Option<int>("--seed") { Description = "Seed of the bootstrap.", DefaultValueFactory = _ => new FitOptions().Seed };
        var output = new Option<string>("--out") { Description = "Folder for the files (default: the table's folder)." };
        var name = new Option<string>("--name") { Description = "Base name of the files: NAME.json and NAME.svg.", DefaultValueFactory = _ => "fit" };
        var cmd = new Command("fit", """
            Fit a scaling law y(x) to a results table, with bootstrap 95% intervals; write fit.json and fit.svg.

            Examples:
              dps fit runs/scaling/results.csv --x agents.count --y heterogeneity
              dps fit results.csv --x agents.count --y loss --form power --group demand.peaks --name fit-loss
            """) { table, x, y, form, group, raw, criterion, resamples, seed, output, name };
        cmd.SetAction(r => Cli.Guard(() =>
        {
            string path = r.GetValue(table)!;
            if (!File.Exists(path)) throw new ConfigException(path, "results table not found.");
            var request = new FitRequest(r.GetValue(x)!, r.GetValue(y)!)
            {
                Form = FitRequest.ParseForm(r.GetValue(form)!),
                GroupColumn = r.GetValue(group),
                AggregateOverSeeds = !r.GetValue(raw),
            };
            var options = new FitOptions
            {
                Criterion = r.GetValue(criterion)?.Trim().ToLowerInvariant() switch
                {
                    "aicc" => InformationCriterion.Aicc,
                    "aic" => InformationCriterion.Aic,
                    var c => throw ConfigException.Invalid("--criterion", c, "aicc or aic"),
                },
                BootstrapResamples = r.GetValue(resamples),
                Seed = r.GetValue(seed),
            };
            string baseName = r.GetValue(name)!;
            if (baseName.Length == 0 || baseName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || baseName.Contains('/'))
                throw ConfigException.Invalid("--name", baseName, "a file name without folders, e.g. fit-loss");
            string dir = r.GetValue(output) ?? Path.GetDirectoryName(Path.GetFullPath(path))!;

            var study = ScalingStudy.Run(FitTable.ReadCsv(path), request, options);
            string json = Path.Combine(dir, baseName + ".json"), svg = Path.Combine(dir, baseName + ".svg");
            FitReport.WriteJson(json, study);
            FitReport.WriteSvg(svg, study);
            if (CliConsole.Json) CliConsole.Out.WriteLine(File.ReadAllText(json).TrimEnd());
            else CliConsole.Out.Write(Describe(study));
            Output.Wrote([json, svg]);
            return ExitCode.Success;
        }));
        return cmd;
    }

    /// <summary>The printed summary: what was fitted on which points, then per group the chosen form's parameters.</summary>
    internal static string Describe(ScalingStudy study)
    {
        static string F(double v) => double.IsFinite(v) ? v.ToString("G4", CultureInfo.InvariantCulture) : "n/a";
        var req = study.Request;
        var sb = new System.Text.StringBuilder();
        string crit = study.Options.Criterion == InformationCriterion.Aic ? "AIC" : "AICc";
        sb.Append($"{req.YColumn} vs {req.XColumn}: ")
          .Append(req.AggregateOverSeeds ? "fitted to the mean over seeds at each x (error bars: standard error)" : "fitted to every row (no aggregation over seeds)")
          .Append(req.Form is null ? $"; form chosen by {crit}" : $"; form {req.FormName}")
          .Append($"; {(int)Math.Round(study.Options.ConfidenceLevel * 100)}% intervals from {study.Options.BootstrapResamples} bootstrap resamples.\n");
        foreach (var g in study.Groups)
        {
            var fit = g.Selection.Chosen;
            sb.Append(g.Group is null ? "" : $"[{req.GroupColumn} = {g.Group}] ")
              .Append($"{fit.FormName}: {ScalingForms.Formula(fit.Form)}   ({g.Data.Count} points from {g.Rows} rows)\n");
            foreach (var p in fit.Parameters)
                sb.Append($"  {p.Name,-6} = {F(p.Estimate),-11} 95% CI [{F(p.CiLow)}, {F(p.CiHigh)}]\n");
            sb.Append($"  R² = {fit.RSquared.ToString("F4", CultureInfo.InvariantCulture)}, {crit} = {F(fit.Criterion(study.Options.Criterion))}");
            if (req.Form is null)
                sb.Append("; others: " + string.Join(", ", g.Selection.Candidates.Where(c => c.Result != fit).Select(c =>
                    c.Result is null ? $"{c.FormName} skipped ({c.SkippedReason})" : $"{c.FormName} Δ{crit} = {F(c.Delta)}")));
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
