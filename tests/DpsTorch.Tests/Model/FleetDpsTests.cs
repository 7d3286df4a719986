// The fleet as a DPS trained by the gradient trainer (Model/FleetDps.cs) against the exact linear program (Model/Fleet.cs),
// the reference: on small catalogue instances the trainer's converged optimum reproduces the program's θ* and budget
// shares within the tolerances the experiment note states; the DPS's hard θ never exceeds θ* (every DPS routing is a
// feasible routing of the program); its smooth loss is differentiated correctly.
using DpsTorch.Autograd;
using DpsTorch.Config;
using DpsTorch.Measures;
using DpsTorch.Model;

namespace DpsTorch.Tests.Model;

public class FleetDpsTests
{
    /// <summary>The relative tolerance on θ the note states (case.dpsSharpness 1e4: the smooth maximum's bias is below θ*²·ln(T·F)/β ≈ 2.5e-4·θ*²).</summary>
    private const double ThetaTolerance = 1e-3;
    /// <summary>Budget shares: absolute tolerance.</summary>
    private const double ShareTolerance = 0.02;

    private static readonly TrainingConfig Training = new() { Restarts = 2, Steps = 1500, Lr = 0.05, Seed = 3 };

    private static FleetProblem Problem(FleetBudget budget, params FleetDeviceKind[] devices)
        => FleetProblem.Of(new CaseConfig { Kind = CaseKind.Fleet, Budget = budget, Devices = devices });

    [Theory]
    [InlineData(FleetBudget.Cost, new[] { FleetDeviceKind.H100, FleetDeviceKind.H200 })]
    [InlineData(FleetBudget.Power, new[] { FleetDeviceKind.H100, FleetDeviceKind.H200, FleetDeviceKind.L4 })]
    [InlineData(FleetBudget.Cost, new[] { FleetDeviceKind.H100, FleetDeviceKind.H200, FleetDeviceKind.A100 })]
    public void TrainedDps_ReproducesTheProgramOptimum(FleetBudget budget, FleetDeviceKind[] devices)
    {
        var p = Problem(budget, devices);
        var lp = FleetSolver.Solve(p);
        var dps = FleetDpsSolver.Solve(p, Training, sharpness: 1e4, stages: 3);
        Assert.NotNull(dps.Training);
        Assert.True(dps.Training.Converged, $"not converged: RMS gradient {dps.Training.GradientNorm:G3}");
        Assert.True(dps.Theta <= lp.Theta * (1 + 1e-9), $"DPS θ {dps.Theta} above the program's optimum {lp.Theta}");
        Assert.True(dps.Theta >= lp.Theta * (1 - ThetaTolerance), $"DPS θ {dps.Theta} more than {ThetaTolerance} below θ* {lp.Theta}");
        var a = FleetMeasures.BudgetShares(p, dps);
        var b = FleetMeasures.BudgetShares(p, lp);
        for (int t = 0; t < p.Types; t++)
            Assert.True(Math.Abs(a[t] - b[t]) <= ShareTolerance, $"{p.Devices[t].Name}: DPS share {a[t]:F4}, program {b[t]:F4}");
    }

    [Fact]
    public void FixedProportions_ReproduceTheProgramWithTheSameProportions()
    {
        var p = Problem(FleetBudget.Cost, FleetDeviceKind.H100, FleetDeviceKind.H200, FleetDeviceKind.L4);
        double[] flat = [.. p.Fixed.Select(f => 1 / f)];
        double lp = FleetSolver.Solve(p, proportions: flat).Theta;
        var dps = FleetDpsSolver.Solve(p, Training, sharpness: 1e4, stages: 1, proportions: flat);
        Assert.True(dps.Training!.Converged, $"RMS gradient {dps.Training.GradientNorm:G3}");
        Assert.InRange(dps.Theta / lp - 1, -ThetaTolerance, 1e-9);
        // The counts keep the proportions and the budget is spent.
        Assert.Equal(dps.Counts[0] / dps.Counts[1], flat[0] / flat[1], 9);
        double spent = Enumerable.Range(0, p.Types).Sum(t => p.Fixed[t] * dps.Counts[t] + p.Busy[t] * dps.BusyDevices[t]);
        Assert.Equal(1, spent, 9);
    }

