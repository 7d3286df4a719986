// The operation space of MODEL.md section 1: the circle [0, 2π) on M equally spaced points x_m = 2πm/M
// with quadrature weight Δ = 2π/M.
using DpsTorch.Config;

namespace DpsTorch.Model;

/// <summary>
/// The discretised operation space: M grid points x_m = 2πm/M on the circle [0, 2π), quadrature weight Δ = 2π/M.
/// Integrals are Δ-weighted sums over the grid (the rectangle rule, which is spectrally accurate for periodic functions).
/// </summary>
public sealed class Space
{
    /// <summary>Default number of grid points (MODEL.md section 1).</summary>
    public const int DefaultM = 256;

    /// <summary>Smallest allowed M: fewer points cannot represent a peak and its two flanks.</summary>
    public const int MinM = 3;

    private readonly double[] _grid;

    /// <summary>A space of <paramref name="m"/> grid points (m ≥ 3).</summary>
    public Space(int m = DefaultM)
    {
        if (m < MinM)
            throw new ArgumentException($"The operation space needs at least {MinM} grid points, got m = {m}.", nameof(m));
        M = m;
        Delta = 2.0 * Math.PI / m;
        _grid = new double[m];
        for (int i = 0; i < m; i++) _grid[i] = Delta * i;
    }

    /// <summary>Number of grid points.</summary>
    public int M { get; }

    /// <summary>Grid spacing and quadrature weight Δ = 2π/M.</summary>
    public double Delta { get; }

    /// <summary>The grid points x_m = 2πm/M, m = 0..M−1 (read-only view; use ToArray() for a copy).</summary>
    public ReadOnlySpan<double> Grid => _grid;

    /// <summary>∫ f over the circle as Δ Σ_m f(x_m); <paramref name="values"/> must have length M.</summary>
    public double Integrate(ReadOnlySpan<double> values)
    {
        Require.Length(values.Length, M, nameof(values), "one value per grid point");
        return Delta * System.Numerics.Tensors.TensorPrimitives.Sum(values);
    }

    /// <inheritdoc/>
    public override string ToString() => $"Space(M={M})";
}
