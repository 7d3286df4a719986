using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Autograd;

public class GradientPoolTests
{
    [Fact]
    public void RecycledGradients_GiveTheSameResults_AndNeverOverwriteALeafsGradient()
    {
        // [400, 350] gradients are above GradientPool.MinLength, so the second and third passes run on recycled arrays.
        int n = 400, k = 350, m = 3;
        Assert.True(n * k >= GradientPool.MinLength);
        var a = Param(1, [n, k]);
        var b = Param(2, [k, m]);
        var w = Tensor.Rand(new Random(3), [n, m], -1, 1);
        double[]? first = null;
        Tensor? heldGrad = null;
        for (int pass = 0; pass < 3; pass++)
        {
            a.ZeroGrad();
            b.ZeroGrad();
            // The hidden [n, k] product a·1 + a has its gradient recycled; a's own adopted gradient must stay a's.
            var h = a * 2.0 + a;
            (Tensor.MatMul(h, b) * (w * (pass + 1))).Sum().Backward();
            var ga = a.Grad!.ToArray();
            if (pass == 0) { first = ga; heldGrad = a.Grad; }
            else
            {
                for (int i = 0; i < ga.Length; i++) Assert.Equal(first![i] * (pass + 1), ga[i], 9);
                Assert.Equal(first, heldGrad!.ToArray()); // the first pass's gradient, still held, is untouched
            }
        }
    }

    [Fact]
    public void Rent_GivesZeroedArrays_OfTheRequestedLength()
    {
        var x = GradientPool.Rent(GradientPool.MinLength);
        Array.Fill(x, 7.0);
        GradientPool.Return(x);
        var y = GradientPool.Rent(GradientPool.MinLength);
        Assert.Equal(GradientPool.MinLength, y.Length);
        Assert.All(y, v => Assert.Equal(0.0, v));
        Assert.Equal(5, GradientPool.Rent(5).Length);
    }

    [Fact]
    public void ReleasedIntermediates_GoBackToThePool_AndTheGradientsAreUnchanged()
    {
        // h = a·2 (an [n, k] op result above MinLength) is marked: after backward its storage is recycled, the next pass
        // computes the same gradient on it, and running the released graph backward again fails instead of reading junk.
        int n = 400, k = 350;
        var a = Param(4, [n, k]);
        var w = Tensor.Rand(new Random(5), [n, k], -1, 1);
        double[]? first = null;
        for (int pass = 0; pass < 2; pass++)
        {
            a.ZeroGrad();
            var h = (a * 2.0).ReleaseAfterBackward();
            var loss = (h * h * w).Sum();
            loss.Backward();
            Assert.Equal(0, h.Numel);
            if (pass == 0) first = a.Grad!.ToArray();
            else Assert.Equal(first, a.Grad!.ToArray());
            if (pass == 1) Assert.ThrowsAny<Exception>(() => loss.Backward());
        }
        var reused = GradientPool.Rent(n * k, clear: false);
        Assert.Equal(n * k, reused.Length);
    }
}
