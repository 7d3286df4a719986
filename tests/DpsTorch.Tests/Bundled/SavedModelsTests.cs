// Every trained state shipped in models/ reloads and reproduces the summary it was saved with: to 1e-12 on the SIMD
// path that saved it, to Simd.CrossPathTolerance on any other (README, "Reproducibility").
using System.Text.Json.Nodes;
using DpsTorch.IO;
using DpsTorch.Measures;
using DpsTorch.Model;
using DpsTorch.Tensors;

namespace DpsTorch.Tests.Bundled;

public class SavedModelsTests
{
    /// <summary>The SIMD path the shipped models were trained and measured on (models/README.md), for summaries that
    /// do not name their own in a "simd" field.</summary>
    private const string ShippedModelsPath = "avx512";

    /// <summary>Same path: bitwise in principle; 1e-12 leaves room for engine changes since the models were saved
    /// (measured 2.2e-13 at most).</summary>
    private const double SamePathTolerance = 1e-12;

    private static string ModelsDir()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DpsTorch.sln"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("DpsTorch.sln not found above the test binaries."), "models");
    }

    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        foreach (var d in Directory.GetDirectories(ModelsDir()).Order()) data.Add(Path.GetFileName(d));
        return data;
    }

    [Fact]
    public void ModelsFolder_HoldsAtLeastThreeTrainedStates()
        => Assert.True(Directory.GetFiles(ModelsDir(), "model.json", SearchOption.AllDirectories).Length >= 3);

    [Theory, MemberData(nameof(Models))]
    public void SavedModel_Reloads_AndReproducesItsSummary(string name)
    {
        string dir = Path.Combine(ModelsDir(), name);
        var state = ModelState.Load(Path.Combine(dir, RunFiles.Model));
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, RunFiles.Summary)))!;
        var model = state.ToModel();
        var m = SystemMeasures.Compute(model, state.Config.Measures, state.Config.Objective.LambdaC, state.Config.Training.Lr);
        string savedPath = summary["simd"]?.GetValue<string>() ?? ShippedModelsPath;
        Assert.Contains(savedPath, Simd.Paths);
        double tolerance = savedPath == Simd.Path ? SamePathTolerance : Simd.CrossPathTolerance;
        void Same(string field, double? actual)
        {
            var expected = summary[field]?.GetValue<double>();
            if (expected is null) { Assert.Null(actual); return; }
            Assert.True(actual is not null && Math.Abs(expected.Value - actual.Value) <= tolerance * Math.Max(1, Math.Abs(expected.Value)),
                $"{name}: {field} saved {expected} on {savedPath}, reproduced {actual} on {Simd.Path} (tolerance {tolerance})");
        }
        Same("loss", m.Loss);
        Same("heterogeneity", m.Heterogeneity.Q1);
        Same("heterogeneityQ0", m.Heterogeneity.Q0);
        Same("heterogeneityQ2", m.Heterogeneity.Q2);
        Same("heterogeneityQInf", m.Heterogeneity.QInf);
        Same("specialisation", m.Specialisation);
        Same("productivity", m.Productivity);
        Same("totalProduction", m.TotalProduction);
        Same("coverage", m.Coverage);
        Same("efficiency", m.Efficiency);
        Same("robustness", m.Robustness?.Area);
        Same("resilience", m.Resilience?.Area);
        Same("spatialScale", m.SpatialScale);
    }
}
