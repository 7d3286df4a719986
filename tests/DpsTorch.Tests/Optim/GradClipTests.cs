using DpsTorch.Optim;

namespace DpsTorch.Tests.Optim;

public class GradClipTests
{
    private static (Tensor a, Tensor b) WithGrads(double[] ga, double[] gb)
    {
        var a = Tensor.Zeros(ga.Length).RequiresGrad_();
        var b = Tensor.Zeros(gb.Length).RequiresGrad_();
        a.Grad = Tensor.FromArray(ga);
        b.Grad = Tensor.FromArray(gb);
        return (a, b);
    }

    [Fact]
    public void ClipGradNorm_ScalesToMaxNorm_AndReturnsPreClipNorm()
    {
        var (a, b) = WithGrads([3.0, 0.0], [0.0, 4.0]); // total norm 5
        double total = GradClip.ClipGradNorm([a, b], maxNorm: 1.0);
        Assert.Equal(5.0, total);
        double coef = 1.0 / (5.0 + GradClip.NormEpsilon);
        Assert.Equal([3.0 * coef, 0.0], a.Grad!.Data);
        Assert.Equal([0.0, 4.0 * coef], b.Grad!.Data);
        double after = Math.Sqrt(a.Grad.Data[0] * a.Grad.Data[0] + b.Grad.Data[1] * b.Grad.Data[1]);
        Assert.True(Math.Abs(after - 1.0) < 1e-6);
    }

    [Fact]
    public void ClipGradNorm_LeavesSmallGradients_AndSkipsMissingOnes()
    {
        var (a, _) = WithGrads([0.3, 0.4], [0.0]);
        var none = Tensor.Zeros(2).RequiresGrad_();
        Assert.Equal(0.5, GradClip.ClipGradNorm([a, none], maxNorm: 1.0), 15);
        Assert.Equal([0.3, 0.4], a.Grad!.Data);
        Assert.Null(none.Grad);
    }

    [Fact]
    public void ClipGradNorm_NonFinite_ThrowsWhenAsked()
    {
        var (a, _) = WithGrads([double.NaN], [1.0]);
        Assert.Throws<ArithmeticException>(() => GradClip.ClipGradNorm([a], 1.0, errorIfNonfinite: true));
    }

    [Fact]
    public void ClipGradValue_ClampsEachElement()
    {
        var (a, b) = WithGrads([-3.0, 0.5], [2.0, -0.1]);
        GradClip.ClipGradValue([a, b], 1.0);
        Assert.Equal([-1.0, 0.5], a.Grad!.Data);
        Assert.Equal([1.0, -0.1], b.Grad!.Data);
    }
}
