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

    /// <summary>Distinct values in [−2, 2) with gaps of at least 0.05, so a max/min is never near a tie.</summary>
    private static Tensor DistinctParam(int seed, params int[] shape)
    {
        int n = Shapes.Numel(shape);
        var v = new double[n];
        for (int i = 0; i < n; i++) v[i] = -2.0 + 4.0 * i / n;
        new Random(seed).Shuffle(v);
        return Tensor.FromArray(v, shape).RequiresGrad_();
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(-1, false)]
    public void MaxMin_AlongDim_Gradients_MatchFiniteDifferences(int dim, bool keepDim)
    {
        var a = DistinctParam(21, 2, 3, 4);
        var w = Tensor.Rand(new Random(22), a.Max(dim, keepDim).Shape, 0.5, 1.5);
        AssertGradients(x => (x[0].Max(dim, keepDim) * w).Sum() + (x[0].Min(dim, keepDim) * w * w).Sum(), [a]);
    }

    [Fact]
    public void MaxMin_All_Gradients_MatchFiniteDifferences()
    {
        var a = DistinctParam(23, 3, 5);
        AssertGradients(x => x[0].Max() * 2.0 - x[0].Min() * 3.0, [a]);
    }

    [Fact]
    public void Max_Values_ArgMax_AndGradient_GoToFirstTie()
    {
        var a = Tensor.FromArray(new double[,] { { 1, 5, 5 }, { 7, 2, 7 } }).RequiresGrad_();
        AssertClose([5, 7], a.Max(1).ToArray());
        AssertClose([1, 2], a.Min(1).ToArray());
        AssertClose([7, 5, 7], a.Max(0).ToArray());
        AssertClose([1, 0], a.ArgMax(1).ToArray());
        Assert.Equal(new[] { 2, 1 }, a.Max(1, keepDim: true).Shape);
        Assert.Equal(7.0, a.Max().Item());
        Assert.Equal(1.0, a.Min().Item());
        a.Max(1).Sum().Backward();
        AssertClose([0, 1, 0, 1, 0, 0], a.Grad!.ToArray());
        a.ZeroGrad();
        a.Max().Backward();
        AssertClose([0, 0, 0, 1, 0, 0], a.Grad!.ToArray());
        Assert.Null(a.ArgMax(0).GradFn);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void LogSumExp_Softmax_LogSoftmax_Gradients_MatchFiniteDifferences(int dim)
    {
        var a = Param(24, [2, 3, 4], -2, 2);
        var w = Tensor.Rand(new Random(25), [2, 3, 4], 0.5, 1.5);
        var wr = Tensor.Rand(new Random(26), a.Sum(dim).Shape, 0.5, 1.5);
        AssertGradients(x => (x[0].LogSumExp(dim) * wr).Sum(), [a]);
        AssertGradients(x => (x[0].LogSumExp(dim, keepDim: true) * x[0]).Sum(), [a]);
        AssertGradients(x => (x[0].Softmax(dim) * w).Sum(), [a]);
        AssertGradients(x => (x[0].LogSoftmax(dim) * w).Sum(), [a]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void LogSumExp_Softmax_LogSoftmax_MatchComposedTwins_InValueAndGradient(int dim)
    {
        var a = Param(27, [3, 5], -3, 3);
        var w = Tensor.Rand(new Random(28), [3, 5], 0.5, 1.5);
        var wr = Tensor.Rand(new Random(29), a.Sum(dim).Shape, 0.5, 1.5);
        Func<Tensor, Tensor> lseTwin = x => x.Exp().Sum(dim).Log();
        Func<Tensor, Tensor> softmaxTwin = x => x.Exp() / x.Exp().Sum(dim, keepDim: true);
        Func<Tensor, Tensor> logSoftmaxTwin = x => x - x.Exp().Sum(dim, keepDim: true).Log();

        AssertSameValueAndGradient(a, x => (x.LogSumExp(dim) * wr).Sum(), x => (lseTwin(x) * wr).Sum());
        AssertSameValueAndGradient(a, x => (x.Softmax(dim) * w).Sum(), x => (softmaxTwin(x) * w).Sum());
        AssertSameValueAndGradient(a, x => (x.LogSoftmax(dim) * w).Sum(), x => (logSoftmaxTwin(x) * w).Sum());
    }

    private static void AssertSameValueAndGradient(Tensor a, Func<Tensor, Tensor> fused, Func<Tensor, Tensor> twin)
    {
        a.ZeroGrad();
        var y1 = fused(a);
        y1.Backward();
        var g1 = a.Grad!.ToArray();
        a.ZeroGrad();
        var y2 = twin(a);
        y2.Backward();
        Assert.Equal(y2.Item(), y1.Item(), 12);
        AssertClose(a.Grad!.ToArray(), g1, 1e-12);
    }

    [Fact]
    public void LogSumExp_IsStable_ForHugeAndTinyInputs()
    {
        Assert.Equal(1000 + Math.Log(2), Tensor.FromArray([1000.0, 1000.0]).LogSumExp(0).Item(), 12);
        Assert.Equal(-1000 + Math.Log(2), Tensor.FromArray([-1000.0, -1000.0]).LogSumExp(0).Item(), 12);
        Assert.Equal(double.NegativeInfinity, Tensor.FromArray([double.NegativeInfinity, double.NegativeInfinity]).LogSumExp(0).Item());
        var s = Tensor.FromArray([1000.0, 1000.0, -1000.0]).Softmax(0).ToArray();
        AssertClose([0.5, 0.5, 0.0], s);
        var ls = Tensor.FromArray([1000.0, 0.0]).LogSoftmax(0).ToArray();
        AssertClose([0.0, -1000.0], ls);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Softmax_LinesSumToOne_AndMatchExpOfLogSoftmax(int dim)
    {
        var a = Tensor.RandN(new Random(30), 4, 6) * 10.0;
        var s = a.Softmax(dim);
        foreach (var v in s.Sum(dim).Data) Assert.Equal(1.0, v, 14);
        AssertClose(s.ToArray(), a.LogSoftmax(dim).Exp().ToArray(), 1e-14);
    }

    [Fact]
    public void Max_AlongDim_Throws_NamingOpAndRange_WhenDimOutOfRange()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Max(2));
        Assert.Contains("max", ex.Message);
        Assert.Contains("dim 2", ex.Message);
        Assert.Contains("-2..1", ex.Message);
        var ex2 = Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(0).Max());
        Assert.Contains("max", ex2.Message);
    }
}
