// The checks the trainer (Model/Trainer.cs) runs at every step, flat and nested alike: the loss, the gradients,
// the parameters after the update, the optimizer's own state, and the derived σ and resources. Each failure names the
// step, the quantity and the value, so every command ends a broken run with the same one-line message.
using DpsTorch.Optim;

namespace DpsTorch.Model;

/// <summary>
/// A loss, gradient, parameter, optimizer buffer or derived quantity (σ, resources) became NaN, infinite or degenerate;
/// the message names the step, the quantity and the value.
/// </summary>
public sealed class NonFiniteException(string message, bool causedByPreviousUpdate = false) : Exception(message)
{
    /// <summary>True for a non-finite loss, which the previous step's update produced.</summary>
    public bool CausedByPreviousUpdate { get; } = causedByPreviousUpdate;
}

/// <summary>The per-step checks of training; <c>label</c> ("training") starts every message.</summary>
public static class NonFiniteGuard
{
    /// <summary>What the fix usually is, appended to the final message of a failed run.</summary>
    public const string Hint = "try a smaller training.lr, or training.backoff; a loss that overflows points at agents.budget or demand.mass being too large";

    /// <summary>Throws when the loss is not finite (blamed on the previous update).</summary>
    public static void CheckLoss(string label, int step, double loss)
    {
        if (!double.IsFinite(loss))
            throw new NonFiniteException($"{label} step {step}: the loss is {loss}", causedByPreviousUpdate: true);
    }

    /// <summary>Throws at the first gradient entry that is not finite.</summary>
    public static void CheckGradients(string label, int step, IReadOnlyList<Tensor> ps, IReadOnlyList<string> names)
    {
        for (int k = 0; k < ps.Count; k++)
        {
            if (ps[k].Grad is not { } grad) continue;
            var g = grad.Data;
            for (int i = 0; i < g.Length; i++)
                if (!double.IsFinite(g[i]))
                    throw new NonFiniteException($"{label} step {step}: the gradient of parameter {names[k]}[{i}] is {g[i]}");
        }
    }

    /// <summary>
    /// Throws when the update left a parameter, an optimizer buffer or a derived quantity unusable: every
    /// σ = σ_min + softplus(ρ) must be finite and positive, and the resources finite, non-negative and not all zero
    /// (a soft budget's softplus(α) underflows to 0 once every α is below about −745).
    /// </summary>
    public static void CheckState(string label, int step, IReadOnlyList<Tensor> ps, IReadOnlyList<string> names, Optimizer optimizer,
        Func<Tensor> sigma, Func<Tensor> resources, string resourcesFormula)
    {
        for (int k = 0; k < ps.Count; k++)
        {
            var d = ps[k].Data;
            for (int i = 0; i < d.Length; i++)
                if (!double.IsFinite(d[i]))
                    throw new NonFiniteException($"{label} step {step}: parameter {names[k]}[{i}] became {d[i]} after the update");
        }
        if (optimizer.FirstNonFinite(names) is { } bad)
            throw new NonFiniteException($"{label} step {step}: after the update the optimizer's state is not finite: {bad} (the gradients are too large to square)");
        using var _ = TensorEngine.NoGrad();
        var s = sigma().Data;
        for (int i = 0; i < s.Length; i++)
            if (!(s[i] > 0) || double.IsInfinity(s[i]))
                throw new NonFiniteException($"{label} step {step}: sigma[{i}] = sigmaMin + softplus(rho) became {s[i]} after the update");
        var a = resources().Data;
        double total = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (!(a[i] >= 0) || double.IsInfinity(a[i]))
                throw new NonFiniteException($"{label} step {step}: the resource a[{i}] = {resourcesFormula} became {a[i]} after the update");
            total += a[i];
        }
        if (!(total > 0) || double.IsInfinity(total))
            throw new NonFiniteException($"{label} step {step}: the resources a = {resourcesFormula} sum to {total} after the update (every agent's resource underflowed to 0 or their sum overflowed)");
    }
}
