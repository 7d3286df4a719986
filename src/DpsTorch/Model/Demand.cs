// The demand (workload) D(x) ≥ 0 on the operation space, MODEL.md section 1: wrapped-normal mixtures, evenly spaced
// peaks, uniform, near-Dirac, or a histogram read from a CSV file; always rescaled to the requested total mass ∫D.
using System.Globalization;
using DpsTorch.Config;

namespace DpsTorch.Model;

/// <summary>
/// An immutable demand D(x_m) ≥ 0 on the grid of a <see cref="Space"/>, with total mass Δ Σ_m D(x_m) equal to
/// <see cref="Mass"/> up to rounding. Every factory rescales its shape on the grid so that the discrete integral is
/// exactly the requested mass (a sampled wrapped normal of σ ≈ Δ integrates to 1 only within ~1e-9 otherwise).
/// </summary>
public sealed class Demand
{
    private readonly double[] _values;

    private Demand(Space space, double[] values, DemandKind? kind, double mass)
    {
        Space = space;
        _values = values;
        Kind = kind;
        Mass = mass;
    }

    /// <summary>The space the demand lives on.</summary>
    public Space Space { get; }

    /// <summary>The demand.kind that makes this shape ("peaks" are a "mixture" here); null for values given directly.</summary>
    public DemandKind? Kind { get; }

    /// <summary>The total mass ∫D (the value requested at construction).</summary>
    public double Mass { get; }

    /// <summary>D at the grid points (read-only view, length M).</summary>
    public ReadOnlySpan<double> Values => _values;

    /// <summary>A copy of the values, e.g. for Tensor.FromArray.</summary>
    public double[] ToArray() => (double[])_values.Clone();

    /// <summary>A demand from values on the grid (non-negative, finite, not all zero), rescaled to <paramref name="mass"/>
    /// when given, otherwise keeping its own integral as the mass.</summary>
    public static Demand FromValues(Space space, ReadOnlySpan<double> values, double? mass = null)
    {
        ArgumentNullException.ThrowIfNull(space);
        Require.Length(values.Length, space.Points, nameof(values), "one value per grid point");
        Require.AllNonNegative(values, nameof(values));
        if (mass is double m) Require.Positive(m, nameof(mass));
        var v = values.ToArray();
        double total = space.Integrate(v);
        if (!(total > 0)) throw new ArgumentException("values must not be all zero: a demand needs positive mass.", nameof(values));
        if (mass is not double target) return new Demand(space, v, null, total);
        Scale(v, target / total);
        return new Demand(space, v, null, target);
    }

    /// <summary>
    /// D(x) = mass · Σ_k w_k WN(x; μ_k, σ_k) / Σ_k w_k, each component normalised on the grid.
    /// μ_k are any finite angles (read modulo 2π), σ_k &gt; 0, weights w_k ≥ 0 with a positive sum.
    /// </summary>
    public static Demand Mixture(Space space, ReadOnlySpan<double> mus, ReadOnlySpan<double> sigmas, ReadOnlySpan<double> weights, double mass)
    {
        ArgumentNullException.ThrowIfNull(space);
        if (mus.Length == 0) throw new ArgumentException("mus must hold at least one peak centre.", nameof(mus));
        Require.Length(sigmas.Length, mus.Length, nameof(sigmas), "one width per peak");
        Require.Length(weights.Length, mus.Length, nameof(weights), "one weight per peak");
        Require.AllFinite(mus, nameof(mus));
        Require.AllPositive(sigmas, nameof(sigmas));
        double wSum = RequireWeightsAndMass(weights, mass);

        int m = space.M;
        var values = new double[m];
        var component = new double[m];
        var grid = space.Grid;
        for (int k = 0; k < mus.Length; k++)
        {
            if (weights[k] == 0) continue;
            for (int i = 0; i < m; i++) component[i] = WrappedNormal.Density(grid[i], mus[k], sigmas[k]);
            double c = space.Integrate(component);
            if (!(c > 0))
                throw new ArgumentException(
                    $"sigmas[{k}] = {sigmas[k]} is too narrow for a grid of spacing {space.Delta}: the peak falls between grid points; use σ ≥ Δ/4.",
                    nameof(sigmas));
            double f = weights[k] / (wSum * c);
            for (int i = 0; i < m; i++) values[i] += f * component[i];
        }
        Scale(values, mass / space.Integrate(values));
        return new Demand(space, values, DemandKind.Mixture, mass);
    }

