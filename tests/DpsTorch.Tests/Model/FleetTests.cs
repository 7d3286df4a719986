// The fleet of the computing case study (Model/Fleet.cs): the linear program reproduces the closed forms it is checked
// against in the note (tolerance 1e-6 relative; here 1e-9), two hand-computed two-device cases (a two-job mix and
// prefill/decode disaggregation with a KV transfer), and the roofline catalogue's figures.
using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.Tests.Model;

public class FleetTests
{
    /// <summary>Two devices, hand-set device-hours h[t, j] (order pretrain, finetune, prefill, decode) and budgets.</summary>
    private static FleetProblem TwoDevices(double[] hours, double[] fixedCost, double pretrain, double finetune, double inference,
        double prefillFraction = 0.5, double transfer = 0, double swing = 0)
    {
        var d = FleetCatalogue.Device(FleetDeviceKind.H100);
        return new FleetProblem([d, d with { Kind = FleetDeviceKind.H200 }], hours, pretrain, finetune, inference, prefillFraction, transfer, swing,
            fixedCost, [0, 0], 0.3, 0, [1, 1], 0.1);
    }

    [Fact]
    public void TwoJobsTwoDevices_SolveTheHandComputedProgram()
    {
        // A: 1 device-second per unit of either job, budget 1 per device. B: 2.5 on pre-training, 0.5 on fine-tuning,
        // budget 0.5. Budget per unit of work: pre-training A 1 < B 1.25, fine-tuning B 0.25 < A 1. With half the mix
        // each, θ* = 1 / (0.5·1 + 0.5·0.25) = 1.6; A holds 0.8 devices (pre-training), B 0.4 (fine-tuning).
        var p = TwoDevices([1, 1, 1, 1, 2.5, 0.5, 1, 1], [1, 0.5], 0.5, 0.5, 0);
        var d = FleetSolver.Solve(p);
        Assert.Equal(1.6, d.Theta, 9);
        Assert.Equal(0.8, d.Counts[0], 9);
        Assert.Equal(0.4, d.Counts[1], 9);
        Assert.Equal(1.6, FleetReference.TrainingOnly(p), 12);
        Assert.Equal(2, DpsTorch.Measures.FleetMeasures.Types(p, d));
        // Either device alone does worse: A 1, B 1 / (0.5·1.25 + 0.5·0.25) = 4/3.
        Assert.Equal(1, FleetSolver.Solve(p, [0]).Theta, 9);
        Assert.Equal(4.0 / 3, FleetSolver.Solve(p, [1]).Theta, 9);
    }

    [Theory]
    [InlineData(0.05, 0.0, 1 / 0.8, 1.0)]
    [InlineData(0.05, 0.5, 1 / (1.5 * 0.8), 1.0)]
    [InlineData(0.30, 0.0, 1.0, 0.0)]
    public void Disaggregation_PaysWhenTheTransferIsCheap(double transfer, double swing, double theta, double split)
    {
        // Inference only, φ = 0.5. A: prefill 1, decode 1; B: prefill 4, decode 0.5; budget 1 each. Per unit of requests
        // the routes cost (device-seconds = budget): A alone 1, B alone 2.25, prefill A + decode B 0.75 + κ, prefill B +
        // decode A 2.5 + κ. Without training to fill the night the fleet is sized for the day peak: θ* = 1 / ((1 + s)·min route).
        var p = TwoDevices([1, 1, 1, 1, 1, 1, 4, 0.5], [1, 1], 0, 0, 1, 0.5, transfer, swing);
        var d = FleetSolver.Solve(p);
        Assert.Equal(theta, d.Theta, 9);
        Assert.Equal(split, d.Split, 9);
        if (swing > 0) Assert.True(DpsTorch.Measures.FleetMeasures.Utilisation(p, d) < 0.99, "a fleet sized for the peak must idle at night");
    }

