using DpsTorch.Runs;
using DpsTorch.IO;
using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.Tests.Model;

public class CheckpointResumeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dps-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static DpsConfig Config(string optimizer = "adam") => ConfigLoader.Parse($$"""
        { "space": { "m": 48 }, "agents": { "count": 6 }, "demand": { "peaks": 3, "width": 0.2 },
          "topology": { "kind": "ring", "k": 1, "learned": true },
          "training": { "optimizer": "{{optimizer}}", "steps": 120, "restarts": 2, "checkpointEvery": 7, "logEvery": 5, "continuation": 0.2 } }
        """);

    private sealed class CancelAt(CancellationTokenSource cts, int restartIndex, int step) : IProgress<TrainProgress>
    {
        private int _restart;
        private int _lastStep = -1;
        public void Report(TrainProgress p)
        {
            if (p.Step < _lastStep) _restart++;
            _lastStep = p.Step;
            if (_restart == restartIndex && p.Step >= step) cts.Cancel();
        }
    }

    [Theory]
    [InlineData(0, 33, "adam")]
    [InlineData(1, 61, "adam")]
    [InlineData(0, 40, "sgd")]
    public void CancelledRun_ResumedFromCheckpoints_EndsBitIdentical_ToAnUninterruptedRun(int restart, int step, string optimizer)
    {
        var c = Config(optimizer);
        var straight = Experiment.Run(c, measureRobustness: false);

        var cts = new CancellationTokenSource();
        var partial = Experiment.Run(c, new CancelAt(cts, restart, step), cts.Token, measureRobustness: false, checkpointDir: _dir);
        Assert.False(partial.Complete);
        Assert.NotEmpty(Directory.GetFiles(_dir, "restart-*.json"));

        var resumed = Experiment.Run(c, measureRobustness: false, checkpointDir: _dir);
        Assert.True(resumed.Complete);
        Assert.Equal(straight.RestartLosses, resumed.RestartLosses);
        Assert.Equal(straight.BestRestart, resumed.BestRestart);
        Assert.Equal(straight.Model.Mu.ToArray(), resumed.Model.Mu.ToArray());
        Assert.Equal(straight.Model.Interaction.Theta!.ToArray(), resumed.Model.Interaction.Theta!.ToArray());
        Assert.Equal(straight.Training.Trajectory.Select(p => (p.Step, p.Loss, p.Heterogeneity)),
                     resumed.Training.Trajectory.Select(p => (p.Step, p.Loss, p.Heterogeneity)));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Checkpoint_FromADifferentConfig_IsRefused_NamingTheFile()
    {
        var cts = new CancellationTokenSource();
        Experiment.Run(Config(), new CancelAt(cts, 0, 20), cts.Token, measureRobustness: false, checkpointDir: _dir);
        var other = Config() with { Training = Config().Training with { Lr = 0.05 } };
        var ex = Assert.Throws<ConfigException>(() => Experiment.Run(other, measureRobustness: false, checkpointDir: _dir));
        Assert.Contains("restart-0.json", ex.Message);
        Assert.Contains("different config", ex.Message);
    }

    [Fact]
    public void Resume_RemovesTemporaryFilesLeftByAWriterKilledMidCheckpoint()
    {
        var cts = new CancellationTokenSource();
        Experiment.Run(Config(), new CancelAt(cts, 0, 20), cts.Token, measureRobustness: false, checkpointDir: _dir);
        string orphan = Path.Combine(_dir, ".restart-0.json.99999.0123456789abcdef.tmp");
        File.WriteAllText(orphan, "{ \"format\": \"dpstorch.param");
        var resumed = Experiment.Run(Config(), measureRobustness: false, checkpointDir: _dir);
        Assert.True(resumed.Complete);
        Assert.False(File.Exists(orphan));
    }

    [Fact]
    public void CancelDuringTheMeasures_KeepsTheTrainedRunComplete_SkipsRobustness_AndAResumeMeasuresIt()
    {
        var c = Config() with
        {
            Training = Config().Training with { Restarts = 1 },
            Measures = new MeasuresConfig { ResilienceSteps = 5, Seeds = 2, Fractions = [0, 0.5, 1] },
        };
        var straight = Experiment.Run(c, checkpointDir: Path.Combine(_dir, "straight"));
        Assert.NotNull(straight.Measures.Robustness);

        // The last progress report comes after the last step: cancelling there lands in the measures.
        var cts = new CancellationTokenSource();
        var cut = Experiment.Run(c, new CancelAt(cts, 0, c.Training.Steps), cts.Token, checkpointDir: _dir);
        Assert.True(cut.Complete);
        Assert.True(cut.Measures.RobustnessSkipped);
        Assert.Null(cut.Measures.Robustness);
        Assert.Null(cut.Measures.Resilience);
        Assert.Equal(straight.Measures.Coverage, cut.Measures.Coverage);

        var resumed = Experiment.Run(c, checkpointDir: _dir); // the restart's checkpoint says done: measures only
        Assert.False(resumed.Measures.RobustnessSkipped);
        Assert.Equal(straight.Measures.Robustness!.Area, resumed.Measures.Robustness!.Area);
        Assert.Equal(straight.Measures.Resilience!.Area, resumed.Measures.Resilience!.Area);
    }
}
