// The wrapped normal density on the circle (MODEL.md section 1) and its derivatives, in two exact forms:
// the image sum (fast for narrow σ) and the Fourier series (fast for broad σ), each truncated at a stated tolerance.
namespace DpsTorch;

/// <summary>Which series evaluates a wrapped normal.</summary>
public enum WrappedNormalMethod
{
    /// <summary>Image sum for σ below <see cref="WrappedNormal.SwitchSigma"/>, Fourier series above.</summary>
    Auto,
    /// <summary>WN(x; μ, σ) = 1/(σ√(2π)) Σ_k exp(−(x − μ + 2πk)² / 2σ²).</summary>
    Images,
    /// <summary>WN(x; μ, σ) = 1/(2π) [1 + 2 Σ_{n≥1} exp(−n²σ²/2) cos(n(x − μ))].</summary>
    Fourier,
}

/// <summary>
/// Wrapped normal density WN(x; μ, σ) on [0, 2π) and its partial derivatives in μ and σ.
/// Both series are truncated where the first omitted term falls below <see cref="Tolerance"/> times the leading term.
/// </summary>
public static class WrappedNormal
{
    /// <summary>Relative truncation tolerance of both series (MODEL.md asks for about 1e-12).</summary>
    public const double Tolerance = 1e-12;

    /// <summary>√(2 ln(1/Tolerance)): a Gaussian term exp(−z²/2) is below Tolerance once z exceeds this.</summary>
    public static readonly double TailZ = Math.Sqrt(2.0 * Math.Log(1.0 / Tolerance));

    /// <summary>
    /// σ at which the two series need about the same number of terms (images ~ TailZ·σ/π, Fourier ~ TailZ/σ,
    /// equal at σ = √π ≈ 1.77); below it the image sum is cheaper.
    /// </summary>
    public static readonly double SwitchSigma = Math.Sqrt(Math.PI);

    private const double TwoPi = 2.0 * Math.PI;
    private static readonly double InvSqrtTwoPi = 1.0 / Math.Sqrt(TwoPi);

    /// <summary>The density at x.</summary>
    public static double Density(double x, double mu, double sigma, WrappedNormalMethod method = WrappedNormalMethod.Auto)
        => Evaluate(x, mu, sigma, method, out _, out _);

    /// <summary>The density at x and its derivatives ∂/∂μ and ∂/∂σ.</summary>
    public static double Evaluate(double x, double mu, double sigma, WrappedNormalMethod method, out double dMu, out double dSigma)
    {
        if (!(sigma > 0) || double.IsInfinity(sigma))
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "The wrapped normal's σ must be positive and finite.");
        if (method == WrappedNormalMethod.Auto)
            method = sigma < SwitchSigma ? WrappedNormalMethod.Images : WrappedNormalMethod.Fourier;
        return method == WrappedNormalMethod.Images
            ? ImageSum(Wrap(x - mu), sigma, out dMu, out dSigma)
            : FourierSum(x - mu, sigma, out dMu, out dSigma);
    }

    /// <summary>Number of images on each side of k = 0 the image sum needs at this σ.</summary>
    public static int ImageCount(double sigma) => (int)Math.Ceiling((TailZ * sigma / Math.PI + 1.0) / 2.0);

    /// <summary>Number of Fourier harmonics the series needs at this σ.</summary>
    public static int HarmonicCount(double sigma) => Math.Max(1, (int)Math.Ceiling(TailZ / sigma));

    /// <summary>Maps an angle difference to [−π, π).</summary>
    public static double Wrap(double d)
    {
        d = Math.IEEERemainder(d, TwoPi);
        return d >= Math.PI ? d - TwoPi : d;
    }

    private static double ImageSum(double d, double sigma, out double dMu, out double dSigma)
    {
        // d = x − μ wrapped to [−π, π): images at d + 2πk for |k| ≤ K.
        int K = ImageCount(sigma);
        double inv2s2 = 1.0 / (2.0 * sigma * sigma), norm = InvSqrtTwoPi / sigma;
        double s = 0, sDmu = 0, sDsig = 0;
        for (int k = -K; k <= K; k++)
        {
            double dk = d + TwoPi * k;
            double phi = norm * Math.Exp(-dk * dk * inv2s2);
            s += phi;
            sDmu += phi * dk;                 // ∂φ/∂μ = φ · d / σ²
            sDsig += phi * (dk * dk);         // ∂φ/∂σ = φ · (d²/σ³ − 1/σ)
        }
        dMu = sDmu / (sigma * sigma);
        dSigma = sDsig / (sigma * sigma * sigma) - s / sigma;
        return s;
    }

    private static double FourierSum(double d, double sigma, out double dMu, out double dSigma)
    {
        int nMax = HarmonicCount(sigma);
        double s = 0, sDmu = 0, sDsig = 0, s2 = sigma * sigma;
        for (int n = 1; n <= nMax; n++)
        {
            double e = Math.Exp(-0.5 * n * n * s2);
            double c = Math.Cos(n * d), sn = Math.Sin(n * d);
            s += e * c;
            sDmu += e * n * sn;               // ∂/∂μ cos(n(x − μ)) = n sin(n(x − μ))
            sDsig += -n * n * sigma * e * c;  // ∂/∂σ exp(−n²σ²/2) = −n²σ exp(...)
        }
        const double inv2Pi = 1.0 / TwoPi;
        dMu = 2.0 * inv2Pi * sDmu;
        dSigma = 2.0 * inv2Pi * sDsig;
        return inv2Pi * (1.0 + 2.0 * s);
    }
}