    /// <summary><paramref name="k"/> equal peaks of width σ centred at phase + 2πj/k, j = 0..k−1.</summary>
    public static Demand EvenPeaks(Space space, int k, double sigma, double mass, double phase = 0)
    {
        Require.AtLeast(k, 1, nameof(k));
        Require.Positive(sigma, nameof(sigma));
        Require.Finite(phase, nameof(phase));
        var mus = new double[k];
        var sigmas = new double[k];
        var weights = new double[k];
        for (int j = 0; j < k; j++)
        {
            mus[j] = phase + 2.0 * Math.PI * j / k;
            sigmas[j] = sigma;
            weights[j] = 1.0;
        }
        return Mixture(space, mus, sigmas, weights, mass);
    }

    /// <summary>The constant density mass/(2π) (mass/(2π)^d on T^d).</summary>
    public static Demand Uniform(Space space, double mass)
    {
        ArgumentNullException.ThrowIfNull(space);
        Require.Positive(mass, nameof(mass));
        var values = new double[space.Points];
        double volume = 2.0 * Math.PI;
        for (int k = 1; k < space.Dimensions; k++) volume *= 2.0 * Math.PI;
        Array.Fill(values, mass / volume);
        return new Demand(space, values, DemandKind.Uniform, mass);
    }

    /// <summary>One wrapped-normal peak at μ of width σ = Δ (one grid spacing): the narrowest peak the grid resolves.</summary>
    public static Demand NearDirac(Space space, double mu, double mass)
    {
        ArgumentNullException.ThrowIfNull(space);
        var d = Mixture(space, [mu], [space.Delta], [1.0], mass);
        return new Demand(space, d._values, DemandKind.Dirac, mass);
    }

    /// <summary>
    /// Reads a histogram from a CSV file and resamples it onto the grid by linear interpolation on the circle, then
    /// rescales it to <paramref name="mass"/>. Each data line is either "x,value" (x an angle in radians, read modulo
    /// 2π, rows in any order) or just "value" (values at evenly spaced x_j = 2πj/L for L rows). Blank lines and lines
    /// starting with '#' are skipped; a first line with no numeric cell is a header.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A cell is not a number, a value is negative or not finite, two rows share an x,
    /// rows have different column counts, or the file holds no data (the message names the path, line and column, never the
    /// file's text: a config may name any file).</exception>
    /// <exception cref="ConfigException">The path is not a regular file (folder, FIFO, device) or exceeds the size cap
    /// of <see cref="InputKind.DemandCsv"/>; the message names <paramref name="key"/> and the path.</exception>
    public static Demand FromHistogramCsv(Space space, string path, double mass, string key = "demand.path")
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(path);
        Require.Positive(mass, nameof(mass));
        if (!File.Exists(path) && !Directory.Exists(path)) throw new FileNotFoundException($"Demand histogram file '{path}' does not exist.", path);

