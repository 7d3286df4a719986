// The interaction graph as a picture: agents on a circle in index order, coloured by μ (cyclic map) and sized by
// resource, edges as chords whose opacity grows with the weight. Large graphs are thinned: evenly sampled nodes,
// and the heaviest edges among them.
using System.Globalization;
using System.Text;

namespace DpsTorch.Reports;

/// <summary>The topology figure of the report.</summary>
internal static class GraphPlot
{
    /// <summary>Most nodes drawn.</summary>
    public const int MaxNodes = 2000;
    /// <summary>Most edges drawn (the heaviest are kept).</summary>
    public const int MaxEdges = 5000;
    /// <summary>Total opacity budget of the edges (about this many fully opaque lines' worth of ink).</summary>
    private const double EdgeInk = 150;

    /// <summary>An inline SVG of the graph and a sentence saying what was left out (empty when nothing was).</summary>
    public static (string Svg, string Note) ToSvg(double[] mu, double[] resources, (int I, int J)[] edges, double[] weights, int size = 440)
    {
        int n = mu.Length;
        int[] shown = ReportSampling.Even(n, MaxNodes);
        var slot = new int[n];
        Array.Fill(slot, -1);
        for (int k = 0; k < shown.Length; k++) slot[shown[k]] = k;

        var candidates = new List<int>();
        for (int e = 0; e < edges.Length; e++)
            if (slot[edges[e].I] >= 0 && slot[edges[e].J] >= 0) candidates.Add(e);
        bool thinned = candidates.Count > MaxEdges;
        if (thinned)
        {
            candidates.Sort((a, b) => weights[b].CompareTo(weights[a]) is var c && c != 0 ? c : a.CompareTo(b));
            candidates.RemoveRange(MaxEdges, candidates.Count - MaxEdges);
        }
        double wmax = 0, amax = 0;
        foreach (int e in candidates) if (double.IsFinite(weights[e])) wmax = Math.Max(wmax, Math.Abs(weights[e]));
        foreach (var a in resources) if (double.IsFinite(a)) amax = Math.Max(amax, a);

        double cx = size / 2.0, cy = size / 2.0, radius = size / 2.0 - 26;
        double maxNode = Math.Clamp(2 * Math.PI * radius / shown.Length * 0.45, 1.5, 12);
        (double, double) Pos(int i) { double a = 2 * Math.PI * slot[i] / shown.Length; return (cx + radius * Math.Cos(a), cy - radius * Math.Sin(a)); }

        var sb = new StringBuilder();
        sb.Append($"<svg class=\"chart\" viewBox=\"0 0 {size} {size}\" width=\"{size}\" height=\"{size}\" role=\"img\"");
        // The data behind the figure: every edge, drawn or not.
        sb.Append(Interactive.Csv(["agent i", "agent j", "weight"], edges.Select((e, k) => (IReadOnlyList<string>)[e.I.ToString(CultureInfo.InvariantCulture), e.J.ToString(CultureInfo.InvariantCulture), Interactive.Value(weights[k])]))).Append('>');
        sb.Append($"<circle cx=\"{Svg.C(cx)}\" cy=\"{Svg.C(cy)}\" r=\"{Svg.C(radius)}\" fill=\"none\" stroke=\"{Colors.Grid}\"/>");
        // Many chords pile up: cap each edge's opacity so that the total ink stays about that of EdgeInk full lines.
        double maxOpacity = Math.Clamp(EdgeInk / Math.Max(candidates.Count, 1), 0.03, 0.75);
        sb.Append($"<g stroke=\"{Colors.Text}\" stroke-width=\"{(candidates.Count > 500 ? "0.6" : "1")}\">");
        foreach (int e in candidates)
        {
            var (x1, y1) = Pos(edges[e].I);
            var (x2, y2) = Pos(edges[e].J);
            double w = wmax > 0 && double.IsFinite(weights[e]) ? Math.Abs(weights[e]) / wmax : 0;
            sb.Append($"<line x1=\"{Svg.C(x1)}\" y1=\"{Svg.C(y1)}\" x2=\"{Svg.C(x2)}\" y2=\"{Svg.C(y2)}\" stroke-opacity=\"{Svg.O(maxOpacity * (0.15 + 0.85 * w))}\"/>");
        }
        sb.Append("</g>");
        foreach (int i in shown)
        {
            var (x, y) = Pos(i);
            double r = amax > 0 && double.IsFinite(resources[i]) ? maxNode * Math.Sqrt(Math.Max(resources[i], 0) / amax) : 1;
            sb.Append($"<circle cx=\"{Svg.C(x)}\" cy=\"{Svg.C(y)}\" r=\"{Svg.O(Math.Max(r, 1))}\" fill=\"{Colors.Cyclic(mu[i])}\" stroke=\"#fff\" stroke-width=\"0.5\"><title>agent {i}</title></circle>");
        }
        sb.Append("</svg>");

        var notes = new List<string>();
        if (shown.Length < n) notes.Add($"{shown.Length} of {n} agents drawn (evenly sampled by index), with the edges among them");
        if (thinned) notes.Add($"only the {MaxEdges} heaviest edges drawn");
        return (sb.ToString(), string.Join("; ", notes));
    }
}
