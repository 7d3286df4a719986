// Reference systems to compare an optimum with: the best homogeneous system of the same size and resources.
using DpsTorch.Config;

namespace DpsTorch.Model;

/// <summary>Baseline systems (MODEL.md section 5, prediction 4).</summary>
public static class Baselines
{
    /// <summary>
    /// The best homogeneous system of equal resources: one agent type (μ, σ) trained alone with the whole budget R, then
    /// cloned into N identical agents with R/N each, on the config's topology. Training uses the config's settings.
    /// </summary>
    public static DpsModel Homogeneous(DpsConfig config) => Homogeneous(config, out _);

    /// <summary>As <see cref="Homogeneous(DpsConfig)"/>, also giving the training result of the single type.</summary>
    public static DpsModel Homogeneous(DpsConfig config, out TrainResult training)
    {
        var single = config with
        {
            Agents = config.Agents with { Count = 1, Budget = SystemBuilder.Budget(config) },
            Topology = new TopologyConfig(),
        };
        DpsModel? best = null;
        TrainResult? bestResult = null;
        double bestLoss = double.PositiveInfinity;
        for (int r = 0; r < config.Training.Restarts; r++)
        {
            var m = SystemBuilder.Create(single, r);
            var result = Trainer.Train(m, single.Training, _ => (1, 0, 0));
            if (result.Loss < bestLoss) { bestLoss = result.Loss; best = m; bestResult = result; }
        }
        training = bestResult!;
        var twin = SystemBuilder.Create(config with { Agents = config.Agents with { Homogeneous = false } });
        twin.Mu.Fill_(best!.Mu.Data[0]);
        twin.Rho.Fill_(best.Rho.Data[0]);
        twin.Alpha.Zero_();
        return twin;
    }
}
