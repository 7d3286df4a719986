// The efficiencies of a nested system (top level and per level) on constructed cases whose values are known in closed
// form, and a flat system measured as one level gives the flat efficiencies.
using DpsTorch.Config;
using DpsTorch.Measures;
using DpsTorch.Model;
using DpsTorch.Nested;

namespace DpsTorch.Tests.Measures;

public class NestedMeasuresTests
{
    // Two levels of fixed weights: pairs linked by q0 = 0.3, two pairs linked by q1 = 0.5 (direct propagation), so
    // W = (1 + q1)(1 + q0) Σ_i w_i. The uniform demand is so large that every unit produced meets demand (∫min(W, D) = ∫W).
    private const string TwoLevels = """
        { "space": { "m": 64 }, "agents": { "count": 4, "init": "random", "initSigma": 0.6 },
          "demand": { "kind": "uniform", "mass": 1e6 },
          "levels": [ { "size": 2, "topology": { "kind": "complete", "weight": 0.3 }, "lambdaC": 0.1 },
                      { "size": 2, "topology": { "kind": "complete", "weight": 0.5 }, "lambdaC": 0.2 } ] }
        """;

    [Fact]
    public void TwoFixedLevels_UnderALargeDemand_HaveTheClosedFormEfficiencies()
    {
        var system = NestedBuilder.Create(ConfigLoader.Parse(TwoLevels));
        var m = NestedMeasures.Compute(system);
        double q0 = 0.3, q1 = 0.5, budget = 4;
        using var _ = TensorEngine.NoGrad();
        // ∫Σ_i w_i = Σ_i a_i ∫s_i; each s_i integrates to 1 on the grid up to the wrapped normal's truncation.
        double leaves = system.Space.Integrate(system.LeafProduction().Sum(0).ToArray());
        Assert.Equal(budget, leaves, 10);
        // Per level: the output per unit of the members' output is 1 + q (each member has one neighbour of weight q).
        Assert.Equal(1 + q0, m.Tiers[0].Amplification!.Value, 12);
        Assert.Equal(1 + q1, m.Tiers[1].Amplification!.Value, 12);
        // Top level: every unit produced meets demand, so utilisation is 1 and met demand per resource is the amplification.
        var e = m.Efficiencies;
        Assert.Equal((1 + q0) * (1 + q1), e.Amplification, 10);
        Assert.Equal(1.0, e.Utilisation, 12);
        Assert.Equal(e.Amplification, e.ResourceEfficiency, 12);
        // What each level's links add: without level 0's links W = (1 + q1)Σw, without level 1's W = (1 + q0)Σw.
        double c0 = m.Tiers[0].CommunicationCost, c1 = m.Tiers[1].CommunicationCost;
        Assert.True(c0 > 0 && c1 > 0, $"C_0 = {c0}, C_1 = {c1}");
        Assert.Equal(q0 * (1 + q1) * leaves / c0, m.Tiers[0].CommunicationEfficiency!.Value, 8);
        Assert.Equal(q1 * (1 + q0) * leaves / c1, m.Tiers[1].CommunicationEfficiency!.Value, 8);
        // All links together add ((1 + q0)(1 + q1) − 1)Σw for C_0 + C_1.
        Assert.Equal(((1 + q0) * (1 + q1) - 1) * leaves / (c0 + c1), e.CommunicationEfficiency, 8);
    }

    [Fact]
    public void ALevelWithoutLinks_HasAmplificationOne_AndNoCommunicationEfficiency()
    {
        var system = NestedBuilder.Create(ConfigLoader.Parse(TwoLevels.Replace("""{ "kind": "complete", "weight": 0.5 }""", """{ "kind": "none" }""")));
        var m = NestedMeasures.Compute(system);
        Assert.Equal(1.0, m.Tiers[1].Amplification!.Value, 12);
        Assert.Equal(0.0, m.Tiers[1].CommunicationCost);
        Assert.Null(m.Tiers[1].CommunicationEfficiency);
        Assert.Equal(1.3, m.Efficiencies.Amplification, 10);
    }

    [Fact]
    public void AFlatSystem_MeasuredAsOneLevel_HasTheFlatEfficiencies()
    {
        const string flat = """
            { "space": { "m": 32 }, "agents": { "count": 5, "init": "random" }, "demand": { "kind": "peaks", "peaks": 2, "width": 0.4 },
              "topology": { "kind": "ring", "k": 1, "weight": 0.4 } }
            """;
        const string levels = """
            { "space": { "m": 32 }, "agents": { "count": 5, "init": "random" }, "demand": { "kind": "peaks", "peaks": 2, "width": 0.4 },
              "levels": [ { "size": 5, "topology": { "kind": "ring", "k": 1, "weight": 0.4 } } ] }
            """;
        var f = SystemMeasures.Compute(SystemBuilder.Create(ConfigLoader.Parse(flat)), null, 0).Efficiencies;
        var n = NestedMeasures.Compute(NestedBuilder.Create(ConfigLoader.Parse(levels))).Efficiencies;
        Assert.Equal(f.ResourceEfficiency, n.ResourceEfficiency, 12);
        Assert.Equal(f.Amplification, n.Amplification, 12);
        Assert.Equal(f.Utilisation, n.Utilisation, 12);
        Assert.Equal(f.CommunicationEfficiency, n.CommunicationEfficiency, 10);
        Assert.True(f.Utilisation < 1, "the peaked demand leaves some output idle, so the case tells utilisation apart");
    }
}
