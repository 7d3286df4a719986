using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.Tests.Model;

public class SystemBuilderEmbeddingTests
{
    [Fact]
    public void GivenCoordinates_SetTheEdgeCosts_AsEuclideanDistancesToTheGamma()
    {
        // Five agents on a ring graph (k = 1): four at the corners of a 3 × 4 rectangle, one on its left side.
        var c = ConfigLoader.Parse("""
            { "agents": { "count": 5 }, "topology": { "kind": "ring", "k": 1, "embedding": "coordinates", "gamma": 2,
              "coordinates": [0, 0,  3, 0,  3, 4,  0, 4,  0, 2] } }
            """);
        var g = SystemBuilder.Graph(c);
        var cost = SystemBuilder.EdgeCosts(c, g);
        double[,] xy = { { 0, 0 }, { 3, 0 }, { 3, 4 }, { 0, 4 }, { 0, 2 } };
        for (int e = 0; e < g.EdgeCount; e++)
        {
            var (i, j, _) = g.Edges[e];
            double dx = xy[i, 0] - xy[j, 0], dy = xy[i, 1] - xy[j, 1];
            Assert.Equal(dx * dx + dy * dy, cost[e], 12);
        }
    }

    [Theory]
    [InlineData("""{ "agents": { "count": 5 }, "topology": { "embedding": "coordinates" } }""")]
    [InlineData("""{ "agents": { "count": 5 }, "topology": { "embedding": "coordinates", "coordinates": [1, 2, 3] } }""")]
    public void CoordinatesEmbedding_WithoutNdNumbers_IsRefused_NamingTheKey(string json)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(json));
        Assert.StartsWith("topology.coordinates", ex.Message);
        Assert.Contains("N = agents.count = 5", ex.Message);
    }
}
