// Colours of the report: a cyclic map for positions μ on the circle (hue = μ / 2π, so 0 and 2π get the same colour)
// and a few fixed series colours.
using System.Globalization;

namespace DpsTorch.Reports;

/// <summary>Colour helpers for the report figures (CSS hex strings).</summary>
internal static class Colors
{
    public const string Demand = "#9aa5b1";
    public const string Production = "#d9480f";
    public const string Primary = "#1c7ed6";
    public const string Secondary = "#2b8a3e";
    public const string Tertiary = "#7048e8";
    public const string Grid = "#e9ecef";
    public const string Axis = "#868e96";
    public const string Text = "#343a40";

    /// <summary>The colour of position <paramref name="mu"/> (radians, any value; read modulo 2π) on a cyclic hue wheel.</summary>
    public static string Cyclic(double mu)
    {
        double turn = mu / (2 * Math.PI);
        turn -= Math.Floor(turn);
        if (!double.IsFinite(turn)) turn = 0;
        return Hsl(turn * 360, 0.70, 0.45);
    }

    /// <summary>The colour of category <paramref name="k"/> of <paramref name="count"/>: the Tableau 10 palette, or evenly
    /// spaced hues when there are more than ten categories.</summary>
    public static string Category(int k, int count)
        => count <= SvgPlot.Palette.Count ? SvgPlot.Palette[k % SvgPlot.Palette.Count] : Hsl(360.0 * k / count, 0.65, 0.45);

    /// <summary>HSL (hue in degrees, saturation and lightness in [0, 1]) as #rrggbb.</summary>
    public static string Hsl(double hue, double s, double l)
    {
        double c = (1 - Math.Abs(2 * l - 1)) * s;
        double h = (hue % 360 + 360) % 360 / 60;
        double x = c * (1 - Math.Abs(h % 2 - 1));
        (double r, double g, double b) = h switch
        {
            < 1 => (c, x, 0.0),
            < 2 => (x, c, 0.0),
            < 3 => (0.0, c, x),
            < 4 => (0.0, x, c),
            < 5 => (x, 0.0, c),
            _ => (c, 0.0, x),
        };
        double m = l - c / 2;
        return string.Create(CultureInfo.InvariantCulture, $"#{Byte(r + m):x2}{Byte(g + m):x2}{Byte(b + m):x2}");
    }

    private static int Byte(double v) => (int)Math.Round(Math.Clamp(v, 0, 1) * 255);
}
