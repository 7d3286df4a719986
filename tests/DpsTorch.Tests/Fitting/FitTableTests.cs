using DpsTorch.Fitting;

namespace DpsTorch.Tests.Fitting;

public class FitTableTests
{
    private const string Sweep =
        "N,seed,loss,topology\n" +
        "10,0,1.0,ring\n" +
        "10,1,3.0,ring\n" +
        "20,0,2.0,ring\n" +
        "20,1,2.0,ring\n" +
        "20,2,5.0,ring\n" +
        "10,0,7.5,\"star, hub\"\n";

    [Fact]
    public void AggregateOverSeeds_GivesMeanStandardErrorAndCount_PerX()
    {
        var ring = FitTable.Parse(Sweep).GroupBy("topology")[0].Table;
        var d = ring.AggregateOverSeeds("N", "loss");
        Assert.True(d.AggregatedOverSeeds);
        Assert.Equal([10.0, 20.0], d.X);
        Assert.Equal([2.0, 3.0], d.Y);
        Assert.Equal([2, 3], d.Counts!);
        // N = 10: values 1, 3: s = √2, SE = √2/√2 = 1. N = 20: values 2, 2, 5: s² = (1 + 1 + 4)/2 = 3, SE = √(3/3) = 1.
        TestUtil.AssertClose([1.0, 1.0], d.StandardError!, 1e-12);
    }

    [Fact]
    public void AggregateOverSeeds_SingleSeed_HasNaNStandardError_AndRawKeepsEveryRow()
    {
        var t = FitTable.Parse(Sweep);
        var star = t.GroupBy("topology")[1];
        Assert.Equal("star, hub", star.Key);
        var d = star.Table.AggregateOverSeeds("N", "loss");
        Assert.Equal([7.5], d.Y);
        Assert.True(double.IsNaN(d.StandardError![0]));
        var raw = t.Raw("N", "loss");
        Assert.False(raw.AggregatedOverSeeds);
        Assert.Equal(6, raw.Count);
        Assert.Null(raw.StandardError);
    }

    [Fact]
    public void GroupBy_KeepsFirstAppearanceOrder_AndQuotedFields()
    {
        var groups = FitTable.Parse(Sweep).GroupBy("topology");
        Assert.Equal(["ring", "star, hub"], groups.Select(g => g.Key));
        Assert.Equal([5, 1], groups.Select(g => g.Table.RowCount));
    }

    [Fact]
    public void UnknownColumn_IsNamed_AndAvailableColumnsListed()
    {
        var e = Assert.Throws<ArgumentException>(() => FitTable.Parse(Sweep, "results.csv").Numbers("los"));
        Assert.Contains("no column 'los'", e.Message);
        Assert.Contains("'N', 'seed', 'loss', 'topology'", e.Message);
    }

    [Fact]
    public void NaNOrTextInData_NamesRowAndColumn()
    {
        var t = FitTable.Parse("N,loss\n1,0.5\n\n2,NaN\n", "results.csv");
        var e = Assert.Throws<ArgumentException>(() => t.AggregateOverSeeds("N", "loss"));
        Assert.Contains("row 2 (line 4), column 'loss'", e.Message);
        Assert.Contains("NaN", e.Message);
        var bad = FitTable.Parse("N,loss\n1,abc\n");
        Assert.Contains("row 1 (line 2), column 'loss' holds 'abc'", Assert.Throws<ArgumentException>(() => bad.Numbers("loss")).Message);
        var empty = FitTable.Parse("N,loss\n1,\n");
        Assert.Contains("column 'loss' is empty", Assert.Throws<ArgumentException>(() => empty.Numbers("loss")).Message);
    }

    [Fact]
    public void RaggedRow_IsAFormatErrorNamingTheLine()
    {
        var e = Assert.Throws<FormatException>(() => FitTable.Parse("a,b\n1,2\n3\n"));
        Assert.Contains("line 3 has 1 fields but the header has 2", e.Message);
    }

    [Fact]
    public void Study_GroupError_NamesTheGroupAndTheForm()
    {
        var t = FitTable.Parse(Sweep);
        var e = Assert.Throws<ArgumentException>(() => ScalingStudy.Run(t,
            new FitRequest("N", "loss") { GroupColumns = ["topology"], Form = ScalingForm.Power }));
        Assert.Contains("topology = 'ring'", e.Message);
        Assert.Contains("power form needs at least 4 points", e.Message);
    }
}
