// The ML.NET adapter: pipeline round trip (fit, save, load in a fresh context, same predictions), Evaluate and
// CrossValidate, cross-validated choice of the generating form, the FastTree baseline and typed sweep data views.
using DpsTorch.Fitting;
using DpsTorch.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DpsTorch.MLNet.Tests;

public class ScalingLawEstimatorTests
{
    private static double Gaussian(Random rng)
        => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static double[] LogSpace(double lo, double hi, int n)
        => Enumerable.Range(0, n).Select(i => lo * Math.Pow(hi / lo, i / (double)(n - 1))).ToArray();

    /// <summary>Noisy samples of a form (relative noise, so log-space fits see constant variance).</summary>
    private static FitData Make(ScalingForm form, int seed, double relativeNoise = 0.01)
    {
        (double[] truth, double[] x, double[]? x2) = form switch
        {
            ScalingForm.Power => (new[] { 3.0, -0.5 }, LogSpace(10, 1000, 24), null),
            ScalingForm.PowerOffset => (new[] { 0.5, 2.0, 0.7 }, LogSpace(1, 1000, 24), null),
            ScalingForm.Saturating => (new[] { 4.0, 2.0 }, Enumerable.Range(0, 24).Select(i => 0.5 + i * 0.4).ToArray(), null),
            ScalingForm.BrokenPower => (new[] { 2.0, -0.2, -1.0, 30.0 }, LogSpace(1, 1000, 24), null),
            ScalingForm.Chinchilla => (new[] { 1.0, 8.0, 0.5, 4.0, 0.3 }, Grid(LogSpace(4, 1000, 6), 6).X, Grid(LogSpace(4, 1000, 6), 6).X2),
            _ => (new[] { 2.0, -0.4, 0.3 }, Grid(LogSpace(4, 1000, 6), 6).X, Grid(LogSpace(4, 1000, 6), 6).X2),
        };
        var rng = new Random(seed);
        var y = x.Select((v, i) => ScalingForms.Evaluate(form, truth, v, x2?[i] ?? double.NaN) * (1 + relativeNoise * Gaussian(rng))).ToArray();
        return new FitData("x", "y", x, y, false) { X2 = x2, X2Column = x2 is null ? null : "x2" };
    }

    private static (double[] X, double[] X2) Grid(double[] x, int k)
    {
        var x2 = LogSpace(2, 200, k);
        return (x.SelectMany(_ => x2.Select(_ => 0.0)).Select((_, i) => x[i / k]).ToArray(), x.SelectMany(_ => x2).ToArray());
    }

