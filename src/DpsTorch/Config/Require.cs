// Argument checks shared by the model and measure building blocks: every error is one sentence that names the
// parameter, the bad value and what is allowed.
namespace DpsTorch.Config;

internal static class Require
{
    public static void Positive(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value))
            throw new ArgumentException($"{name} must be positive and finite, got {value}.", name);
    }

    public static void NonNegative(double value, string name)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentException($"{name} must be non-negative and finite, got {value}.", name);
    }

    public static void Finite(double value, string name)
    {
        if (!double.IsFinite(value))
            throw new ArgumentException($"{name} must be finite, got {value}.", name);
    }

    public static void Probability(double value, string name)
    {
        if (!(value >= 0 && value <= 1))
            throw new ArgumentException($"{name} must be a probability in [0, 1], got {value}.", name);
    }

    public static void AtLeast(int value, int min, string name)
    {
        if (value < min)
            throw new ArgumentException($"{name} must be at least {min}, got {value}.", name);
    }

    /// <summary>n·n as an array length, or an error naming <paramref name="what"/> when it exceeds what an array holds.</summary>
    public static int SquareLength(int n, string what)
    {
        long square = (long)n * n;
        if (square > Array.MaxLength)
            throw new ArgumentException($"{what}: an {n}x{n} matrix has {square} entries, more than an array holds ({Array.MaxLength}); use the sparse or matrix-free form.");
        return (int)square;
    }

    public static void Length(int actual, int expected, string name, string what)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} must have length {expected} ({what}), got {actual}.", name);
    }

    public static void AllNonNegative(ReadOnlySpan<double> values, string name)
    {
        for (int i = 0; i < values.Length; i++)
            if (!(values[i] >= 0) || double.IsInfinity(values[i]))
                throw new ArgumentException($"{name}[{i}] must be non-negative and finite, got {values[i]}.", name);
    }

    public static void AllPositive(ReadOnlySpan<double> values, string name)
    {
        for (int i = 0; i < values.Length; i++)
            if (!(values[i] > 0) || double.IsInfinity(values[i]))
                throw new ArgumentException($"{name}[{i}] must be positive and finite, got {values[i]}.", name);
    }

    public static void AllFinite(ReadOnlySpan<double> values, string name)
    {
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"{name}[{i}] must be finite, got {values[i]}.", name);
    }
}
