// The DPS formulas of MODEL.md sections 1-2 on torch tensors (float64), one for one with the managed engine's
// composed ops (DpsModel.Production, Mismatch.Of, WrappedNormal): the same series, the same truncation, the same
// order of terms, so the generated parity tests can hold both to 1e-10 relative.
using DpsTorch.Config;
using DpsTorch.Model;
using static TorchSharp.torch;
using TT = TorchSharp.torch.Tensor;

namespace DpsTorch.TorchSharp;

/// <summary>Differentiable DPS building blocks on torch tensors.</summary>
public static class TorchFormulas
{
    private const double TwoPi = 2.0 * Math.PI;

    /// <summary>
    /// Skill densities s_i(x_m) = WN(x_m; μ_i, σ_i), N×M: the image sum for σ below <see cref="WrappedNormal.SwitchSigma"/>,
    /// the Fourier series above, each with as many terms as the broadest agent of its group needs (the managed engine's
    /// truncation per agent; the extra terms are below 1e-12 relative).
    /// </summary>
    public static TT WrappedNormalDensity(TT mu, TT sigma, TT grid)
    {
        Interop.RequireFloat64(mu, "mu");
        Interop.RequireFloat64(sigma, "sigma");
        var sig = Interop.Values(sigma);
        var narrow = new List<long>();
        var broad = new List<long>();
        for (int i = 0; i < sig.Length; i++)
        {
            if (!(sig[i] > 0) || double.IsInfinity(sig[i]))
                throw new ArgumentException($"wrapped normal: sigma[{i}] = {sig[i]}; every sigma must be positive and finite.");
            (sig[i] < WrappedNormal.SwitchSigma ? narrow : broad).Add(i);
        }
        if (broad.Count == 0) return ImageSum(mu, sigma, grid, sig.Max(WrappedNormal.ImageCount));
        if (narrow.Count == 0) return FourierSum(mu, sigma, grid, sig.Max(WrappedNormal.HarmonicCount));
        var (iNarrow, iBroad) = (tensor(narrow.ToArray(), device: mu.device), tensor(broad.ToArray(), device: mu.device));
        var sNarrow = ImageSum(mu.index_select(0, iNarrow), sigma.index_select(0, iNarrow), grid, narrow.Max(i => WrappedNormal.ImageCount(sig[i])));
        var sBroad = FourierSum(mu.index_select(0, iBroad), sigma.index_select(0, iBroad), grid, broad.Max(i => WrappedNormal.HarmonicCount(sig[i])));
        var order = new long[sig.Length];
        int k = 0;
        foreach (var i in narrow) order[i] = k++;
        foreach (var i in broad) order[i] = k++;
        return cat([sNarrow, sBroad], 0).index_select(0, tensor(order, device: mu.device));
    }

    /// <summary>1/(σ√(2π)) Σ_{|k|≤K} exp(−(d + 2πk)²/(2σ²)) with d = x − μ wrapped to [−π, π).</summary>
    public static TT ImageSum(TT mu, TT sigma, TT grid, int images)
    {
        var d = (grid.unsqueeze(0) - mu.unsqueeze(1) + Math.PI).remainder(TwoPi) - Math.PI;
        var s = sigma.unsqueeze(1);
        var inv2s2 = (s * s * 2.0).reciprocal();
        TT? sum = null;
        for (int k = -images; k <= images; k++)
        {
            var dk = k == 0 ? d : d + TwoPi * k;
            // Arguments below −700 are clamped: exp would return denormals there (below 1e-308, far under the series
            // tolerance), and denormal arithmetic made steps with narrow agents slow (n128-system: 25 ms -> 3.8 ms per step).
            var phi = (-(dk * dk) * inv2s2).clamp_min(-700.0).exp();
            sum = sum is null ? phi : sum + phi;
        }
        return sum! / (s * Math.Sqrt(TwoPi));
    }

    /// <summary>1/(2π) [1 + 2 Σ_{n≤nMax} exp(−n²σ²/2) cos(n(x − μ))].</summary>
    public static TT FourierSum(TT mu, TT sigma, TT grid, int harmonics)
    {
        var d = grid.unsqueeze(0) - mu.unsqueeze(1);
        var s2 = (sigma * sigma).unsqueeze(1);
        TT? sum = null;
        for (int n = 1; n <= harmonics; n++)
        {
            var term = (s2 * (-0.5 * n * n)).exp() * (d * n).cos();
            sum = sum is null ? term : sum + term;
        }
        return (sum! * 2.0 + 1.0) / TwoPi;
    }

    /// <summary>σ = σ_min + softplus(ρ) (torch's softplus: linear above 20, as the engine's).</summary>
    public static TT Sigma(TT rho, double sigmaMin) => nn.functional.softplus(rho) + sigmaMin;

    /// <summary>a = R·softmax(α), or softplus(α) under a soft budget.</summary>
    public static TT Resources(TT alpha, double budget, bool soft)
        => soft ? nn.functional.softplus(alpha) : alpha.softmax(0L) * budget;

    /// <summary>The pointwise mismatch of <see cref="Mismatch.Of"/>: squared, unmet (smooth unmet demand plus
    /// over-production) or both, Δ-weighted and summed.</summary>
    public static TT Mismatch(ObjectiveConfig objective, double delta, TT produced, TT target)
    {
        return objective.Mismatch switch
        {
            MismatchKind.Squared => Squared(delta, produced, target),
            MismatchKind.Unmet => Unmet(objective, delta, produced, target),
            MismatchKind.Both => Squared(delta, produced, target) + Unmet(objective, delta, produced, target),
            _ => throw Choices.Unknown("objective.mismatch", objective.Mismatch),
        };
    }

    private static TT Squared(double delta, TT produced, TT target)
    {
        var e = produced - target;
        return (e * e).sum() * delta;
    }

    private static TT Unmet(ObjectiveConfig objective, double delta, TT produced, TT target)
    {
        var unmet = nn.functional.softplus(target - produced, objective.UnmetBeta);
        var over = nn.functional.softplus(produced - target, objective.UnmetBeta);
        return (unmet + over * objective.OverWeight).sum() * delta;
    }

    /// <summary>P_i = p_i / ∫p_i for production rows p.</summary>
    public static TT PooledDensities(TT production, double delta) => production / (production.sum(1, keepdim: true) * delta);
}
