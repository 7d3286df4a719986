// MODEL.md section 5, prediction 5 ("the same holds at every level of a nested system") on small two-level systems.
using DpsTorch.Measures;
using DpsTorch.IO;
using DpsTorch.Config;
using DpsTorch.Nested;
using DpsTorch.Runs;

namespace DpsTorch.Tests.Nested;

public class NestedPrincipleTests
{
    [Fact]
    public void TwoLevelSystem_OnAMultiPeakDemand_EndsWithOneTypePerPeak_SplitInsideOrAmongTheSubsystems()
    {
        // Under the system objective W is the sum of all leaves, so the optimum does not say where the four types sit:
        // with the search after training (polish, merges) this run converges (loss 5e-12) to four sub-systems of
        // clones, one per peak (within 1.00, among the composites 4.00); Adam alone had stopped at types inside them.
        var c = ConfigLoader.Parse("""
            { "space": { "m": 64 }, "agents": { "count": 16 }, "demand": { "kind": "peaks", "peaks": 4, "width": 0.2 },
              "training": { "steps": 300, "lr": 0.05 },
              "levels": [
                { "size": 4, "topology": { "kind": "complete", "learned": true, "initWeight": 0.1 }, "lambdaC": 0.01 },
                { "size": 4, "topology": { "kind": "complete", "learned": true, "initWeight": 0.1 }, "lambdaC": 0.05 } ] }
            """);
        var m = NestedMeasures.Compute((NestedSystem)Experiment.Run(c, measureRobustness: false).System);
        Assert.True(m.Coverage > 0.95, $"coverage {m.Coverage}");
        var leaves = m.Tiers[0];
        var groups = m.Tiers[1];
        Assert.True(leaves.Among > 3.5, $"heterogeneity among all leaves {leaves.Among}");
        Assert.True(leaves.MeanWithin * groups.Among > 3.5, $"heterogeneity inside the sub-systems {leaves.MeanWithin} × among them {groups.Among}");
    }

    private static NestedMeasureSet TrainWithCrossGroupCost(double lambdaC)
    {
        // Local objective at the top: every group must serve the demand's shape from its neighbourhood. The groups
        // start as specialists on neighbouring arcs ("spread" init on the fixed lattice,
        // one start: the margins below were measured from it); the cross-group links are learned. The margins are
        // those of the first-order phase (300 Adam steps, no search): converged by the polish, the dear design ends
        // at loss 1e-12 by the starved-agent degeneracy of the local objective (MODEL.md section 2: one group holds
        // most of the resource, the others hang on it; within 1.77 against the cheap design's 2.02), so the claim
        // below holds for where Adam stops, not for the optimum (swaps do not change that: measured with 2 passes).
        var c = ConfigLoader.Parse($$"""
            { "space": { "m": 64 }, "agents": { "count": 16, "init": "spread", "spreadTurn": false },
              "demand": { "kind": "peaks", "peaks": 4, "width": 0.2 }, "objective": { "kind": "local" },
              "training": { "steps": 300, "restarts": 1, "lr": 0.05, "schedule": "constant", "polish": 0 },
              "levels": [
                { "size": 4, "topology": { "kind": "complete", "weight": 0.5 } },
                { "size": 4, "topology": { "kind": "complete", "learned": true }, "lambdaC": {{lambdaC}} } ] }
            """);
        return NestedMeasures.Compute((NestedSystem)Experiment.Run(c, measureRobustness: false).System);
    }

    [Fact]
    public void DearerCrossGroupLinks_MoveHeterogeneityInsideTheGroups()
    {
        var cheap = TrainWithCrossGroupCost(0);
        var dear = TrainWithCrossGroupCost(1.0);
        string Show(NestedMeasureSet m) => $"within {m.Tiers[0].MeanWithin:F3}, among groups {m.Tiers[1].Among:F3}, group covers alone {m.Tiers[0].GroupSelfCoverage:F3}, mean cross-group q {m.Tiers[1].MeanEdgeWeight:F3}";
        string both = $"cheap: {Show(cheap)}; dear: {Show(dear)}";
        Assert.True(dear.Tiers[1].MeanEdgeWeight < 0.5 * cheap.Tiers[1].MeanEdgeWeight, both);
        Assert.True(dear.Tiers[0].MeanWithin > cheap.Tiers[0].MeanWithin + 0.4, both);
        Assert.True(dear.Tiers[0].GroupSelfCoverage > cheap.Tiers[0].GroupSelfCoverage + 0.08, both);
        Assert.True(dear.Tiers[1].Among < cheap.Tiers[1].Among - 0.5, both);
    }
}
