// `dps fit results.csv --x COL [--x2 COL] --y COL [--form ...] [--group COL,...] [--shared P,...] [--space log|linear]
// [--loss squared|huber] [--cv K]`: fits scaling laws to columns of a results table (Fitting/ScalingStudy.cs), grouped by
// default by every swept key but the seed, prints the parameters with bootstrap intervals, R² and the criterion or the
// cross-validated errors (DpsTorch.MLNet), and writes fit.json and fit.svg.
using System.CommandLine;
using System.Globalization;
using DpsTorch.Config;
using DpsTorch.Fitting;
using DpsTorch.MLNet;

namespace DpsTorch.Cli;

internal static class FitCommand
{
    public static Command Create()
    {
        var table = new Argument<string>("table") { Description = "Results table (CSV with a header row), e.g. the results.csv of dps sweep." };
        var x = new Option<string>("--x") { Description = "Column of the size, e.g. agents.count.", Required = true };
        var x2 = new Option<string>("--x2") { Description = "Column of a second variable for a two-variable law (chinchilla, power-product), e.g. demand.peaks." };
        var y = new Option<string>("--y") { Description = "Column of the measured quantity, e.g. heterogeneity.", Required = true };
        var form = new Option<string>("--form") { Description = "auto (fit all of the right arity, choose by the criterion or --cv), power, power-offset, saturating, broken-power, chinchilla or power-product.", DefaultValueFactory = _ => "auto" };
        var group = new Option<string[]>("--group") { Description = "Fit separately for each value of these columns (repeat or comma-separate; 'none' pools all rows). Default: every swept key except the seed.", AllowMultipleArgumentsPerToken = true };
        var shared = new Option<string>("--shared") { Description = "Parameters shared by all groups, comma-separated (e.g. b: one exponent, per-group scales)." };
        var space = new Option<string>("--space") { Description = "linear (residuals on y, default) or log (on ln y: relative errors).", DefaultValueFactory = _ => "linear" };
        var loss = new Option<string>("--loss") { Description = "squared (default) or huber (robust to outliers; δ = 1.345 × robust residual scale unless --huber-delta).", DefaultValueFactory = _ => "squared" };
        var delta = new Option<double?>("--huber-delta") { Description = "Huber's δ in residual units (of y, or of ln y with --space log)." };
        var cv = new Option<int?>("--cv") { Description = "Choose the form by K-fold cross-validated error (ML.NET), with a FastTree regressor as the no-law baseline." };
        var raw = new Option<bool>("--all-points") { Description = "Fit every row instead of the mean over seeds at each x." };
        var criterion = new Option<string>("--criterion") { Description = "aicc (default; AIC with the small-sample correction) or aic.", DefaultValueFactory = _ => "aicc" };
        var resamples = new Option<int>("--bootstrap") { Description = "Bootstrap resamples for the 95% intervals (0: none).", DefaultValueFactory = _ => new FitOptions().BootstrapResamples };
        var seed = new Option<int>("--seed") { Description = "Seed of the bootstrap and the folds.", DefaultValueFactory = _ => new FitOptions().Seed };
        var output = new Option<string>("--out") { Description = "Folder for the files (default: the table's folder)." };
        var name = new Option<string>("--name") { Description = "Base name of the files: NAME.json and NAME.svg.", DefaultValueFactory = _ => "fit" };
        var cmd = new Command("fit", """
            Fit a scaling law y(x) or y(x, x2) to a results table, with bootstrap 95% intervals; write fit.json and fit.svg.

            By default the rows are grouped by every swept key except the seed (and the fitted columns), and each
            group is fitted separately; the output says what it grouped by.

            Examples:
              dps fit runs/scaling/results.csv --x agents.count --y heterogeneity
              dps fit results.csv --x agents.count --y loss --form power-offset --shared b --space log
              dps fit results.csv --x agents.count --x2 demand.peaks --y loss --loss huber --space log --cv 5
            """) { table, x, x2, y, form, group, shared, space, loss, delta, cv, raw, criterion, resamples, seed, output, name };
        cmd.SetAction(r => Cli.Guard(() =>
        {
            string path = r.GetValue(table)!;
            if (!File.Exists(path)) throw new ConfigException(path, "results table not found.");
            var groups = r.GetValue(group) is { Length: > 0 } gs ? SplitList(gs) : null;
            if (groups is not null && groups.Any(g => g.Equals("none", StringComparison.OrdinalIgnoreCase)))
            {
                if (groups.Count > 1) throw ConfigException.Invalid("--group", string.Join(",", groups), "'none' alone, or column names");
                groups = [];
            }
            ScalingForm? parsedForm;
            try { parsedForm = FitRequest.ParseForm(r.GetValue(form)!); }
            catch (ArgumentException) { throw ConfigException.Invalid("--form", r.GetValue(form), "auto, " + string.Join(", ", ScalingForms.Every.Select(ScalingForms.Name))); }
            var request = new FitRequest(r.GetValue(x)!, r.GetValue(y)!)
            {
                X2Column = r.GetValue(x2),
                Form = parsedForm,
                GroupColumns = groups,
                AggregateOverSeeds = !r.GetValue(raw),
            };
            int boot = r.GetValue(resamples);
            if (boot < 0) throw ConfigException.Invalid("--bootstrap", boot, "0 (no intervals) or more resamples, e.g. 1000");
            double? huber = r.GetValue(delta);
            if (huber is { } h && !(h > 0 && double.IsFinite(h))) throw ConfigException.Invalid("--huber-delta", h, "a positive number");
            int? folds = r.GetValue(cv);
            if (folds is { } k && k < 2) throw ConfigException.Invalid("--cv", k, "an integer of at least 2 (the number of folds), e.g. 5");
            var options = new FitOptions
            {
                Criterion = r.GetValue(criterion)?.Trim().ToLowerInvariant() switch
                {
                    "aicc" => InformationCriterion.Aicc,
                    "aic" => InformationCriterion.Aic,
                    var c => throw ConfigException.Invalid("--criterion", c, "aicc or aic"),
                },
                Space = r.GetValue(space)?.Trim().ToLowerInvariant() switch
                {
                    "linear" => FitSpace.Linear,
                    "log" => FitSpace.Log,
                    var c => throw ConfigException.Invalid("--space", c, "log or linear"),
                },
                Loss = r.GetValue(loss)?.Trim().ToLowerInvariant() switch
                {
                    "squared" => FitLoss.Squared,
                    "huber" => FitLoss.Huber,
                    var c => throw ConfigException.Invalid("--loss", c, "squared or huber"),
                },
                HuberDelta = huber ?? double.NaN,
                Shared = r.GetValue(shared) is { } sh ? SplitList([sh]) : [],
                BootstrapResamples = boot,
                Seed = r.GetValue(seed),
            };
            if (options.Shared.Count > 0)
            {
                var tried = parsedForm is { } pf ? [pf] : request.X2Column is null ? ScalingForms.All : ScalingForms.TwoVariable;
                var names = tried.SelectMany(ScalingForms.ParameterNames).Distinct().ToList();
                foreach (var s in options.Shared)
                    if (!names.Contains(s))
                        throw ConfigException.Invalid("--shared", s, parsedForm is { } f1
                            ? $"parameters of the {ScalingForms.Name(f1)} form: {string.Join(", ", names)}"
                            : $"a parameter of the forms tried ({string.Join(", ", tried.Select(ScalingForms.Name))}): {string.Join(", ", names)}");
            }
            string baseName = r.GetValue(name)!;
            if (baseName.Length == 0 || baseName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || baseName.Contains('/'))
                throw ConfigException.Invalid("--name", baseName, "a file name without folders, e.g. fit-loss");
            string dir = r.GetValue(output) ?? Path.GetDirectoryName(Path.GetFullPath(path))!;

            var study = ScalingStudy.Run(FitTable.ReadCsv(path), request, options);
            if (folds is { } kf) study = StudyCrossValidation.Apply(study, kf, options.Seed);
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

    private static List<string> SplitList(IEnumerable<string> values)
        => values.SelectMany(v => v.Split(',')).Select(v => v.Trim()).Where(v => v.Length > 0).ToList();

    /// <summary>The printed summary: how rows were grouped, what was fitted on which points, then per group the chosen form.</summary>
    internal static string Describe(ScalingStudy study)
    {
        static string F(double v) => double.IsFinite(v) ? v.ToString("G4", CultureInfo.InvariantCulture) : "n/a";
        var req = study.Request;
        var o = study.Options;
        var sb = new System.Text.StringBuilder();
        string crit = o.Criterion == InformationCriterion.Aic ? "AIC" : "AICc";
        bool cv = study.Groups.Any(g => g.CrossValidation is not null);
        sb.Append(study.Grouping).Append('\n');
        sb.Append($"{req.YColumn} vs {req.XColumn}{(req.X2Column is null ? "" : " and " + req.X2Column)}: ")
          .Append(req.AggregateOverSeeds ? "fitted to the mean over seeds at each point (error bars: standard error)" : "fitted to every row (no aggregation over seeds)")
          .Append($"; {(o.Loss == FitLoss.Huber ? "Huber" : "squared")} loss on {(o.Space == FitSpace.Log ? "ln y" : "y")}")
          .Append(o.Shared.Count > 0 ? $"; shared across groups: {string.Join(", ", o.Shared)}" : "")
          .Append(req.Form is not null ? $"; form {req.FormName}" : cv ? $"; form chosen by {study.Groups[0].CrossValidation!.Folds}-fold cross-validation" : $"; form chosen by {crit}")
          .Append($"; {(int)Math.Round(o.ConfidenceLevel * 100)}% intervals from {o.BootstrapResamples} bootstrap resamples.\n");
        foreach (var g in study.Groups)
        {
            var fit = g.Selection.Chosen;
            string formula = ScalingForms.Formula(fit.Form).Replace("x2", req.X2Column ?? "x2");
            sb.Append(g.Group is null ? "" : study.GroupColumns.Count == 1 ? $"[{study.GroupColumns[0]} = {g.Group}] " : $"[{g.Group}] ")
              .Append($"{fit.FormName}: {formula}   ({g.Data.Count} points from {g.Rows} rows)\n");
            foreach (var p in fit.Parameters)
                sb.Append($"  {p.Name,-6} = {F(p.Estimate),-11} 95% CI [{F(p.CiLow)}, {F(p.CiHigh)}]{(p.Shared ? "  (shared)" : "")}\n");
            sb.Append($"  R² = {fit.RSquared.ToString("F4", CultureInfo.InvariantCulture)}, {crit} = {F(fit.Criterion(o.Criterion))}");
            if (req.Form is null && !cv)
                sb.Append("; others: " + string.Join(", ", g.Selection.Candidates.Where(c => c.Result != fit).Select(c =>
                    c.Result is null ? $"{c.FormName} skipped ({c.SkippedReason})" : $"{c.FormName} Δ{crit} = {F(c.Delta)}")));
            sb.Append('\n');
            if (g.CrossValidation is { } c)
                sb.Append($"  CV RMSE ({c.Folds} folds): " + string.Join(", ", c.Scores.Select(s =>
                    s.Failed is null ? $"{s.Name} {F(s.Rmse)} ± {F(s.RmseStdDev)}" : $"{s.Name} failed ({s.Failed})")) + $"; chosen {ScalingForms.Name(c.Chosen)}\n");
        }
        return sb.ToString();
    }
}
