using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Ops;

public class TensorUnaryTests
{
    /// <summary>Random weights so that each element's gradient is distinct (a plain Sum would hide a permuted gradient).</summary>
    private static Tensor Weights(int[] shape) => Tensor.Rand(new Random(99), shape, 0.5, 1.5);

    [Fact]
    public void Exp_Sin_Cos_Tanh_Sigmoid_Square_Gradients_MatchFiniteDifferences()
    {
        var a = Param(11, [3, 4], -2, 2);
        var w = Weights([3, 4]);
        AssertGradients(x => (x[0].Exp() * w).Sum(), [a]);
        AssertGradients(x => (x[0].Sin() * w).Sum(), [a]);
        AssertGradients(x => (x[0].Cos() * w).Sum(), [a]);
        AssertGradients(x => (x[0].Tanh() * w).Sum(), [a]);
        AssertGradients(x => (x[0].Sigmoid() * w).Sum(), [a]);
        AssertGradients(x => (x[0].Square() * w).Sum(), [a]);
    }

    [Fact]
    public void Log_Sqrt_Gradients_MatchFiniteDifferences_OnPositiveInputs()
    {
        var a = Param(12, [3, 4], 0.2, 3);
        var w = Weights([3, 4]);
        AssertGradients(x => (x[0].Log() * w).Sum(), [a]);
        AssertGradients(x => (x[0].Sqrt() * w).Sum(), [a]);
    }

    [Theory]
    [InlineData(1.0, 20.0)]
    [InlineData(2.5, 20.0)]
    [InlineData(1.0, 0.5)] // some inputs above the threshold: the linear branch
    public void Softplus_Gradient_MatchesFiniteDifferences(double beta, double threshold)
    {
        var a = Param(13, [20], -3, 3);
        var w = Weights([20]);
        // keep inputs away from the threshold kink, where softplus is only continuous to about 1e-9 (PyTorch alike)
        for (int i = 0; i < a.Numel; i++)
            if (Math.Abs(beta * a[i] - threshold) < 0.05) a[i] += 0.1;
        AssertGradients(x => (x[0].Softplus(beta, threshold) * w).Sum(), [a]);
    }

    [Fact]
    public void Abs_Relu_Clamp_Remainder_Gradients_MatchFiniteDifferences_AwayFromKinks()
    {
        // values with |x| >= 0.1 and away from the clamp bounds ±0.5 and the remainder jumps at multiples of 2π
        var a = Tensor.FromArray([-2.3, -0.9, -0.3, -0.15, 0.12, 0.35, 0.8, 1.7, 4.1, 7.0, -7.5, 13.0], 3, 4).RequiresGrad_();
        var w = Weights([3, 4]);
        AssertGradients(x => (x[0].Abs() * w).Sum(), [a]);
        AssertGradients(x => (x[0].Relu() * w).Sum(), [a]);
        AssertGradients(x => (x[0].Clamp(-0.5, 0.5) * w).Sum(), [a]);
        AssertGradients(x => (x[0].Remainder(2 * Math.PI) * w).Sum(), [a]);
    }

    [Fact]
    public void Unary_Forward_Values_MatchMath()
    {
        var x = Tensor.FromArray([-1.5, 0.25, 2.0]);
        AssertClose([Math.Exp(-1.5), Math.Exp(0.25), Math.Exp(2.0)], x.Exp().ToArray(), 1e-15);
        AssertClose([1.5, 0.25, 2.0], x.Abs().ToArray());
        AssertClose([0, 0.25, 2.0], x.Relu().ToArray());
        AssertClose([2.25, 0.0625, 4.0], x.Square().ToArray());
        AssertClose([-1.0, 0.25, 1.0], x.Clamp(-1, 1).ToArray());
        AssertClose([Math.Tanh(-1.5), Math.Tanh(0.25), Math.Tanh(2.0)], x.Tanh().ToArray(), 1e-15);
        AssertClose([1 / (1 + Math.Exp(1.5)), 1 / (1 + Math.Exp(-0.25)), 1 / (1 + Math.Exp(-2.0))], x.Sigmoid().ToArray(), 1e-15);
    }

