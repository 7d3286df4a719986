using DpsTorch.Measures;
using DpsTorch.Model;

namespace DpsTorch.Tests.Measures;

public class LocalHeterogeneitySampledTests
{
    private static (double[] Mu, double[] Sigma, double[] W) Agents(int n, int seed)
    {
        var rng = new Random(seed);
        var mu = Enumerable.Range(0, n).Select(_ => 2 * Math.PI * rng.NextDouble()).ToArray();
        var sigma = Enumerable.Range(0, n).Select(_ => 0.05 + 0.5 * rng.NextDouble()).ToArray();
        var w = Enumerable.Range(0, n).Select(_ => rng.NextDouble()).ToArray();
        return (mu, sigma, w);
    }

    [Fact]
    public void SampledProfile_OverAllAgents_EqualsTheExactProfile()
    {
        int n = 200;
        var (mu, sigma, w) = Agents(n, 3);
        w[17] = 0; // a zero-weight agent is skipped as in the matrix version
        var g = TopologyGenerators.WattsStrogatz(n, 2, 0.1, 4);
        var exact = LocalHeterogeneity.Profile(g, w, Heterogeneity.Similarity(mu, sigma), 6);
        var all = LocalHeterogeneity.SampledProfile(g, w, mu, sigma, 6, 1.0, Enumerable.Range(0, n).ToArray());
        for (int r = 0; r < exact.Length; r++) Assert.Equal(exact[r], all[r], 10);
    }

    [Fact]
    public void Profile_AboveTheThreshold_IsTheSampleMean_WithinItsStandardError()
    {
        int n = LocalHeterogeneity.SampleAbove + 904; // 5000
        var (mu, sigma, w) = Agents(n, 5);
        var g = TopologyGenerators.Ring(n, 2);
        var sampled = LocalHeterogeneity.Profile(g, w, mu, sigma, 3);
        var full = LocalHeterogeneity.SampledProfile(g, w, mu, sigma, 3, 1.0, Enumerable.Range(0, n).ToArray());
        Assert.Equal(1.0, sampled[0], 12);
        for (int r = 1; r < full.Length; r++)
        {
            // Spread of the neighbourhood values is below the profile itself; the sample of 1024 (of 5000, without
            // replacement) has a standard error under full[r] / 32: allow four of them.
            Assert.True(Math.Abs(sampled[r] - full[r]) <= 4 * full[r] / 32, $"r = {r}: {sampled[r]} vs {full[r]}");
            Assert.NotEqual(full[r], sampled[r]); // it is a sample, not the full mean
        }
        Assert.Equal(LocalHeterogeneity.SampleSize, LocalHeterogeneity.Sample(n).Distinct().Count());
    }
}
