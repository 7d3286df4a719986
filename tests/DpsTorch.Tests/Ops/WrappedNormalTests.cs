namespace DpsTorch.Tests.Ops;

public class WrappedNormalTests
{
    public static TheoryData<double> Sigmas => new() { 0.02, 0.1, 0.3, 0.7, 1.2, 1.77, 2.5, 4.0, 6.0 };

    [Theory, MemberData(nameof(Sigmas))]
    public void Images_And_Fourier_Agree_OverTheCircle(double sigma)
    {
        const double mu = 1.3;
        double peak = WrappedNormal.Density(mu, mu, sigma);
        for (int j = 0; j < 97; j++)
        {
            double x = -0.5 + 2 * Math.PI * j / 96.0 + 1e-3; // slightly beyond one turn, off the peak's grid
            double a = WrappedNormal.Evaluate(x, mu, sigma, WrappedNormalMethod.Images, out var am, out var asg);
            double f = WrappedNormal.Evaluate(x, mu, sigma, WrappedNormalMethod.Fourier, out var fm, out var fsg);
            double scale = Math.Max(1.0, peak);
            Assert.True(Math.Abs(a - f) <= 1e-10 * scale, $"x={x}: images {a:G17}, Fourier {f:G17}");
            Assert.True(Math.Abs(am - fm) <= 1e-10 * scale / (sigma * sigma), $"dMu at x={x}: {am:G17} vs {fm:G17}");
            Assert.True(Math.Abs(asg - fsg) <= 1e-10 * scale / (sigma * sigma), $"dSigma at x={x}: {asg:G17} vs {fsg:G17}");
        }
    }

    [Theory]
    [InlineData(2)]     // σ = 2 grid spacings, the narrowest the model allows
    [InlineData(5)]
    [InlineData(40)]
    [InlineData(300)]
    public void Density_IntegratesToOne_OnTheGrid(double spacings)
    {
        const int m = 256;
        double delta = 2 * Math.PI / m, sigma = spacings * delta;
        foreach (var mu in new[] { 0.0, 0.01, 3.0, 6.2 })
        {
            double sum = 0;
            for (int j = 0; j < m; j++) sum += WrappedNormal.Density(j * delta, mu, sigma);
            Assert.Equal(1.0, sum * delta, 12);
        }
    }

    [Theory, MemberData(nameof(Sigmas))]
    public void Derivatives_MatchFiniteDifferences(double sigma)
    {
        const double h = 1e-6;
        foreach (var method in new[] { WrappedNormalMethod.Images, WrappedNormalMethod.Fourier })
            foreach (var x in new[] { 0.0, 0.9, 1.25, 3.0, 5.5 })
            {
                const double mu = 1.2;
                WrappedNormal.Evaluate(x, mu, sigma, method, out var dMu, out var dSigma);
                double numMu = (WrappedNormal.Density(x, mu + h, sigma, method) - WrappedNormal.Density(x, mu - h, sigma, method)) / (2 * h);
                double hs = h * sigma;
                double numSigma = (WrappedNormal.Density(x, mu, sigma + hs, method) - WrappedNormal.Density(x, mu, sigma - hs, method)) / (2 * hs);
                double scale = Math.Max(1.0, Math.Max(Math.Abs(dMu), Math.Abs(dSigma)));
                Assert.True(Math.Abs(dMu - numMu) <= 1e-6 * scale, $"{method} x={x}: dMu {dMu:G12} vs {numMu:G12}");
                Assert.True(Math.Abs(dSigma - numSigma) <= 1e-6 * scale, $"{method} x={x}: dSigma {dSigma:G12} vs {numSigma:G12}");
            }
    }

    [Fact]
    public void Density_IsPeriodic_AndWrapMapsIntoHalfOpenInterval()
    {
        Assert.Equal(WrappedNormal.Density(0.4, 1.0, 0.5), WrappedNormal.Density(0.4 + 2 * Math.PI, 1.0, 0.5), 13);
        Assert.Equal(WrappedNormal.Density(0.4, 1.0, 0.5), WrappedNormal.Density(0.4, 1.0 - 4 * Math.PI, 0.5), 13);
        Assert.Equal(-Math.PI, WrappedNormal.Wrap(Math.PI), 15);
        Assert.Equal(0.5, WrappedNormal.Wrap(0.5 + 6 * Math.PI), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => WrappedNormal.Density(0, 0, 0));
    }
}
