// The search after training for nested systems (issue 13 on issue 12's one pipeline): the polish, the swaps and the
// merges per level through Refinement.Run, a nested reference optimum that training from default settings reaches,
// and the keys a nested system cannot honour refused in one line.
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Measures;
using DpsTorch.Model;
using DpsTorch.Model.Search;
using DpsTorch.Nested;
using DpsTorch.Runs;

namespace DpsTorch.Tests.Model.Search;

public class NestedSearchTests
{
    private const double Width = 0.2;

    /// <summary>
    /// Two sub-systems of 6 leaves under one top level, no edges; the top demand is 3 equal peaks (width 0.2, mass R)
    /// and every sub-system must serve the same 3 peaks with half the mass (a level demand of weight 1).
    /// </summary>
    private static DpsConfig SharedPeaks(string training = "") => ConfigLoader.Parse($$"""
        { "space": { "m": 128 }, "agents": { "count": 12 }, "demand": { "kind": "peaks", "peaks": 3, "width": {{Width}} },
          "training": { "seed": 3 {{training}} },
          "measures": { "resilienceSteps": 0, "fractions": [0, 1], "seeds": 1 },
          "levels": [ { "size": 6, "topology": { "kind": "none" }, "demand": { "kind": "peaks", "peaks": 3, "width": {{Width}} }, "demandWeight": 1 },
                      { "size": 2, "topology": { "kind": "none" } } ] }
        """);

    /// <summary>
    /// The optimum of <see cref="SharedPeaks"/>: in each sub-system two leaves at each centre with σ = the width and
    /// resource R/6 each, so each sub-system's production is its local demand exactly and W = D (loss 0): three leaf
    /// types, and two composites that are alike (each serves the whole demand).
    /// </summary>
    private static void WriteOptimum(NestedSystem s)
    {
        var centers = ReferenceStates.EvenCenters(3);
        for (int i = 0; i < s.N; i++)
        {
            s.Mu[i] = centers[i % 3];
            s.Rho[i] = Initialization.SoftplusInverse(Width - s.SigmaMin);
            s.Alpha[i] = 0;
        }
    }

    [Fact]
    public void ReferenceOptimum_HasLossZero_ThreeLeafTypes_AndAlikeComposites()
    {
        var s = NestedBuilder.Create(SharedPeaks());
        WriteOptimum(s);
        var m = NestedMeasures.Compute(s);
        Assert.True(m.Loss < 1e-20, $"loss {m.Loss:G3}");
        Assert.Equal(3, m.Tiers[0].Types, 6);
        Assert.Equal(1, m.Tiers[1].Types, 6);
        Assert.Equal(1, m.Tiers[1].Among, 6);
    }

    [Fact]
    public void TrainingFromDefaults_ReachesTheNestedReferenceOptimum_Converged()
    {
        // Default training settings (steps, restarts, starts, polish, merges); the stated tolerance: loss ≤ 1e-10
        // (the optimum's is 0), three leaf types within 0.01, the composites alike.
        var r = Experiment.Run(SharedPeaks(), measureRobustness: false);
        Assert.True(r.Training.Converged, $"gradient {r.Training.GradientNorm:G3}, stopped by {r.Training.Reason}");
        Assert.True(r.Loss <= 1e-10, $"loss {r.Loss:G3}");
        Assert.Equal(3, r.LevelMeasures!.Tiers[0].Types, 2);
        Assert.InRange(r.LevelMeasures.Tiers[1].Among, 1, 1.01);
    }

    private static DpsConfig Unpolished(int? polish) => ConfigLoader.Parse($$"""
        { "space": { "m": 64 }, "agents": { "count": 8, "init": "random" }, "demand": { "kind": "peaks", "peaks": 2, "width": 0.3 },
          "objective": { "kind": "local" },
          "training": { "steps": 150, "restarts": 1 {{(polish is { } p ? $", \"polish\": {p}" : "")}} },
          "measures": { "resilienceSteps": 0, "fractions": [0, 1], "seeds": 1 },
          "levels": [ { "size": 4, "topology": { "kind": "ring", "k": 1, "learned": true }, "lambdaC": 0.01 },
                      { "size": 2, "topology": { "kind": "complete", "weight": 0.2 } } ] }
        """);