    [Fact]
    public void SigmoidInto_InChunks_GivesTheFourPassesBits_AtEveryLengthAndTail()
    {
        // The chunked sigmoid must give what |x|, −, TensorPrimitives.Exp and the division over the whole array give,
        // element for element: lengths below, at and past one chunk (the overlapping last chunk), ±0 and tiny values.
        // (Far out, |x| > 700 or not finite, TensorPrimitives.Exp finishes a whole vector by its scalar path, so there
        // its neighbours' bits depend on where the vectors start; there only the values' limits are checked.)
        var rng = new Random(7);
        double[] special = [0.0, -0.0, 1e-300, -1e-300, 36.7, -36.7, 690.0, -690.0, double.Epsilon, -double.Epsilon];
        foreach (int n in (int[])[1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 511, 512, 513, 767, 1001, 65_537])
        {
            var x = new double[n];
            for (int i = 0; i < n; i++) x[i] = i % 5 == 4 ? special[rng.Next(special.Length)] : (rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-3, 3));
            var (chunked, passes) = (new double[n], new double[n]);
            Tensor.SigmoidInto(x, chunked);
            Tensor.SigmoidByPasses(x, passes);
            for (int i = 0; i < n; i++)
                Assert.True(BitConverter.DoubleToInt64Bits(passes[i]) == BitConverter.DoubleToInt64Bits(chunked[i]),
                    $"n = {n}, x[{i}] = {x[i]:R}: in chunks {chunked[i]:R}, four passes {passes[i]:R}");
        }
        var far = Enumerable.Range(0, 1000).Select(i => i % 2 == 0 ? 800.0 + i : -800.0 - i).ToArray();
        far[10] = double.PositiveInfinity;
        far[11] = double.NegativeInfinity;
        var y = new double[far.Length];
        Tensor.SigmoidInto(far, y);
        for (int i = 0; i < far.Length; i++) Assert.Equal(far[i] > 0 ? 1.0 : 0.0, y[i]);
    }

    [Fact]
    public void Softplus_IsFiniteAndAccurate_ForLargeAndTinyInputs()
    {
        var x = Tensor.FromArray([-800.0, -40.0, -1.0, 0.0, 1.0, 15.0, 40.0, 800.0]);
        var y = x.Softplus().ToArray();
        foreach (var v in y) Assert.True(double.IsFinite(v), $"softplus gave {v}");
        Assert.Equal(0.0, y[0]);                                           // e^-800 underflows to 0 (no NaN)
        Assert.True(Math.Abs(y[1] - Math.Exp(-40.0)) <= 1e-15 * Math.Exp(-40.0), $"softplus(-40) = {y[1]:G17}"); // not rounded to 0
        Assert.Equal(Math.Log(1 + Math.Exp(-1.0)), y[2], 15);
        Assert.Equal(Math.Log(2.0), y[3], 15);
        Assert.Equal(1.0 + Math.Log(1 + Math.Exp(-1.0)), y[4], 15);
        Assert.Equal(15.0 + Math.Log(1 + Math.Exp(-15.0)), y[5], 14);
        Assert.Equal(40.0, y[6]);                                          // above the threshold: linear
        Assert.Equal(800.0, y[7]);

        // beta scales: softplus_β(x) = softplus(βx)/β
        Assert.Equal(Math.Log(1 + Math.Exp(2.0)) / 2.0, Tensor.FromArray([1.0]).Softplus(beta: 2.0).Item(), 15);
    }

    [Fact]
    public void Softplus_Gradient_IsSigmoid_AndNoNaN_AtExtremes()
    {
        var x = Tensor.FromArray([-800.0, 0.0, 800.0]).RequiresGrad_();
        x.Softplus(threshold: double.PositiveInfinity).Sum().Backward();
        AssertClose([0.0, 0.5, 1.0], x.Grad!.ToArray());
    }

    [Fact]
    public void Sigmoid_IsZeroAndOne_AtPlusMinus800_WithFiniteGradient()
    {
        var x = Tensor.FromArray([-800.0, 800.0]).RequiresGrad_();
        var y = x.Sigmoid();
        AssertClose([0.0, 1.0], y.ToArray(), 0.0);
        y.Sum().Backward();
        AssertClose([0.0, 0.0], x.Grad!.ToArray(), 0.0);
        // far negative keeps relative precision: σ(−40) ≈ e^−40
        Assert.True(Math.Abs(Tensor.FromArray([-40.0]).Sigmoid().Item() / Math.Exp(-40.0) - 1) < 1e-15);
    }

    [Fact]
    public void Remainder_IsPythonStyle_InZeroToModulus()
    {
        var x = Tensor.FromArray([-1.0, 7.0, -7.0, 0.0, 6.0, -1e-20]);
        var r = x.Remainder(3.0).ToArray();
        AssertClose([2.0, 1.0, 2.0, 0.0, 0.0, 0.0], r);
        foreach (var v in Tensor.RandN(new Random(5), 1000).Remainder(2 * Math.PI).Data)
            Assert.InRange(v, 0.0, Math.BitDecrement(2 * Math.PI));
    }

    [Fact]
    public void Clamp_Throws_NamingOpAndBounds_WhenMinAboveMax()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(3).Clamp(1.0, -1.0));
        Assert.Contains("clamp", ex.Message);
        Assert.Contains("min 1", ex.Message);
        Assert.Contains("max -1", ex.Message);
    }

    [Fact]
    public void Remainder_And_Softplus_Throw_OnNonPositiveParameters()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(3).Remainder(0.0));
        Assert.Contains("remainder", ex.Message);
        Assert.Contains("got 0", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(3).Softplus(beta: -1.0));
        Assert.Contains("softplus", ex.Message);
    }

    [Fact]
    public void Unary_RecordsLowerCaseOpLabel()
    {
        var a = Param(1, [2]);
        Assert.Equal("exp", a.Exp().GradFn);
        Assert.Equal("softplus", a.Softplus().GradFn);
        Assert.Equal("remainder", a.Remainder(1.0).GradFn);
    }
}
