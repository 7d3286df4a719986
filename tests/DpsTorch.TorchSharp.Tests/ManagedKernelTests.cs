using DpsTorch.Ops;
using static TorchSharp.torch;
using EngineTensor = DpsTorch.Tensor;
using TT = TorchSharp.torch.Tensor;

namespace DpsTorch.TorchSharp.Tests;

/// <summary>The engine's fused kernels as torch autograd functions: values and gradients against libtorch ops and the engine.</summary>
public class ManagedKernelTests
{
    private static readonly double[] Grid = Enumerable.Range(0, 24).Select(m => 2 * Math.PI * m / 24).ToArray();

    private static (TT Mu, TT Sigma, TT Scale) Inputs()
    {
        var rng = new Random(5);
        double[] R(int n, double lo, double hi) => Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * rng.NextDouble()).ToArray();
        // σ on both sides of √π, so both series run.
        var sigma = R(7, 0.2, 0.9).Concat([2.1, 2.6]).ToArray();
        return (tensor(R(9, 0, 6.2), dtype: ScalarType.Float64, requires_grad: true),
                tensor(sigma, dtype: ScalarType.Float64, requires_grad: true),
                tensor(R(9, 0.3, 1.5), dtype: ScalarType.Float64, requires_grad: true));
    }

    private static double[][] Grads(params TT[] xs) => xs.Select(x => Interop.Values(x.grad!)).ToArray();

    private static void AssertClose(double[][] expected, double[][] actual, double tol)
    {
        for (int k = 0; k < expected.Length; k++)
        {
            double scale = expected[k].Max(Math.Abs);
            double err = Cases.RelativeError(actual[k], expected[k], scale);
            Assert.True(err <= tol, $"input {k}: relative error {err:E2}");
        }
    }

    [SkippableFact]
    public void ScaledWrappedNormalMatchesTheTorchFormulaInValueAndGradient()
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        using var scope = NewDisposeScope();
        var (mu, sigma, scale) = Inputs();
        var weightsOut = tensor(Enumerable.Range(0, 9 * 24).Select(i => Math.Sin(i)).ToArray(), new long[] { 9, 24 }, dtype: ScalarType.Float64);
        var viaEngine = ManagedKernels.ScaledWrappedNormalDensity(mu, sigma, scale, Grid);
        (viaEngine * weightsOut).sum().backward();
        var g1 = Grads(mu, sigma, scale);
        foreach (var x in new[] { mu, sigma, scale }) x.grad = null;
        var viaTorch = scale.unsqueeze(1) * TorchFormulas.WrappedNormalDensity(mu, sigma, tensor(Grid, dtype: ScalarType.Float64));
        (viaTorch * weightsOut).sum().backward();
        Assert.True(Cases.RelativeError(Interop.Values(viaEngine), Interop.Values(viaTorch), 1.0) <= 1e-12);
        AssertClose(Grads(mu, sigma, scale), g1, 1e-10);
    }

    [SkippableFact]
    public void MixtureAndPooledErrorGradientsMatchTheEngineOwnBackward()
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        using var scope = NewDisposeScope();
        var (mu, sigma, scale) = Inputs();
        var target = Grid.Select(x => 0.2 + Math.Cos(x) * 0.1).ToArray();
        var W = ManagedKernels.WrappedNormalMixture(mu, sigma, scale, Grid);
        var p = ManagedKernels.ScaledWrappedNormalDensity(mu, sigma, scale, Grid);
        var loss = (W * W).sum() + ManagedKernels.PooledSquaredError(p, target, 2 * Math.PI / 24);
        loss.backward();

        var (em, es, ea) = (EngineTensor.FromArray(Interop.Values(mu)).RequiresGrad_(), EngineTensor.FromArray(Interop.Values(sigma)).RequiresGrad_(),
            EngineTensor.FromArray(Interop.Values(scale)).RequiresGrad_());
        var eW = DpsKernels.WrappedNormalMixture(em, es, ea, Grid);
        var eLoss = (eW * eW).Sum() + DpsKernels.PooledSquaredError(DpsKernels.ScaledWrappedNormalDensity(em, es, ea, Grid), target, 2 * Math.PI / 24);
        eLoss.Backward();
        Assert.Equal(eLoss.Item(), loss.item<double>(), 1e-12 * eLoss.Item());
        AssertClose([em.Grad!.ToArray(), es.Grad!.ToArray(), ea.Grad!.ToArray()], Grads(mu, sigma, scale), 1e-12);
    }

    [SkippableFact]
    public void TheKernelsRefuseFloat32()
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        var x = ones(3, dtype: ScalarType.Float32);
        var e = Assert.Throws<ArgumentException>(() => ManagedKernels.WrappedNormalDensity(x, x, Grid));
        Assert.Contains("Float32", e.Message);
    }

    public static IEnumerable<object[]> DirectCases() => Cases.All().Where(c => (string)c[2] == "direct");

    /// <summary>The module with the engine kernels inside its torch graph, over every direct-propagation case.</summary>
    [SkippableTheory]
    [MemberData(nameof(DirectCases))]
    public void TheModuleWithManagedKernelsMatchesTheEngine(string objective, string mismatch, string propagation, string kind, bool learned, string resources)
    {
        Skip.IfNot(TorchRuntime.IsAvailable, TorchRuntime.Unavailable);
        var config = Cases.Config(objective, mismatch, propagation, kind, learned, resources);
        var managed = Cases.Model(config);
        using var scope = NewDisposeScope();
        using var module = new DpsModule(managed, config) { UseManagedKernels = true };
        var parts = managed.Loss();
        parts.Total.Backward();
        var t = module.Loss();
        t.Total.backward();
        Assert.True(Math.Abs(t.Total.item<double>() - parts.Total.Item()) <= 1e-10 * parts.Total.Item());
        var (err, worst) = Cases.GradientError(module.TrainableParameters().Select(p => Interop.Values(p.grad!)).ToArray(),
            managed.Parameters().Select(p => p.Grad!.ToArray()).ToArray(), managed.ParameterNames());
        Assert.True(err <= 1e-10, $"gradient of {worst}: relative error {err:E2}");
    }
}
