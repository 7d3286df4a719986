// Shards: K/N parsing and that the N slices partition the grid (disjoint, complete).
using DpsTorch.Config;
using DpsTorch.Sweeps;

namespace DpsTorch.Tests.Sweeps;

public class ShardTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(40)]
    public void Shards_PartitionTheGrid_DisjointAndComplete(int n)
    {
        var plan = SweepReader.Parse("""{ "sweep": { "grid": { "agents.count": [3, 4, 6, 8, 12, 16, 24, 32], "demand.peaks": [1, 2, 3] }, "seeds": [0, 1] } }""");
        var seen = new int[plan.Points.Count];
        var sizes = new List<int>();
        for (int k = 0; k < n; k++)
        {
            var shard = Shard.Parse($"{k}/{n}");
            int size = 0;
            foreach (var p in plan.Points) if (shard.Contains(p.Index)) { seen[p.Index]++; size++; }
            sizes.Add(size);
        }
        Assert.All(seen, c => Assert.Equal(1, c));
        Assert.True(sizes.Max() - sizes.Min() <= 1, $"slices are balanced: {string.Join(",", sizes)}");
    }

    [Theory]
    [InlineData("3/8", 3, 8)]
    [InlineData("0/1", 0, 1)]
    [InlineData(" 7 / 8 ", 7, 8)]
    public void Parse_ReadsKOverN(string text, int k, int n) => Assert.Equal(new Shard(k, n), Shard.Parse(text));

    [Theory]
    [InlineData("8/8")]
    [InlineData("1/0")]
    [InlineData("-1/4")]
    [InlineData("3")]
    [InlineData("a/b")]
    [InlineData("1/2/3")]
    public void Parse_RejectsBadSlices_NamingTheOption(string text)
        => Assert.Equal("--shard", Assert.Throws<ConfigException>(() => Shard.Parse(text)).Key);
}
