// The search after training for nested systems (issue 13 on issue 12's one pipeline): the polish, the swaps and the
// merges per level through Refinement.Run, the re-seeds (leaves per scope, starved composites), splits and basin hops
// level by level, nested reference optima that training from default settings reaches, and the keys a nested system
// cannot honour refused in one line.
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
        // A flat system written as one level keeps the flat polish (and so the flat system's bits).
        var oneLevel = NestedBuilder.Create(ConfigLoader.Parse("""
            { "agents": { "count": 8 }, "training": { "steps": 300 }, "levels": [ { "size": 8, "topology": { "kind": "ring", "k": 1, "learned": true } } ] }
            """));
        Assert.False(Polish.IsStacked(oneLevel));
        Assert.Equal(Polish.History, Polish.HistoryFor(oneLevel));
        Assert.Equal(300, Polish.Iterations(c.Training, oneLevel));
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
    [Fact]
    public void ReseedSplitAndHops_AreAccepted_WithLevels()
    {
        var c = ConfigLoader.Parse("""
            { "agents": { "count": 4 }, "training": { "reseed": 3, "split": 2, "hops": 1 },
              "levels": [ { "size": 4, "topology": { "kind": "none" } } ] }
            """);
        Assert.Equal(((int?)3, (int?)2, 1), (c.Training.Reseed, c.Training.Split, c.Training.Hops));
        var defaults = ConfigLoader.Parse("""{ "agents": { "count": 4 }, "levels": [ { "size": 4 } ] }""");
        Assert.Null(defaults.Training.Reseed); // Refinement.DefaultReseed, as for a flat system
    }

    private static (double, double, double) NoMeasures(NestedSystem _) => (0, 0, 0);

    private static TrainResult Start(NestedSystem s, TrainingConfig t)
    {
        double loss;
        using (TensorEngine.NoGrad()) loss = s.Loss().Total.Item();
        return Polish.Remeasure(s, t, new TrainResult(loss, 0, StopReason.StepLimit, 0, []));
    }

    private const double PeakWidth = 0.15;

    /// <summary>
    /// Two sub-systems of three leaves, no edges; the top demand is 3 equal peaks and every sub-system is asked for
    /// the same 3 peaks with half the mass (weight 1). The optimum (loss 0): one leaf per peak in each sub-system,
    /// σ = the width, R/6 each.
    /// </summary>
    private static NestedSystem ThreeAndThree()
    {
        var s = NestedBuilder.Create(ConfigLoader.Parse($$"""
            { "space": { "m": 128 }, "agents": { "count": 6 }, "demand": { "kind": "peaks", "peaks": 3, "width": {{PeakWidth}} },
              "levels": [ { "size": 3, "topology": { "kind": "none" }, "demand": { "kind": "peaks", "peaks": 3, "width": {{PeakWidth}} }, "demandWeight": 1 },
                          { "size": 2, "topology": { "kind": "none" } } ] }
            """));
        var centers = ReferenceStates.EvenCenters(3);
        for (int i = 0; i < s.N; i++)
        {
            s.Mu[i] = centers[i % 3];
            s.Rho[i] = Initialization.SoftplusInverse(PeakWidth - s.SigmaMin);
            s.Alpha[i] = 0;
        }
        return s;
    }

    [Fact]
    public void LeafReseed_InTheSubsystemThatMissesAPeak_ReachesTheConstructedOptimum()
    {
        // Sub-system 1's third leaf is a starved clone of its first (e^-12 of its resource): peak 3 is missing from
        // sub-system 1, a state the polish alone keeps (the starved leaf gets almost no gradient). The scope whose
        // demand is least met is sub-system 1; one re-seed puts its starved leaf on peak 3, and the polish reaches the
        // optimum. Tolerance: loss ≤ 1e-10 (the optimum's is 0), against ≥ 1e-4 without the re-seed.
        NestedSystem Stuck()
        {
            var s = ThreeAndThree();
            s.Mu[5] = s.Mu.Data[3];
            s.Alpha[5] = -12;
            return s;
        }
        var none = new TrainingConfig { Steps = 300, Reseed = 0 };
        var alone = Stuck();
        var polished = Refinement.Run(alone, none, Start(alone, none), NoMeasures);
        Assert.True(polished.Loss > 1e-4, $"the polish alone reached loss {polished.Loss:G3}");

        var s = Stuck();
        var scope = MoveScope.Best(s);
        Assert.Equal((0, 1, 3, 3), (scope.Level, scope.Group, scope.First, scope.Count));
        Assert.Equal(5, Reseed.Donor(s, scope));
        var t = new TrainingConfig { Steps = 300 };
        var refined = Refinement.Run(s, t, Start(s, t), NoMeasures);
        Assert.True(refined.Loss <= 1e-10, $"loss {refined.Loss:G3} after the re-seeds");
        Assert.InRange(s.Mu.Data[5], ReferenceStates.EvenCenters(3)[2] - 0.05, ReferenceStates.EvenCenters(3)[2] + 0.05);
    }

    [Fact]
    public void CompositeReseed_CopiesTheRichestSubsystem_IntoAStarvedOne()
    {
        // Sub-system 1 is starved (both its leaves at e^-30 of sub-system 0's resource): the top demand is met by
        // sub-system 0 alone, and sub-system 1 misses its own demand entirely. A leaf re-seed inside sub-system 1 keeps
        // its (starved) total; the composite re-seed copies sub-system 0 into it and gives each half: loss 0.
        var c = ConfigLoader.Parse("""
            { "space": { "m": 64 }, "agents": { "count": 4 }, "demand": { "kind": "peaks", "peaks": 2, "width": 0.3 },
              "levels": [ { "size": 2, "topology": { "kind": "none" }, "demand": { "kind": "peaks", "peaks": 2, "width": 0.3 }, "demandWeight": 1 },
                          { "size": 2, "topology": { "kind": "none" } } ] }
            """);
        NestedSystem Starved()
        {
            var s = NestedBuilder.Create(c);
            double[] mu = [0, Math.PI, 1, 2], alpha = [0, 0, -30, -30];
            for (int i = 0; i < 4; i++) { s.Mu[i] = mu[i]; s.Rho[i] = Initialization.SoftplusInverse(0.3 - s.SigmaMin); s.Alpha[i] = alpha[i]; }
            return s;
        }
        var s = Starved();
        double before = s.Loss().Total.Item();
        Assert.True(before > 1e-3, $"loss {before:G3}");
        Assert.True(Reseed.Composite(s));
        Assert.Equal(s.Mu.Data[0], s.Mu.Data[2]);
        Assert.Equal(s.Mu.Data[1], s.Mu.Data[3]);
        double[] a;
        using (TensorEngine.NoGrad()) a = s.Resources().ToArray();
        Assert.Equal(s.Budget, a.Sum(), 12);
        Assert.Equal(a[0] + a[1], a[2] + a[3], 12);
        Assert.True(s.Loss().Total.Item() < 1e-20, $"loss {s.Loss().Total.Item():G3}");
        Assert.False(Reseed.Composite(s)); // nothing starved any more

        // Through the search: with re-seeds off the polish keeps sub-system 1 starved (its gradient is ~e^-30); by
        // default the search reaches the optimum.
        var none = new TrainingConfig { Steps = 300, Reseed = 0 };
        var stuck = Starved();
        Assert.True(Refinement.Run(stuck, none, Start(stuck, none), NoMeasures).Loss > 1e-4);
        var t = new TrainingConfig { Steps = 300 };
        var again = Starved();
        Assert.True(Refinement.Run(again, t, Start(again, t), NoMeasures).Loss <= 1e-10);
    }

    [Fact]
    public void ReseedSplitAndHop_OfAOneLevelSystem_AreTheFlatMoves_ToTheBit()
    {
        // Three agents, one starved clone: the flat system and the same system written as one level.
        const string Part = """
            "space": { "m": 128 }, "agents": { "count": 3 },
            "demand": { "kind": "mixture", "centers": [0.5, 2.0, 4.0], "widths": [0.15, 0.2, 0.25], "weights": [1, 1, 1] },
            """;
        var flat = SystemBuilder.Create(ConfigLoader.Parse($$"""{ {{Part}} "topology": { "kind": "none" } }"""));
        var level = NestedBuilder.Create(ConfigLoader.Parse($$"""{ {{Part}} "levels": [ { "size": 3 } ] }"""));
        foreach (var system in new AgentSystem[] { flat, level })
        {
            double[] mu = [0.5, 2.0, 0.5], rho = [-1.2, -1.0, -1.2], alpha = [0, 0, -12];
            for (int i = 0; i < 3; i++) { system.Mu[i] = mu[i]; system.Rho[i] = rho[i]; system.Alpha[i] = alpha[i]; }
        }
        Assert.Equal(Reseed.Run(flat), Reseed.Run((AgentSystem)level));
        Assert.Equal(Split.Candidates(flat), Split.Candidates(level, MoveScope.Best(level)));
        Assert.Equal(Split.Run(flat, 1), Split.Run(level, 1, MoveScope.Best(level)));
        BasinHopping.Perturb(flat, new Random(5));
        BasinHopping.Perturb(level, new Random(5));
        Assert.Equal(flat.Mu.ToArray(), level.Mu.ToArray());
        Assert.Equal(flat.Rho.ToArray(), level.Rho.ToArray());
        Assert.Equal(flat.Alpha.ToArray(), level.Alpha.ToArray());
        Assert.Equal(Refinement.NullLoss(flat), Refinement.NullLoss(level));
    }

    [Fact]
    public void SetShare_InsideASubsystem_KeepsItsTotal_AndUnderFixedShareTheBlocks()
    {
        var c = ConfigLoader.Parse("""
            { "agents": { "count": 8 }, "levels": [ { "size": 2, "demand": { "kind": "uniform" } }, { "size": 2, "fixedShare": true }, { "size": 2 } ] }
            """);
        var s = NestedBuilder.Create(c);
        for (int i = 0; i < s.N; i++) s.Alpha[i] = 0.2 * Math.Sin(i);
        double[] Res() { using var _ = TensorEngine.NoGrad(); return s.Resources().ToArray(); }
        var before = Res();
        var pair = MoveScope.All(s).Single(x => x.Level == 0 && x.Group == 1); // leaves 2 and 3
        Reseed.SetShare(s, 3, 0.25, pair);
        var after = Res();
        Assert.Equal(before[2] + before[3], after[2] + after[3], 12);
        Assert.Equal(0.25, after[3] / (after[2] + after[3]), 12);
        Assert.Equal(before[0], after[0], 12);
        // The whole system's scope is larger than a fixed-share block: the donor's share is of its block (leaves 4-7).
        Reseed.SetShare(s, 5, 0.5, MoveScope.Whole(s));
        var block = Res();
        Assert.Equal(s.Budget / 2, block[4] + block[5] + block[6] + block[7], 12);
        Assert.Equal(0.5, block[5] / (s.Budget / 2), 12);
        Assert.Equal(after[0..4], block[0..4]);
    }
}