        var xs = new List<double>();
        var vs = new List<double>();
        int columns = 0;
        foreach (var (lineNo, cells) in DataRows(key, path))
        {
            if (cells.Length > 2)
                throw new InvalidDataException($"{path} line {lineNo}: {cells.Length} columns; expected 'x,value' or 'value'.");
            if (columns == 0) columns = cells.Length;
            else if (cells.Length != columns)
                throw new InvalidDataException($"{path} line {lineNo}: {cells.Length} columns, but earlier rows have {columns}.");
            var parsed = new double[cells.Length];
            for (int c = 0; c < cells.Length; c++)
                if (!TryParse(cells[c], out parsed[c]))
                    throw new InvalidDataException($"{path} line {lineNo}, column {c + 1}: not a number (expected lines 'x,value' or 'value').");
            double v = parsed[^1];
            if (!(v >= 0) || double.IsInfinity(v))
                throw new InvalidDataException($"{path} line {lineNo}, column {cells.Length}: demand value {v} must be non-negative and finite.");
            if (columns == 2)
            {
                if (!double.IsFinite(parsed[0]))
                    throw new InvalidDataException($"{path} line {lineNo}, column 1: x = {parsed[0]} must be finite.");
                xs.Add(WrapToCircle(parsed[0]));
            }
            vs.Add(v);
        }
        if (vs.Count == 0)
            throw new InvalidDataException($"{path} holds no data rows; expected lines 'x,value' or 'value'.");
        if (columns == 1)
            for (int j = 0; j < vs.Count; j++) xs.Add(2.0 * Math.PI * j / vs.Count);

        var x = xs.ToArray();
        var y = vs.ToArray();
        Array.Sort(x, y);
        for (int j = 1; j < x.Length; j++)
            if (x[j] == x[j - 1])
                throw new InvalidDataException($"{path}: two rows have the same x = {x[j]} (modulo 2π).");