    [Fact]
    public void Pipeline_FitSaveLoadInFreshContext_GivesTheSamePredictions_AndEvaluates()
    {
        var ml = new MLContext(seed: 1);
        var groups = new[] { Make(ScalingForm.PowerOffset, 1), Make(ScalingForm.PowerOffset, 2) };
        var data = SweepData.Points(ml, groups, ["ring", "star"], FitSpace.Log);
        var est = new ScalingLawEstimator(ml, new ScalingLawOptions
        {
            Form = ScalingForm.PowerOffset,
            Fit = new FitOptions { BootstrapResamples = 0, Space = FitSpace.Log, Shared = ["b"] },
        });
        var model = est.Fit(data);
        var before = model.Transform(data).GetColumn<double>(LawColumns.Prediction).ToArray();
        // The fitted law itself: predictions are the law's curve at each point.
        var fits = est.LastFit;
        var expected = groups.SelectMany((g, gi) => g.X.Select(x => fits[gi].Predict(x))).ToArray();
        for (int i = 0; i < before.Length; i++) Assert.Equal(expected[i], before[i], 1e-12 * Math.Abs(expected[i]));
        Assert.Equal(fits[0]["b"].Estimate, fits[1]["b"].Estimate);

        string path = Path.Combine(Path.GetTempPath(), $"dps-law-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, path);
            var fresh = new MLContext(seed: 99);
            var loaded = fresh.Model.Load(path, out var schema);
            var freshData = SweepData.Points(fresh, groups, ["ring", "star"], FitSpace.Log);
            var after = loaded.Transform(freshData).GetColumn<double>(LawColumns.Prediction).ToArray();
            Assert.Equal(before.Length, after.Length);
            for (int i = 0; i < before.Length; i++)
                Assert.True(Math.Abs(before[i] - after[i]) <= 1e-12 * Math.Max(1, Math.Abs(before[i])), $"point {i}: {before[i]:R} vs {after[i]:R}");

            var engine = fresh.Model.CreatePredictionEngine<LawPoint, LawOutput>(loaded);
            var one = engine.Predict(new LawPoint { X = 50, Group = "star" });
            Assert.Equal(fits[1].Predict(50), one.Prediction, 1e-12 * Math.Abs(one.Prediction));

            var metrics = fresh.Regression.Evaluate(loaded.Transform(freshData), LawColumns.Label, LawColumns.Score);
            Assert.True(metrics.RSquared > 0.99, $"R² = {metrics.RSquared}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    public sealed class LawOutput
    {
        public double Prediction { get; set; }
        public float Score { get; set; }
    }

    public static TheoryData<ScalingForm> OneVariable => new(ScalingForms.All);

    /// <summary>5-fold cross-validation through ML.NET picks the generating form in at least 9 of 10 seeded data sets.</summary>
    [Theory]
    [MemberData(nameof(OneVariable))]
    [InlineData(ScalingForm.Chinchilla)]
    [InlineData(ScalingForm.PowerProduct)]
    public void CrossValidation_PicksTheGeneratingForm_InNineOfTenDataSets(ScalingForm form)
    {
        var ml = new MLContext(seed: 1);
        var forms = ScalingForms.IsTwoVariable(form) ? ScalingForms.TwoVariable : ScalingForms.All;
        int hits = 0;
        var misses = new List<string>();
        for (int s = 0; s < 10; s++)
        {
            var d = Make(form, 100 + s);
            var data = SweepData.Points(ml, [d], null, FitSpace.Log);
            var sel = LawSelection.CrossValidate(ml, data, forms, 5, new FitOptions { Space = FitSpace.Log, Starts = 2 }, seed: s, baseline: false);
            if (sel.Chosen == form) hits++;
            else misses.Add($"seed {s}: " + string.Join(", ", sel.Scores.Select(c => $"{c.Name} {c.Rmse:G3}")));
        }
        Assert.True(hits >= 9, $"{ScalingForms.Name(form)} chosen in {hits}/10: {string.Join("; ", misses)}");
    }

    [Fact]
    public void Baseline_IsReportedBesideTheLaws_AndALawBeatsItOnLawData()
    {
        var ml = new MLContext(seed: 1);
        var data = SweepData.Points(ml, [Make(ScalingForm.Power, 5)], null, FitSpace.Log);
        var sel = LawSelection.CrossValidate(ml, data, ScalingForms.All, 4, new FitOptions { Space = FitSpace.Log }, seed: 1);
        Assert.Equal(LawSelection.BaselineName, sel.Baseline.Name);
        Assert.True(sel.ChosenScore.Rmse < sel.Baseline.Rmse, $"law {sel.ChosenScore.Rmse} vs baseline {sel.Baseline.Rmse}");
        Assert.Throws<ArgumentException>(() => LawSelection.CrossValidate(ml, data, ScalingForms.All, 1, new FitOptions()));
    }

    [Fact]
    public void SweepResults_LoadWithTypedColumns()
    {
        string path = Path.Combine(Path.GetTempPath(), $"dps-results-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, "run,agents.count,seed,loss,note\nrun-0000,3,0,1.5,a\nrun-0001,4,0,2.5,\"b, c\"\n");
        try
        {
            var ml = new MLContext();
            var dv = SweepData.LoadResults(ml, path);
            Assert.Equal(NumberDataViewType.Double, dv.Schema["agents.count"].Type);
            Assert.Equal(NumberDataViewType.Double, dv.Schema["loss"].Type);
            Assert.Equal(TextDataViewType.Instance, dv.Schema["run"].Type);
            Assert.Equal([1.5, 2.5], dv.GetColumn<double>("loss").ToArray());
            Assert.Equal(["a", "b, c"], dv.GetColumn<ReadOnlyMemory<char>>("note").Select(m => m.ToString()).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Trajectory_LoadsWithTypedColumns()
    {
        string path = Path.Combine(Path.GetTempPath(), $"dps-trajectory-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, "step,loss,heterogeneity,seconds\n0,166.7,1.93,0.43\n25,151.2,1.87,0.45\n");
        try
        {
            var dv = SweepData.LoadTrajectory(new MLContext(), path);
            Assert.All(new[] { "step", "loss", "heterogeneity", "seconds" }, c => Assert.Equal(NumberDataViewType.Double, dv.Schema[c].Type));
            Assert.Equal([0.0, 25.0], dv.GetColumn<double>("step").ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
