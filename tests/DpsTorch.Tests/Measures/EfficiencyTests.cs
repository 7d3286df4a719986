// The efficiencies that are not coverage (docs/CONFIG.md, "Efficiency that is not coverage"): constructed cases where
// outputs are amplified or resources idle, so that they must differ from coverage, on hand-made profiles and on models.
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Measures;
using DpsTorch.Model;


namespace DpsTorch.Tests.Measures;

public class EfficiencyTests
{
    private static readonly Space S4 = new(4); // Δ = π/2
    private static readonly double[] D = [2, 1, 1, 0]; // ∫D = 2π

    [Fact]
    public void AmplifiedOutput_MeetsADemandLargerThanTheResource_SoResourceEfficiencyExceedsCoverage()
    {
        // Links double the output: W = D with Σa = ∫D / 2.
        double mass = Productivity.Total(S4, D);
        double[] unlinked = [.. D.Select(d => d / 2)];
        var e = Productivity.Efficiencies(S4, D, unlinked, [D], totalResource: mass / 2, communicationCost: 4);
        Assert.Equal(1.0, Productivity.Coverage(S4, D, D), 14);
        Assert.Equal(2.0, e.ResourceEfficiency, 12);
        Assert.Equal(2.0, e.Amplification, 12);
        Assert.Equal(1.0, e.Utilisation, 12);
        // The links add the half of the demand the agents would not meet alone: (∫D − ∫D/2) / C.
        Assert.Equal(mass / 2 / 4, e.CommunicationEfficiency, 12);
    }

    [Fact]
    public void IdleResources_AtFullCoverage_HalveResourceEfficiencyAndUtilisation()
    {
        // No links; half the output lands where nothing is demanded (x_3): coverage 1, but half the resource is idle.
        double mass = Productivity.Total(S4, D);
        double[] w = [2, 1, 1, 4]; // ∫W = 2 ∫D
        var e = Productivity.Efficiencies(S4, w, w, [D], totalResource: Productivity.Total(S4, w), communicationCost: 0);
        Assert.Equal(1.0, Productivity.Coverage(S4, w, D), 14);
        Assert.Equal(0.5, e.ResourceEfficiency, 12);
        Assert.Equal(1.0, e.Amplification, 12);
        Assert.Equal(0.5, e.Utilisation, 12);
        Assert.True(double.IsNaN(e.CommunicationEfficiency), "no communication cost: communication efficiency is undefined");
        Assert.Equal(e.ResourceEfficiency, e.Amplification * e.Utilisation, 12);
        Assert.Equal(mass, Productivity.Effective(S4, w, D), 12);
    }

    [Fact]
    public void Efficiencies_AverageOverFrames_AndRejectBadInput()
    {
        double[] other = [0, 1, 1, 2];
        var e = Productivity.Efficiencies(S4, D, D, [D, other], totalResource: 1, communicationCost: 0);
        double met = (Productivity.Effective(S4, D, D) + Productivity.Effective(S4, D, other)) / 2;
        Assert.Equal(met, e.ResourceEfficiency, 12);
        Assert.Equal(met / Productivity.Total(S4, D), e.Utilisation, 12);
        Assert.Throws<ArgumentException>(() => Productivity.Efficiencies(S4, D, [1, 2, 3], [D], 1, 0));
        Assert.Throws<ArgumentException>(() => Productivity.Efficiencies(S4, D, D, [], 1, 0));
        Assert.Throws<ArgumentException>(() => Productivity.Efficiencies(S4, D, D, [D], -1, 0));
    }

    private static MeasureSet Measure(string topology, double? mass = null)
    {
        string demandMass = mass is double m ? $", \"mass\": {m.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : "";
        var config = ConfigLoader.Parse($$"""
            { "space": { "m": 64 }, "agents": { "count": 6 }, "demand": { "peaks": 3, "width": 0.3{{demandMass}} },
              "topology": {{topology}}, "training": { "steps": 0 } }
            """);
        return SystemMeasures.Compute(SystemBuilder.Create(config), options: null, lambdaC: 0);
    }

