using DpsTorch.Runs;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Measures;
using DpsTorch.Model;

namespace DpsTorch.Tests.IO;

public class ModelStateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-state-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("none", false)]
    [InlineData("ring", false)]
    [InlineData("ring", true)]
    public void SavedModel_Reloads_AndReMeasuresToTheSameNumbers(string topology, bool learned)
    {
        var c = ConfigLoader.Parse($$"""
            { "space": { "m": 64 }, "agents": { "count": 8 }, "demand": { "peaks": 2, "width": 0.3 },
              "topology": { "kind": "{{topology}}", "k": 1, "learned": {{(learned ? "true" : "false")}} },
              "training": { "steps": 40, "restarts": 1 } }
            """);
        var r = Experiment.Run(c, measureRobustness: false);
        string path = Path.Combine(_dir, "model.json");
        ModelState.From(r.Model, c).Save(path);
        var reloaded = ModelState.Load(path).ToModel();
        var again = SystemMeasures.Compute(reloaded, null, c.Objective.LambdaC);
        Assert.Equal(r.Measures.Loss, again.Loss);
        Assert.Equal(r.Measures.Heterogeneity, again.Heterogeneity);
        Assert.Equal(r.Measures.Coverage, again.Coverage);
        Assert.Equal(r.Model.Mu.ToArray(), reloaded.Mu.ToArray());
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void Load_RejectsMissingFile_BadFormat_WrongLengths_AndNaN()
    {
        Assert.Contains("not found", Assert.Throws<ConfigException>(() => ModelState.Load(Path.Combine(_dir, "none.json"))).Message);
        var c = ConfigLoader.Parse("""{ "space": { "m": 16 }, "agents": { "count": 3 }, "training": { "steps": 1, "restarts": 1 } }""");
        string path = Path.Combine(_dir, "m.json");
        ModelState.From(SystemBuilder.Create(c), c).Save(path);
        string good = File.ReadAllText(path);

        void Expect(string text, string fragment)
        {
            File.WriteAllText(path, text);
            var ex = Assert.Throws<ConfigException>(() => ModelState.Load(path));
            Assert.Contains(fragment, ex.Message);
        }
        Expect(good.Replace("\"dpstorch-model\"", "\"other\""), "format");
        Expect(good[..(good.Length / 2)], "JSON");
        Expect(good.Replace("\"n\": 3", "\"n\": 4000000000"), "n");
        var node = System.Text.Json.Nodes.JsonNode.Parse(good)!;
        node["mu"]!.AsArray().RemoveAt(0);
        Expect(node.ToJsonString(), "mu");
        node = System.Text.Json.Nodes.JsonNode.Parse(good)!;
        node["rho"]![1] = "NaN";
        Expect(node.ToJsonString(), "rho[1]");
    }
}
