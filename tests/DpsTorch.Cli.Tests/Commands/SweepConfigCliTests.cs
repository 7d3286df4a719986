namespace DpsTorch.Cli.Tests;

[Collection("cli")]
public class SweepConfigCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-sweepcfg-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        string path = Path.Combine(_dir, "sweep.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Validate_ChecksEveryRunOfASweepBlock()
    {
        var ok = CliHarness.Invoke("validate", Write("""{ "agents": { "count": 6 }, "sweep": { "grid": { "agents.count": [4, 6] }, "seeds": 2 } }"""));
        Assert.Equal(0, ok.Code);
        Assert.Contains("expands to 4 runs", ok.Error);

        // ring k = 2 needs 2k < N: valid for N = 6, not for N = 4
        var bad = CliHarness.Invoke("validate", Write("""{ "topology": { "kind": "ring", "k": 2 }, "sweep": { "grid": { "agents.count": [6, 4] }, "seeds": 1 } }"""));
        Assert.Equal(2, bad.Code);
        Assert.StartsWith("dps: error: sweep", bad.Error.Trim());
    }

    [Fact]
    public void Run_OnASweepConfig_SaysToUseDpsSweep()
    {
        var r = CliHarness.Invoke("run", Write("""{ "sweep": { "grid": { "agents.count": [4, 6] }, "seeds": 1 } }"""), "--out", Path.Combine(_dir, "out"));
        Assert.Equal(2, r.Code);
        Assert.Contains("dps sweep", r.Error);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
    }
}
