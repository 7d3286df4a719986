// Thinning of large systems for drawing: which agents a figure shows when there are too many to draw.
namespace DpsTorch.Reports;

/// <summary>Thinning helper shared by the report figures.</summary>
internal static class ReportSampling
{
    /// <summary>At most <paramref name="max"/> indices of 0..n−1, evenly spaced, ascending (all of them when n ≤ max).</summary>
    public static int[] Even(int n, int max)
    {
        int k = Math.Min(n, max);
        var idx = new int[k];
        for (int j = 0; j < k; j++) idx[j] = (int)((long)j * n / k);
        return idx;
    }
}
