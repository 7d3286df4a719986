// Choosing a scaling-law form by K-fold cross-validated error through ML.NET's Regression.CrossValidate, with a
// nonparametric FastTree regressor on the same folds as the "is there a law at all" baseline.
using DpsTorch.Fitting;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;


namespace DpsTorch.MLNet;

/// <summary>Cross-validated error of one candidate: a form, or the baseline (Form null).</summary>
/// <param name="Name">Form name, or "fasttree".</param>
/// <param name="Form">The form; null for the baseline.</param>
/// <param name="Rmse">Mean over folds of the root-mean-square error in the fit space (y, or ln y).</param>
/// <param name="RmseStdDev">Standard deviation of the fold RMSEs.</param>
/// <param name="Failed">Why the candidate could not be cross-validated; null when it was.</param>
public sealed record CvScore(string Name, ScalingForm? Form, double Rmse, double RmseStdDev, string? Failed = null);

/// <summary>The cross-validated comparison of forms and the baseline.</summary>
/// <param name="Folds">K.</param>
/// <param name="Space">The space errors are measured in.</param>
/// <param name="Scores">Every form tried, then the baseline.</param>
/// <param name="Chosen">The form chosen by the one-standard-error rule: fewest parameters among the forms whose
/// cross-validated RMSE is within one standard error (fold SD / √K) of the lowest.</param>
public sealed record CvSelection(int Folds, FitSpace Space, IReadOnlyList<CvScore> Scores, ScalingForm Chosen)
{
    /// <summary>The baseline's score.</summary>
    public CvScore Baseline => Scores.Single(s => s.Form is null);
    /// <summary>The chosen form's score.</summary>
    public CvScore ChosenScore => Scores.Single(s => s.Form == Chosen);
}

/// <summary>Cross-validation of scaling laws through ML.NET.</summary>
public static class LawSelection
{
    /// <summary>Name of the baseline in <see cref="CvScore.Name"/>.</summary>
    public const string BaselineName = "fasttree";

    /// <summary>
    /// K-fold cross-validates every form in <paramref name="forms"/> (each fitted with <paramref name="fit"/>'s
    /// space, loss and shared parameters, no bootstrap) and the FastTree baseline on <paramref name="data"/>
    /// (from <see cref="SweepData.Points"/> in the same space), all on the same folds (ML.NET's seeded split).
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than 2 folds, or fewer points than 2 per fold.</exception>
    /// <param name="ml">The context (its seed does not matter; the folds follow <paramref name="seed"/>).</param>
    /// <param name="data">Points from <see cref="SweepData.Points"/>.</param>
    /// <param name="forms">Forms to compare.</param>
    /// <param name="folds">K, at least 2.</param>
    /// <param name="fit">Space, loss and shared parameters of every fit.</param>
    /// <param name="seed">Seed of ML.NET's fold split.</param>
    /// <param name="baseline">Whether to cross-validate the FastTree baseline too (default true; its score is NaN when not).</param>
    public static CvSelection CrossValidate(MLContext ml, IDataView data, IReadOnlyList<ScalingForm> forms, int folds, FitOptions fit, int seed = 1, bool baseline = true)
    {
        if (folds < 2) throw new ArgumentException($"--cv {folds}: cross-validation needs at least 2 folds.");
        long n = data.GetColumn<double>(LawColumns.X).LongCount();
        if (n < 2 * folds) throw new ArgumentException($"--cv {folds}: {n} points are too few for {folds} folds; use at most {n / 2} folds.");
        var options = fit with { BootstrapResamples = 0 };
        var scores = new List<CvScore>();
        foreach (var form in forms)
        {
            try
            {
                var est = new ScalingLawEstimator(ml, new ScalingLawOptions { Form = form, Fit = options });
                var r = ml.Regression.CrossValidate(data, est, folds, LawColumns.Label, seed: seed);
                scores.Add(Score(ScalingForms.Name(form), form, r.Select(f => f.Metrics.RootMeanSquaredError).ToArray()));
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                scores.Add(new CvScore(ScalingForms.Name(form), form, double.NaN, double.NaN, FirstLine(e)));
            }
        }
        if (baseline)
        {
            var trees = ml.Regression.CrossValidate(data, Baseline(ml, data), folds, LawColumns.Label, seed: seed);
            scores.Add(Score(BaselineName, null, trees.Select(f => f.Metrics.RootMeanSquaredError).ToArray()));
        }
        else scores.Add(new CvScore(BaselineName, null, double.NaN, double.NaN, "not requested"));
        var ok = scores.Where(s => s.Form is not null && double.IsFinite(s.Rmse)).ToList();
        if (ok.Count == 0)
            throw new ArgumentException("No form could be cross-validated: " + string.Join(" ", scores.Where(s => s.Failed is not null).Select(s => $"{s.Name}: {s.Failed}")));
        // One-standard-error rule (Breiman et al.): the simplest form whose error is within one standard error of the
        // best, so a nested form with an extra parameter does not win by fitting noise.
        var best = ok.MinBy(s => s.Rmse)!;
        double limit = best.Rmse + best.RmseStdDev / Math.Sqrt(folds);
        var chosen = ok.Where(s => s.Rmse <= limit).OrderBy(s => ScalingForms.ParameterCount(s.Form!.Value)).ThenBy(s => s.Rmse).First();
        return new CvSelection(folds, fit.Space, scores, chosen.Form!.Value);
    }

