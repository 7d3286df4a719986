// Learning-rate schedules: constant, cosine with linear warmup, and step decay; Apply sets an optimizer's rate.
namespace DpsTorch.Optim;

/// <summary>
/// A learning rate as a function of the step index (0-based). Use <see cref="Apply"/> before each optimizer step:
/// <c>schedule.Apply(opt, step); opt.Step();</c>.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>The learning rate at <paramref name="step"/> (>= 0).</summary>
    public abstract double LearningRate(int step);

    /// <summary>Sets <paramref name="optimizer"/>'s learning rate to <see cref="LearningRate"/>(<paramref name="step"/>) and returns it.</summary>
    public double Apply(Optimizer optimizer, int step)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        double lr = LearningRate(step);
        optimizer.LearningRate = lr;
        return lr;
    }

    /// <summary>Throws unless step >= 0.</summary>
    protected static void CheckStep(int step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "The step index must be >= 0.");
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and >= 0, naming <paramref name="name"/>.</summary>
    protected static void CheckRate(double value, string name)
    {
        if (!double.IsFinite(value) || value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and >= 0.");
    }
}

/// <summary>The same learning rate at every step.</summary>
public sealed class ConstantSchedule : LearningRateSchedule
{
    /// <summary>A schedule that always returns <paramref name="lr"/>.</summary>
    public ConstantSchedule(double lr) { CheckRate(lr, nameof(lr)); Lr = lr; }

    /// <summary>The constant rate.</summary>
    public double Lr { get; }

    /// <inheritdoc/>
    public override double LearningRate(int step) { CheckStep(step); return Lr; }
}

/// <summary>
/// Linear warmup then cosine annealing (torch's CosineAnnealingLR after warmup). With w = warmupSteps and T = totalSteps:
/// <code>
/// step &lt; w:       lr = baseLr · (step + 1) / w
/// w ≤ step ≤ T:    lr = minLr + (baseLr − minLr) · (1 + cos(π · (step − w) / (T − w))) / 2
/// step &gt; T:       lr = minLr
/// </code>
/// So lr(w) = baseLr (lr(0) = baseLr without warmup) and lr(T) = minLr.
/// </summary>
public sealed class CosineSchedule : LearningRateSchedule
{
    /// <summary>Cosine decay from <paramref name="baseLr"/> to <paramref name="minLr"/> at <paramref name="totalSteps"/>, after <paramref name="warmupSteps"/> of linear warmup.</summary>
    public CosineSchedule(double baseLr, int totalSteps, double minLr = 0, int warmupSteps = 0)
    {
        CheckRate(baseLr, nameof(baseLr));
        CheckRate(minLr, nameof(minLr));
        if (minLr > baseLr) throw new ArgumentOutOfRangeException(nameof(minLr), minLr, $"minLr must be <= baseLr ({baseLr}).");
        if (warmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "warmupSteps must be >= 0.");
        if (totalSteps <= warmupSteps)
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"totalSteps must be greater than warmupSteps ({warmupSteps}).");
        (BaseLr, TotalSteps, MinLr, WarmupSteps) = (baseLr, totalSteps, minLr, warmupSteps);
    }

    /// <summary>Peak rate, reached at the end of warmup.</summary>
    public double BaseLr { get; }
    /// <summary>Step at which the rate reaches <see cref="MinLr"/>.</summary>
    public int TotalSteps { get; }
    /// <summary>Final rate.</summary>
    public double MinLr { get; }
    /// <summary>Number of linear-warmup steps.</summary>
    public int WarmupSteps { get; }

    /// <inheritdoc/>
    public override double LearningRate(int step)
    {
        CheckStep(step);
        if (step < WarmupSteps) return BaseLr * (step + 1) / WarmupSteps;
        if (step >= TotalSteps) return MinLr;
        double progress = (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps);
        return MinLr + (BaseLr - MinLr) * (1 + Math.Cos(Math.PI * progress)) / 2;
    }
}

/// <summary>Step decay (torch's StepLR): lr = baseLr · gamma^⌊step / stepSize⌋.</summary>
public sealed class StepSchedule : LearningRateSchedule
{
    /// <summary>Multiplies <paramref name="baseLr"/> by <paramref name="gamma"/> every <paramref name="stepSize"/> steps.</summary>
    public StepSchedule(double baseLr, int stepSize, double gamma)
    {
        CheckRate(baseLr, nameof(baseLr));
        if (stepSize < 1) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "stepSize must be >= 1.");
        CheckRate(gamma, nameof(gamma));
        (BaseLr, StepSize, Gamma) = (baseLr, stepSize, gamma);
    }

    /// <summary>Rate for steps 0 .. stepSize − 1.</summary>
    public double BaseLr { get; }
    /// <summary>Steps between decays.</summary>
    public int StepSize { get; }
    /// <summary>Decay factor.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    public override double LearningRate(int step)
    {
        CheckStep(step);
        return BaseLr * Math.Pow(Gamma, step / StepSize);
    }
}
