// The moves gradient descent cannot make (issue 13): re-seeding a starved agent at the unmet demand, splitting one
// broad agent into two, basin hopping; each from a hand-built state where the move is what is missing.
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Model.Search;

namespace DpsTorch.Tests.Model.Search;

public class MovesTests
{
    private static DpsModel Model(string json) => SystemBuilder.Create(ConfigLoader.Parse(json));

    private static double Loss(DpsModel m)
    {
        using var _ = TensorEngine.NoGrad();
        return m.Loss().Total.Item();
    }

    private const string ThreePeaks = """
        { "space": { "m": 128 }, "agents": { "count": 3 },
          "demand": { "kind": "mixture", "centers": [0.5, 2.0, 4.0], "widths": [0.15, 0.2, 0.25], "weights": [1, 1, 1] } }
        """;

    /// <summary>Agents 0 and 1 on the first two peaks, agent 2 starved on the first: the third peak is uncovered.</summary>
    private static DpsModel TwoOfThree()
    {
        var m = Model(ThreePeaks);
        ReferenceStates.ExactMixture(m, [0.5, 2.0, 4.0], [0.15, 0.2, 0.25], [1, 1, 1]);
        m.Mu[2] = 0.5;
        m.Rho[2] = m.Rho.Data[0];
        m.Alpha[2] = m.Alpha.Data[0] - 12; // share ≈ e^-12 / 2
        return m;
    }

    private static TrainResult Start(DpsModel m, TrainingConfig t) => Polish.Remeasure(m, t, new TrainResult(Loss(m), 0, StopReason.StepLimit, 0, []));

    private static (double, double, double) NoMeasures(DpsModel _) => (0, 0, 0);

    [Fact]
    public void Donor_IsTheStarvedAgent_ElseANearClone_ElseThePoorest()
    {
        var m = TwoOfThree();
        Assert.Equal(2, Reseed.Donor(m));
        // Not starved but a clone of agent 0: the poorer member of the group {0, 2}.
        m.Alpha[2] = m.Alpha.Data[0] - 0.5;
        Assert.Equal(2, Reseed.Donor(m));
        Assert.Equal(0, Reseed.Donor(m, except: 2));
        // Neither: the poorest agent.
        m.Mu[2] = 3.0;
        Assert.Equal(2, Reseed.Donor(m));
    }

    [Fact]
    public void Reseed_PutsTheStarvedAgentOnTheUncoveredPeak_AndThePolishFinishesIt()
    {
        var m = TwoOfThree();
        double before = Loss(m);
        Assert.True(before > 1e-3, $"loss {before}");
        Assert.Equal(2, Reseed.Run(m));
        Assert.InRange(m.Mu.Data[2], 4.0 - 0.05, 4.0 + 0.05);
        double sigma;
        using (TensorEngine.NoGrad()) sigma = m.Sigma().Data[2];
        Assert.InRange(sigma, 0.15, 0.35);
        Assert.True(Loss(m) < before / 10, $"loss {Loss(m)} from {before}");
        var t = new TrainingConfig { Steps = 500 };
        var polished = Polish.Run(m, t, Start(m, t), NoMeasures);
        Assert.True(polished.Loss < 1e-12, $"polished loss {polished.Loss}");
    }

    [Fact]
    public void Split_MakesOneBroadAgentTwo_WhichThePolishMovesOntoBothPeaks()
    {
        var m = Model("""
            { "space": { "m": 128 }, "agents": { "count": 2 },
              "demand": { "kind": "mixture", "centers": [1.0, 2.0], "widths": [0.15, 0.15], "weights": [1, 1] } }
            """);
        // Agent 0 covers both peaks with one broad normal; agent 1 is starved far away.
        m.Mu[0] = 1.5;
        m.Rho[0] = Initialization.SoftplusInverse(0.52 - m.SigmaMin);
        m.Mu[1] = 4.5;
        m.Alpha[0] = 0;
        m.Alpha[1] = -15;
        var t = new TrainingConfig { Steps = 500 };
        var stuck = Polish.Run(m, t, Start(m, t), NoMeasures);
        Assert.True(stuck.Loss > 1e-3, $"the polish alone should not split it; loss {stuck.Loss}");
        Assert.Equal(0, Split.Candidates(m)[0]);
        Assert.Equal(1, Split.Run(m, 0));
        Assert.True(m.Mu.Data[0] < 1.5 && m.Mu.Data[1] > 1.5);
        var split = Polish.Run(m, t, Start(m, t), NoMeasures);
        Assert.True(split.Loss < 1e-12, $"loss after the split {split.Loss}");
    }

    [Fact]
    public void Refinement_WithMoves_ReachesTheOptimum_AndNeverRaisesTheLoss()
    {
        var t = new TrainingConfig { Steps = 500, Reseed = 4, Split = 4 };
        var m = TwoOfThree();
        var start = Start(m, t);
        var refined = Refinement.Moves(m, t, start, NoMeasures);
        Assert.True(refined.Loss < 1e-12, $"loss {refined.Loss}");
        Assert.True(refined.Steps > 0);
        // At the optimum no move is tried, and nothing changes.
        var mu = m.Mu.ToArray();
        var again = Refinement.Moves(m, t with { Hops = 3 }, refined, NoMeasures);
        Assert.Equal(refined.Loss, again.Loss);
        Assert.Equal(mu, m.Mu.ToArray());
    }

    [Fact]
    public void BasinHops_AreKeptOnlyWhenTheyLowerTheLoss_AndAreReproducible()
    {
        var t = new TrainingConfig { Steps = 200, Hops = 3, Reseed = 0, Split = 0 };
        double[] Hop()
        {
            var m = TwoOfThree();
            var refined = Refinement.Moves(m, t, Start(m, t), NoMeasures);
            Assert.True(refined.Loss <= Loss(TwoOfThree()));
            return m.Mu.ToArray();
        }
        Assert.Equal(Hop(), Hop());
    }

    [Fact]
    public void SetShare_KeepsTheBudget()
    {
        var m = TwoOfThree();
        Reseed.SetShare(m, 2, 0.25);
        double[] a;
        using (TensorEngine.NoGrad()) a = m.Resources().ToArray();
        Assert.Equal(m.Budget, a.Sum(), 9);
        Assert.Equal(0.25, a[2] / a.Sum(), 9);
    }

    [Fact]
    public void NewKeys_AreRead_AndOutOfRangeValuesNameTheKey()
    {
        var c = ConfigLoader.Parse("""{ "training": { "reseed": 3, "split": 2, "hops": 1, "batched": false } }""");
        Assert.Equal(((int?)3, (int?)2, 1, false), (c.Training.Reseed, c.Training.Split, c.Training.Hops, c.Training.Batched));
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""{ "training": { "split": -1 } }"""));
        Assert.Contains("training.split", e.Message);
    }
}