    [Fact]
    public void Polish_LowersANestedRunsGradient_ToTheGradientTest()
    {
        var before = Experiment.Run(Unpolished(0), measureRobustness: false);
        var after = Experiment.Run(Unpolished(null), measureRobustness: false);
        var tolerance = after.Config.Training.GradTolerance;
        Assert.False(before.Training.Converged, $"150 Adam steps already pass: gradient {before.Training.GradientNorm:G3}");
        Assert.True(before.Training.GradientNorm > tolerance);
        Assert.True(after.Training.Converged, $"gradient {after.Training.GradientNorm:G3} after the polish");
        Assert.True(after.Training.GradientNorm <= tolerance);
        Assert.Equal(StopReason.Gradient, after.Training.Reason);
        Assert.True(after.Loss <= before.Loss);
        Assert.True(after.Training.Steps > before.Training.Steps); // the polish's iterations are counted

        var summary = NestedRunFiles.SummaryJson(after.Config, after.NestedOutcome, null);
        Assert.True(summary["converged"]!.GetValue<bool>());
        Assert.Equal(after.Training.GradientNorm, summary["gradientNorm"]!.GetValue<double>());
        Assert.Equal("Gradient", summary["stopReason"]!.GetValue<string>());
        Assert.Equal(1, summary["bestReachedBy"]!.GetValue<int>());
        Assert.Equal(after.LevelMeasures!.Tiers[0].Types, summary["types"]!.GetValue<double>());
        Assert.True(summary["nested"]!["converged"]!.GetValue<bool>());
        Assert.NotNull(summary["nested"]!["measures"]!["tiers"]![1]!["types"]);
    }

    /// <summary>
    /// Experiment 07 in small: 4 nodes of 8 leaves in one rack of 4, a three-class workload, the local objective at
    /// the top and at the node level, learned links cheap inside a node and dearer across nodes, 300 Adam steps.
    /// </summary>
    private static DpsConfig SmallCompute(string training = "") => ConfigLoader.Parse($$"""
        { "space": { "m": 64 }, "agents": { "count": 32 },
          "demand": { "kind": "mixture", "centers": [0.5, 2.8, 4.0], "widths": [0.15, 0.1, 0.25], "weights": [3, 1, 2] },
          "objective": { "kind": "local" },
          "training": { "steps": 300, "lr": 0.05, "restarts": 1, "seed": 7 {{training}} },
          "measures": { "resilienceSteps": 0, "fractions": [0, 1], "seeds": 1 },
          "levels": [
            { "size": 8, "fixedShare": true, "topology": { "kind": "complete", "learned": true, "initWeight": 0.1, "embedding": "ring" }, "lambdaC": 0.001,
              "demand": { "kind": "mixture", "centers": [0.5, 2.8, 4.0], "widths": [0.15, 0.1, 0.25], "weights": [3, 1, 2] },
              "demandObjective": "local", "demandWeight": 0.5 },
            { "size": 4, "topology": { "kind": "complete", "learned": true, "initWeight": 0.1, "embedding": "ring" }, "lambdaC": 0.02 } ] }
        """);

    [Fact]
    public void NestedPolish_KeepsMorePairs_AndGetsABudgetPerParameter_FlatUnchanged()
    {
        var c = SmallCompute();
        var nested = NestedBuilder.Create(c);
        int p = nested.Parameters().Sum(t => t.Numel);
        Assert.Equal(3 * 32 + 4 * 28 + 6, p);
        Assert.Equal(Math.Min(p, Polish.NestedHistory), Polish.HistoryFor(nested));
        Assert.Equal(Polish.NestedIterationsPerParameter * p, Polish.Iterations(c.Training, nested));
        Assert.Equal(77, Polish.Iterations(c.Training with { Polish = 77 }, nested)); // an explicit budget wins

        var flat = SystemBuilder.Create(ConfigLoader.Parse("""{ "agents": { "count": 8 }, "training": { "steps": 300 } }"""));
        Assert.Equal(Polish.History, Polish.HistoryFor(flat));
        Assert.Equal(300, Polish.Iterations(c.Training, flat));
    }

    [Fact]
    public void ANestedSystemWithLearnedLinksAtTwoLevels_ConvergesFromDefaults()
    {
        // With a polish budget of training.steps (300 iterations, the budget before) this run stopped at RMS gradient 1.5e-5.
        var r = Experiment.Run(SmallCompute(), measureRobustness: false);
        Assert.True(r.Training.Converged, $"gradient {r.Training.GradientNorm:G3}, stopped by {r.Training.Reason} after {r.Training.Steps} steps");
        Assert.Equal(StopReason.Gradient, r.Training.Reason);
    }

