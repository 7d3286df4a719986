// Basin hopping (issue 13; Wales and Doye 1997): perturb the best state found, polish it to its local minimum, and
// keep the new minimum when it is lower. It can leave a basin that no single structured move (swap, merge, re-seed,
// split) leaves. Refinement runs the hops and keeps each only when the loss drops.
namespace DpsTorch.Model.Search;

/// <summary>The basin-hopping perturbation.</summary>
public static class BasinHopping
{
    /// <summary>Size of a hop: each μ moves by this many of its σ (normal), each σ is scaled by exp(±this/2), each α moves by this (normal).</summary>
    public const double Scale = 0.5;

    /// <summary>
    /// Perturbs every agent of <paramref name="model"/> in place: μ_i += Scale·σ_i·ξ, σ_i ← σ_i·exp(Scale·ξ/2) (at
    /// least 1.0001 σ_min), α_i += Scale·ξ under a softmax budget (α_i scaled by exp(Scale·ξ/2) under a soft one),
    /// ξ standard normal from <paramref name="rng"/>. A nested system's leaves are perturbed alike (its composites
    /// move with them).
    /// </summary>
    public static void Perturb(AgentSystem model, Random rng)
    {
        double[] sigma, a;
        using (TensorEngine.NoGrad()) { sigma = model.Sigma().ToArray(); a = model.Resources().ToArray(); }
        for (int i = 0; i < model.Alpha.Numel; i++)
        {
            model.Mu[i] = model.Mu.Data[i] + Scale * sigma[i] * Tensor.NormalSample(rng);
            double s = Math.Max(sigma[i] * Math.Exp(Scale * Tensor.NormalSample(rng) / 2), model.SigmaMin * 1.0001);
            model.Rho[i] = Initialization.SoftplusInverse(s - model.SigmaMin);
            double xi = Tensor.NormalSample(rng);
            if (model.FixedResources) continue; // a_i = R/N: α is not trained, and not hopped either
            model.Alpha[i] = model.SoftBudget
                ? Initialization.SoftplusInverse(Math.Max(a[i] * Math.Exp(Scale * xi / 2), 1e-300))
                : model.Alpha.Data[i] + Scale * xi;
        }
    }
}
