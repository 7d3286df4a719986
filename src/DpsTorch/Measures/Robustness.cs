// Robustness of MODEL.md section 3: coverage kept as a fraction f of agents is removed, and the area under that curve.
using DpsTorch.Config;
using DpsTorch.Model;

namespace DpsTorch.Measures;

/// <summary>
/// Coverage versus the removed fraction f: <see cref="Coverage"/>[k] is the mean over removal orders of the coverage
/// with the first ⌊f_k·N⌋ agents of each order removed; <see cref="Spread"/>[k] the population standard deviation over
/// the orders (0 for one order); <see cref="Area"/> the trapezoid area under Coverage over f ∈ [0, 1].
/// </summary>
public sealed record RobustnessCurve(IReadOnlyList<double> Fractions, IReadOnlyList<double> Coverage, IReadOnlyList<double> Spread, double Area);

/// <summary>
/// Builds robustness curves from a caller-supplied coverage function, so the same machinery serves robustness (no
/// re-optimisation) and resilience (the caller re-optimises inside the function).
/// </summary>
public static class Robustness
{
    /// <summary>Slack when counting removed agents ⌊f·N + ε⌋, so that e.g. f = 0.3, N = 10 removes 3 despite rounding.</summary>
    private const double CountSlack = 1e-9;

    /// <summary>The default fractions 0, 0.1, ..., 1.</summary>
    public static double[] DefaultFractions()
    {
        var f = new double[11];
        for (int k = 0; k <= 10; k++) f[k] = k / 10.0;
        return f;
    }

    /// <summary>
    /// The robustness curve. For every order and every fraction f, <paramref name="coverageOf"/> receives a fresh
    /// alive-mask of length n (false for the first ⌊f·n⌋ agents of the order) and returns the coverage of the system
    /// without those agents (finite). Orders are permutations of 0..n−1 (see <see cref="RemovalOrder"/>); fractions are
    /// ascending, start at 0 and end at 1 (default <see cref="DefaultFractions"/>).
    /// </summary>
    public static RobustnessCurve Curve(Func<bool[], double> coverageOf, int n, IReadOnlyList<int[]> orders, double[]? fractions = null)
    {
        ArgumentNullException.ThrowIfNull(coverageOf);
        ArgumentNullException.ThrowIfNull(orders);
        Require.AtLeast(n, 1, nameof(n));
        if (orders.Count == 0) throw new ArgumentException("orders must hold at least one removal order.", nameof(orders));
        for (int o = 0; o < orders.Count; o++) CheckPermutation(orders[o], n, o);
        var f = fractions ?? DefaultFractions();
        CheckFractions(f);

        var mean = new double[f.Length];
        var spread = new double[f.Length];
        var values = new double[orders.Count];
        for (int k = 0; k < f.Length; k++)
        {
            int removed = Math.Min(n, (int)Math.Floor(f[k] * n + CountSlack));
            for (int o = 0; o < orders.Count; o++)
            {
                var alive = new bool[n];
                Array.Fill(alive, true);
                for (int r = 0; r < removed; r++) alive[orders[o][r]] = false;
                double c = coverageOf(alive);
                if (!double.IsFinite(c))
                    throw new InvalidOperationException($"coverageOf returned {c} at f = {f[k]} for order {o}; coverage must be finite.");
                values[o] = c;
            }
            double m = 0;
            foreach (var v in values) m += v;
            m /= values.Length;
            double s = 0;
            foreach (var v in values) s += (v - m) * (v - m);
            mean[k] = m;
            spread[k] = Math.Sqrt(s / values.Length);
        }
        double area = 0;
        for (int k = 1; k < f.Length; k++) area += 0.5 * (f[k] - f[k - 1]) * (mean[k] + mean[k - 1]);
        return new RobustnessCurve(Array.AsReadOnly((double[])f.Clone()), Array.AsReadOnly(mean), Array.AsReadOnly(spread), area);
    }

    private static void CheckPermutation(int[] order, int n, int o)
    {
        if (order is null || order.Length != n)
            throw new ArgumentException($"orders[{o}] must be a permutation of 0..{n - 1} (length {n}), got length {order?.Length ?? 0}.", "orders");
        var seen = new bool[n];
        foreach (int i in order)
        {
            if ((uint)i >= (uint)n || seen[i])
                throw new ArgumentException($"orders[{o}] must be a permutation of 0..{n - 1}; agent {i} is out of range or repeated.", "orders");
            seen[i] = true;
        }
    }

    private static void CheckFractions(double[] f)
    {
        if (f.Length < 2 || f[0] != 0 || f[^1] != 1)
            throw new ArgumentException("fractions must start at 0 and end at 1 so that the area covers f ∈ [0, 1].", "fractions");
        for (int k = 1; k < f.Length; k++)
            if (!(f[k] > f[k - 1]))
                throw new ArgumentException($"fractions must be strictly ascending; fractions[{k}] = {f[k]} follows {f[k - 1]}.", "fractions");
    }
}
