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

    private static (NestedMeasureSet Measures, ExperimentResult Run) TrainWithCrossGroupCost(double lambdaC)
    {
        // Local objective at the top: every group must serve the demand's shape from its neighbourhood. The groups
        // start as specialists on neighbouring arcs ("spread" init on the fixed lattice); the cross-group links are
        // learned. Resources are fixed and equal (a_i = R/N): under trained resources the "local" objective has the
        // starvation degeneracy of MODEL.md section 2 (one group holds most of the resource and the others hang on it
        // by tiny links), which is why this test ran on the first-order phase alone before nested systems took
        // "fixed-equal". Default training otherwise (restarts, polish, merges, re-seeds). Measured: the cheap design
        // converges at loss 2e-8 with within 2.02, among 2.00, self-coverage 0.50, mean cross-group q 0.89; the dear
        // one at loss 6e-16 with within 4.00, among 1.00, self-coverage 1.00, q 0 (every group serves the demand alone).
        var c = ConfigLoader.Parse($$"""
            { "space": { "m": 64 }, "agents": { "count": 16, "init": "spread", "spreadTurn": false, "resources": "fixed-equal" },
              "demand": { "kind": "peaks", "peaks": 4, "width": 0.2 }, "objective": { "kind": "local" },
              "levels": [
                { "size": 4, "topology": { "kind": "complete", "weight": 0.5 } },
                { "size": 4, "topology": { "kind": "complete", "learned": true }, "lambdaC": {{lambdaC}} } ] }
            """);
        var r = Experiment.Run(c, measureRobustness: false);
        return (NestedMeasures.Compute((NestedSystem)r.System), r);
    }

    [Fact]
    public void DearerCrossGroupLinks_MoveHeterogeneityInsideTheGroups()
    {
        var (cheap, cheapRun) = TrainWithCrossGroupCost(0);
        var (dear, dearRun) = TrainWithCrossGroupCost(1.0);
        string Show(NestedMeasureSet m) => $"within {m.Tiers[0].MeanWithin:F3}, among groups {m.Tiers[1].Among:F3}, group covers alone {m.Tiers[0].GroupSelfCoverage:F3}, mean cross-group q {m.Tiers[1].MeanEdgeWeight:F3}";
        string both = $"cheap: {Show(cheap)}, loss {cheapRun.Loss:G3}; dear: {Show(dear)}, loss {dearRun.Loss:G3}";
        Assert.True(cheapRun.Training.Converged && dearRun.Training.Converged, both);
        Assert.True(dear.Tiers[1].MeanEdgeWeight < 0.5 * cheap.Tiers[1].MeanEdgeWeight, both);
        Assert.True(dear.Tiers[0].MeanWithin > cheap.Tiers[0].MeanWithin + 0.4, both);
        Assert.True(dear.Tiers[0].GroupSelfCoverage > cheap.Tiers[0].GroupSelfCoverage + 0.08, both);
        Assert.True(dear.Tiers[1].Among < cheap.Tiers[1].Among - 0.5, both);
        // The dear optimum: every group serves the whole demand alone, one leaf per peak.
        Assert.True(dearRun.Loss <= 1e-10, both);
        Assert.True(dear.Tiers[0].GroupSelfCoverage > 0.99, both);
    }
}
