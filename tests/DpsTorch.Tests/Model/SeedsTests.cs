// Independent restarts (issue 13): restart seeds are hashed from (seed, restart), and every init kind starts
// somewhere genuinely different for another seed.
using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.Tests.Model;

public class SeedsTests
{
    [Fact]
    public void RestartSeeds_DoNotAlias_AcrossSeedsAndRestarts()
    {
        Assert.NotEqual(Seeds.ForRestart(1, 1), Seeds.ForRestart(2, 0));
        var all = new HashSet<int>();
        for (int s = 0; s < 20; s++)
            for (int r = 0; r < 20; r++) all.Add(Seeds.ForRestart(s, r));
        Assert.Equal(400, all.Count);
        Assert.Equal(Seeds.ForRestart(7, 3), Seeds.ForRestart(7, 3));
        Assert.True(Seeds.ForRestart(-5, 2) >= 0);
        Assert.Equal(9, Seeds.ForRestart(9, 0));
    }

    [Theory]
    [InlineData(InitKind.Spread)]
    [InlineData(InitKind.Random)]
    public void DifferentSeeds_GiveStartsThatDifferByMoreThanTheJitter(InitKind kind)
    {
        var a = Initialization.Create(kind, 8, 0.05, null, 0.01, seed: Seeds.ForRestart(1, 0));
        var b = Initialization.Create(kind, 8, 0.05, null, 0.01, seed: Seeds.ForRestart(2, 0));
        double largest = a.Mu.Zip(b.Mu, (x, y) => Math.Abs(Math.IEEERemainder(x - y, 2 * Math.PI))).Max();
        Assert.True(largest > 0.1, $"largest difference of μ between seeds 1 and 2: {largest}");
    }

    [Fact]
    public void ASpreadStart_StillCoversTheCircleEvenly()
    {
        var init = Initialization.Create(InitKind.Spread, 12, 0.05, null, 0.0, seed: 3);
        var sorted = init.Mu.Select(m => (m % (2 * Math.PI) + 2 * Math.PI) % (2 * Math.PI)).Order().ToArray();
        for (int i = 1; i < sorted.Length; i++) Assert.Equal(2 * Math.PI / 12, sorted[i] - sorted[i - 1], 9);
    }

    [Theory]
    [InlineData(1)] // spread
    [InlineData(3)] // random
    public void TheAutoInit_OfTwoSeeds_StartsApart(int restart)
    {
        // Restart 0 starts at the demand's modes by design (StructuredStartsTests: seeds turn its order and jitter it).
        DpsModel Model(int seed) => SystemBuilder.Create(ConfigLoader.Parse($$"""{ "agents": { "count": 6 }, "training": { "seed": {{seed}} } }"""), restart);
        var a = Model(1).Mu.ToArray();
        var b = Model(2).Mu.ToArray();
        Assert.True(a.Zip(b, (x, y) => Math.Abs(x - y)).Max() > 0.1, $"μ of seeds 1 and 2: {string.Join(", ", a)} / {string.Join(", ", b)}");
    }
}
