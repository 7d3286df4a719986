// Merging near-clones (issue 13): which agents are grouped, and that a merge keeps each group's resources and mean.
using DpsTorch.IO;
using DpsTorch.Model;
using DpsTorch.Model.Search;

using DpsTorch.Config;

namespace DpsTorch.Tests.Model.Search;

public class MergeTests
{
    [Fact]
    public void Groups_JoinNearClones_AcrossTheWrap_AndNothingElse()
    {
        double[] mu = [0.01, 2 * Math.PI - 0.01, 1.0, 1.02, 3.0];
        double[] sigma = [0.15, 0.15, 0.15, 0.3, 0.15];
        var groups = Merge.Groups(mu, sigma);
        Assert.Single(groups);
        Assert.Equal([0, 1], groups[0]);
    }

    [Theory]
    [InlineData("budget")]
    [InlineData("soft")]
    public void Run_MakesExactClones_KeepingTheGroupsResources(string resources)
    {
        var m = SystemBuilder.Create(ConfigLoader.Parse($$"""{ "agents": { "count": 4, "resources": "{{resources}}" } }"""));
        double[] mu = [1.0, 1.01, 1.02, 4.0];
        m.Mu.Copy_(mu);
        for (int i = 0; i < 4; i++) { m.Rho[i] = Initialization.SoftplusInverse(0.2 + 0.005 * i); m.Alpha[i] = 0.1 * i; }
        double[] before;
        using (TensorEngine.NoGrad()) before = m.Resources().ToArray();
        Assert.Equal(1, Merge.Run(m));
        double[] after;
        using (TensorEngine.NoGrad()) after = m.Resources().ToArray();
        Assert.Equal(before[..3].Sum(), after[..3].Sum(), 12);
        Assert.Equal(before[3], after[3], 12);
        Assert.Equal(after[0], after[2], 12);
        Assert.Equal(m.Mu.Data[0], m.Mu.Data[2]);
        Assert.Equal(m.Rho.Data[0], m.Rho.Data[1]);
        double mean = (before[0] * 1.0 + before[1] * 1.01 + before[2] * 1.02) / before[..3].Sum();
        Assert.Equal(mean, m.Mu.Data[0], 12);
        Assert.Equal(4.0, m.Mu.Data[3]);
    }
}
