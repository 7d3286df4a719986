using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Autograd;

public class BackwardTests
{
    [Fact]
    public void Backward_AccumulatesThroughSharedSubexpressions()
    {
        var x = Tensor.FromArray([3.0]).RequiresGrad_();
        var y = x * x;          // used twice below
        var z = (y + y * x).Sum(); // z = x² + x³, dz/dx = 2x + 3x² = 33
        z.Backward();
        Assert.Equal(33.0, x.Grad!.Item(), 12);
    }

    [Fact]
    public void Backward_AccumulatesAcrossCalls_UntilZeroGrad()
    {
        var x = Tensor.FromArray([2.0]).RequiresGrad_();
        (x * 3.0).Sum().Backward();
        (x * 3.0).Sum().Backward();
        Assert.Equal(6.0, x.Grad!.Item());
        x.ZeroGrad();
        Assert.Null(x.Grad);
    }

    [Fact]
    public void Backward_FromNonScalar_ThrowsWithShape()
    {
        var x = Param(1, [2, 3]);
        var ex = Assert.Throws<InvalidOperationException>(() => (x * 2.0).Backward());
        Assert.Contains("[2, 3]", ex.Message);
    }

    [Fact]
    public void NoGrad_StopsRecording()
    {
        var x = Param(1, [3]);
        Tensor y;
        using (TensorEngine.NoGrad()) y = (x * 2.0).Sum();
        Assert.False(y.RequiresGrad);
        Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.True((x * 2.0).Sum().RequiresGrad);
    }

    [Fact]
    public void Backward_HandlesDeepChains_WithoutRecursion()
    {
        var x = Tensor.FromArray([1.0]).RequiresGrad_();
        var y = x;
        for (int i = 0; i < 100_000; i++) y = y + 1e-6;
        y.Sum().Backward();
        Assert.Equal(1.0, x.Grad!.Item());
    }
}
