// Productivity, coverage and efficiency of MODEL.md section 3: how much of the demand D the system production W meets;
// and the efficiencies that are not coverage (docs/CONFIG.md, "Efficiency that is not coverage"): met demand per unit of
// resource, the output per unit of resource (amplification) and the share of it that meets demand (utilisation), and
// the met demand the links add per unit of communication cost.
using System.Numerics.Tensors;
using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.Measures;

/// <summary>
/// Production measures on the grid of a <see cref="Space"/> (integrals are Δ-weighted sums):
/// effective production ∫ min(W, D), total production ∫ W, coverage ∫ min(W, D) / ∫ D and
/// efficiency ∫ min(W, D) / (Σ a_i + λ_C C(Q)).
/// </summary>
public static class Productivity
{
    /// <summary>Effective production ∫ min(W, D): the part of the demand that is met.</summary>
    public static double Effective(Space space, ReadOnlySpan<double> production, ReadOnlySpan<double> demand)
    {
        ArgumentNullException.ThrowIfNull(space);
        Require.Length(production.Length, space.Points, nameof(production), "one value per grid point");
        Require.Length(demand.Length, space.Points, nameof(demand), "one value per grid point");
        var met = new double[space.Points];
        TensorPrimitives.Min(production, demand, met);
        return space.Integrate(met);
    }

    /// <summary>Total production ∫ W.</summary>
    public static double Total(Space space, ReadOnlySpan<double> production)
    {
        ArgumentNullException.ThrowIfNull(space);
        return space.Integrate(production);
    }

    /// <summary>Coverage (effectiveness) ∫ min(W, D) / ∫ D ∈ [0, 1] for W ≥ 0; the demand must have positive mass.</summary>
    public static double Coverage(Space space, ReadOnlySpan<double> production, ReadOnlySpan<double> demand)
    {
        double effective = Effective(space, production, demand);
        double mass = space.Integrate(demand);
        if (!(mass > 0)) throw new ArgumentException($"The demand has mass {mass}; coverage needs a positive ∫D.", nameof(demand));
        return effective / mass;
    }

    /// <summary>
    /// Efficiency ∫ min(W, D) / (Σ a_i + λ_C · C(Q)): effective production per unit of spent resource, where
    /// <paramref name="totalResource"/> = Σ a_i and <paramref name="communicationCost"/> = C(Q)
    /// (see <see cref="CommunicationCost"/>).
    /// </summary>
    public static double Efficiency(Space space, ReadOnlySpan<double> production, ReadOnlySpan<double> demand,
        double totalResource, double communicationCost = 0, double lambdaC = 0)
    {
        Require.NonNegative(totalResource, nameof(totalResource));
        Require.NonNegative(communicationCost, nameof(communicationCost));
        Require.NonNegative(lambdaC, nameof(lambdaC));
        double spent = totalResource + lambdaC * communicationCost;
        if (!(spent > 0))
            throw new ArgumentException($"The spent resource Σa + λ_C·C(Q) is {spent}; efficiency needs it positive.", nameof(totalResource));
        return Effective(space, production, demand) / spent;
    }

