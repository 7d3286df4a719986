// Specialisation of MODEL.md section 3: the mean resultant length exp(−σ²/2) of a wrapped normal.
using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.Measures;

/// <summary>
/// Specialisation of an agent of breadth σ: the mean resultant length |E e^{ix}| = exp(−σ²/2) of its wrapped-normal skill
/// density, in (0, 1] (1 = perfect specialist, → 0 for a uniform generalist). The system value is the resource-weighted
/// mean Σ_i a_i exp(−σ_i²/2) / Σ_i a_i.
/// </summary>
public static class Specialization
{
    /// <summary>exp(−σ²/2) for σ &gt; 0.</summary>
    public static double Of(double sigma)
    {
        Require.Positive(sigma, nameof(sigma));
        return Math.Exp(-0.5 * sigma * sigma);
    }

    /// <summary>exp(−σ_i²/2) for every agent.</summary>
    public static double[] PerAgent(ReadOnlySpan<double> sigmas)
    {
        Require.AllPositive(sigmas, nameof(sigmas));
        var s = new double[sigmas.Length];
        for (int i = 0; i < s.Length; i++) s[i] = Math.Exp(-0.5 * sigmas[i] * sigmas[i]);
        return s;
    }

    /// <summary>
    /// The system value on T^d: per agent the geometric mean over the axes of exp(−σ_ik²/2), exp(−Σ_k σ_ik² / 2d)
    /// (an agent of breadth σ on every axis scores exp(−σ²/2), as on the circle), resource-weighted.
    /// <paramref name="sigmas"/> holds d breadths per agent (agent by agent); d = 1 is <see cref="OfSystem(ReadOnlySpan{double}, ReadOnlySpan{double})"/>.
    /// </summary>
    public static double OfSystem(ReadOnlySpan<double> sigmas, ReadOnlySpan<double> resources, int dimensions)
    {
        if (dimensions == 1) return OfSystem(sigmas, resources);
        Require.Length(sigmas.Length, resources.Length * dimensions, nameof(sigmas), $"{dimensions} breadths per agent");
        Require.AllPositive(sigmas, nameof(sigmas));
        Require.AllNonNegative(resources, nameof(resources));
        double num = 0, den = 0;
        for (int i = 0; i < resources.Length; i++)
        {
            double s2 = 0;
            for (int k = 0; k < dimensions; k++) s2 += sigmas[i * dimensions + k] * sigmas[i * dimensions + k];
            num += resources[i] * Math.Exp(-s2 / (2.0 * dimensions));
            den += resources[i];
        }
        if (!(den > 0)) throw new ArgumentException("resources must not be all zero.", nameof(resources));
        return num / den;
    }

    /// <summary>The resource-weighted mean Σ_i a_i exp(−σ_i²/2) / Σ_i a_i (resources ≥ 0, not all zero).</summary>
    public static double OfSystem(ReadOnlySpan<double> sigmas, ReadOnlySpan<double> resources)
    {
        Require.Length(resources.Length, sigmas.Length, nameof(resources), "one resource per agent");
        Require.AllNonNegative(resources, nameof(resources));
        var s = PerAgent(sigmas);
        double num = 0, den = 0;
        for (int i = 0; i < s.Length; i++) { num += resources[i] * s[i]; den += resources[i]; }
        if (!(den > 0)) throw new ArgumentException("resources must not be all zero.", nameof(resources));
        return num / den;
    }
}
