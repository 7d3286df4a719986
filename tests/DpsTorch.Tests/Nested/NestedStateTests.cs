using System.Text.Json.Nodes;
using DpsTorch.Measures;
using DpsTorch.Config;
using DpsTorch.Runs;
using DpsTorch.IO;
using DpsTorch.Nested;

namespace DpsTorch.Tests.Nested;

public class NestedStateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-nested-state-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A tiny three-level config: learned links at the bottom and top, fixed ones in the middle.</summary>
    private static readonly Lazy<(DpsConfig Config, NestedOutcome Nested, NestedOutcome Homogeneous)> Tiny = new(() =>
    {
        var c = ConfigLoader.Parse(TestConfigs.TinyNested);
        var run = Experiment.Run(c, baseline: true);
        return (c, run.NestedOutcome, run.Homogeneous!);
    });

    /// <summary>Writes the tiny run's summary.json and model.json into a fresh folder and returns it.</summary>
    internal static string WriteTinyRun(string parent, bool baseline = true)
    {
        string dir = Path.Combine(parent, baseline ? "run" : "run-nobase");
        Directory.CreateDirectory(dir);
        var (c, n, h) = Tiny.Value;
        NestedRunFiles.Write(dir, c, n, baseline ? h : null);
        return dir;
    }

    [Fact]
    public void Reload_ReproducesTheSummarysCoverageAndHeterogeneity_Exactly()
    {
        string dir = WriteTinyRun(_dir);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, RunFiles.Summary)))!;
        var state = NestedState.Load(Path.Combine(dir, RunFiles.Model));
        foreach (var (key, baseline) in new[] { ("nested", false), ("homogeneous", true) })
        {
            var m = NestedMeasures.Compute(state.ToSystem(baseline));
            var saved = summary[key]!["measures"]!;
            Assert.Equal(saved["coverage"]!.GetValue<double>(), m.Coverage);
            Assert.Equal(saved["shapeCoverage"]!.GetValue<double>(), m.ShapeCoverage);
            Assert.Equal(saved["loss"]!.GetValue<double>(), m.Loss);
            for (int k = 0; k < m.Tiers.Count; k++)
            {
                Assert.Equal(saved["tiers"]![k]!["among"]!.GetValue<double>(), m.Tiers[k].Among);
                Assert.Equal(saved["tiers"]![k]!["meanWithin"]!.GetValue<double>(), m.Tiers[k].MeanWithin);
                Assert.Equal(saved["tiers"]![k]!["meanEdgeWeight"]!.GetValue<double>(), m.Tiers[k].MeanEdgeWeight);
            }
        }
    }

    [Fact]
    public void SaveLoad_RoundTripsEveryParameter_AndTheBaselineIsOptional()
    {
        var (c, n, h) = Tiny.Value;
        string path = Path.Combine(_dir, "model.json");
        NestedState.From(c, n.System, h.System).Save(path);
        var loaded = NestedState.Load(path);
        Assert.Equal(n.System.Mu.ToArray(), loaded.Nested.Mu);
        Assert.Equal(n.System.Alpha.ToArray(), loaded.Nested.Alpha);
        Assert.Equal(n.System.Levels[0].Interaction.Theta!.ToArray(), loaded.Nested.LevelWeights[0]);
        Assert.Equal(n.System.Levels[1].Interaction.FixedWeights!, loaded.Nested.LevelWeights[1]);
        Assert.Single(loaded.Baseline!.Mu);
        Assert.Equal(ConfigLoader.ToJson(c), ConfigLoader.ToJson(loaded.Config));
        Assert.True(NestedState.IsNestedModelFile(path));

        NestedState.From(c, n.System).Save(path);
        Assert.Null(NestedState.Load(path).Baseline);
        var ex = Assert.Throws<ConfigException>(() => NestedState.Load(path).ToSystem(baseline: true));
        Assert.Contains("baseline", ex.Message);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Theory]
    [InlineData("format", "format")]
    [InlineData("version", "version")]
    [InlineData("n", "n")]
    [InlineData("thetaLength", "nested.levels[0].theta")]
    [InlineData("weightsValue", "nested.levels[1].weights[1]")]
    [InlineData("muLength", "nested.mu")]
    [InlineData("baselineMu", "baseline.mu")]
    [InlineData("levels", "nested.levels")]
    [InlineData("config", "config")]
    public void Load_RefusesACorruptState_NamingTheField(string corruption, string field)
    {
        string path = Path.Combine(WriteTinyRun(_dir), RunFiles.Model);
        var o = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        switch (corruption)
        {
            case "format": o["format"] = "dpstorch-model"; break;
            case "version": o["version"] = 2; break;
            case "n": o["n"] = 1_000_000_000; break;
            case "thetaLength": o["nested"]!["levels"]![0]!["theta"]!.AsArray().RemoveAt(0); break;
            case "weightsValue": o["nested"]!["levels"]![1]!["weights"]![1] = "NaN"; break;
            case "muLength": o["nested"]!["mu"]!.AsArray().Add((JsonNode)1.0); break;
            case "baselineMu": o["baseline"]!["mu"]!.AsArray().Add((JsonNode)1.0); break;
            case "levels": o["nested"]!["levels"]!.AsArray().RemoveAt(2); break;
            case "config": o.Remove("config"); break;
        }
        File.WriteAllText(path, o.ToJsonString());
        var ex = Assert.Throws<ConfigException>(() => NestedState.Load(path));
        Assert.Contains($"{path}: {field}", ex.Message);
    }

    [Fact]
    public void Load_NamesAMissingFile_AndRefusesAFlatModelFile()
    {
        string missing = Path.Combine(_dir, "nope.json");
        Assert.Contains(missing, Assert.Throws<ConfigException>(() => NestedState.Load(missing)).Message);
        string flat = Path.Combine(_dir, "flat.json");
        File.WriteAllText(flat, """{ "format": "dpstorch-model", "version": 1 }""");
        Assert.False(NestedState.IsNestedModelFile(flat));
        Assert.Contains("format", Assert.Throws<ConfigException>(() => NestedState.Load(flat)).Message);
    }

    [Fact]
    public void Summary_HasEachDesignsLossTrajectory()
    {
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(WriteTinyRun(_dir), RunFiles.Summary)))!;
        var t = summary["nested"]!["trajectory"]!.AsArray();
        Assert.Equal(0, t[0]![0]!.GetValue<int>());
        Assert.Equal(5, t[1]![0]!.GetValue<int>());
        Assert.Equal(Tiny.Value.Nested.Training.Loss, t[^1]![1]!.GetValue<double>());
        Assert.NotEmpty(summary["homogeneous"]!["trajectory"]!.AsArray());
    }
}
