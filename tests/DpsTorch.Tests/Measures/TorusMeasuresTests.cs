using DpsTorch.Measures;
using DpsTorch.Model;
using DpsTorch.Ops;

namespace DpsTorch.Tests.Measures;

/// <summary>Heterogeneity, type count and specialisation of product wrapped normals on T^d.</summary>
public class TorusMeasuresTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void ClosedFormSimilarity_EqualsTheOverlapOnTheGrid(int d)
    {
        var space = new Space(d == 2 ? 64 : 24, d);
        int n = 4;
        var rng = new Random(3);
        var mu = Enumerable.Range(0, n * d).Select(_ => 2 * Math.PI * rng.NextDouble()).ToArray();
        var sigma = Enumerable.Range(0, n * d).Select(k => 0.5 + 0.2 * (k % 3)).ToArray();
        var closed = Heterogeneity.Similarity(mu, sigma, d);
        double[] dens;
        using (TensorEngine.NoGrad()) dens = DpsKernels.ProductWrappedNormalDensity(Tensor.FromArray(mu), Tensor.FromArray(sigma), null, space.Grid.ToArray(), d).ToArray();
        var grid = Heterogeneity.SimilarityFromDensities(dens, space.Points, space.Delta);
        TestUtil.AssertClose(grid, closed, 1e-9);
        // The Hill numbers of the two agree too.
        double[] a = [1, 2, 1, 0.5];
        Assert.Equal(Heterogeneity.Hill(a, grid), Heterogeneity.Hill(a, closed), 9);
    }

    [Fact]
    public void OnT1_TheTorusOverloadsAreTheCircleOnes()
    {
        double[] mu = [0.2, 1.5, 4.0], sigma = [0.3, 0.5, 0.2], a = [1, 1, 2];
        Assert.Equal(Heterogeneity.Similarity(mu, sigma), Heterogeneity.Similarity(mu, sigma, 1));
        Assert.Equal(TypeCount.Of(mu, sigma, a), TypeCount.Of(mu, sigma, a, 1));
        Assert.Equal(Specialization.OfSystem(sigma, a), Specialization.OfSystem(sigma, a, 1));
    }

    [Fact]
    public void TypeCount_OnT2_CountsSeparatedClustersAndJoinsOverlappingAgents()
    {
        // Four clusters of two near-clones each, at the corners of a 2x2 lattice: 4 types; eight distinct agents by Hill.
        var mu = new List<double>();
        foreach (var (x, y) in new[] { (0.0, 0.0), (Math.PI, 0.0), (0.0, Math.PI), (Math.PI, Math.PI) })
            mu.AddRange([x, y, x + 0.05, y - 0.05]);
        var sigma = Enumerable.Repeat(0.3, 16).ToArray();
        var a = Enumerable.Repeat(1.0, 8).ToArray();
        Assert.Equal(4, TypeCount.Of(mu, sigma, a, 2), 9);
        Assert.InRange(Heterogeneity.Hill(a, Heterogeneity.Similarity([.. mu], sigma, 2)), 3.9, 4.3);
        // Far apart on one axis only is still another type.
        Assert.Equal(2, TypeCount.Of([0.0, 0.0, 0.0, Math.PI], [0.3, 0.3, 0.3, 0.3], [1.0, 1.0], 2), 9);
    }

    [Fact]
    public void Specialization_OnT2_IsTheGeometricMeanOverTheAxes()
    {
        Assert.Equal(Math.Exp(-0.5 * 0.4 * 0.4), Specialization.OfSystem([0.4, 0.4], [1.0], 2), 14);
        Assert.Equal(Math.Exp(-(0.2 * 0.2 + 1.0) / 4), Specialization.OfSystem([0.2, 1.0], [3.0], 2), 14);
    }
}

public class TorusTypeCountStarvedTests
{
    [Fact]
    public void TypeCount_OnT2_AStarvedBroadAgentDoesNotChainTheTypes()
    {
        // Two specialists far apart and a broad agent between them with no resource: two types, not one.
        double[] mu = [0.0, 0.0, Math.PI, Math.PI, Math.PI / 2, Math.PI / 2], sigma = [0.3, 0.3, 0.3, 0.3, 2.0, 2.0];
        Assert.Equal(2, TypeCount.Of(mu, sigma, [1.0, 1.0, 0.0], 2), 9);
        Assert.Equal(1, TypeCount.Of(mu, sigma, [1.0, 1.0, 0.5], 2), 9);
    }
}
