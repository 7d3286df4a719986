// A time series of demands D_t on one space (MODEL.md section 1, "a time series D_t (drifting environment)").
using System.Collections;
using DpsTorch.Config;

namespace DpsTorch.Model;

/// <summary>An immutable, non-empty sequence of demands D_0, D_1, ... on the same space.</summary>
public sealed class DemandSeries : IReadOnlyList<Demand>
{
    private readonly Demand[] _demands;

    /// <summary>A series from given demands (at least one, all on spaces with the same M).</summary>
    public DemandSeries(IEnumerable<Demand> demands)
    {
        ArgumentNullException.ThrowIfNull(demands);
        _demands = demands.ToArray();
        if (_demands.Length == 0) throw new ArgumentException("A demand series needs at least one demand.", nameof(demands));
        for (int t = 1; t < _demands.Length; t++)
            if (_demands[t].Space.M != _demands[0].Space.M)
                throw new ArgumentException(
                    $"demands[{t}] lives on a space of M = {_demands[t].Space.M}, but demands[0] on M = {_demands[0].Space.M}; all must share one grid.",
                    nameof(demands));
    }

    /// <summary>The space of the first demand (all share its grid).</summary>
    public Space Space => _demands[0].Space;

    /// <summary>Number of time steps.</summary>
    public int Count => _demands.Length;

    /// <summary>The demand at time step t.</summary>
    public Demand this[int t] => _demands[t];

    /// <inheritdoc/>
    public IEnumerator<Demand> GetEnumerator() => ((IEnumerable<Demand>)_demands).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _demands.GetEnumerator();

    /// <summary>
    /// <paramref name="steps"/> demands of <paramref name="k"/> equal peaks (see <see cref="Demand.EvenPeaks"/>) whose
    /// centres drift together: D_t has phase = phase + t · driftPerStep (radians), t = 0..steps−1.
    /// </summary>
    public static DemandSeries Drifting(Space space, int k, double sigma, double mass, double driftPerStep, int steps, double phase = 0)
    {
        Require.Finite(driftPerStep, nameof(driftPerStep));
        Require.AtLeast(steps, 1, nameof(steps));
        var demands = new Demand[steps];
        for (int t = 0; t < steps; t++) demands[t] = Demand.EvenPeaks(space, k, sigma, mass, phase + t * driftPerStep);
        return new DemandSeries(demands);
    }
}