        var values = InterpolateOnCircle(x, y, space.Grid);
        double total = space.Integrate(values);
        if (!(total > 0)) throw new InvalidDataException($"{path}: all demand values are zero; a demand needs positive mass.");
        Scale(values, mass / total);
        return new Demand(space, values, DemandKind.Histogram, mass);
    }

    /// <summary>Writes "x,value" rows (with that header) at the grid points, readable by <see cref="FromHistogramCsv"/>.</summary>
    public void SaveCsv(string path)
    {
        using var w = new StreamWriter(path);
        w.WriteLine("x,value");
        var grid = Space.Grid;
        for (int i = 0; i < _values.Length; i++)
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{grid[i]:R},{_values[i]:R}"));
    }

    /// <inheritdoc/>
    public override string ToString() => $"Demand({(Kind is { } kind ? Choices.Name(kind) : "values")}, M={Space.M}{(Space.Dimensions > 1 ? $", d={Space.Dimensions}" : "")}, mass={Mass})";

    /// <summary>
    /// A mixture on T^d (d = space.Dimensions): D(x) = mass · Σ_k w_k Π_j WN(x_j; μ_kj, σ_kj) / Σ_k w_k, each component
    /// normalised on the grid. <paramref name="centers"/> and <paramref name="widths"/> hold d numbers per peak (peak by
    /// peak); weights one per peak. On the circle it is <see cref="Mixture"/>.
    /// </summary>
    public static Demand TorusMixture(Space space, ReadOnlySpan<double> centers, ReadOnlySpan<double> widths, ReadOnlySpan<double> weights, double mass)
    {
        ArgumentNullException.ThrowIfNull(space);
        int d = space.Dimensions, k = weights.Length;
        if (k == 0) throw new ArgumentException("weights must hold at least one peak weight.", nameof(weights));
        Require.Length(centers.Length, k * d, nameof(centers), "d centres per peak");
        Require.Length(widths.Length, k * d, nameof(widths), "d widths per peak");
        Require.AllFinite(centers, nameof(centers));
        Require.AllPositive(widths, nameof(widths));
        double wSum = RequireWeightsAndMass(weights, mass);
        int m = space.M;
        var values = new double[space.Points];
        var axes = new double[d * m];
        var grid = space.Grid;
        for (int p = 0; p < k; p++)
        {
            if (weights[p] == 0) continue;
            for (int j = 0; j < d; j++)
            {
                var axis = axes.AsSpan(j * m, m);
                for (int i = 0; i < m; i++) axis[i] = WrappedNormal.Density(grid[i], centers[p * d + j], widths[p * d + j]);
                double c = space.Spacing * System.Numerics.Tensors.TensorPrimitives.Sum(axis);
                if (!(c > 0))
                    throw new ArgumentException($"widths[{p * d + j}] = {widths[p * d + j]} is too narrow for a grid of spacing {space.Spacing}: the peak falls between grid points; use σ ≥ Δ/4.", nameof(widths));
                System.Numerics.Tensors.TensorPrimitives.Multiply(axis, 1.0 / c, axis);
            }
            double f = weights[p] / wSum;
            for (int point = 0; point < values.Length; point++)
            {
                double v = f;
                for (int j = d - 1, rest = point; j >= 0; j--, rest /= m) v *= axes[j * m + rest % m];
                values[point] += v;
            }
        }
        Scale(values, mass / space.Integrate(values));
        return new Demand(space, values, DemandKind.Mixture, mass);
    }

    /// <summary>
    /// <paramref name="k"/> equal peaks of width σ on T^d placed on the lattice j·g/k (mod 1) of the generator g = (1,
    /// g_1, ..., g_{d−1}) that keeps the peaks furthest apart (the smallest such g), shifted by phase on every axis:
    /// 4 peaks on T^2 sit at (0, 0), (π/2, π), (π, 0), (3π/2, π), every pair at least π apart. On the circle it is
    /// <see cref="EvenPeaks"/>.
    /// </summary>
    public static Demand TorusPeaks(Space space, int k, double sigma, double mass, double phase = 0)
    {
        ArgumentNullException.ThrowIfNull(space);
        Require.AtLeast(k, 1, nameof(k));
        Require.Positive(sigma, nameof(sigma));
        Require.Finite(phase, nameof(phase));
        int d = space.Dimensions;
        var centers = PeakLattice(k, d);
        for (int i = 0; i < centers.Length; i++) centers[i] += phase;
        var widths = new double[k * d];
        Array.Fill(widths, sigma);
        var weights = new double[k];
        Array.Fill(weights, 1.0);
        return TorusMixture(space, centers, widths, weights, mass);
    }

    /// <summary>
    /// The centres 2π·(j·g mod k)/k, j = 0..k−1, of <see cref="TorusPeaks"/> (d numbers per peak, no phase), g the
    /// generator with the largest smallest distance on the torus between two centres (ties: the first in order).
    /// </summary>
    public static double[] PeakLattice(int k, int d)
    {
        Require.AtLeast(k, 1, nameof(k));
        Require.AtLeast(d, 1, nameof(d));
        var best = new int[d];
        best[0] = 1;
        double bestDistance = -1;
        var g = new int[d];
        g[0] = 1;
        long candidates = 1;
        for (int j = 1; j < d; j++) candidates *= k;
        for (long c = 0; c < candidates; c++)
        {
            for (int j = d - 1, rest = (int)c; j >= 1; j--, rest /= k) g[j] = rest % k;
            double min = double.PositiveInfinity;
            for (int a = 1; a < k; a++) // the lattice is a group: the distance from 0 to a·g is every pairwise distance
            {
                double s2 = 0;
                for (int j = 0; j < d; j++)
                {
                    int r = (int)((long)a * g[j] % k);
                    double frac = Math.Min(r, k - r) / (double)k;
                    s2 += frac * frac;
                }
                min = Math.Min(min, s2);
            }
            if (min > bestDistance + 1e-12) { bestDistance = min; g.CopyTo(best, 0); }
        }
        var centers = new double[k * d];
        for (int a = 0; a < k; a++)
            for (int j = 0; j < d; j++) centers[a * d + j] = 2.0 * Math.PI * ((long)a * best[j] % k) / k;
        return centers;
    }

    /// <summary>
    /// Gridded data on T^d from a CSV file: exactly M^d non-negative numbers, comma-separated over any number of lines,
    /// in the order of the grid's points (the first axis slowest: for d = 2 one line per x row reads naturally), then
    /// rescaled to <paramref name="mass"/>. Blank lines and lines starting with '#' are skipped, and a first line with no
    /// numeric cell is a header.
    /// </summary>
    public static Demand FromGridCsv(Space space, string path, double mass, string key = "demand.path")
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(path);
        Require.Positive(mass, nameof(mass));
        if (!File.Exists(path) && !Directory.Exists(path)) throw new FileNotFoundException($"Demand grid file '{path}' does not exist.", path);
        var values = new double[space.Points];
        int count = 0;
        foreach (var (lineNo, cells) in DataRows(key, path))
        {
            for (int c = 0; c < cells.Length; c++)
            {
                if (!TryParse(cells[c], out double v))
                    throw new InvalidDataException($"{path} line {lineNo}, column {c + 1}: not a number (expected {space.Points} comma-separated values, one per grid point of T^{space.Dimensions}).");
                if (!(v >= 0) || double.IsInfinity(v))
                    throw new InvalidDataException($"{path} line {lineNo}, column {c + 1}: demand value {v} must be non-negative and finite.");
                if (count == values.Length)
                    throw new InvalidDataException($"{path} line {lineNo}: more than the {space.Points} values of a {space.M}^{space.Dimensions} grid.");
                values[count++] = v;
            }
        }
        if (count != values.Length)
            throw new InvalidDataException($"{path}: {count} values; a demand on the {space.M}^{space.Dimensions} grid needs exactly {space.Points}.");
        double total = space.Integrate(values);
        if (!(total > 0)) throw new InvalidDataException($"{path}: all demand values are zero; a demand needs positive mass.");
        Scale(values, mass / total);
        return new Demand(space, values, DemandKind.Histogram, mass);
    }

    /// <summary>The data rows of a demand CSV file with their 1-based line numbers: blank lines and lines starting with
    /// '#' are skipped, and a first line with no numeric cell is a header.</summary>
    private static IEnumerable<(int LineNo, string[] Cells)> DataRows(string key, string path)
    {
        int lineNo = 0;
        bool seenContent = false;
        foreach (var raw in InputFile.ReadLines(key, path, InputKind.DemandCsv))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var cells = line.Split(',');
            bool isHeader = !seenContent && Array.TrueForAll(cells, c => !TryParse(c, out _));
            seenContent = true;
            if (!isHeader) yield return (lineNo, cells);
        }
    }

    /// <summary>Checks that a mixture's peak weights are non-negative and not all zero and its mass positive; returns the
    /// weights' sum.</summary>
    private static double RequireWeightsAndMass(ReadOnlySpan<double> weights, double mass)
    {
        Require.AllNonNegative(weights, nameof(weights));
        Require.Positive(mass, nameof(mass));
        double wSum = 0;
        foreach (var w in weights) wSum += w;
        if (!(wSum > 0)) throw new ArgumentException("weights must not be all zero.", nameof(weights));
        return wSum;
    }

    private static bool TryParse(string cell, out double value)
        => double.TryParse(cell.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    private static double WrapToCircle(double x)
    {
        const double twoPi = 2.0 * Math.PI;
        double r = x - twoPi * Math.Floor(x / twoPi);
        return r >= twoPi ? 0.0 : r;
    }

    /// <summary>Linear interpolation of samples (x sorted ascending in [0, 2π)) at the points g, periodic in 2π.</summary>
    private static double[] InterpolateOnCircle(double[] x, double[] y, ReadOnlySpan<double> g)
    {
        const double twoPi = 2.0 * Math.PI;
        int n = x.Length;
        var result = new double[g.Length];
        for (int i = 0; i < g.Length; i++)
        {
            // k = largest index with x[k] ≤ g[i], or −1 when g[i] lies before the first sample.
            int k = Array.BinarySearch(x, g[i]);
            if (k < 0) k = ~k - 1;
            double x0, y0, x1, y1;
            if (k < 0) { x0 = x[n - 1] - twoPi; y0 = y[n - 1]; x1 = x[0]; y1 = y[0]; }
            else if (k == n - 1) { x0 = x[n - 1]; y0 = y[n - 1]; x1 = x[0] + twoPi; y1 = y[0]; }
            else { x0 = x[k]; y0 = y[k]; x1 = x[k + 1]; y1 = y[k + 1]; }
            double t = (g[i] - x0) / (x1 - x0);
            result[i] = y0 + t * (y1 - y0);
        }
        return result;
    }

    private static void Scale(double[] values, double factor)
        => System.Numerics.Tensors.TensorPrimitives.Multiply(values, factor, values);
}
