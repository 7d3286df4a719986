using DpsTorch.Measures;

namespace DpsTorch.Tests.Measures;

public class SpecializationTests
{
    [Fact]
    public void Specialization_IsMeanResultantLength()
    {
        Assert.Equal(Math.Exp(-0.5), Specialization.Of(1.0), 15);
        Assert.True(Specialization.Of(1e-4) > 0.99999999);
        Assert.True(Specialization.Of(5.0) < 1e-5);
        TestUtil.AssertClose([Math.Exp(-0.125), Math.Exp(-2)], Specialization.PerAgent([0.5, 2.0]), 1e-15);
    }

    [Fact]
    public void SystemSpecialization_IsResourceWeightedMean()
    {
        Assert.Equal((Math.Exp(-0.125) + 3 * Math.Exp(-2)) / 4, Specialization.OfSystem([0.5, 2.0], [1, 3]), 15);
        Assert.Equal(Math.Exp(-0.125), Specialization.OfSystem([0.5, 2.0], [1, 0]), 15);
        Assert.Throws<ArgumentException>(() => Specialization.OfSystem([0.5, 2.0], [0, 0]));
        Assert.Contains("sigmas[1]", Assert.Throws<ArgumentException>(() => Specialization.PerAgent([0.5, -1])).Message);
    }
}
