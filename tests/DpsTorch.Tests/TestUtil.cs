// Shared test helpers: seeded random leaves and the one gradient assertion every op test uses.
using DpsTorch.Autograd;

namespace DpsTorch.Tests;

internal static class TestUtil
{
    /// <summary>A leaf with RequiresGrad, filled with uniform values in [low, high) from a fixed seed.</summary>
    public static Tensor Param(int seed, int[] shape, double low = -1, double high = 1)
        => Tensor.Rand(new Random(seed), shape, low, high).RequiresGrad_();

    /// <summary>Asserts that autograd matches central finite differences below <paramref name="tolerance"/>.</summary>
    public static void AssertGradients(Func<Tensor[], Tensor> f, Tensor[] inputs, double tolerance = GradCheck.DefaultTolerance)
    {
        var r = GradCheck.Check(f, inputs, tolerance);
        Assert.True(r.Passed, $"gradient check failed: max relative error {r.MaxRelativeError:G3} at {r.Where}");
    }

    /// <summary>Asserts two arrays agree elementwise within an absolute tolerance.</summary>
    public static void AssertClose(double[] expected, double[] actual, double tol = 1e-12)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"element {i}: expected {expected[i]:G17}, got {actual[i]:G17}");
    }

    /// <summary>The repository's root folder (the first folder above the test binaries with scripts/ and src/).</summary>
    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, "scripts")) && Directory.Exists(Path.Combine(d.FullName, "src"))) return d.FullName;
        throw new InvalidOperationException("repository root (with scripts/ and src/) not found above " + AppContext.BaseDirectory);
    }
}
