// Issue 12 through the CLI: a flat config written as one level runs to the same bits through `dps run` (training and
// the search after it: polish, swaps, merges, re-seeds (on by default), a split and a basin hop), and `dps sweep` sweeps keys inside `levels` as nested systems.
using System.Text.Json.Nodes;
using DpsTorch.IO;
using DpsTorch.Sweeps;

namespace DpsTorch.Cli.Tests;

[Collection("cli")]
public class UnifiedRunCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-unified-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // The local objective with the "unmet" mismatch takes the flat model's composed path (its fused kernels agree with
    // it to 1e-12, not to the bit), so the flat system and the same system written as one level compute the same bits.
    // training.polish is set: by default a nested system's polish budget is at least 4 iterations per parameter
    // (Polish.NestedIterationsPerParameter), a flat one's training.steps; with the same budget the two polish alike.
    private const string Space = """
        "space": { "m": 32 }, "agents": { "count": 5, "init": "random" }, "demand": { "kind": "peaks", "peaks": 2, "width": 0.4 },
        "training": { "steps": 40, "polish": 40, "restarts": 2, "logEvery": 5, "swaps": 2, "split": 1, "hops": 1 }, "measures": { "resilienceSteps": 0, "fractions": [0, 1], "seeds": 1 },
        """;

    [Fact]
    public void SameConfig_FlatOrAsOneLevel_RunsBitIdentically_ThroughDpsRun()
    {
        string flat = Path.Combine(_dir, "flat.json"), level = Path.Combine(_dir, "level.json");
        File.WriteAllText(flat, $$"""{ {{Space}} "objective": { "kind": "local", "mismatch": "unmet", "lambdaC": 0.1 }, "topology": { "kind": "ring", "k": 1, "learned": true } }""");
        File.WriteAllText(level, $$"""{ {{Space}} "objective": { "kind": "local", "mismatch": "unmet" }, "levels": [ { "size": 5, "topology": { "kind": "ring", "k": 1, "learned": true }, "lambdaC": 0.1 } ] }""");
        var f = CliHarness.Invoke("run", flat, "--out", Path.Combine(_dir, "f"));
        var l = CliHarness.Invoke("run", level, "--out", Path.Combine(_dir, "l"));
        Assert.True(f.Code == 0, f.Error);
        Assert.True(l.Code == 0, l.Error);
        Assert.Contains($"dps: wrote {Path.Combine(_dir, "l", RunFiles.Summary)}", l.Error); // where a flat run says it
        Assert.Contains("dps: wrote", f.Error);

        JsonNode Read(string run, string file) => JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, run, file)))!;
        var fs = Read("f", RunFiles.Summary);
        var ls = Read("l", RunFiles.Summary);
        Assert.NotNull(ls["nested"]);
        foreach (var key in new[] { "loss", "steps", "stopReason", "converged", "gradientNorm", "bestRestart", "restartLosses", "bestReachedBy", "types",
                                    "coverage", "productivity", "totalProduction" })
            Assert.Equal(fs[key]!.ToJsonString(), ls[key]!.ToJsonString());
        var fm = Read("f", RunFiles.Model);
        var lm = Read("l", RunFiles.Model)["nested"]!;
        foreach (var p in new[] { "mu", "rho", "alpha" }) Assert.Equal(fm[p]!.ToJsonString(), lm[p]!.ToJsonString());
        static IEnumerable<string> Losses(string path) => File.ReadAllLines(path).Skip(1).Select(line => string.Join(',', line.Split(',')[..3]));
        Assert.Equal(Losses(Path.Combine(_dir, "f", RunFiles.Trajectory)), Losses(Path.Combine(_dir, "l", RunFiles.Trajectory)));
    }

    [Fact]
    public void NestedSweep_OverALevelsKey_RunsNestedSystems_WithDifferentResults()
    {
        string cfg = Path.Combine(_dir, "sweep.json");
        File.WriteAllText(cfg, """
            { "space": { "m": 32 }, "agents": { "count": 6 }, "demand": { "peaks": 3, "width": 0.2 },
              "training": { "steps": 40, "restarts": 1 }, "measures": { "resilienceSteps": 0, "fractions": [0, 1], "seeds": 1 },
              "levels": [ { "size": 3, "topology": { "kind": "complete", "learned": true }, "lambdaC": 0.01 },
                          { "size": 2, "topology": { "kind": "complete", "learned": true } } ],
              "sweep": { "grid": { "levels.1.lambdaC": [0, 1] }, "seeds": 1 } }
            """);
        string outDir = Path.Combine(_dir, "s");
        var r = CliHarness.Invoke("sweep", cfg, "--out", outDir, "--jobs", "1");
        Assert.True(r.Code == 0, r.Error);
        var rows = File.ReadAllLines(Path.Combine(outDir, SweepResults.Results));
        Assert.Equal(3, rows.Length);
        var header = rows[0].Split(',');
        int loss = Array.IndexOf(header, "loss"), comm = Array.IndexOf(header, "communicationCost");
        Assert.Equal("levels.1.lambdaC", header[1]);
        var (a, b) = (rows[1].Split(','), rows[2].Split(','));
        Assert.NotEqual(a[loss], b[loss]);
        Assert.NotEqual(a[comm], b[comm]);
        foreach (var run in new[] { "run-0000", "run-0001" })
            Assert.NotNull(JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, run, RunFiles.Summary)))!["nested"]);
        Assert.Equal(1.0, NestedState.Load(Path.Combine(outDir, "run-0001", RunFiles.Model)).Config.Levels![1].LambdaC);
    }
}
