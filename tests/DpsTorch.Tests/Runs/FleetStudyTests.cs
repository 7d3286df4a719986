// The computing case study (experiments/15-ai-fleet) at small size: the program reproduces its closed forms in every
// replicate within the note's tolerance, the optimised fleet is never below a baseline, the best-k curve rises, and the
// run folder is written atomically.
using DpsTorch.Config;
using DpsTorch.Runs;

namespace DpsTorch.Tests.Runs;

public class FleetStudyTests
{
    private static CaseConfig Small(FleetBudget budget = FleetBudget.Cost) => new()
    {
        Kind = CaseKind.Fleet, Seeds = 5, Budget = budget,
        Devices = [FleetDeviceKind.H100, FleetDeviceKind.H200, FleetDeviceKind.A100, FleetDeviceKind.L4],
    };

    [Theory]
    [InlineData(FleetBudget.Power)]
    [InlineData(FleetBudget.Cost)]
    public void Replicates_ReproduceTheReferences_AndTheOptimumDominates(FleetBudget budget)
    {
        var reps = FleetStudy.Run(Small(budget));
        Assert.Equal(5, reps.Count);
        foreach (var r in reps)
        {
            Assert.True(r.HomogeneousError < CaseStudies.FleetReferenceTolerance, $"seed {r.Seed}: homogeneous closed form off by {r.HomogeneousError}");
            Assert.True(r.TrainingOnlyError < CaseStudies.FleetReferenceTolerance, $"seed {r.Seed}: training-only closed form off by {r.TrainingOnlyError}");
            double best = r[FleetStudy.Optimised].Fleet.Theta;
            foreach (var row in r.Rows) Assert.True(row.Fleet.Theta <= best * (1 + 1e-9), $"seed {r.Seed}: {row.Design} {row.Fleet.Theta} above the optimum {best}");
            for (int k = 2; k <= 4; k++) Assert.True(r[FleetStudy.K(k)].Fleet.Theta >= r[FleetStudy.K(k - 1)].Fleet.Theta * (1 - 1e-9));
            Assert.Equal(best, r[FleetStudy.K(4)].Fleet.Theta, 9);
            Assert.All(r.Rows, row => Assert.InRange(row.Utilisation, 0, 1 + 1e-9));
        }
        // Perturbed replicates differ from each other (the seeds are used).
        Assert.NotEqual(reps[0][FleetStudy.Optimised].Fleet.Theta, reps[1][FleetStudy.Optimised].Fleet.Theta);
    }

    [Fact]
    public void DpsSolver_ReproducesTheProgramInEveryDesign()
    {
        // The fleet as a DPS trained by the gradient trainer, every design beside its program (the reference): within the
        // note's tolerance, never above it, and every design converged by the trainer's gradient test.
        var c = Small() with { Seeds = 2, Devices = [FleetDeviceKind.H100, FleetDeviceKind.H200, FleetDeviceKind.L4], Solver = FleetSolverKind.Dps };
        var reps = FleetStudy.Run(c, training: new TrainingConfig { Restarts = 2 });
        foreach (var r in reps)
        {
            Assert.Equal(1 + 3 + 2, r.Rows.Count);
            foreach (var row in r.Rows)
            {
                Assert.NotNull(row.Reference);
                Assert.True(row.Fleet.Training!.Converged, $"seed {r.Seed}, {row.Design}: RMS gradient {row.Fleet.Training.GradientNorm:G3}");
                Assert.True(row.Gap <= 1e-9, $"seed {r.Seed}, {row.Design}: DPS θ {row.Fleet.Theta} above the program's {row.Reference.Theta}");
                Assert.True(row.Gap >= -CaseStudies.FleetDpsTolerance, $"seed {r.Seed}, {row.Design}: gap {row.Gap:G3}");
            }
        }
        string csv = FleetStudy.Csv(reps, c);
        Assert.Contains(",programTheta,gapToProgram,shareDistance,converged,", csv.Split('\n')[0]);
    }

    [Fact]
    public void Subsets_AreEveryCombination()
    {
        Assert.Equal(6, FleetStudy.Subsets(4, 2).Count());
        Assert.Equal(new[] { 0, 1, 2 }, Assert.Single(FleetStudy.Subsets(3, 3)));
        Assert.Equal(4, FleetStudy.Subsets(4, 1).Count());
    }

    [Fact]
    public void CaseRun_WritesSummaryResultsAndConfig_Atomically()
    {
        using var tmp = new TempDir();
        string dir = tmp.File("run");
        var config = ConfigLoader.Validate(new DpsConfig { Case = Small() });
        var folder = CaseStudies.Execute(config, dir, DpsTorch.IO.RunMetadata.Capture());
        foreach (var f in new[] { "summary.json", "results.csv", "config.json", "report.svg" }) Assert.True(File.Exists(Path.Combine(dir, f)), f);
        Assert.Equal("fleet", (string?)folder.Summary["kind"]);
        Assert.True((double)folder.Summary["referenceChecks"]!["homogeneousMaxRelativeError"]! < CaseStudies.FleetReferenceTolerance);
        Assert.Empty(Directory.GetDirectories(dir, ".staging-*"));
        var reread = ConfigLoader.Load(Path.Combine(dir, "config.json"));
        Assert.Equal(CaseKind.Fleet, reread.Case!.Kind);
        Assert.Equal(Small().Devices, reread.Case.Devices);
        Assert.Equal(FleetBudget.Cost, reread.Case.Budget);
        // One row per replicate and design: optimised, k1 … k4, flat, mean-designed.
        Assert.Equal(1 + 5 * 7, File.ReadAllLines(Path.Combine(dir, "results.csv")).Length);
    }
}
