using DpsTorch.Measures;
using DpsTorch.Model;

namespace DpsTorch.Tests.Measures;

public class ProductivityTests
{
    private static readonly Space S4 = new(4); // Δ = π/2
    private static readonly double[] W = [1, 2, 0, 3], D = [2, 1, 1, 1]; // min(W, D) = [1, 1, 0, 1]

    [Fact]
    public void Productivity_EffectiveAndTotal_OnHandMadeProfiles()
    {
        Assert.Equal(3 * Math.PI / 2, Productivity.Effective(S4, W, D), 14);
        Assert.Equal(3 * Math.PI, Productivity.Total(S4, W), 14);
    }

    [Fact]
    public void Coverage_IsMetDemandOverDemand()
    {
        Assert.Equal(3.0 / 5.0, Productivity.Coverage(S4, W, D), 14);
        Assert.Equal(1.0, Productivity.Coverage(S4, [5, 5, 5, 5], D), 14);
        Assert.Equal(0.0, Productivity.Coverage(S4, [0, 0, 0, 0], D), 14);
        Assert.Throws<ArgumentException>(() => Productivity.Coverage(S4, W, [0, 0, 0, 0]));
        Assert.Throws<ArgumentException>(() => Productivity.Coverage(S4, W, [1, 1, 1]));
    }

    [Fact]
    public void Efficiency_DividesByResourceAndWeightedCommunicationCost()
    {
        Assert.Equal(3 * Math.PI / 8, Productivity.Efficiency(S4, W, D, totalResource: 2, communicationCost: 4, lambdaC: 0.5), 14);
        Assert.Equal(3 * Math.PI / 4, Productivity.Efficiency(S4, W, D, totalResource: 2, communicationCost: 4), 14);
        Assert.Throws<ArgumentException>(() => Productivity.Efficiency(S4, W, D, totalResource: 0));
        Assert.Throws<ArgumentException>(() => Productivity.Efficiency(S4, W, D, totalResource: 1, lambdaC: -1));
    }

    [Fact]
    public void CoverageAndEfficiency_IgnoreOverProduction_WhichOnlyTotalProductionShows()
    {
        // MODEL.md section 3 by definition (docs/CONFIG.md, after the complete example): three times the demand
        // everywhere meets all of it, so coverage is 1, and with ∫D = Σa efficiency is 1 too; ∫W is three times ∫D.
        double[] demand = [2, 1, 1, 1], triple = [.. demand.Select(d => 3 * d)];
        double mass = Productivity.Total(S4, demand);
        Assert.Equal(1.0, Productivity.Coverage(S4, triple, demand), 14);
        Assert.Equal(1.0, Productivity.Efficiency(S4, triple, demand, totalResource: mass), 14);
        Assert.Equal(3 * mass, Productivity.Total(S4, triple), 12);
    }

    [Fact]
    public void CommunicationCost_SumsWeightTimesDistanceToGamma()
    {
        var ringEmbedding = Embedding.RingPositions(4);
        Assert.Equal(6.0, CommunicationCost.Compute(TopologyGenerators.Ring(6, 1), Embedding.RingPositions(6)));
        // Complete(4) on a ring of 4: four pairs at distance 1, two at distance 2.
        Assert.Equal(8.0, CommunicationCost.Compute(TopologyGenerators.Complete(4), ringEmbedding));
        Assert.Equal(12.0, CommunicationCost.Compute(TopologyGenerators.Complete(4), ringEmbedding, gamma: 2));
        Assert.Equal(6.0, CommunicationCost.Compute(TopologyGenerators.Complete(4), ringEmbedding, gamma: 0));
        var weighted = new Topology(4, [new(0, 2, 0.5), new(1, 2, 2)]);
        Assert.Equal(0.5 * 2 + 2 * 1, CommunicationCost.Compute(weighted, ringEmbedding));
        Assert.Equal(CommunicationCost.Compute(weighted, ringEmbedding, 1.5), CommunicationCost.Compute(weighted.ToDense(), ringEmbedding, 1.5), 14);
        Assert.Throws<ArgumentException>(() => CommunicationCost.Compute(weighted, Embedding.RingPositions(5)));
        Assert.Throws<ArgumentException>(() => CommunicationCost.Compute(weighted, ringEmbedding, -1));
    }
}
