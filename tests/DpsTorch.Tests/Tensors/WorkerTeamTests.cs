// TensorEngine.ParallelRanges on the engine's worker team: every index once, nested and concurrent calls, failures.
namespace DpsTorch.Tests.Tensors;

public class WorkerTeamTests
{
    [Theory]
    [InlineData(1, 2)]
    [InlineData(7, 2)]
    [InlineData(1000, 2)]
    [InlineData(1001, 3)]
    [InlineData(5, 8)]
    public void TryRun_CoversEveryIndexOnce(int count, int parts)
    {
        int chunk = (count + parts - 1) / parts;
        for (int round = 0; round < 50; round++)
        {
            var hits = new int[count];
            bool ran = WorkerTeam.TryRun(count, chunk, parts, (s, e) => { for (int i = s; i < e; i++) Interlocked.Increment(ref hits[i]); });
            if (!ran) continue; // another test's job held the team; the engine would fall back to the thread pool
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void ParallelRanges_NestedAndConcurrent_CoverEveryIndexOnce()
    {
        int before = TensorEngine.NumThreads;
        try
        {
            TensorEngine.SetNumThreads(2);
            var hits = new int[4][];
            Parallel.For(0, 4, c =>
            {
                var mine = hits[c] = new int[64 * 64];
                for (int round = 0; round < 20; round++)
                    TensorEngine.ParallelRanges(64, (s, e) =>
                    {
                        for (int i = s; i < e; i++)
                            TensorEngine.ParallelRanges(64, (s2, e2) => { for (int j = s2; j < e2; j++) Interlocked.Increment(ref mine[i * 64 + j]); });
                    });
            });
            foreach (var h in hits) Assert.All(h, x => Assert.Equal(20, x));
        }
        finally { TensorEngine.SetNumThreads(before); }
    }

    [Fact]
    public void TryRun_AFailingPart_ThrowsAndLeavesTheTeamUsable()
    {
        for (int round = 0; round < 20; round++)
        {
            bool ran = true;
            var error = Record.Exception(() => ran = WorkerTeam.TryRun(10, 5, 2, (s, e) => { if (s == 5) throw new InvalidOperationException("part 1"); }));
            if (!ran) continue;
            var aggregate = Assert.IsType<AggregateException>(error);
            Assert.IsType<InvalidOperationException>(aggregate.InnerException);
        }
        int total = 0;
        bool again = false;
        for (int tries = 0; tries < 1000 && !again; tries++)
            again = WorkerTeam.TryRun(10, 5, 2, (s, e) => Interlocked.Add(ref total, e - s));
        Assert.True(again);
        Assert.Equal(10, total);
    }
}
