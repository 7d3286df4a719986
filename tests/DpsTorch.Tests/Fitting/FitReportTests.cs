using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using DpsTorch.Fitting;

namespace DpsTorch.Tests.Fitting;

public class FitReportTests
{
    /// <summary>Two topologies, 8 sizes, 3 seeds each: y = a·N^b with multiplicative noise.</summary>
    private static FitTable SweepTable()
    {
        var sb = new StringBuilder("N,seed,loss,topology\n");
        var rng = new Random(5);
        foreach (var (topo, a, b) in new[] { ("ring", 2.0, -0.5), ("complete", 1.0, -0.3) })
            foreach (var n in ScalingFitTests.LogSpace(10, 1000, 8))
                for (int seed = 0; seed < 3; seed++)
                {
                    double y = a * Math.Pow(n, b) * (1 + 0.01 * ScalingFitTests.Gaussian(rng));
                    sb.Append(CultureInfo.InvariantCulture, $"{n:R},{seed},{y:R},{topo}\n");
                }
        return FitTable.Parse(sb.ToString(), "sweep.csv");
    }

    private static ScalingStudy Study(bool aggregate = true) => ScalingStudy.Run(SweepTable(),
        new FitRequest("N", "loss") { GroupColumns = ["topology"], AggregateOverSeeds = aggregate },
        new FitOptions { BootstrapResamples = 100 });

    [Fact]
    public void FitJson_RoundTrips_AndStatesAggregation()
    {
        var study = Study();
        string dir = Directory.CreateTempSubdirectory("dps-fit-").FullName;
        try
        {
            string path = Path.Combine(dir, "fit.json");
            FitReport.WriteJson(path, study);
            Assert.Equal(["fit.json"], Directory.GetFiles(dir).Select(Path.GetFileName));
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            Assert.Equal("mean-over-seeds", root.GetProperty("points").GetString());
            Assert.True(root.GetProperty("aggregated_over_seeds").GetBoolean());
            Assert.Equal("auto", root.GetProperty("form_requested").GetString());
            Assert.Equal("topology", root.GetProperty("group_columns")[0].GetString());
            var groups = root.GetProperty("groups");
            Assert.Equal(2, groups.GetArrayLength());
            for (int g = 0; g < 2; g++)
            {
                var gj = groups[g];
                var fit = study.Groups[g].Selection.Chosen;
                Assert.Equal(study.Groups[g].Group, gj.GetProperty("group").GetString());
                Assert.Equal(fit.FormName, gj.GetProperty("chosen").GetString());
                Assert.Equal(8, gj.GetProperty("x").GetArrayLength());
                Assert.Equal(3, gj.GetProperty("seeds")[0].GetInt32());
                var cand = gj.GetProperty("candidates").EnumerateArray().Single(c => c.GetProperty("form").GetString() == fit.FormName);
                foreach (var p in fit.Parameters)
                {
                    var pj = cand.GetProperty("parameters").GetProperty(p.Name);
                    Assert.Equal(p.Estimate, pj.GetProperty("estimate").GetDouble());
                    Assert.Equal(p.CiLow, pj.GetProperty("ci_low").GetDouble());
                    Assert.Equal(p.CiHigh, pj.GetProperty("ci_high").GetDouble());
                }
                Assert.Equal(fit.RSquared, cand.GetProperty("r2").GetDouble());
                Assert.Equal(fit.Aicc, cand.GetProperty("aicc").GetDouble());
                Assert.Equal(0.0, cand.GetProperty("delta").GetDouble());
            }
            // Overwriting goes through a temp file too and leaves nothing behind.
            FitReport.WriteJson(path, Study(aggregate: false));
            Assert.Single(Directory.GetFiles(dir));
            using var raw = JsonDocument.Parse(File.ReadAllText(path));
            Assert.Equal("raw", raw.RootElement.GetProperty("points").GetString());
            Assert.Equal(JsonValueKind.Null, raw.RootElement.GetProperty("groups")[0].GetProperty("standard_error").ValueKind);
            Assert.Equal(24, raw.RootElement.GetProperty("groups")[0].GetProperty("x").GetArrayLength());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Study_RecoversEachGroupsExponent()
    {
        var study = Study();
        var ring = study.Groups.Single(g => g.Group == "ring").Selection.Candidates.Single(c => c.Form == ScalingForm.Power).Result!;
        var complete = study.Groups.Single(g => g.Group == "complete").Selection.Candidates.Single(c => c.Form == ScalingForm.Power).Result!;
        Assert.True(ring["b"].CiContains(-0.5), $"[{ring["b"].CiLow}, {ring["b"].CiHigh}]");
        Assert.True(complete["b"].CiContains(-0.3), $"[{complete["b"].CiLow}, {complete["b"].CiHigh}]");
    }

    [Fact]
    public void FitSvg_IsWellFormed_WithOneMarkerPerPoint_AndLogLogAxes()
    {
        var study = Study();
        string dir = Directory.CreateTempSubdirectory("dps-fit-").FullName;
        try
        {
            string path = Path.Combine(dir, "fit.svg");
            FitReport.WriteSvg(path, study);
            var svg = XDocument.Parse(File.ReadAllText(path));
            XNamespace ns = "http://www.w3.org/2000/svg";
            Assert.Equal(ns + "svg", svg.Root!.Name);
            var main = svg.Root.Elements(ns + "svg").Single(e => (string?)e.Attribute("class") == "fit-main");
            var resid = svg.Root.Elements(ns + "svg").Single(e => (string?)e.Attribute("class") == "fit-residuals");
            Assert.Equal(16, main.Descendants(ns + "circle").Count(c => (string?)c.Attribute("class") == "marker"));
            Assert.Equal(16, resid.Descendants(ns + "circle").Count(c => (string?)c.Attribute("class") == "marker"));
            // Per group: the chosen curve and three faded alternatives; a 95% band under each chosen curve.
            Assert.Equal(8, main.Descendants(ns + "path").Count(c => (string?)c.Attribute("class") == "line"));
            Assert.Equal(6, main.Descendants(ns + "g").Count(c => (string?)c.Attribute("class") == "series" && (string?)c.Attribute("opacity") == "0.3"));
            Assert.Equal(2, main.Descendants(ns + "path").Count(c => (string?)c.Attribute("class") == "band"));
            var parameters = svg.Root.Elements(ns + "g").Single(e => (string?)e.Attribute("class") == "fit-parameters").Elements(ns + "text").Select(t => t.Value).ToList();
            Assert.Contains(parameters, l => l.StartsWith("topology = ring: ", StringComparison.Ordinal) && l.Contains(" b = ") && l.Contains('['));
            var labels = main.Descendants(ns + "text").Select(t => t.Value).ToList();
            Assert.Contains("10", labels);
            Assert.Contains("100", labels);
            Assert.Contains("1000", labels);
            Assert.Contains(labels, l => l.StartsWith("topology = ring: " + study.Groups[0].Selection.Chosen.FormName + " fit, R² = ", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
