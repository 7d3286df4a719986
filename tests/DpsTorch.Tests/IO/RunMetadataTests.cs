// Run metadata: what Capture records, its JSON round trip, and command-line quoting.
using System.Text.RegularExpressions;
using DpsTorch.IO;

namespace DpsTorch.Tests.IO;

public class RunMetadataTests
{
    [Fact]
    public void Capture_RecordsIdTimeVersionMachineAndCommandLine()
    {
        var before = DateTime.UtcNow.AddSeconds(-1);
        var m = RunMetadata.Capture("dps run x.json");
        Assert.Matches(new Regex(@"^\d{8}-\d{6}-[0-9a-f]{4}$"), m.RunId);
        var started = DateTime.Parse(m.StartedUtc, null, System.Globalization.DateTimeStyles.AdjustToUniversal);
        Assert.InRange(started, before, DateTime.UtcNow.AddSeconds(1));
        Assert.Equal(m.RunId[..15], started.ToString("yyyyMMdd-HHmmss"));
        Assert.Matches(new Regex(@"^\d+\.\d+\.\d+"), m.DpsTorchVersion);
        Assert.Equal(DpsTorch.Tensors.Simd.Path, m.Simd);
        Assert.Equal(DpsTorch.TensorEngine.NumThreads, m.Threads);
        Assert.Contains("logical cores", m.Cpu);
        Assert.False(string.IsNullOrWhiteSpace(m.Os));
        Assert.Equal("dps run x.json", m.CommandLine);
        if (m.GitCommit is not null) Assert.Matches(new Regex("^[0-9a-f]{7,40}$"), m.GitCommit);
    }

    [Fact]
    public void Json_RoundTrips_AndCellsFollowColumns()
    {
        var m = RunMetadata.Capture("dps run 'a b.json'");
        Assert.Equal(m, RunMetadata.FromJson(m.ToJson()));
        Assert.Null(RunMetadata.FromJson(null));
        Assert.Equal(RunMetadata.Columns.Count, m.Cells().Length);
        Assert.Equal(m.RunId, m.Cells()[RunMetadata.Columns.ToList().IndexOf("runId")]);
    }

    [Theory]
    [InlineData(new[] { "dps", "run", "a.json" }, "dps run a.json")]
    [InlineData(new[] { "dps", "run", "my config.json", "--set", "name=it's" }, "dps run 'my config.json' --set 'name=it'\\''s'")]
    [InlineData(new[] { "dps", "" }, "dps ''")]
    public void Join_QuotesWhatAShellWouldSplit(string[] args, string expected) => Assert.Equal(expected, RunMetadata.Join(args));
}
