// Small text helpers shared by the report's SVG writers: invariant-culture numbers and escaping.
using System.Globalization;
using System.Net;

namespace DpsTorch.Reports;

/// <summary>Formatting helpers for inline SVG and HTML.</summary>
internal static class Svg
{
    /// <summary>A coordinate with one decimal (sub-pixel precision is invisible and doubles the page size).</summary>
    public static string C(double v) => double.IsFinite(v) ? Math.Round(v, 1).ToString("0.#", CultureInfo.InvariantCulture) : "0";

    /// <summary>An opacity or width with three decimals (faint edges of dense graphs need them).</summary>
    public static string O(double v) => double.IsFinite(v) ? Math.Round(v, 3).ToString("0.###", CultureInfo.InvariantCulture) : "0";

    /// <summary>A value for people: four significant digits, "–" when missing or not finite.</summary>
    public static string Num(double? v)
    {
        if (v is not double d || !double.IsFinite(d)) return "–";
        if (d == Math.Round(d) && Math.Abs(d) < 1e5) return d.ToString("0", CultureInfo.InvariantCulture);
        // G4 writes 3.263E+05; people (and narrow tick labels) read 3.263e5 more easily.
        return d.ToString("G4", CultureInfo.InvariantCulture).Replace("E+0", "e").Replace("E+", "e").Replace("E-0", "e-").Replace("E-", "e-");
    }

    /// <summary>Text escaped for HTML/SVG content and attribute values.</summary>
    public static string Escape(string? s) => WebUtility.HtmlEncode(s ?? "");

    /// <summary>An angle x on the circle as a label in multiples of π.</summary>
    public static string PiLabel(double x)
    {
        double k = x / Math.PI;
        return Math.Round(k * 4) switch
        {
            0 => "0",
            2 => "π/2",
            4 => "π",
            6 => "3π/2",
            8 => "2π",
            var q => (q / 4).ToString("0.##", CultureInfo.InvariantCulture) + "π",
        };
    }
}
