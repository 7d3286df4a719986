using DpsTorch.Measures;
using DpsTorch.Model;

namespace DpsTorch.Tests.Measures;

public class HeterogeneityTests
{
    private static readonly double[] Orders = [0, 0.5, 1, 2, 3, double.PositiveInfinity];

    [Fact]
    public void Heterogeneity_IsOne_ForIdenticalAgents()
    {
        double[] mus = [1.3, 1.3, 1.3, 1.3, 1.3], sigmas = [0.4, 0.4, 0.4, 0.4, 0.4], a = [0.1, 2, 1, 0.7, 3];
        foreach (var q in Orders)
            Assert.True(Math.Abs(Heterogeneity.Of(mus, sigmas, a, q) - 1.0) < 1e-9, $"q = {q}");
    }

    [Fact]
    public void Heterogeneity_IsN_ForFarApartNarrowAgentsOfEqualWeight()
    {
        int n = 6;
        var mus = Enumerable.Range(0, n).Select(i => 2 * Math.PI * i / n).ToArray();
        var sigmas = Enumerable.Repeat(0.01, n).ToArray();
        var a = Enumerable.Repeat(2.0, n).ToArray();
        foreach (var q in Orders)
            Assert.True(Math.Abs(Heterogeneity.Of(mus, sigmas, a, q) - n) < 1e-9, $"q = {q}: {Heterogeneity.Of(mus, sigmas, a, q)}");
    }

    [Fact]
    public void Heterogeneity_IsTwo_ForTwoGroupsOfIdenticalAgents_WithEqualGroupWeight()
    {
        double[] mus = [0, 0, 0, Math.PI, Math.PI], sigmas = [0.05, 0.05, 0.05, 0.05, 0.05];
        double[] a = [1.0 / 3, 1.0 / 3, 1.0 / 3, 0.5, 0.5];
        foreach (var q in Orders)
            Assert.True(Math.Abs(Heterogeneity.Of(mus, sigmas, a, q) - 2.0) < 1e-9, $"q = {q}");
    }

    [Fact]
    public void Hill_WithIdentitySimilarity_IsTheClassicalHillNumber()
    {
        double[] p = [0.5, 0.25, 0.25], eye = [1, 0, 0, 0, 1, 0, 0, 0, 1];
        Assert.Equal(3.0, Heterogeneity.Hill(p, eye, 0), 12);
        Assert.Equal(Math.Pow(2, 1.5), Heterogeneity.Hill(p, eye, 1), 12);
        Assert.Equal(1 / 0.375, Heterogeneity.Hill(p, eye, 2), 12);
        Assert.Equal(2.0, Heterogeneity.Hill(p, eye, double.PositiveInfinity), 12);
        Assert.Equal(2.0 / 1.5, Heterogeneity.Hill([1, 1], [1, 0.5, 0.5, 1], 1), 12); // (Zp)_i = 0.75
        // q → 1 from both sides approaches the q = 1 limit.
        Assert.Equal(Heterogeneity.Hill(p, eye, 1), Heterogeneity.Hill(p, eye, 1 + 1e-7), 6);
        Assert.Equal(Heterogeneity.Hill(p, eye, 1), Heterogeneity.Hill(p, eye, 1 - 1e-7), 6);
    }

    [Fact]
    public void Hill_IsNonIncreasingInQ()
    {
        var rng = new Random(11);
        for (int trial = 0; trial < 5; trial++)
        {
            int n = 8;
            var mus = Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 * Math.PI).ToArray();
            var sigmas = Enumerable.Range(0, n).Select(_ => 0.05 + rng.NextDouble()).ToArray();
            var a = Enumerable.Range(0, n).Select(_ => rng.NextDouble()).ToArray();
            var z = Heterogeneity.Similarity(mus, sigmas);
            double previous = double.PositiveInfinity;
            foreach (var q in new[] { 0, 0.25, 0.5, 0.9, 1, 1.1, 1.5, 2, 3, 5, 10, double.PositiveInfinity })
            {
                double d = Heterogeneity.Hill(a, z, q);
                Assert.True(d <= previous + 1e-12, $"trial {trial}: D({q}) = {d} > {previous}");
                Assert.True(d >= 1 - 1e-12 && d <= n + 1e-12);
                previous = d;
            }
        }
    }

    [Fact]
    public void Hill_ExcludesAgentsOfZeroWeight()
    {
        double[] mus = [0, 2, 4], sigmas = [0.3, 0.3, 0.3];
        var z = Heterogeneity.Similarity(mus, sigmas);
        var sub = Heterogeneity.Similarity(mus[..2], sigmas[..2]);
        foreach (var q in Orders)
            Assert.Equal(Heterogeneity.Hill([1, 3], sub, q), Heterogeneity.Hill([1, 3, 0], z, q), 12);
    }

    [Fact]
    public void Similarity_IsSymmetric_WithUnitDiagonal_AndMatchesGridOverlap()
    {
        var space = new Space(256);
        double[] mus = [0.1, 1.0, 2.5, 4.0, 6.0], sigmas = [0.2, 0.5, 1.0, 0.35, 0.8];
        int n = mus.Length, m = space.M;
        var z = Heterogeneity.Similarity(mus, sigmas);
        var densities = new double[n * m];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < m; k++) densities[i * m + k] = WrappedNormal.Density(space.Grid[k], mus[i], sigmas[i]);
        var zGrid = Heterogeneity.SimilarityFromDensities(densities, m, space.Delta);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(1.0, z[i * n + i]);
            Assert.Equal(1.0, zGrid[i * n + i]);
            for (int j = 0; j < n; j++)
            {
                Assert.Equal(z[i * n + j], z[j * n + i]);
                Assert.InRange(z[i * n + j], 0.0, 1.0);
                Assert.True(Math.Abs(z[i * n + j] - zGrid[i * n + j]) < 1e-9, $"Z[{i},{j}]: closed {z[i * n + j]}, grid {zGrid[i * n + j]}");
            }
        }
        Assert.True(z[0 * n + 1] > z[0 * n + 2]); // nearer agents are more alike
    }

    [Fact]
    public void Heterogeneity_RejectsBadInput()
    {
        Assert.Contains("q", Assert.Throws<ArgumentException>(() => Heterogeneity.Hill([1, 1], [1, 0, 0, 1], -1)).Message);
        Assert.Throws<ArgumentException>(() => Heterogeneity.Hill([0, 0], [1, 0, 0, 1], 1));
        Assert.Throws<ArgumentException>(() => Heterogeneity.Hill([1, -1], [1, 0, 0, 1], 1));
        Assert.Throws<ArgumentException>(() => Heterogeneity.Hill([1, 1], [1, 0, 0], 1));
        Assert.Contains("sigmas[1]", Assert.Throws<ArgumentException>(() => Heterogeneity.Similarity([0, 1], [0.1, 0])).Message);
        Assert.Contains("row 1", Assert.Throws<ArgumentException>(() => Heterogeneity.SimilarityFromDensities([1, 1, 0, 0], 2, 0.1)).Message);
    }

    [Fact]
    public void Distinct_IsTheHillNumberWithoutSimilarity()
    {
        Assert.Equal(4, Heterogeneity.Distinct([1, 1, 1, 1]), 12);
        Assert.Equal(2, Heterogeneity.Distinct([1, 1, 0], 2), 12); // a zero weight is not held
        double shannon = Math.Exp(-(0.75 * Math.Log(0.75) + 0.25 * Math.Log(0.25)));
        Assert.Equal(shannon, Heterogeneity.Distinct([3, 1]), 12);
    }
}
