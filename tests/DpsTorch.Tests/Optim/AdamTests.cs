using DpsTorch.Optim;
using TP = System.Numerics.Tensors.TensorPrimitives;
using static DpsTorch.Tests.Optim.TestProblems;

namespace DpsTorch.Tests.Optim;

public class AdamTests
{
    /// <summary>Adam steps the least-squares test takes (it reaches 1e-6 after about 340 at lr 0.02).</summary>
    internal const int LeastSquaresSteps = 1500;

    [Fact]
    public void Adam_FirstSteps_MatchHandComputedFormula_On1DQuadratic()
    {
        // f(x) = (x − 3)², g = 2(x − 3); reference arithmetic written out in scalars.
        var x = Tensor.FromArray([1.0]).RequiresGrad_();
        var opt = new Adam([x], lr: 0.1);
        double xr = 1.0, m = 0, v = 0;
        for (int t = 1; t <= 3; t++)
        {
            TrainStep(opt, () => (x - 3.0).Pow(2).Sum());
            double g = 2 * (xr - 3.0);
            m = 0.9 * m + (1 - 0.9) * g;
            v = 0.999 * v + (1 - 0.999) * g * g;
            double mHat = m / (1 - Math.Pow(0.9, t)), vHat = v / (1 - Math.Pow(0.999, t));
            xr -= 0.1 * mHat / (Math.Sqrt(vHat) + 1e-8);
            Assert.True(Math.Abs(x.Data[0] - xr) <= 1e-15, $"step {t}: got {x.Data[0]:R}, expected {xr:R}");
        }
        Assert.Equal(3, opt.StepCount);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1003)] // vector body and scalar tail
    public void Adam_Update_IsBitwiseEqualToTheElementwiseSequence(int n)
    {
        // The one-pass update must round exactly like the ten elementwise passes it replaced (saved runs resume bit
        // for bit across the change).
        var rng = new Random(n);
        double[] Rand(double scale) { var a = new double[n]; for (int i = 0; i < n; i++) a[i] = (rng.NextDouble() - 0.5) * scale; return a; }
        var (p, g, m) = (Rand(4), Rand(3), Rand(0.5));
        var v = Rand(0.2);
        for (int i = 0; i < n; i++) v[i] = Math.Abs(v[i]);
        var (pr, mr, vr, tmp) = ((double[])p.Clone(), (double[])m.Clone(), (double[])v.Clone(), new double[n]);
        double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, bc2 = Math.Sqrt(1 - Math.Pow(beta2, 3)), stepSize = 0.02 / (1 - Math.Pow(beta1, 3));
        TP.Subtract(g, mr, tmp);
        TP.MultiplyAdd(tmp, 1 - beta1, mr, mr);
        TP.Multiply(g, g, tmp);
        TP.Multiply(vr, beta2, vr);
        TP.MultiplyAdd(tmp, 1 - beta2, vr, vr);
        TP.Sqrt(vr, tmp);
        TP.Divide(tmp, bc2, tmp);
        TP.Add(tmp, eps, tmp);
        TP.Divide(mr, tmp, tmp);
        TP.MultiplyAdd(tmp, -stepSize, pr, pr);
        Adam.Update(p, g, m, v, beta1, beta2, bc2, eps, stepSize);
        Assert.Equal(mr, m);
        Assert.Equal(vr, v);
        Assert.Equal(pr, p);
    }

    [Fact]
    public void Adam_Step_OnALargeParameter_GivesTheSameBitsOnOneAndTwoThreads()
    {
        // 100,003 elements: updated in ranges on the engine's threads (a learned topology's edge logits).
        double[] Run(int threads)
        {
            int before = TensorEngine.NumThreads;
            try
            {
                TensorEngine.SetNumThreads(threads);
                var x = Tensor.FromArray([.. Enumerable.Range(0, 100_003).Select(i => Math.Sin(i))]).RequiresGrad_();
                var opt = new Adam([x], lr: 0.05);
                for (int t = 0; t < 3; t++) TrainStep(opt, () => (x * x * x).Sum());
                return x.ToArray();
            }
            finally { TensorEngine.SetNumThreads(before); }
        }
        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.NotEqual(Math.Sin(5.0), one[5]); // it moved
    }

    [Fact]
    public void Adam_FirstStep_IsExactlyLrTimesSignOfGradient_WhenEpsIsZero()
    {
        var x = Tensor.FromArray([1.0, -2.0]).RequiresGrad_();
        var opt = new Adam([x], lr: 0.25, eps: 0);
        TrainStep(opt, () => (x * Tensor.FromArray([5.0, 0.001])).Sum());
        Assert.Equal([0.75, -2.25], x.Data);
    }

    [Fact]
    public void Adam_MinimisesLeastSquares_ToKnownOptimum()
    {
        var a = Tensor.FromArray(A);
        var y = Y();
        var x = Tensor.Zeros(3).RequiresGrad_();
        var opt = new Adam([x], lr: 0.02);
        for (int step = 0; step < LeastSquaresSteps; step++) TrainStep(opt, () => LeastSquares(x, a, y));
        Assert.True(MaxAbsDiff(XStar, x.ToArray()) <= 1e-6, $"max |x − x*| = {MaxAbsDiff(XStar, x.ToArray()):G3}");
    }

    [Fact]
    public void AdamW_DecoupledDecay_ShrinksByLrTimesDecay_WhileL2DecayIsNormalisedAway()
    {
        // Zero loss gradient: only the weight decay acts.
        var p1 = Tensor.FromArray([2.0]).RequiresGrad_();
        var p2 = Tensor.FromArray([2.0]).RequiresGrad_();
        var adamW = new Adam([p1], lr: 0.1, weightDecay: 0.01, decoupledWeightDecay: true);
        var adamL2 = new Adam([p2], lr: 0.1, weightDecay: 0.01);
        TrainStep(adamW, () => (p1 * 0.0).Sum());
        TrainStep(adamL2, () => (p2 * 0.0).Sum());
        // AdamW: p ← p(1 − lr·λ), and the Adam part is 0/(0 + ε) = 0.
        Assert.Equal(2.0 * (1 - 0.1 * 0.01), p1.Data[0]);
        // L2: g = λp = 0.02 goes through Adam's normalisation, so the first step is ≈ lr whatever λ is.
        double g = 0.01 * 2.0;
        double expected = 2.0 - 0.1 * g / (Math.Sqrt(g * g) + 1e-8);
        Assert.True(Math.Abs(p2.Data[0] - expected) <= 1e-15, $"got {p2.Data[0]:R}, expected {expected:R}");
        Assert.True(p2.Data[0] < 1.91 && p1.Data[0] > 1.99);
    }

    [Fact]
    public void Adam_SkipsParameters_WithoutGradient()
    {
        var used = Tensor.FromArray([1.0]).RequiresGrad_();
        var unused = Tensor.FromArray([5.0]).RequiresGrad_();
        var opt = new Adam([used, unused], lr: 0.1);
        TrainStep(opt, () => used.Pow(2).Sum());
        Assert.Equal(5.0, unused.Data[0]);
        Assert.NotEqual(1.0, used.Data[0]);
    }

    [Fact]
    public void Optimizer_Rejects_NonLeaf_NoGrad_Duplicate_Parameters_NamingTheIndex()
    {
        var p = Tensor.FromArray([1.0]).RequiresGrad_();
        var noGrad = Tensor.FromArray([1.0]);
        var ex = Assert.Throws<ArgumentException>(() => new Adam([p, noGrad]));
        Assert.Contains("parameter 1", ex.Message);
        Assert.Contains("does not require grad", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => new Sgd([p, p * 2.0], lr: 0.1));
        Assert.Contains("parameter 1", ex.Message);
        Assert.Contains("not a leaf", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => new Adam([p, p]));
        Assert.Contains("parameter 1 is the same tensor as parameter 0", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam([p], beta1: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam([p], lr: double.NaN));
    }
}
