// "Did you mean": closest names within a typo's distance, and the hint in config errors.
using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.Tests.Config;

public class DidYouMeanTests
{
    [Theory]
    [InlineData("cuont", "count")]      // swapped neighbours
    [InlineData("cout", "count")]       // one deletion
    [InlineData("Count", "count")]      // case
    [InlineData("initsigma", "initSigma")]
    public void Closest_FindsTheTypo(string given, string expected)
        => Assert.Equal(expected, DidYouMean.Closest(given, ["budget", "count", "init", "initSigma", "jitter"]));

    [Fact]
    public void Closest_IsNullWhenNothingIsNear() => Assert.Null(DidYouMean.Closest("temperature", ["count", "budget"]));

    [Theory]
    [InlineData("abc", "abc", 0)]
    [InlineData("abc", "acb", 1)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    public void Distance_CountsEdits(string a, string b, int d) => Assert.Equal(d, DidYouMean.Distance(a, b));

    [Fact]
    public void UnknownConfigKey_SuggestsTheClosestKey()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""{ "agents": { "cuont": 3 } }"""));
        Assert.Contains("agents.cuont", e.Message);
        Assert.Contains("did you mean 'count'?", e.Message);
        var far = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""{ "agents": { "temperature": 3 } }"""));
        Assert.DoesNotContain("did you mean", far.Message);
    }

    [Fact]
    public void UnknownTableColumn_SuggestsTheClosestColumn()
    {
        var e = Assert.Throws<ArgumentException>(() => DpsTorch.Fitting.FitTable.Parse("agents.count,loss\n1,2\n").Numbers("agents.cuont"));
        Assert.Contains("Did you mean 'agents.count'?", e.Message);
    }
}