    [Fact]
    public void CatalogueProblems_ReproduceTheClosedForms()
    {
        foreach (var budget in new[] { FleetBudget.Power, FleetBudget.Cost })
            for (int seed = 0; seed < 4; seed++)
            {
                var c = new CaseConfig { Kind = CaseKind.Fleet, Budget = budget, Swing = 0.3 * seed };
                var rng = new Random(seed);
                var e = Enumerable.Range(0, c.Devices.Count * FleetProblem.Jobs).Select(_ => Math.Exp(0.2 * (rng.NextDouble() - 0.5))).ToArray();
                var p = FleetProblem.Of(c, e);
                for (int t = 0; t < p.Types; t++)
                {
                    double lp = FleetSolver.Solve(p, [t]).Theta, closed = FleetReference.Homogeneous(p, t);
                    Assert.True(Math.Abs(lp / closed - 1) < 1e-9, $"{budget}, seed {seed}, {p.Devices[t].Name}: program {lp}, closed form {closed}");
                }
                var q = p with { Pretrain = 0.7, Finetune = 0.3, Inference = 0 };
                Assert.True(Math.Abs(FleetSolver.Solve(q).Theta / FleetReference.TrainingOnly(q) - 1) < 1e-9, $"{budget}, seed {seed}: training-only mix");
            }
    }

    [Fact]
    public void Optimised_DominatesEveryRestriction()
    {
        var p = FleetProblem.Of(new CaseConfig { Kind = CaseKind.Fleet, Budget = FleetBudget.Cost, Devices = [FleetDeviceKind.H100, FleetDeviceKind.H200, FleetDeviceKind.L4] });
        double best = FleetSolver.Solve(p).Theta;
        for (int t = 0; t < p.Types; t++) Assert.True(FleetSolver.Solve(p, [t]).Theta <= best * (1 + 1e-9));
        Assert.True(FleetSolver.Solve(p, proportions: [1, 1, 1]).Theta <= best * (1 + 1e-9));
        // The budget is spent: a fully used reference fleet has θ = 1 at budget 1, so every design's budget row binds.
        var d = FleetSolver.Solve(p);
        double spent = 0;
        for (int t = 0; t < p.Types; t++) spent += p.Fixed[t] * d.Counts[t] + p.Busy[t] * d.BusyDevices[t];
        Assert.Equal(1, spent, 6);
    }

    [Fact]
    public void Roofline_UsesTheDatasheetFigures()
    {
        var c = new CaseConfig { Kind = CaseKind.Fleet };
        var h100 = FleetCatalogue.Device(FleetDeviceKind.H100);
        // Decode is memory-bound: 2PB / (2P + B·kv·(prompt + output/2)) FLOP/B for P = 70e9, B = 16, kv = 327,680 B.
        double intensity = 2 * 70e9 * 16 / (2 * 70e9 + 16 * 327_680.0 * (1500 + 125));
        Assert.Equal(intensity, FleetCatalogue.DecodeIntensity(c), 9);
        var decode = FleetCatalogue.Profile(FleetJob.Decode, c);
        double r = FleetCatalogue.Throughput(h100, decode);
        Assert.True(r < 3.35e12 * intensity && r > 0.9 * 3.35e12 * intensity, $"H100 decode {r:G4} FLOP/s against its roofline {3.35e12 * intensity:G4}");
        // Pre-training is compute-bound but pays its tensor-parallel traffic: below peak, above half of it on NVLink.
        double train = FleetCatalogue.Throughput(h100, FleetCatalogue.Profile(FleetJob.Pretrain, c));
        Assert.InRange(train, 0.4 * 989.4e12, 989.4e12);
        // A replica of the 70B model (149 GB with the batch's KV caches) needs 8 L4s (24 GB), 2 H100s, one MI300X.
        Assert.Equal(8, FleetCatalogue.TensorParallel(FleetCatalogue.Device(FleetDeviceKind.L4), decode));
        Assert.Equal(2, FleetCatalogue.TensorParallel(h100, decode));
        Assert.Equal(1, FleetCatalogue.TensorParallel(FleetCatalogue.Device(FleetDeviceKind.Mi300x), decode));
        // The reference device's relative throughput is 1 on every job; the budget unit is one busy reference device.
        var p = FleetProblem.Of(c);
        for (int j = 0; j < FleetProblem.Jobs; j++) Assert.Equal(1, p.H(0, (FleetJob)j), 12);
        Assert.Equal(1, p.Fixed[0] + p.Busy[0], 12);
    }
}
