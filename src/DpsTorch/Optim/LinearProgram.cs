// LinearProgram: the dense primal simplex for max cᵀx subject to A x ≤ b, x ≥ 0, with b ≥ 0 (so the slack basis at
// x = 0 is feasible and no phase 1 is needed; an equality is written as two rows with b = 0). Bland's rule (the
// entering column is the lowest index with a positive reduced profit, the leaving row the lowest basic index among the
// ratio ties) cannot cycle on the degenerate rows b = 0 that capacity constraints make. Meant for problems of a few
// hundred variables (the fleet case study); the tableau is (rows + 1) × (variables + rows + 1) doubles.
namespace DpsTorch.Optim;

/// <summary>How <see cref="LinearProgram.Maximize"/> ended.</summary>
public enum LinearProgramStatus
{
    /// <summary>An optimal vertex was found.</summary>
    Optimal,
    /// <summary>The objective grows without bound along a feasible ray.</summary>
    Unbounded,
    /// <summary>The pivot limit was reached (cannot happen under Bland's rule before 2^n pivots; a guard).</summary>
    IterationLimit,
}

/// <summary>An optimal (or the last) vertex of <see cref="LinearProgram.Maximize"/>.</summary>
/// <param name="Status">How the solve ended.</param>
/// <param name="X">The variables at the vertex.</param>
/// <param name="Objective">cᵀx there.</param>
/// <param name="Pivots">Simplex pivots taken.</param>
public sealed record LinearProgramResult(LinearProgramStatus Status, double[] X, double Objective, int Pivots);

/// <summary>A dense primal simplex for small linear programs in the form max cᵀx, A x ≤ b, x ≥ 0, b ≥ 0.</summary>
public static class LinearProgram
{
    /// <summary>Reduced profits and pivot entries within this of 0 (relative to the row's or column's largest entry) count as 0.</summary>
    public const double Tolerance = 1e-11;

    /// <summary>
    /// Maximises cᵀx over A x ≤ b, x ≥ 0. <paramref name="a"/> is row-major, rows × c.Length; every b_i must be ≥ 0 and
    /// finite (the origin is then feasible), every entry finite.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes disagree, an entry is not finite, or some b_i &lt; 0.</exception>
    public static LinearProgramResult Maximize(ReadOnlySpan<double> c, ReadOnlySpan<double> a, ReadOnlySpan<double> b, int maxPivots = 100_000)
    {
        int n = c.Length, m = b.Length;
        if (n == 0) throw new ArgumentException("LinearProgram.Maximize: no variables (c is empty).", nameof(c));
        if (a.Length != m * n) throw new ArgumentException($"LinearProgram.Maximize: A has {a.Length} entries, expected rows × variables = {m} × {n} = {m * n}.", nameof(a));
        for (int i = 0; i < m; i++)
            if (!double.IsFinite(b[i]) || b[i] < 0) throw new ArgumentException($"LinearProgram.Maximize: b[{i}] = {b[i]}; every right-hand side must be finite and >= 0 (the origin must be feasible).", nameof(b));
        for (int k = 0; k < a.Length; k++)
            if (!double.IsFinite(a[k])) throw new ArgumentException($"LinearProgram.Maximize: A[{k / n}, {k % n}] = {a[k]} is not finite.", nameof(a));
        for (int j = 0; j < n; j++)
            if (!double.IsFinite(c[j])) throw new ArgumentException($"LinearProgram.Maximize: c[{j}] = {c[j]} is not finite.", nameof(c));

        // Tableau: m constraint rows [A | I | b] and the profit row [c | 0 | 0] (reduced profits; the value is −objective).
        int w = n + m + 1;
        var t = new double[(m + 1) * w];
        for (int i = 0; i < m; i++)
        {
            a.Slice(i * n, n).CopyTo(t.AsSpan(i * w, n));
            t[i * w + n + i] = 1;
            t[i * w + w - 1] = b[i];
        }
        c.CopyTo(t.AsSpan(m * w, n));
        var basis = new int[m];
        for (int i = 0; i < m; i++) basis[i] = n + i;
        double scale = 1;
        for (int j = 0; j < n; j++) scale = Math.Max(scale, Math.Abs(c[j]));

        int pivots = 0;
        var status = LinearProgramStatus.Optimal;
        while (true)
        {
            int enter = -1;
            for (int j = 0; j < n + m; j++)
                if (t[m * w + j] > Tolerance * scale) { enter = j; break; }
            if (enter < 0) break;
            if (pivots >= maxPivots) { status = LinearProgramStatus.IterationLimit; break; }
            int leave = -1;
            double best = double.PositiveInfinity;
            for (int i = 0; i < m; i++)
            {
                double p = t[i * w + enter];
                if (p <= Tolerance) continue;
                double ratio = t[i * w + w - 1] / p;
                double tie = Tolerance * Math.Max(1, Math.Abs(ratio));
                if (leave < 0 || ratio < best - tie || (Math.Abs(ratio - best) <= tie && basis[i] < basis[leave]))
                {
                    best = ratio;
                    leave = i;
                }
            }
            if (leave < 0) { status = LinearProgramStatus.Unbounded; break; }
            Pivot(t, m, w, leave, enter);
            basis[leave] = enter;
            pivots++;
        }

        var x = new double[n];
        for (int i = 0; i < m; i++)
            if (basis[i] < n) x[basis[i]] = Math.Max(0, t[i * w + w - 1]);
        double objective = 0;
        for (int j = 0; j < n; j++) objective += c[j] * x[j];
        return new LinearProgramResult(status, x, objective, pivots);
    }

    /// <summary>Gauss-Jordan pivot on (row, col): the row is divided by the pivot and the column cleared elsewhere.</summary>
    private static void Pivot(double[] t, int m, int w, int row, int col)
    {
        var r = t.AsSpan(row * w, w);
        double p = r[col];
        for (int j = 0; j < w; j++) r[j] /= p;
        r[col] = 1;
        for (int i = 0; i <= m; i++)
        {
            if (i == row) continue;
            var o = t.AsSpan(i * w, w);
            double f = o[col];
            if (f == 0) continue;
            for (int j = 0; j < w; j++) o[j] -= f * r[j];
            o[col] = 0;
        }
    }
}