    [Fact]
    public void RingWithUnitWeights_TriplesTheOutput_SoUtilisationIsAThirdOfCoverage()
    {
        // Each agent of a ring with k = 1 and unit weights has two links: W = 3 Σ w, ∫W = 3 Σa, and ∫D = Σa.
        var m = Measure("""{ "kind": "ring", "k": 1, "weight": 1 }""");
        Assert.Equal(3.0, m.Efficiencies.Amplification, 10);
        Assert.Equal(m.Coverage, m.Efficiency, 12); // the MODEL.md efficiency is coverage here (∫D = Σa, λ_C = 0) ...
        Assert.Equal(m.Coverage / 3, m.Efficiencies.Utilisation, 10); // ... the share of the output that meets demand is not
        Assert.Equal(m.Efficiencies.ResourceEfficiency, m.Efficiencies.Amplification * m.Efficiencies.Utilisation, 12);
        Assert.True(m.Efficiencies.CommunicationEfficiency > 0, "links add met demand");
        Assert.Equal((m.Productivity - Measure("""{ "kind": "none" }""").Productivity) / m.CommunicationCost, m.Efficiencies.CommunicationEfficiency, 10);
    }

    [Fact]
    public void ShapeCoverage_OfAnAmplifiedOutput_SeesTheShapeThatCoverageHides()
    {
        // W = 3 D: coverage 1 (all demand met) and shape coverage 1 (the demand's shape exactly).
        double[] tripled = [.. D.Select(d => 3 * d)];
        Assert.Equal(1.0, Productivity.Coverage(S4, tripled, D), 14);
        Assert.Equal(1.0, Productivity.ShapeCoverage(S4, tripled, D), 14);
        // W = 3 D + a flat surplus: coverage is still 1, but a third of the normalised output misses the demand's shape.
        double[] padded = [.. D.Select(d => 3 * d + 3)]; // ∫W = 12π: half of it flat
        Assert.Equal(1.0, Productivity.Coverage(S4, padded, D), 14);
        // W/∫W = [9, 6, 6, 3]/(12π) against D/∫D = [2, 1, 1, 0]/(2π): the minima [0.75, 0.5, 0.5, 0]/π, times Δ = π/2.
        double expected = Math.PI / 2 * (0.75 + 0.5 + 0.5 + 0) / Math.PI;
        Assert.Equal(expected, Productivity.ShapeCoverage(S4, padded, D), 12);
        Assert.True(double.IsNaN(Productivity.ShapeCoverage(S4, [0, 0, 0, 0], D)), "no production: undefined");
        Assert.Throws<ArgumentException>(() => Productivity.ShapeCoverage(S4, D, [0, 0, 0, 0]));
    }

    [Fact]
    public void ShapeCoverage_OnARingWithUnitWeights_IsReportedAndDiffersFromUtilisation()
    {
        // Amplification 3: coverage and utilisation mix volume and shape; shape coverage is the overlap of the shapes,
        // equal to the coverage of the same agents without links (W₀ has W's shape on a regular ring with equal a).
        var m = Measure("""{ "kind": "ring", "k": 1, "weight": 1 }""");
        var unlinked = Measure("""{ "kind": "none" }""");
        Assert.Equal(3.0, m.Efficiencies.Amplification, 10);
        Assert.InRange(m.Efficiencies.ShapeCoverage, 0, 1);
        Assert.Equal(unlinked.Coverage, m.Efficiencies.ShapeCoverage, 8);
        Assert.NotEqual(m.Efficiencies.Utilisation, m.Efficiencies.ShapeCoverage, 3);
        // Without links and with ∫D = Σa it is the coverage itself.
        Assert.Equal(unlinked.Coverage, unlinked.Efficiencies.ShapeCoverage, 12);
        var summary = RunFiles.SummaryJson(m, ConfigLoader.Parse("{}"), 0, 0, true, "StepLimit");
        Assert.Equal(m.Efficiencies.ShapeCoverage, summary["shapeCoverage"]!.GetValue<double>(), 15);
    }

    [Fact]
    public void DemandSmallerThanTheBudget_LeavesResourcesIdle()
    {
        // No links, ∫D = Σa / 4: even a perfect fit meets at most a quarter of what the resource could make.
        var m = Measure("""{ "kind": "none" }""", mass: 1.5);
        Assert.Equal(1.0, m.Efficiencies.Amplification, 10);
        Assert.Equal(m.Coverage / 4, m.Efficiencies.ResourceEfficiency, 10);
        Assert.Equal(m.Efficiencies.ResourceEfficiency, m.Efficiencies.Utilisation, 12);
        Assert.True(m.Efficiencies.ResourceEfficiency <= 0.25 + 1e-12, $"resource efficiency {m.Efficiencies.ResourceEfficiency}");
        Assert.True(double.IsNaN(m.Efficiencies.CommunicationEfficiency));
    }
}
