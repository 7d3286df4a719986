// Issue 12: flat and nested systems go through one trainer and one run pipeline. A nested system honours every
// training.* key the trainer reads (schedule, back-off, checkpoints) and resumes bit-identically (the CLI side, dps run
// and dps sweep on nested configs, is in tests/DpsTorch.Cli.Tests/UnifiedRunCliTests.cs).
using System.Text.Json.Nodes;
using DpsTorch.Config;
using DpsTorch.IO;
using DpsTorch.Model;
using DpsTorch.Nested;
using DpsTorch.Runs;

namespace DpsTorch.Tests.Runs;

public class UnifiedRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-unified-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static DpsConfig Nested(string training = "") => ConfigLoader.Parse($$"""
        { "space": { "m": 32 }, "agents": { "count": 6 }, "demand": { "peaks": 3, "width": 0.2 },
          "training": { "steps": 60, "restarts": 2, "checkpointEvery": 7, "logEvery": 5, "continuation": 0.2, "tolerance": 0, "gradTolerance": 0 {{training}} },
          "measures": { "resilienceSteps": 0, "fractions": [0, 1], "seeds": 1 },
          "levels": [ { "size": 3, "topology": { "kind": "ring", "k": 1, "learned": true }, "lambdaC": 0.01 },
                      { "size": 2, "topology": { "kind": "complete", "learned": true }, "lambdaC": 0.05 } ] }
        """);

    [Fact]
    public void NestedTraining_HonoursTheSchedule_CosineAndConstantEndDifferently()
    {
        var cosine = Experiment.Run(Nested(""", "schedule": "cosine" """), measureRobustness: false);
        var constant = Experiment.Run(Nested(""", "schedule": "constant" """), measureRobustness: false);
        Assert.True(cosine.IsNested);
        Assert.NotEqual(cosine.Training.Loss, constant.Training.Loss);
        Assert.NotEqual(cosine.System.Parameters()[0].ToArray(), constant.System.Parameters()[0].ToArray());
    }

    [Fact]
    public void NestedTraining_BacksOff_AfterANonFiniteStep_AndGoesOn()
    {
        // One SGD step at lr = 1e300 sends ρ to ~1e300, so the breadth cost λ_σ Σσ² overflows at the next step (set on
        // the record: the loader refuses such a rate).
        var c = ConfigLoader.Parse("""
            { "space": { "m": 32 }, "agents": { "count": 4, "init": "spread" }, "objective": { "lambdaSigma": 1 },
              "training": { "optimizer": "sgd", "momentum": 0, "steps": 5, "restarts": 1, "gradTolerance": 0 },
              "levels": [ { "size": 2, "topology": { "kind": "complete", "weight": 0.2 } }, { "size": 2, "topology": { "kind": "none" } } ] }
            """);
        var failing = c with { Training = c.Training with { Lr = 1e300, Backoff = 0 } };
        Assert.Throws<NonFiniteException>(() => Trainer.Train(NestedBuilder.Create(failing), failing.Training, _ => (0, 0, 0)));

        var backingOff = c with { Training = c.Training with { Lr = 1e300, Backoff = 1e-100 } };
        var result = Trainer.Train(NestedBuilder.Create(backingOff), backingOff.Training, _ => (0, 0, 0));
        Assert.Equal(5, result.Steps);
        Assert.NotEmpty(result.Warnings!);
        Assert.All(result.Warnings!, w => Assert.Contains("backed off", w));
        Assert.True(double.IsFinite(result.Loss));
    }

    private sealed class CancelAt(CancellationTokenSource cts, int restartIndex, int step) : IProgress<TrainProgress>
    {
        private int _restart, _lastStep = -1;
        public int Reports { get; private set; }
        public void Report(TrainProgress p)
        {
            Reports++;
            if (p.Step < _lastStep) _restart++;
            _lastStep = p.Step;
            if (_restart == restartIndex && p.Step >= step) cts.Cancel();
        }
    }

    [Theory]
    [InlineData(0, 23)]
    [InlineData(1, 41)]
    public void NestedRun_CancelledAndResumedFromCheckpoints_EndsBitIdentical_ToAnUninterruptedRun(int restart, int step)
    {
        var c = Nested();
        var straight = Experiment.Run(c, measureRobustness: false);

        var cts = new CancellationTokenSource();
        var progress = new CancelAt(cts, restart, step);
        var partial = Experiment.Run(c, progress, cts.Token, measureRobustness: false, checkpointDir: _dir);
        Assert.False(partial.Complete);
        Assert.True(progress.Reports > 0); // nested training reports progress like a flat one
        Assert.NotEmpty(Directory.GetFiles(_dir, "restart-*.json"));

        var resumed = Experiment.Run(c, measureRobustness: false, checkpointDir: _dir);
        Assert.True(resumed.Complete);
        Assert.Equal(straight.RestartLosses, resumed.RestartLosses);
        Assert.Equal(straight.BestRestart, resumed.BestRestart);
        var a = straight.System.Parameters();
        var b = resumed.System.Parameters();
        for (int k = 0; k < a.Count; k++) Assert.Equal(a[k].ToArray(), b[k].ToArray());
        Assert.Equal(straight.Training.Trajectory.Select(p => (p.Step, p.Loss, p.Heterogeneity, p.Coverage)),
                     resumed.Training.Trajectory.Select(p => (p.Step, p.Loss, p.Heterogeneity, p.Coverage)));
        Assert.Equal(straight.LevelMeasures!.Loss, resumed.LevelMeasures!.Loss);
    }
}
