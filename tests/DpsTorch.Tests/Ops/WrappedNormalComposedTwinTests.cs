using DpsTorch.Ops;
using static DpsTorch.Tests.TestUtil;

namespace DpsTorch.Tests.Ops;

/// <summary>The fused wrapped-normal op against the same density composed from primitive ops (the Fourier form).</summary>
public class WrappedNormalComposedTwinTests
{
    private static Tensor Composed(Tensor mu, Tensor sigma, double[] grid, int harmonics)
    {
        // WN(x; μ, σ) = 1/(2π) [1 + 2 Σ_n exp(−n²σ²/2) cos(n(x − μ))]
        var d = Tensor.FromArray(grid).Unsqueeze(0) - mu.Unsqueeze(1);
        var s2 = sigma.Square().Unsqueeze(1);
        Tensor sum = Tensor.Ones(1, 1);
        for (int n = 1; n <= harmonics; n++)
            sum = sum + ((s2 * (-0.5 * n * n)).Exp() * (d * n).Cos()) * 2.0;
        return sum / (2 * Math.PI);
    }

    [Fact]
    public void FusedDensity_AndGradients_EqualComposedFourierTwin()
    {
        var grid = Enumerable.Range(0, 48).Select(m => 2 * Math.PI * m / 48).ToArray();
        var mu = Tensor.FromArray([0.3, 2.0, 4.5, 6.0]).RequiresGrad_();
        var sigma = Tensor.FromArray([0.35, 0.6, 1.1, 2.4]).RequiresGrad_();
        var weights = Tensor.Rand(new Random(5), [4, 48]);
        var fused = DpsKernels.WrappedNormalDensity(mu, sigma, grid);
        var composed = Composed(mu, sigma, grid, 80);
        AssertClose(composed.ToArray(), fused.ToArray(), 1e-12);

        (fused * weights).Sum().Backward();
        var gMu = mu.Grad!.ToArray(); var gSigma = sigma.Grad!.ToArray();
        mu.ZeroGrad(); sigma.ZeroGrad();
        (composed * weights).Sum().Backward();
        AssertClose(mu.Grad!.ToArray(), gMu, 1e-11);
        AssertClose(sigma.Grad!.ToArray(), gSigma, 1e-11);
    }
}