    [Fact]
    public void Swaps_MoveLeavesBetweenSubsystems_WhenEachMustServeTheWholeDemand()
    {
        // Two sub-systems of two leaves, each asked for both peaks; sub-system 0 holds two A specialists, 1 two B ones:
        // W = D already, but neither sub-system serves its demand. Exchanging an A and a B leaf across them fixes both.
        var c = ConfigLoader.Parse("""
            { "space": { "m": 64 }, "agents": { "count": 4 }, "demand": { "kind": "peaks", "peaks": 2, "width": 0.3 },
              "levels": [ { "size": 2, "topology": { "kind": "none" }, "demand": { "kind": "peaks", "peaks": 2, "width": 0.3 }, "demandWeight": 1 },
                          { "size": 2, "topology": { "kind": "none" } } ] }
            """);
        var s = NestedBuilder.Create(c);
        double[] mu = [0, 0, Math.PI, Math.PI];
        for (int i = 0; i < 4; i++) { s.Mu[i] = mu[i]; s.Rho[i] = Initialization.SoftplusInverse(0.3 - s.SigmaMin); s.Alpha[i] = 0; }
        double loss = s.Loss().Total.Item();
        Assert.True(loss > 1e-3);
        Assert.Equal(1, Swaps.Run((AgentSystem)s, passes: 3));
        Assert.True(s.Loss().Total.Item() < 1e-20, $"loss after the swap {s.Loss().Total.Item():G3}");
        Assert.NotEqual(s.Mu.Data[0], s.Mu.Data[1]);
    }

    [Fact]
    public void Merge_PerLevel_MakesNearCloneLeavesAndNearCloneSubsystemsExactCopies()
    {
        // Two sub-systems of two leaves (A, B), the second a slightly perturbed copy of the first; inside sub-system 0
        // nothing is near-clone, but the two composites are, so sub-system 1 becomes an exact copy of sub-system 0
        // (the larger), with both holding half the resource.
        var c = ConfigLoader.Parse("""
            { "space": { "m": 64 }, "agents": { "count": 4 }, "demand": { "kind": "peaks", "peaks": 2, "width": 0.3 },
              "levels": [ { "size": 2, "topology": { "kind": "complete", "learned": true } }, { "size": 2, "topology": { "kind": "none" } } ] }
            """);
        var s = NestedBuilder.Create(c);
        double[] mu = [0, Math.PI, 0.01, Math.PI + 0.01], alpha = [0.05, 0.05, 0, 0];
        for (int i = 0; i < 4; i++) { s.Mu[i] = mu[i]; s.Rho[i] = Initialization.SoftplusInverse(0.3 + 0.002 * i - s.SigmaMin); s.Alpha[i] = alpha[i]; }
        var theta = s.Levels[0].Interaction.Theta!;
        theta[0] = 0.3; theta[1] = -0.2;
        Assert.Equal(1, Merge.Run((AgentSystem)s));
        Assert.Equal(s.Mu.Data[0], s.Mu.Data[2]);
        Assert.Equal(s.Mu.Data[1], s.Mu.Data[3]);
        Assert.Equal(s.Rho.Data[0], s.Rho.Data[2]);
        Assert.Equal(theta.Data[0], theta.Data[1]);
        double[] a;
        using (TensorEngine.NoGrad()) a = s.Resources().ToArray();
        Assert.Equal(s.Budget, a.Sum(), 12);
        Assert.Equal(a[0] + a[1], a[2] + a[3], 12);

        // Leaves: a near-clone pair inside one sub-system is merged as in a flat system.
        s.Mu[1] = 0.01;
        s.Rho[1] = s.Rho.Data[0];
        Assert.True(Merge.Run((AgentSystem)s) >= 1);
        Assert.Equal(s.Mu.Data[0], s.Mu.Data[1]);
    }

    [Theory]
    [InlineData("""{ "homogeneous": true, "count": 4 }""", "{}", "agents.homogeneous")]
    [InlineData("""{ "count": 4 }""", """{ "swaps": 2 }""", "training.swaps")]
    [InlineData("""{ "count": 4 }""", """{ "reseed": 1 }""", "training.reseed")]
    [InlineData("""{ "count": 4 }""", """{ "split": 1 }""", "training.split")]
    [InlineData("""{ "count": 4 }""", """{ "hops": 1 }""", "training.hops")]
    public void KeysANestedSystemCannotHonour_AreRefused_InOneLine(string agents, string training, string key)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse($$"""
            { "agents": {{agents}}, "training": {{training}},
              "levels": [ { "size": 4, "topology": { "kind": "none" } } ] }
            """));
        Assert.Contains(key, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Swaps_AreAccepted_WhereTheyCanChangeANestedLoss()
    {
        var c = ConfigLoader.Parse("""
            { "agents": { "count": 4 }, "training": { "swaps": 2 },
              "levels": [ { "size": 2, "topology": { "kind": "none" }, "demand": { "kind": "uniform" } }, { "size": 2, "topology": { "kind": "none" } } ] }
            """);
        Assert.Equal(2, c.Training.Swaps);
        Assert.True(NestedConfigReader.SwapsApply(c));
        Assert.NotEmpty(Swaps.Pairs(NestedBuilder.Create(c), 0));
    }
}
