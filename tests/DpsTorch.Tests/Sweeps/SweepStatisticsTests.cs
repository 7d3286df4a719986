// Statistics over seeds: the Student-t interval against textbook quantiles, grouping of runs into points over seeds,
// statistics.csv beside results.csv, and the sweep report with its links and charts.
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Sweeps;
using DpsTorch.Tests.Model;


namespace DpsTorch.Tests.Sweeps;

[Collection("cli")] // in-process sweeps share the process-wide thread count with the CLI tests
public partial class SweepStatisticsTests
{
    [Theory]
    // t(0.975, ν) from the printed tables: 12.706 (ν = 1), 2.776 (ν = 4), 2.262 (ν = 9).
    [InlineData(new[] { 1.0, 3.0 }, 12.7062047)]
    [InlineData(new[] { 1.0, 2.0, 3.0, 4.0, 5.0 }, 2.7764451)]
    [InlineData(new[] { 0.3, 0.1, 0.4, 0.1, 0.5, 0.9, 0.2, 0.6, 0.5, 0.3 }, 2.2621572)]
    public void MeanInterval_IsTheStudentTInterval(double[] values, double t)
    {
        var s = MeanInterval.Of(values);
        double mean = values.Average();
        double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
        Assert.Equal(values.Length, s.N);
        Assert.Equal(mean, s.Mean, 12);
        Assert.Equal(sd, s.Sd, 12);
        Assert.Equal(t * sd / Math.Sqrt(values.Length), s.HalfWidth, 6);
        Assert.Equal(s.Mean - s.HalfWidth, s.Low, 12);
        Assert.Equal(s.Mean + s.HalfWidth, s.High, 12);
    }

    [Fact]
    public void MeanInterval_OneValueHasNoInterval_NonFiniteValuesAreLeftOut()
    {
        var one = MeanInterval.Of([0.5, double.NaN, double.PositiveInfinity]);
        Assert.Equal((1, 0.5), (one.N, one.Mean));
        Assert.True(double.IsNaN(one.HalfWidth));
        Assert.Equal("0.5 (n = 1)", one.Text());
        Assert.Equal(0, MeanInterval.Of([]).N);
        Assert.Equal("2 ± 0 (n = 3)", MeanInterval.Of([2, 2, 2]).Text());
        Assert.Throws<ArgumentOutOfRangeException>(() => MeanInterval.Of([1, 2], level: 1));
        // A wider level gives a wider interval.
        Assert.True(MeanInterval.Of([1, 2, 4], 0.99).HalfWidth > MeanInterval.Of([1, 2, 4]).HalfWidth);
    }

    [Fact]
    public void Of_GroupsRunsThatDifferOnlyInTheSeed_AndLeavesTrainingSeedOutOfTheKeys()
    {
        var index = new SweepIndex("unused", ["agents.count", "training.seed"],
        [
            new("run-0", ["3", "0"], 0), new("run-1", ["3", "1"], 0), new("run-2", ["4", "0"], 0), new("run-3", ["4", "1"], 0), new("run-4", ["4", "2"], 0),
        ], "");
        JsonObject Summary(double loss, bool converged) => new() { ["loss"] = loss, ["converged"] = converged, ["coverage"] = null };
        var stats = SweepStatistics.Of(index,
        [
            (index.Runs[0], Summary(1, true)), (index.Runs[1], Summary(3, false)),
            (index.Runs[2], Summary(10, true)), (index.Runs[3], Summary(20, true)), (index.Runs[4], Summary(30, true)),
        ]);
        Assert.Equal(["agents.count"], stats.Keys);
        Assert.Equal(2, stats.Points.Count);
        Assert.Equal(["3"], stats.Points[0].Values);
        Assert.Equal(["run-0", "run-1"], stats.Points[0].Runs);
        Assert.Equal([0, 1], stats.Points[0].Seeds); // from the swept training.seed
        Assert.Equal(2.0, stats.Points[0].Measures["loss"].Mean, 12);
        Assert.Equal(0.5, stats.Points[0].Measures["converged"].Mean, 12); // the share that converged
        Assert.Equal(20.0, stats.Points[1].Measures["loss"].Mean, 12);
        Assert.Equal(4.3026527 * 10 / Math.Sqrt(3), stats.Points[1].Measures["loss"].HalfWidth, 5); // t(0.975, 2) = 4.303
        Assert.Equal(0, stats.Points[1].Measures["coverage"].N); // null in every summary
        Assert.Equal(2, stats.MinSeeds);
    }

    private const string Config = """
        {
          "name": "stats sweep",
          "space": { "m": 32 },
          "agents": { "count": 3 },
          "topology": { "kind": "ring", "k": 1 },
          "training": { "steps": 10, "restarts": 1 },
          "measures": { "resilienceSteps": 0, "headline": "heterogeneity" },
          "sweep": { "grid": { "agents.count": [3, 4], "topology.kind": ["none", "ring"] }, "seeds": 3 }
        }
        """;

    /// <summary>A finished 4-point, 3-seed sweep in <paramref name="dir"/>.</summary>
    internal static void RunSweep(string dir)
    {
        var outcome = SweepRunner.Run(SweepReader.Parse(Config), dir, new SweepOptions { Jobs = 2 });
        Assert.Equal(12, outcome.Rows);
    }

