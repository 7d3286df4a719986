// Reference optima (issue 13): hand-built states with known loss, the yardsticks training is measured against
// (bench/optima/README.md measures how far default training ends from them).
using DpsTorch.Config;
using DpsTorch.Measures;
using DpsTorch.Model;
using DpsTorch.Model.Search;
using DpsTorch.Runs;

namespace DpsTorch.Tests.Model.Search;

public class ReferenceOptimaTests
{
    private static DpsModel Model(string json) => SystemBuilder.Create(ConfigLoader.Parse(json));

    /// <summary>The spread start (restart 1 of agents.init auto; restart 0 starts at the demand's modes, near the reference on purpose).</summary>
    private static double SpreadStartLoss(string json) => Loss(SystemBuilder.Create(ConfigLoader.Parse(json), restart: 1));

    private static double Loss(DpsModel m)
    {
        using var _ = TensorEngine.NoGrad();
        return m.Loss().Total.Item();
    }

    [Fact]
    public void FivePeaks_ExactMixture_HasZeroLoss_AndFiveTypes()
    {
        const string json = """{ "space": { "m": 128 }, "agents": { "count": 20 }, "demand": { "kind": "peaks", "peaks": 5, "width": 0.15 } }""";
        var m = Model(json);
        double start = SpreadStartLoss(json);
        ReferenceStates.ExactMixture(m, ReferenceStates.EvenCenters(5), [.. Enumerable.Repeat(0.15, 5)], [.. Enumerable.Repeat(1.0, 5)]);
        Assert.True(Loss(m) < 1e-20, $"loss {Loss(m)}");
        Assert.True(start > 1e-3, $"the spread start should be far from it; loss {start}");
        Assert.InRange(SystemMeasures.Quick(m).het, 4.99, 5.01);
    }

    [Fact]
    public void Bimodal_ExactMixture_HasZeroLoss_AndTheWeightsEffectiveNumber()
    {
        var m = Model("""
            { "space": { "m": 128 }, "agents": { "count": 10 },
              "demand": { "kind": "mixture", "centers": [0.7, 3.9], "widths": [0.25, 0.4], "weights": [0.6, 0.4] } }
            """);
        ReferenceStates.ExactMixture(m, [0.7, 3.9], [0.25, 0.4], [0.6, 0.4]);
        Assert.True(Loss(m) < 1e-20, $"loss {Loss(m)}");
        // Two distinct types of weight 0.6 and 0.4: exp(entropy) = 1.96 at q = 1.
        double expected = Math.Exp(-(0.6 * Math.Log(0.6) + 0.4 * Math.Log(0.4)));
        Assert.Equal(expected, SystemMeasures.Quick(m).het, 3);
    }

    [Fact]
    public void GroupSizes_FollowTheWeights()
    {
        Assert.Equal([6, 4], ReferenceStates.GroupSizes(10, [0.6, 0.4]));
        Assert.Equal([4, 4, 4, 4, 4], ReferenceStates.GroupSizes(20, [.2, .2, .2, .2, .2]));
        Assert.Equal([1, 1, 1], ReferenceStates.GroupSizes(3, [0.9, 0.05, 0.05]));
    }

    private static string RingJson(int k) => $$"""
        { "space": { "m": 128 }, "agents": { "count": 24 }, "demand": { "kind": "peaks", "peaks": 3, "width": 0.1 },
          "objective": { "kind": "local" }, "topology": { "kind": "ring", "k": {{k}} } }
        """;

    private static DpsModel Ring(int k) => Model(RingJson(k));

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void RingTiling_CoversEveryNeighbourhood_Exactly(int k)
    {
        // 2k + 1 = 3 or 9 agents per neighbourhood: each of A, B, C equally often.
        var m = Ring(k);
        double start = SpreadStartLoss(RingJson(k));
        ReferenceStates.Tiling(m, ReferenceStates.EvenCenters(3), 0.1);
        Assert.True(Loss(m) < 1e-20, $"loss {Loss(m)}");
        Assert.True(start > 0.1, $"the spread start should be far from it; loss {start}");
        Assert.InRange(SystemMeasures.Quick(m).het, 2.99, 3.01);
    }

    [Fact]
    public void RingTiling_WithTwoNeighboursEachSide_IsUnevenButBeatsAShuffledTiling()
    {
        // Five agents per neighbourhood hold one centre once and the others twice: a positive loss.
        var m = Ring(2);
        ReferenceStates.Tiling(m, ReferenceStates.EvenCenters(3), 0.1);
        double tiled = Loss(m);
        Assert.True(tiled > 1e-6, $"loss {tiled}");
        // The same agents ordered A…A B…B C…C: most neighbourhoods see one centre only.
        var mu = m.Mu.ToArray().OrderBy(x => x).ToArray();
        m.Mu.Copy_(mu);
        Assert.True(Loss(m) > 10 * tiled, $"blocked loss {Loss(m)} against tiled {tiled}");
    }

