using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Ops;

public class TensorReduceTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void SumMean_AlongDim_Gradients_MatchFiniteDifferences(int dim)
    {
        var a = Param(7, [2, 3, 4]);
        var w = Tensor.Rand(new Random(8), a.Sum(dim).Shape);
        AssertGradients(x => (x[0].Sum(dim) * w).Sum(), [a]);
        AssertGradients(x => (x[0].Mean(dim, keepDim: true) * x[0]).Sum() + x[0].Mean(), [a]);
    }

    [Fact]
    public void Sum_AlongDim_Values()
    {
        var a = Tensor.FromArray(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        AssertClose([5, 7, 9], a.Sum(0).ToArray());
        AssertClose([6, 15], a.Sum(1).ToArray());
        Assert.Equal(new[] { 2, 1 }, a.Sum(1, keepDim: true).Shape);
    }
}