    /// <summary>
    /// The efficiencies that are not coverage, averaged over the demand frames (docs/CONFIG.md, "Efficiency that is not
    /// coverage"). <paramref name="production"/> is W with the links, <paramref name="unlinked"/> W₀ = Σ_i a_i s_i the
    /// same agents without them; <paramref name="totalResource"/> is Σ a_i and <paramref name="communicationCost"/> C(Q).
    /// </summary>
    public static EfficiencyMeasures Efficiencies(Space space, ReadOnlySpan<double> production, ReadOnlySpan<double> unlinked,
        IReadOnlyList<double[]> demandFrames, double totalResource, double communicationCost)
    {
        ArgumentNullException.ThrowIfNull(demandFrames);
        Require.Length(unlinked.Length, space.Points, nameof(unlinked), "one value per grid point");
        Require.NonNegative(totalResource, nameof(totalResource));
        if (demandFrames.Count == 0) throw new ArgumentException("Efficiencies need at least one demand frame.", nameof(demandFrames));
        double met = 0, metUnlinked = 0, shape = 0;
        foreach (var d in demandFrames)
        {
            met += Effective(space, production, d);
            metUnlinked += Effective(space, unlinked, d);
            shape += ShapeCoverage(space, production, d);
        }
        met /= demandFrames.Count;
        metUnlinked /= demandFrames.Count;
        shape /= demandFrames.Count;
        double output = Total(space, production);
        return new EfficiencyMeasures(
            ResourceEfficiency: totalResource > 0 ? met / totalResource : double.NaN,
            Amplification: totalResource > 0 ? output / totalResource : double.NaN,
            Utilisation: output > 0 ? met / output : double.NaN,
            CommunicationEfficiency: communicationCost > 0 && double.IsFinite(communicationCost) ? (met - metUnlinked) / communicationCost : double.NaN,
            ShapeCoverage: shape);
    }

    /// <summary>
    /// Shape coverage ∫ min(W/∫W, D/∫D) ∈ [0, 1]: the overlap of the normalised production with the normalised demand,
    /// 1 exactly when W has the demand's shape whatever its volume. It equals <see cref="Coverage"/> when ∫W = ∫D; when
    /// links amplify the output (∫W ≠ ∫D) coverage mixes volume and shape, and this is the shape alone. NaN without
    /// production (∫W = 0).
    /// </summary>
    public static double ShapeCoverage(Space space, ReadOnlySpan<double> production, ReadOnlySpan<double> demand)
    {
        ArgumentNullException.ThrowIfNull(space);
        Require.Length(production.Length, space.Points, nameof(production), "one value per grid point");
        Require.Length(demand.Length, space.Points, nameof(demand), "one value per grid point");
        double output = space.Integrate(production), mass = space.Integrate(demand);
        if (!(mass > 0)) throw new ArgumentException($"The demand has mass {mass}; shape coverage needs a positive ∫D.", nameof(demand));
        if (!(output > 0)) return double.NaN;
        var met = new double[space.Points];
        for (int m = 0; m < met.Length; m++) met[m] = Math.Min(production[m] / output, demand[m] / mass);
        return space.Integrate(met);
    }
}

/// <summary>
/// Efficiencies that differ from coverage (docs/CONFIG.md, "Efficiency that is not coverage"); NaN where a denominator is
/// zero (no resource, no output, no communication cost). <see cref="ResourceEfficiency"/> = <see cref="Amplification"/> ·
/// <see cref="Utilisation"/>.
/// </summary>
/// <param name="ResourceEfficiency">Met demand per unit of resource, ∫min(W, D) / Σa_i: above 1 when links amplify the
/// output beyond the resource, below 1 when resources stand idle or demand goes unmet.</param>
/// <param name="Amplification">Output per unit of resource, ∫W / Σa_i: 1 without links, 1 + the resource-weighted
/// mean weighted degree with direct links.</param>
/// <param name="Utilisation">Share of the output that meets demand, ∫min(W, D) / ∫W; 1 − it is over-produced or
/// produced where nothing is demanded (idle).</param>
/// <param name="CommunicationEfficiency">Met demand the links add per unit of communication cost,
/// (∫min(W, D) − ∫min(W₀, D)) / C(Q) with W₀ the production without links; NaN when C(Q) = 0.</param>
/// <param name="ShapeCoverage">Overlap of the normalised production with the normalised demand, ∫min(W/∫W, D/∫D)
/// (<see cref="Productivity.ShapeCoverage"/>): the shape of the output whatever its volume, the coverage to read when
/// outputs are amplified; NaN without production.</param>
public sealed record EfficiencyMeasures(double ResourceEfficiency, double Amplification, double Utilisation, double CommunicationEfficiency,
    double ShapeCoverage = double.NaN);
