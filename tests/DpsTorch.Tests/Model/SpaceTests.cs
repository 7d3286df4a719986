using DpsTorch.Model;

namespace DpsTorch.Tests.Model;

public class SpaceTests
{
    [Fact]
    public void Space_Grid_IsEvenlySpacedFromZero_WithDeltaTwoPiOverM()
    {
        var s = new Space(8);
        Assert.Equal(8, s.M);
        Assert.Equal(2 * Math.PI / 8, s.Delta, 15);
        Assert.Equal(8, s.Grid.Length);
        for (int m = 0; m < 8; m++) Assert.Equal(2 * Math.PI * m / 8, s.Grid[m], 14);
        Assert.Equal(Space.DefaultM, new Space().M);
    }

    [Fact]
    public void Space_Integrate_IsDeltaWeightedSum()
    {
        var s = new Space(16);
        var ones = new double[16];
        Array.Fill(ones, 1.0);
        Assert.Equal(2 * Math.PI, s.Integrate(ones), 12);
        var cos = new double[16];
        for (int m = 0; m < 16; m++) cos[m] = Math.Cos(s.Grid[m]);
        Assert.Equal(0.0, s.Integrate(cos), 12);
        Assert.Throws<ArgumentException>(() => s.Integrate(new double[15]));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    [InlineData(-5)]
    public void Space_RejectsFewerThanThreePoints(int m)
    {
        var ex = Assert.Throws<ArgumentException>(() => new Space(m));
        Assert.Contains($"m = {m}", ex.Message);
    }
}