    [Fact]
    public void Swaps_RepairAShuffledTiling_OnARing()
    {
        var m = Ring(1);
        ReferenceStates.Tiling(m, ReferenceStates.EvenCenters(3), 0.1);
        var rng = new Random(5);
        for (int t = 0; t < 6; t++)
        {
            int i = rng.Next(24), j = rng.Next(24);
            (m.Mu[i], m.Mu[j]) = (m.Mu[j], m.Mu[i]);
        }
        Assert.True(Loss(m) > 1e-3, $"shuffled loss {Loss(m)}");
        Assert.True(Swaps.Run(m, passes: 10) > 0);
        Assert.True(Loss(m) < 1e-20, $"loss after swaps {Loss(m)}");
    }

    // ---- training from default settings reaches the references (only the case and the cheap measures are set) ----

    private static ExperimentResult Train(string json)
        => Experiment.Run(ConfigLoader.Parse(json.Replace("\"MEASURES\"", """{ "resilienceSteps": 0, "fractions": [0, 1], "seeds": 1 }""")));

    [Fact]
    public void DefaultTraining_OnFivePeaks_ReachesTheExactMixture()
    {
        var r = Train("""{ "agents": { "count": 20 }, "demand": { "kind": "peaks", "peaks": 5, "width": 0.15 }, "measures": "MEASURES" }""");
        Assert.True(r.Training.Converged, $"RMS gradient {r.Training.GradientNorm}");
        Assert.True(r.Training.Loss <= 1e-6, $"loss {r.Training.Loss} (the exact mixture has 0)");
        Assert.InRange(r.Measures.Heterogeneity.Q1, 4.95, 5.05);
        Assert.Equal(5, r.Measures.Types, 2);
    }

