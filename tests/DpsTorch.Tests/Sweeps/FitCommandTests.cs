// `dps fit` end to end on a synthetic results table: files written, the form and exponent recovered, errors exit 2.
using System.Globalization;
using System.Text.Json.Nodes;
using DpsTorch.Cli;
using DpsTorch.Tests.Model;
using DpsTorch.Tests.Cli;

namespace DpsTorch.Tests.Sweeps;

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
}