    [Theory]
    [InlineData(FleetDpsShares.Derived)]
    [InlineData(FleetDpsShares.Trained)]
    public void HardTheta_NeverExceedsTheProgram_AndTheDesignSpendsTheBudget(FleetDpsShares shares)
    {
        // Every DPS state is a feasible design of the program: at random logits its θ is at most θ*, and its counts,
        // busy time and work are those of a design that serves θ times the mix with the budget.
        var p = Problem(FleetBudget.Cost, FleetDeviceKind.H100, FleetDeviceKind.H200, FleetDeviceKind.A100);
        double best = FleetSolver.Solve(p).Theta;
        var rng = new Random(5);
        for (int i = 0; i < 20; i++)
        {
            var s = new FleetDpsSystem(p, 1e4, rng, shares: shares, jitter: 2);
            var d = s.Design();
            Assert.True(d.Theta <= best * (1 + 1e-12), $"start {i}: θ {d.Theta} above θ* {best}");
            Assert.True(d.Theta > 0);
            double spent = Enumerable.Range(0, p.Types).Sum(t => p.Fixed[t] * d.Counts[t] + p.Busy[t] * d.BusyDevices[t]);
            Assert.InRange(spent, 1 - 1e-9, 1 + 1e-9);
            for (int t = 0; t < p.Types; t++) Assert.True(d.BusyDevices[t] <= d.Counts[t] * (1 + 1e-12), $"start {i}: type {t} busier than it holds devices");
            double pre = Enumerable.Range(0, p.Types).Sum(t => d.Work[t * FleetProblem.Jobs + (int)FleetJob.Pretrain]);
            Assert.Equal(d.Theta * p.Pretrain, pre, 12);
            // The smooth loss bounds the hard one: 1/θ_β ≤ 1/θ for the derived shares' smooth maximum (below the maximum),
            // ≥ for the trained shares' log-sum-exp (above it).
            double soft = s.Evaluate(null, backward: false).Total;
            if (shares == FleetDpsShares.Derived) Assert.True(soft <= 1 / d.Theta * (1 + 1e-12));
            else Assert.True(soft >= 1 / d.Theta * (1 - 1e-12));
        }
    }

    [Theory]
    [InlineData(FleetDpsShares.Derived)]
    [InlineData(FleetDpsShares.Trained)]
    public void Loss_MatchesFiniteDifferences(FleetDpsShares shares)
    {
        var p = Problem(FleetBudget.Cost, FleetDeviceKind.H100, FleetDeviceKind.H200);
        var s = new FleetDpsSystem(p, 30, new Random(2), shares: shares, jitter: 0.5);
        // The inputs are the system's own leaves: the check perturbs them in place and rebuilds the loss from them.
        var r = GradCheck.Check(_ => s.Loss(), [.. s.Parameters()]);
        Assert.True(r.Passed, r.ToString());
    }

    [Fact]
    public void TrainedShares_CanStopAtAWorseStationaryPoint()
    {
        // Why case.dpsShares defaults to "derived": with the shares trained as softmax(α) beside the routing the loss is
        // not convex, and from a sharp start (β = 100 to 1e4 in three stages) every start stops, converged by the
        // gradient test, at a fleet that puts 10% of the budget on H100s doing prefill only, 0.4% below the program's
        // optimum (all H200). The derived shares reach the optimum from the same starts.
        var p = Problem(FleetBudget.Power, FleetDeviceKind.H100, FleetDeviceKind.H200, FleetDeviceKind.L4);
        double best = FleetSolver.Solve(p).Theta;
        var trained = FleetDpsSolver.Solve(p, Training, 1e4, 3, shares: FleetDpsShares.Trained);
        var derived = FleetDpsSolver.Solve(p, Training, 1e4, 3, shares: FleetDpsShares.Derived);
        Assert.True(trained.Training!.Converged);
        Assert.True(trained.Theta < best * (1 - 1e-3), $"trained shares reached {trained.Theta / best - 1:G3} of θ*");
        Assert.True(derived.Training!.Converged);
        Assert.True(derived.Theta > best * (1 - 1e-6), $"derived shares: {derived.Theta / best - 1:G3}");
    }
}
