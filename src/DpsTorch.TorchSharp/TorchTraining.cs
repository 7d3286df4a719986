// The plain TorchSharp way to train a DpsModule: torch.optim.Adam, one DisposeScope per step so the step's
// intermediate tensors are freed at once (without it about 68 tensors per step stay alive until the GC finalises
// them: 3.4 GB after 600 steps, issue 17).
using static TorchSharp.torch;

namespace DpsTorch.TorchSharp;

/// <summary>Training loops on torch optimizers.</summary>
public static class TorchTraining
{
    /// <summary>
    /// <paramref name="steps"/> steps of torch.optim.Adam (constant learning rate) on the module's parameters; returns the
    /// loss at the final parameters. Throws <see cref="InvalidOperationException"/> naming the step when the loss stops
    /// being finite.
    /// </summary>
    public static double Adam(DpsModule module, int steps, double lr = 0.02)
    {
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "steps must be ≥ 0.");
        var optimizer = optim.Adam(module.TrainableParameters(), lr: lr);
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = module.Loss().Total;
            double value = loss.item<double>();
            if (!double.IsFinite(value)) throw new InvalidOperationException($"torch Adam step {step}: the loss is {value}.");
            loss.backward();
            optimizer.step();
        }
        using var final = NewDisposeScope();
        using var _ = no_grad();
        return module.Loss().Total.item<double>();
    }
}
