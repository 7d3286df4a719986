using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.Cli.Tests;

/// <summary>
/// The memory check seen from the command line. DPS_MEMORY_LIMIT_BYTES is set only in child processes (never in this
/// one, where other tests run in parallel), so small figures prove the refusals without allocating anything large.
/// </summary>
[Collection("cli")]
public sealed class MemoryLimitCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-memory-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string json)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    private CliResult Dps(long? limit, params string[] args)
        => CliHarness.Process(_dir, new Dictionary<string, string?>
        {
            [MemoryLimit.EnvironmentVariable] = limit?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, args);

    private const string Medium = """{ "space": { "m": 256 }, "agents": { "count": 2000 }, "training": { "steps": 2, "restarts": 1 } }""";

    [Fact]
    public void Validate_PrintsTheEstimate_AndRefusesAboveTheLimit_WithOneLine()
    {
        string cfg = Write("medium.json", Medium);
        var estimate = MemoryEstimate.For(ConfigLoader.Parse(Medium));

        var ok = Dps(estimate.Total, "validate", cfg);
        Assert.Equal(0, ok.Code);
        Assert.Contains($"memory estimate: {estimate.Describe()}", ok.Error);
        Assert.Contains(MemoryLimit.EnvironmentVariable, ok.Error);

        var refused = Dps(estimate.Total - 1, "validate", cfg);
        Assert.Equal(2, refused.Code);
        var line = Assert.Single(refused.ErrorLines);
        Assert.Contains("memory: this config needs " + estimate.Describe(), line);
        Assert.Contains(MemoryEstimate.Bytes(estimate.Total - 1) + " are available", line);

        // dps run refuses before touching --out.
        string outDir = Path.Combine(_dir, "out");
        var run = Dps(estimate.Total - 1, "run", cfg, "--out", outDir);
        Assert.Equal(2, run.Code);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Sweep_CountsConcurrentRuns()
    {
        string cfg = Write("sweep.json", """
            { "space": { "m": 32 }, "agents": { "count": 4 }, "training": { "steps": 2, "restarts": 1 },
              "measures": { "resilienceSteps": 0, "fractions": [0, 1], "seeds": 1 }, "sweep": { "seeds": 2 } }
            """);
        long one = MemoryEstimate.For(ConfigLoader.Parse("""{ "space": { "m": 32 }, "agents": { "count": 4 }, "training": { "steps": 2, "restarts": 1 }, "measures": { "resilienceSteps": 0, "fractions": [0, 1], "seeds": 1 } }""")).Total;
        string outDir = Path.Combine(_dir, "sweep");
        var refused = Dps(one + one / 2, "sweep", cfg, "--out", outDir, "--jobs", "2");
        Assert.Equal(2, refused.Code);
        Assert.Contains("2 concurrent runs", Assert.Single(refused.ErrorLines, l => l.StartsWith("dps: error:", StringComparison.Ordinal)));
        Assert.False(Directory.Exists(outDir));
        var serial = Dps(one + one / 2, "sweep", cfg, "--out", outDir, "--jobs", "1");
        Assert.Equal(0, serial.Code);
    }

    [Fact]
    public void InvalidLimit_IsBadInput()
    {
        var r = Dps(null, "validate", Write("tiny.json", CliHarness.TinyConfig()));
        Assert.Equal(0, r.Code);
        var psiLike = Dps(0, "validate", Write("tiny2.json", CliHarness.TinyConfig()));
        Assert.Equal(2, psiLike.Code);
        Assert.Contains(MemoryLimit.EnvironmentVariable, Assert.Single(psiLike.ErrorLines));
    }
}
