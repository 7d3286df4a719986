using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Ops;

public class TensorArithmeticTests
{
    public static TheoryData<int[], int[]> Broadcasts => new()
    {
        { new[] { 3, 4 }, new[] { 3, 4 } },
        { new[] { 3, 4 }, new[] { 4 } },
        { new[] { 3, 1 }, new[] { 1, 4 } },
        { new[] { 2, 3, 4 }, new[] { 3, 1 } },
        { new[] { 5 }, Array.Empty<int>() },
    };

    [Theory, MemberData(nameof(Broadcasts))]
    public void Add_Sub_Mul_Div_Gradients_MatchFiniteDifferences(int[] sa, int[] sb)
    {
        var a = Param(1, sa);
        var b = Param(2, sb, 0.5, 2.0); // away from zero for div
        var w = Tensor.Rand(new Random(3), Shapes.Broadcast(sa, sb, "test"));
        AssertGradients(x => ((x[0] + x[1]) * w).Sum(), [a, b]);
        AssertGradients(x => ((x[0] - x[1]) * w).Sum(), [a, b]);
        AssertGradients(x => (x[0] * x[1] * w).Sum(), [a, b]);
        AssertGradients(x => (x[0] / x[1] * w).Sum(), [a, b]);
    }

    [Fact]
    public void Pow_Minimum_Maximum_Where_Neg_Gradients_MatchFiniteDifferences()
    {
        var a = Param(4, [3, 4], 0.5, 2);
        var b = Param(5, [4], 0.5, 2);
        AssertGradients(x => Tensor.Pow(x[0], x[1]).Sum(), [a, b]);
        AssertGradients(x => x[0].Pow(3.0).Sum() + x[1].Pow(2.0).Sum() + x[0].Pow(-0.5).Sum(), [a, b]);
        AssertGradients(x => (Tensor.Minimum(x[0], x[1]) * x[0]).Sum(), [a, b]);
        AssertGradients(x => (Tensor.Maximum(x[0], x[1]) * x[1]).Sum() + x[0].Maximum(1.2).Sum() + x[0].Minimum(1.1).Sum(), [a, b]);
        var cond = Tensor.FromArray([1, 0, 1, 0], 4);
        AssertGradients(x => (Tensor.Where(cond, x[0], x[1]) * x[0]).Sum() - x[1].Neg().Sum(), [a, b]);
    }

    [Fact]
    public void Add_Throws_NamingBothShapes_WhenNotBroadcastable()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3) + Tensor.Zeros(4));
        Assert.Contains("add", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4]", ex.Message);
    }

    [Fact]
    public void Broadcast_Forward_Values_AreCorrect()
    {
        var a = Tensor.FromArray(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var b = Tensor.FromArray([10, 20, 30]);
        AssertClose([11, 22, 33, 14, 25, 36], (a + b).ToArray());
        var c = Tensor.FromArray([1, 2], 2, 1);
        AssertClose([1, 2, 3, 8, 10, 12], (a * c).ToArray());
    }
}
