// The language-model scaling case (experiments/09-chinchilla) at small size: five replicates of 36 samples with 1%
// noise on ln L recover the published Chinchilla fit (Hoffmann et al. 2022, Approach 3) within the note's tolerances,
// and the compute-optimal exponents a = β/(α+β), b = α/(α+β).
using DpsTorch.Config;
using DpsTorch.Fitting;
using DpsTorch.Sweeps;

namespace DpsTorch.Tests.Fitting;

public class ChinchillaStudyTests
{
    [Fact]
    public void NoisySamples_RecoverThePublishedFit_WithinTheNotesTolerances()
    {
        var c = new CaseConfig { Kind = CaseKind.Chinchilla, Seeds = 5, Points = 6, Noise = 0.01 };
        var reps = ChinchillaStudy.Run(c);
        var e = MeanInterval.Of(reps.Select(r => r.Fit["E"].Estimate));
        var alpha = MeanInterval.Of(reps.Select(r => r.Fit["alpha"].Estimate));
        var beta = MeanInterval.Of(reps.Select(r => r.Fit["beta"].Estimate));
        var a = MeanInterval.Of(reps.Select(r => r.AllocationA));
        Assert.True(Math.Abs(e.Mean - 1.69) <= 0.1, $"E = {e.Text()}");
        Assert.True(Math.Abs(alpha.Mean - 0.34) <= 0.03, $"alpha = {alpha.Text()}");
        Assert.True(Math.Abs(beta.Mean - 0.28) <= 0.04, $"beta = {beta.Text()}");
        Assert.True(Math.Abs(a.Mean - 0.28 / 0.62) <= 0.03, $"a = {a.Text()}");
        foreach (var (m, v) in new[] { (e, 1.69), (alpha, 0.34), (beta, 0.28), (a, 0.28 / 0.62) })
            Assert.True(v >= m.Low && v <= m.High, $"published {v} outside the 95% interval {m.Text()}");
    }

    [Fact]
    public void NoiselessSamples_RecoverTheLawExactly()
    {
        var c = new CaseConfig { Kind = CaseKind.Chinchilla, Points = 5, Noise = 0 };
        var r = ChinchillaStudy.Fit(ChinchillaStudy.Sample(c, 0), 0);
        for (int j = 0; j < 5; j++)
            Assert.True(Math.Abs(r.Fit.Parameters[j].Estimate / ChinchillaLaw.Parameters[j] - 1) < 1e-5, $"{r.Fit.Parameters[j].Name} = {r.Fit.Parameters[j].Estimate}");
    }

    [Fact]
    public void ComputeOptimalAllocation_MinimisesTheLossAtFixedCompute_AndScalesWithTheExponents()
    {
        var (a, b) = ChinchillaLaw.AllocationExponents(0.34, 0.28);
        Assert.Equal(1.0, a + b, 14);
        Assert.Equal(0.4516, a, 4); // Hoffmann et al. Table 2 rounds Approach 3 to a = 0.46, b = 0.54
        const double compute = 5.76e23;
        var (n, d) = ChinchillaLaw.ComputeOptimal(compute, ChinchillaLaw.A, ChinchillaLaw.Alpha, ChinchillaLaw.B, ChinchillaLaw.Beta);
        Assert.Equal(compute, 6 * n * d, compute * 1e-12);
        double best = ChinchillaLaw.Loss(n, d);
        foreach (double f in new[] { 0.8, 0.95, 1.05, 1.25 })
            Assert.True(ChinchillaLaw.Loss(n * f, d / f) > best, $"N·{f} on the same compute has a lower loss");
        var (n10, _) = ChinchillaLaw.ComputeOptimal(10 * compute, ChinchillaLaw.A, ChinchillaLaw.Alpha, ChinchillaLaw.B, ChinchillaLaw.Beta);
        Assert.Equal(a, Math.Log10(n10 / n), 10);
    }
}