    /// <summary>
    /// The nonparametric baseline: FastTree (boosted regression trees) on x, x2 and the one-hot group, with leaves
    /// of at least 2 points so it can follow small sweeps.
    /// </summary>
    public static IEstimator<ITransformer> Baseline(MLContext ml, IDataView data)
    {
        long n = data.GetColumn<double>(LawColumns.X).LongCount();
        var trainer = ml.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
        {
            LabelColumnName = LawColumns.Label,
            FeatureColumnName = "BaselineFeatures",
            NumberOfTrees = 100,
            NumberOfLeaves = (int)Math.Clamp(n / 4, 2, 20),
            MinimumExampleCountPerLeaf = 2,
            LearningRate = 0.1,
        });
        return ml.Transforms.Categorical.OneHotEncoding("GroupOneHot", LawColumns.Group)
            .Append(ml.Transforms.Concatenate("BaselineFeatures", LawColumns.XFeature, LawColumns.X2Feature, "GroupOneHot"))
            .Append(trainer);
    }

    private static CvScore Score(string name, ScalingForm? form, double[] rmse)
    {
        double mean = rmse.Average();
        double sd = rmse.Length > 1 ? Math.Sqrt(rmse.Sum(v => (v - mean) * (v - mean)) / (rmse.Length - 1)) : 0;
        return new CvScore(name, form, mean, sd);
    }

    private static string FirstLine(Exception e)
    {
        var m = e.Message.Split('\n')[0].Trim();
        int p = m.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return p > 0 ? m[..p] : m;
    }
}

/// <summary>Cross-validated form choice for a whole <see cref="ScalingStudy"/> (what dps fit --cv runs).</summary>
public static class StudyCrossValidation
{
    /// <summary>
    /// Cross-validates the study's candidate forms per group (jointly over all groups when parameters are shared),
    /// replaces each group's chosen fit by the form with the lowest cross-validated error (one-standard-error rule)
    /// and attaches the scores, the baseline's included.
    /// </summary>
    public static ScalingStudy Apply(ScalingStudy study, int folds, int seed = 1)
    {
        var ml = new MLContext(seed);
        var forms = study.Groups[0].Selection.Candidates.Where(c => c.Result is not null).Select(c => c.Form).ToList();
        bool joint = study.Options.Shared.Count > 0 && study.Groups.Count > 1;
        var parts = joint ? [study.Groups.ToList()] : study.Groups.Select(g => new List<GroupFit> { g }).ToList();
        var result = new List<GroupFit>();
        foreach (var part in parts)
        {
            var data = SweepData.Points(ml, part.Select(g => g.Data).ToList(), part.Select(g => g.Group ?? "").ToList(), study.Options.Space);
            CvSelection cv;
            try
            {
                cv = LawSelection.CrossValidate(ml, data, forms, folds, study.Options, seed);
            }
            catch (ArgumentException e) when (part[0].Group is not null && !joint)
            {
                string where = study.GroupColumns.Count == 1 ? $"{study.GroupColumns[0]} = '{part[0].Group}'" : $"'{part[0].Group}'";
                throw new ArgumentException($"Group {where}: {e.Message} With few points per group, --all-points cross-validates on every row.", e);
            }
            var summary = new FitCrossValidation(folds,
                cv.Scores.Select(s => new FitCvScore(s.Name, s.Form is null, s.Rmse, s.RmseStdDev, s.Failed)).ToList(), cv.Chosen,
                $"{folds}-fold cross-validated RMSE in {(study.Options.Space == FitSpace.Log ? "ln y" : "y")}; fewest parameters within one standard error of the lowest");
            foreach (var g in part)
            {
                var chosen = g.Selection.Candidates.First(c => c.Form == cv.Chosen).Result!;
                result.Add(g with { Selection = g.Selection with { Chosen = chosen }, CrossValidation = summary });
            }
        }
        return study with { Groups = result };
    }
}