    [Fact]
    public void WriteTable_WritesStatisticsCsv_WhoseMeansAreThoseOfResultsCsv()
    {
        using var tmp = new TempDir();
        RunSweep(tmp.Path);
        var results = File.ReadAllLines(tmp.File(SweepResults.Results)).Select(l => l.Split(',')).ToList();
        var statistics = File.ReadAllLines(tmp.File(SweepStatistics.File)).Select(l => l.Split(',')).ToList();
        Assert.Equal(["agents.count", "topology.kind", "measure", "n", "mean", "halfWidth", "low", "high", "sd"], statistics[0]);
        Assert.Equal(1 + 4 * SweepStatistics.MeasureNames.Count, statistics.Count);
        int loss = Array.IndexOf(results[0], "loss"), utilisation = Array.IndexOf(results[0], "utilisation");
        foreach (var (count, kind) in new[] { ("3", "none"), ("4", "ring") })
        {
            var rows = results.Skip(1).Where(r => r[1] == count && r[2] == kind).ToList();
            Assert.Equal(3, rows.Count);
            foreach (var (measure, column) in new[] { ("loss", loss), ("utilisation", utilisation) })
            {
                var stat = statistics.Single(s => s[0] == count && s[1] == kind && s[2] == measure);
                double[] values = [.. rows.Select(r => double.Parse(r[column], CultureInfo.InvariantCulture))];
                Assert.Equal("3", stat[3]);
                Assert.Equal(values.Average(), double.Parse(stat[4], CultureInfo.InvariantCulture), 12);
                Assert.Equal(MeanInterval.Of(values).HalfWidth, double.Parse(stat[5], CultureInfo.InvariantCulture), 12);
            }
        }
        // On the ring the links triple the output, so utilisation is a third of coverage; without links they agree.
        var ring = SweepResults.Statistics(tmp.Path).Points.Single(p => p.Values.SequenceEqual(["4", "ring"]));
        Assert.Equal(ring.Measures["coverage"].Mean / 3, ring.Measures["utilisation"].Mean, 10);
    }

    [Fact]
    public void WriteTable_ReadsOldSummariesWithoutTheNewMeasures()
    {
        using var tmp = new TempDir();
        RunSweep(tmp.Path);
        foreach (var run in Directory.GetDirectories(tmp.Path, "run-*"))
        {
            string path = Path.Combine(run, RunFiles.Summary);
            var s = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            foreach (var m in SweepResults.AddedMeasures) s.Remove(m);
            File.WriteAllText(path, s.ToJsonString());
        }
        Assert.Equal(12, SweepResults.WriteTable(tmp.Path));
        var lines = File.ReadAllLines(tmp.File(SweepResults.Results));
        Assert.EndsWith("commandLine,resourceEfficiency,amplification,utilisation,communicationEfficiency,shapeCoverage", lines[0]);
        Assert.All(lines.Skip(1), l => Assert.EndsWith(",,,,", l));
        Assert.Equal(0, SweepResults.Statistics(tmp.Path).Points[0].Measures["utilisation"].N);
    }

    [Fact]
    public void SweepReport_LinksEveryRunsReport_AndDrawsEachMeasureAgainstEachKeyWithBands()
    {
        using var tmp = new TempDir();
        RunSweep(tmp.Path);
        SweepReport.Write(tmp.Path);
        string html = File.ReadAllText(tmp.File(RunFiles.Report));
        for (int r = 0; r < 12; r++)
        {
            string run = $"run-{r:0000}";
            Assert.Contains($"href=\"{run}/report.html\"", html);
            Assert.True(File.Exists(Path.Combine(tmp.Path, run, RunFiles.Report)), $"{run} has its own report");
        }
        Assert.Contains("<h2>heterogeneity against agents.count</h2>", html);
        Assert.Contains("<h2>utilisation against topology.kind</h2>", html);
        // The headline measure comes first; each chart has two series (one per value of the other key) with bands
        // and different dash patterns and markers.
        Assert.True(html.IndexOf("<h2>heterogeneity against agents.count</h2>", StringComparison.Ordinal) < html.IndexOf("<h2>loss against agents.count</h2>", StringComparison.Ordinal));
        Assert.Contains("This experiment is about heterogeneity", html);
        var card = Regex.Match(html, "<h2>loss against agents.count</h2>(.*?)</section>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Equal(2, Regex.Matches(card, "data-lo=").Count);
        Assert.Contains("stroke-dasharray", card);
        Assert.Contains("class=\"dps-mark\"", card);
        Assert.Contains("topology.kind=none", card);
        Assert.Contains("topology.kind=ring", card);
        Assert.Contains("± ", html); // intervals in the point table
    }

    [Fact]
    public void SweepReport_NotASweepFolder_IsAOneLineError()
    {
        using var tmp = new TempDir();
        var e = Assert.Throws<ConfigException>(() => SweepReport.Build(tmp.Path));
        Assert.Contains("runs.json", e.Message + e.Key);
    }
}