    [Fact]
    public void DefaultTraining_OnTheBimodalMixture_ReachesItsTwoTypes()
    {
        var r = Train("""
            { "agents": { "count": 10 }, "demand": { "kind": "mixture", "centers": [0.7, 3.9], "widths": [0.25, 0.4], "weights": [0.6, 0.4] },
              "measures": "MEASURES" }
            """);
        Assert.True(r.Training.Loss <= 1e-6, $"loss {r.Training.Loss} (the exact mixture has 0)");
        Assert.InRange(r.Measures.Heterogeneity.Q1, 1.9, 2.05);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void DefaultTraining_OnTheLocalRing_ReachesOrBeatsTheTiling(int k)
    {
        var tiling = Ring(k);
        ReferenceStates.Tiling(tiling, ReferenceStates.EvenCenters(3), 0.1);
        double reference = Loss(tiling);
        var r = Train($$"""
            { "agents": { "count": 24 }, "demand": { "kind": "peaks", "peaks": 3, "width": 0.1 },
              "objective": { "kind": "local" }, "topology": { "kind": "ring", "k": {{k}} }, "measures": "MEASURES" }
            """);
        // The tiling's loss (0 for k = 1 and 4, positive for k = 2), within 1e-6 absolute.
        Assert.True(r.Training.Loss <= reference + 1e-6, $"trained loss {r.Training.Loss} against the tiling's {reference}");
        if (k == 1) Assert.Equal(1, r.Measures.SpatialScale);
    }

    // ---- harder cases the modes start does not solve by construction (bench/optima/README.md, "Moves") ----

    private static readonly double[] Uneven = [0.1, 0.45, 0.7, 1.3, 1.55, 2.2, 2.9, 3.3, 3.6, 4.4, 5.0, 5.7];

    private const string UnevenJson = """
        { "agents": { "count": 12 }, "demand": { "kind": "mixture", "centers": [0.1, 0.45, 0.7, 1.3, 1.55, 2.2, 2.9, 3.3, 3.6, 4.4, 5.0, 5.7], "width": 0.08 },
          "measures": "MEASURES" }
        """;

    // Two overlapping peaks that make one hump, a narrow peak on a broad one (one mode), unequal widths and weights.
    private static readonly double[] UnequalCenters = [0.8, 1.25, 2.6, 4.3, 4.3, 5.5], UnequalWidths = [0.3, 0.3, 0.12, 0.5, 0.1, 0.2],
        UnequalWeights = [0.15, 0.2, 0.1, 0.25, 0.15, 0.15];

    private const string UnequalJson = """
        { "agents": { "count": 6 },
          "demand": { "kind": "mixture", "centers": [0.8, 1.25, 2.6, 4.3, 4.3, 5.5], "widths": [0.3, 0.3, 0.12, 0.5, 0.1, 0.2], "weights": [0.15, 0.2, 0.1, 0.25, 0.15, 0.15] },
          "measures": "MEASURES" }
        """;

    private static string Plain(string json) => json.Replace("\"MEASURES\"", "{}");

    [Fact]
    public void HardCases_OneAgentPerPeak_HasZeroLoss_AndTheModesStartIsNotIt()
    {
        var twelve = Model(Plain(UnevenJson));
        ReferenceStates.ExactMixture(twelve, Uneven, [.. Enumerable.Repeat(0.08, 12)], [.. Enumerable.Repeat(1.0, 12)]);
        Assert.True(Loss(twelve) < 1e-20, $"twelve peaks: loss {Loss(twelve)}");
        var unequal = Model(Plain(UnequalJson));
        ReferenceStates.ExactMixture(unequal, UnequalCenters, UnequalWidths, UnequalWeights);
        Assert.True(Loss(unequal) < 1e-20, $"unequal: loss {Loss(unequal)}");
        // The demand has four modes, not six: the modes start (restart 0) is far from the optimum.
        double modes = Loss(SystemBuilder.Create(ConfigLoader.Parse(Plain(UnequalJson)), restart: 0));
        Assert.True(modes > 1e-3, $"modes start loss {modes}");
        Assert.True(SpreadStartLoss(Plain(UnevenJson)) > 0.1);
    }

    [Fact]
    public void DefaultTraining_OnTheUnequalMixture_ReachesOneAgentPerComponent()
    {
        var r = Train(UnequalJson);
        Assert.True(r.Training.Loss <= 1e-8, $"loss {r.Training.Loss} (one agent per component has 0)");
    }

    [Fact]
    public void DefaultMoves_FromOneRandomStart_OnTwelveUnevenPeaks_ReachOneAgentPerPeak()
    {
        // One random start (no modes start): the moves (training.reseed, training.split at their defaults) do the work.
        var r = Train(UnevenJson.Replace("\"count\": 12 }", "\"count\": 12, \"init\": \"random\" }, \"training\": { \"restarts\": 1 }"));
        Assert.True(r.Training.Loss <= 1e-8, $"loss {r.Training.Loss} (one agent per peak has 0)");
    }

    // ---- the interleaved ring at a communication cost (issue 13 part 4): learned links, λ_C = 1e-3, equal resources ----

    private const string InterleavedJson = """
        { "agents": { "count": 24, "resources": "fixed-equal" }, "demand": { "kind": "peaks", "peaks": 3, "width": 0.1 },
          "objective": { "kind": "local", "lambdaC": 0.001 }, "topology": { "kind": "none", "learned": true }, "measures": "MEASURES" }
        """;

    /// <summary>
    /// The interleaved ring: the A B C tiling (σ = the peak width) on the complete learned support, with weight q on the
    /// 24 nearest-neighbour links of the ring order and none elsewhere (θ = −40), q chosen by a golden-section search
    /// (the coverage falls as (1 − q)², the cost 24 λ_C q rises). Returns the model and its loss.
    /// </summary>
    internal static (DpsModel Model, double Loss, double Q) InterleavedRing(string json)
    {
        var m = Model(json.Replace("\"MEASURES\"", "{}"));
        ReferenceStates.Tiling(m, ReferenceStates.EvenCenters(3), 0.1);
        var theta = m.Interaction.Theta!;
        double At(double logit)
        {
            for (int e = 0; e < theta.Numel; e++)
            {
                var (i, j) = m.Interaction.Edges[e];
                int d = Math.Abs(i - j);
                theta[e] = Math.Min(d, m.N - d) == 1 ? logit : -40;
            }
            return Loss(m);
        }
        double lo = 0, hi = 12, g = (Math.Sqrt(5) - 1) / 2;
        for (int it = 0; it < 80; it++)
        {
            double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
            if (At(a) < At(b)) hi = b; else lo = a;
        }
        double best = (lo + hi) / 2;
        return (m, At(best), 1 / (1 + Math.Exp(-best)));
    }

    [Fact]
    public void InterleavedRing_AtACommunicationCost_CostsAboutTwentyFourLinks()
    {
        var (m, loss, q) = InterleavedRing(InterleavedJson);
        // Near q = 1 the loss is 24 λ_C q plus a coverage of order (1 − q)²: just below 0.024 (issue 13 measured 0.024).
        Assert.InRange(q, 0.9, 0.99);
        Assert.InRange(loss, 0.022, 0.024);
        Assert.InRange(SystemMeasures.Quick(m).het, 2.99, 3.01);
        // The three specialists hung by links of 0.01 on the complete support that the local objective lets win with
        // trained resources cannot be formed here: every agent holds R/N.
        using var _ = TensorEngine.NoGrad();
        Assert.All(m.Resources().ToArray(), a => Assert.Equal(1.0, a, 14));
    }

    [Fact]
    public void DefaultTraining_WithEqualResources_ReachesTheInterleavedRing()
    {
        var (_, reference, _) = InterleavedRing(InterleavedJson);
        var r = Train(InterleavedJson);
        // Within 1e-6 absolute, as the other ring references (measured: trained 0.02335825 from the modes start,
        // interleaved A C B ... with links of 0.948, against the constructed 0.02335831 at q = 0.9483).
        Assert.True(r.Training.Loss <= reference + 1e-6, $"trained loss {r.Training.Loss:G8} against the interleaved ring's {reference:G8}");
        Assert.Equal(1, r.Measures.SpatialScale);
    }
}
