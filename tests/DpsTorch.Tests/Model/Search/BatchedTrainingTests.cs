// The restarts' first-order phase as one batched computation gives each start the result it gets alone.
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Model.Search;
using DpsTorch.Runs;

namespace DpsTorch.Tests.Model.Search;

public class BatchedTrainingTests
{
    private static DpsConfig Config(bool batched, string objective = "system", int restarts = 3, int m = 64) => ConfigLoader.Parse($$"""
        { "space": { "m": {{m}} }, "agents": { "count": 6 },
          "demand": { "kind": "mixture", "centers": [0.5, 2.0, 4.0], "widths": [0.3, 0.2, 0.4], "weights": [2, 1, 1] },
          "objective": { "kind": "{{objective}}" },
          "training": { "steps": 300, "restarts": {{restarts}}, "batched": {{(batched ? "true" : "false")}} },
          "measures": { "resilienceSteps": 0, "fractions": [0, 1], "seeds": 1 } }
        """);

    private static (double, double, double) NoMeasures(DpsModel _) => (0, 0, 0);

    [Theory]
    [InlineData("system", 64)]   // the spread start's σ = 0.26 is below M = 64's band limit: the grid path
    [InlineData("system", 256)]  // the Fourier-space path (BatchedStarts.Spectral)
    [InlineData("local", 256)]
    public void Train_GivesEachStartTheTrainersResult(string objective, int m)
    {
        var c = Config(batched: true, objective, m: m);
        var starts = Enumerable.Range(0, 3).Select(r => SystemBuilder.Create(c, r)).ToArray();
        var batched = BatchedTraining.Train(starts, c.Training, NoMeasures);
        Assert.NotNull(batched);
        for (int r = 0; r < 3; r++)
        {
            var alone = SystemBuilder.Create(c, r);
            var single = Trainer.Train(alone, c.Training, NoMeasures);
            Assert.Equal(single.Steps, batched[r].Steps);
            Assert.Equal(single.Reason, batched[r].Reason);
            Assert.Equal(single.Converged, batched[r].Converged);
            Assert.Equal(single.Loss, batched[r].Loss, 1e-9 * Math.Max(single.Loss, 1e-300) + 1e-15);
            Assert.Equal(single.Trajectory.Count, batched[r].Trajectory.Count);
            var mu = alone.Mu.ToArray();
            var got = starts[r].Mu.ToArray();
            for (int i = 0; i < mu.Length; i++) Assert.Equal(mu[i], got[i], 1e-8);
        }
    }

    [Fact]
    public void BatchedRestarts_ReportTheSameStartsAsOneAtATime()
    {
        var one = Experiment.Run(Config(batched: false), measureRobustness: false);
        var all = Experiment.Run(Config(batched: true), measureRobustness: false);
        Assert.Equal(one.BestRestart, all.BestRestart);
        Assert.Equal(Convergence.ReachedBest(one.RestartLosses), Convergence.ReachedBest(all.RestartLosses));
        for (int r = 0; r < one.RestartLosses.Count; r++)
            Assert.Equal(one.RestartLosses[r], all.RestartLosses[r], 1e-9 * Math.Abs(one.RestartLosses[r]) + 1e-15);
        Assert.Equal(one.Training.Steps, all.Training.Steps);
    }

    [Fact]
    public void Applies_OnlyWhereItPays()
    {
        var t = Config(batched: true).Training;
        Assert.True(BatchedTraining.Applies(t, ObjectiveKind.System, 6));
        Assert.True(BatchedTraining.Applies(t, ObjectiveKind.Local, 6));
        Assert.False(BatchedTraining.Applies(t, ObjectiveKind.Local, 6, MismatchKind.Unmet));
        Assert.False(BatchedTraining.Applies(t, ObjectiveKind.LocalShare, 6));
        Assert.False(BatchedTraining.Applies(t with { Restarts = 1 }, ObjectiveKind.System, 6));
        Assert.False(BatchedTraining.Applies(t with { Optimizer = OptimizerKind.Lbfgs }, ObjectiveKind.System, 6));
        Assert.False(BatchedTraining.Applies(t with { Backoff = 0.5 }, ObjectiveKind.System, 6));
        Assert.False(BatchedTraining.Applies(t with { Batched = false }, ObjectiveKind.System, 6));
        Assert.False(BatchedTraining.Applies(t, ObjectiveKind.System, BatchedTraining.MaxAgents + 1));
    }
}
