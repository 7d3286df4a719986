using DpsTorch.Measures;

namespace DpsTorch.Tests.Measures;

/// <summary>Hill numbers and pair similarity without the N×N matrix (above Heterogeneity.ExactMaxN agents).</summary>
public class HeterogeneityLargeNTests
{
    private static (double[] Mu, double[] Sigma, double[] A) Agents(int n, int seed, double sigmaLo, double sigmaHi)
    {
        var rng = new Random(seed);
        var mu = new double[n];
        var sigma = new double[n];
        var a = new double[n];
        for (int i = 0; i < n; i++)
        {
            mu[i] = 2 * Math.PI * rng.NextDouble() - 1.0; // outside [0, 2π) too
            sigma[i] = sigmaLo + (sigmaHi - sigmaLo) * rng.NextDouble();
            a[i] = rng.NextDouble();
        }
        return (mu, sigma, a);
    }

    [Theory]
    [InlineData(0.02, 0.05)]   // narrow: hundreds of modes
    [InlineData(0.3, 3.0)]     // broad: a few modes, Fourier-form overlaps
    public void SimilarityTimes_EqualsTheMatrixProduct(double sigmaLo, double sigmaHi)
    {
        var (mu, sigma, a) = Agents(300, 1, sigmaLo, sigmaHi);
        var z = Heterogeneity.Similarity(mu, sigma);
        var fast = Heterogeneity.SimilarityTimes(mu, sigma, a);
        for (int i = 0; i < mu.Length; i++)
        {
            double exact = 0;
            for (int j = 0; j < mu.Length; j++) exact += z[i * mu.Length + j] * a[j];
            Assert.True(Math.Abs(fast[i] - exact) <= 1e-10 * exact, $"i = {i}: {fast[i]} vs {exact}");
        }
    }

    [Fact]
    public void Orders_AboveExactMaxN_MatchPairwiseSums()
    {
        int n = Heterogeneity.ExactMaxN + 1;
        var (mu, sigma, a) = Agents(n, 2, 0.2, 1.0);
        double total = a.Sum();
        var p = a.Select(v => v / total).ToArray();
        var zp = new double[n];
        double pairSum = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double zij = i == j ? 1 : Heterogeneity.Pair(mu[i], sigma[i], mu[j], sigma[j]);
                zp[i] += zij * p[j];
                if (i != j) pairSum += zij;
            }
        var orders = Heterogeneity.Orders(mu, sigma, a);
        for (int k = 0; k < orders.Length; k++)
        {
            double exact = Heterogeneity.HillFromZp(p, zp, Heterogeneity.ReportedOrders[k]);
            Assert.True(Math.Abs(orders[k] - exact) <= 1e-10 * exact, $"q = {Heterogeneity.ReportedOrders[k]}: {orders[k]} vs {exact}");
        }
        Assert.Equal(orders[1], Heterogeneity.Of(mu, sigma, a), 12);
        Assert.Equal(pairSum / (n * (n - 1.0)), Heterogeneity.MeanPairSimilarity(mu, sigma), 10);
    }

    [Fact]
    public void Of_FiftyThousandAgents_NeedsNoMatrix()
    {
        // N = 50,000 overflowed int in n*n (the issue); now O(N·K): identical agents are one type, two far groups two.
        int n = 50_000;
        var mu = new double[n];
        var sigma = Enumerable.Repeat(0.05, n).ToArray();
        var a = Enumerable.Repeat(1.0, n).ToArray();
        Assert.Equal(1.0, Heterogeneity.Of(mu, sigma, a), 9);
        for (int i = 0; i < n; i += 2) mu[i] = Math.PI;
        Assert.Equal(2.0, Heterogeneity.Of(mu, sigma, a), 9);
        Assert.Throws<ArgumentException>(() => Heterogeneity.Similarity(mu, sigma));
    }
}
