// The operation space of MODEL.md section 1: the circle [0, 2π) on M equally spaced points x_m = 2πm/M
// with quadrature weight Δ = 2π/M, or the torus T^d on the product grid of M^d points with weight (2π/M)^d.
using DpsTorch.Config;

namespace DpsTorch.Model;

/// <summary>
/// The discretised operation space: M grid points x_m = 2πm/M per axis on the circle [0, 2π), or the product grid of
/// M^d points on the torus T^d (d = <see cref="Dimensions"/>; point index m = ((m_0·M + m_1)·M + m_2)..., the first axis
/// slowest). Integrals are Δ-weighted sums over the grid (the rectangle rule, spectrally accurate for periodic
/// functions), Δ = (2π/M)^d.
/// </summary>
public sealed class Space
{
    /// <summary>Default number of grid points (MODEL.md section 1).</summary>
    public const int DefaultM = 256;

    /// <summary>Smallest allowed M: fewer points cannot represent a peak and its two flanks.</summary>
    public const int MinM = 3;

    private readonly double[] _grid;

    /// <summary>A space of <paramref name="m"/> grid points (m ≥ 3) per axis, in <paramref name="dimensions"/> dimensions (1 to 3).</summary>
    public Space(int m = DefaultM, int dimensions = 1)
    {
        if (m < MinM)
            throw new ArgumentException($"The operation space needs at least {MinM} grid points, got m = {m}.", nameof(m));
        if (dimensions < 1 || dimensions > SpaceConfig.MaxDimensions)
            throw new ArgumentException($"The operation space has 1 to {SpaceConfig.MaxDimensions} dimensions, got {dimensions}.", nameof(dimensions));
        M = m;
        Dimensions = dimensions;
        Spacing = 2.0 * Math.PI / m;
        double delta = Spacing;
        long points = m;
        for (int k = 1; k < dimensions; k++) { delta *= Spacing; points *= m; }
        if (points > int.MaxValue) throw new ArgumentException($"The operation space of {m}^{dimensions} points is too large; at most {int.MaxValue} points.", nameof(m));
        Delta = delta;
        Points = (int)points;
        _grid = new double[m];
        for (int i = 0; i < m; i++) _grid[i] = Spacing * i;
    }

    /// <summary>Number of grid points per axis.</summary>
    public int M { get; }

    /// <summary>Dimensions d of the torus (1: the circle).</summary>
    public int Dimensions { get; }

    /// <summary>Grid points in all, M^d (M on the circle): the length of a demand or a production.</summary>
    public int Points { get; }

    /// <summary>Grid spacing along one axis, 2π/M.</summary>
    public double Spacing { get; }

    /// <summary>Quadrature weight of one grid cell, (2π/M)^d (on the circle the spacing 2π/M).</summary>
    public double Delta { get; }

    /// <summary>The grid points of one axis x_m = 2πm/M, m = 0..M−1 (read-only view; use ToArray() for a copy).</summary>
    public ReadOnlySpan<double> Grid => _grid;

    /// <summary>∫ f over the space as Δ Σ_m f(x_m); <paramref name="values"/> must have length <see cref="Points"/>.</summary>
    public double Integrate(ReadOnlySpan<double> values)
    {
        Require.Length(values.Length, Points, nameof(values), "one value per grid point");
        return Delta * System.Numerics.Tensors.TensorPrimitives.Sum(values);
    }

    /// <summary>The axis indices of grid point <paramref name="point"/> (first axis first), length d.</summary>
    public int[] Indices(int point)
    {
        var idx = new int[Dimensions];
        for (int k = Dimensions - 1; k >= 0; k--) { idx[k] = point % M; point /= M; }
        return idx;
    }

    /// <inheritdoc/>
    public override string ToString() => Dimensions == 1 ? $"Space(M={M})" : $"Space(M={M}, d={Dimensions})";
}
