// `dps fit` end to end on a synthetic results table: files written, the form and exponent recovered, errors exit 2.
using System.Globalization;
using System.Text.Json.Nodes;
using DpsTorch.Cli;

namespace DpsTorch.Cli.Tests;

public class FitCommandTests
{
    [Fact]
    public void Fit_PowerLawTable_WritesJsonAndSvg_WithExponentInsideItsInterval()
    {
        using var tmp = new TempDir();
        var rng = new Random(3);
        var lines = new List<string> { "run,agents.count,seed,heterogeneity" };
        int run = 0;
        foreach (int n in new[] { 3, 4, 6, 8, 12, 16, 24, 32, 48, 64 })
            for (int s = 0; s < 2; s++)
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"run-{run++:0000},{n},{s},{2 * Math.Pow(n, 0.5) * (1 + 0.01 * (rng.NextDouble() - 0.5))}"));
        File.WriteAllLines(tmp.File("results.csv"), lines);

        Assert.Equal(ExitCode.Success, CliHarness.Invoke(["fit", tmp.File("results.csv"), "--x", "agents.count", "--y", "heterogeneity", "--form", "power", "--bootstrap", "200"]).Code);
        var fit = JsonNode.Parse(File.ReadAllText(tmp.File("fit.json")))!;
        Assert.Equal("mean-over-seeds", (string?)fit["points"]);
        var b = fit["groups"]![0]!["candidates"]![0]!["parameters"]!["b"]!;
        Assert.InRange(0.5, (double)b["ci_low"]!, (double)b["ci_high"]!);
        Assert.InRange((double)b["estimate"]!, 0.49, 0.51);
        Assert.StartsWith("<svg", File.ReadAllText(tmp.File("fit.svg")).TrimStart());

        Assert.Equal(ExitCode.Success, CliHarness.Invoke(["fit", tmp.File("results.csv"), "--x", "agents.count", "--y", "heterogeneity", "--all-points", "--bootstrap", "0", "--name", "fit-raw"]).Code);
        Assert.Equal("raw", (string?)JsonNode.Parse(File.ReadAllText(tmp.File("fit-raw.json")))!["points"]);

        Assert.Equal(ExitCode.BadInput, CliHarness.Invoke(["fit", tmp.File("results.csv"), "--x", "agents.cuont", "--y", "heterogeneity"]).Code);
        Assert.Equal(ExitCode.BadInput, CliHarness.Invoke(["fit", tmp.File("results.csv"), "--x", "agents.count", "--y", "heterogeneity", "--form", "cubic"]).Code);
        Assert.Equal(ExitCode.BadInput, CliHarness.Invoke(["fit", tmp.File("missing.csv"), "--x", "agents.count", "--y", "heterogeneity"]).Code);
    }

    [Fact]
    public void Fit_SweepOverTwoKeys_GroupsByBothByDefault_AndSaysSo()
    {
        using var tmp = new TempDir();
        var rng = new Random(5);
        var lines = new List<string> { "run,agents.count,demand.peaks,topology.kind,seed,loss" };
        int run = 0;
        foreach (int k in new[] { 2, 8 })
            foreach (var topo in new[] { "ring", "star" })
                foreach (int n in new[] { 2, 4, 8, 16, 32, 64 })
                    for (int s = 0; s < 3; s++)
                    {
                        double b = topo == "ring" ? 0.5 : 1.0;
                        lines.Add(string.Create(CultureInfo.InvariantCulture, $"run-{run++:0000},{n},{k},{topo},{s},{k * Math.Pow(n, -b) * (1 + 0.01 * (rng.NextDouble() - 0.5))}"));
                    }
        File.WriteAllLines(tmp.File("results.csv"), lines);
        var result = CliHarness.Invoke(["fit", tmp.File("results.csv"), "--x", "agents.count", "--y", "loss", "--form", "power", "--bootstrap", "100"]);
        Assert.Equal(ExitCode.Success, result.Code);
        string stdout = result.Out;
        Assert.Contains("Grouped by every swept key except the seed and the fitted columns: demand.peaks, topology.kind (4 groups, each fitted separately)", stdout);
        var fit = JsonNode.Parse(File.ReadAllText(tmp.File("fit.json")))!;
        Assert.Equal(["demand.peaks", "topology.kind"], fit["group_columns"]!.AsArray().Select(n => (string)n!).ToArray());
        var groups = fit["groups"]!.AsArray();
        Assert.Equal(4, groups.Count);
        foreach (var g in groups)
        {
            string key = (string)g!["group"]!;
            double truth = key.Contains("ring") ? -0.5 : -1.0;
            var b = g["candidates"]![0]!["parameters"]!["b"]!;
            Assert.InRange(truth, (double)b["ci_low"]!, (double)b["ci_high"]!);
            Assert.Equal(6, g["x"]!.AsArray().Count);
        }
        Assert.Contains("demand.peaks=2, topology.kind=ring", groups.Select(g => (string)g!["group"]!));

        // A shared exponent across the groups where it is the same; bad option values are one line naming the option.
        var bad = CliHarness.Invoke(["fit", tmp.File("results.csv"), "--x", "agents.count", "--y", "loss", "--space", "cubic"]);
        Assert.Equal(ExitCode.BadInput, bad.Code);
        Assert.Equal("dps: error: --space: \"cubic\" is not allowed; expected log or linear.", bad.Error.Trim());
        var missing = CliHarness.Invoke(["fit", tmp.File("results.csv"), "--x", "agents.cuont", "--y", "loss"]);
        Assert.Equal(ExitCode.BadInput, missing.Code);
        Assert.Single(missing.ErrorLines);
        Assert.Contains("no column 'agents.cuont'", missing.Error);
        Assert.DoesNotContain("(Parameter", missing.Error);
        Assert.Equal(ExitCode.BadInput, CliHarness.Invoke(["fit", tmp.File("results.csv"), "--x", "agents.count", "--y", "loss", "--form", "power", "--shared", "q"]).Code);
        Assert.Equal(ExitCode.BadInput, CliHarness.Invoke(["fit", tmp.File("results.csv"), "--x", "agents.count", "--y", "loss", "--cv", "1"]).Code);
        Assert.Equal(ExitCode.Success, CliHarness.Invoke(["fit", tmp.File("results.csv"), "--x", "agents.count", "--y", "loss", "--group", "topology.kind", "--form", "power", "--shared", "b", "--space", "log", "--bootstrap", "0", "--name", "pooled"]).Code);
        Assert.Equal(2, JsonNode.Parse(File.ReadAllText(tmp.File("pooled.json")))!["groups"]!.AsArray().Count);
    }
}
