// Sweep results (results.csv), run trajectories (trajectory.csv) and scaling-law points as ML.NET IDataViews with
// typed columns: every column whose values all parse as numbers is a Double, the others are text.
using DpsTorch.Fitting;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DpsTorch.MLNet;

/// <summary>Column names of the points a <see cref="ScalingLawEstimator"/> reads and writes.</summary>
public static class LawColumns
{
    /// <summary>x (Double).</summary>
    public const string X = "X";
    /// <summary>Second variable x2 (Double; NaN for one-variable data).</summary>
    public const string X2 = "X2";
    /// <summary>Group key (text; empty when ungrouped).</summary>
    public const string Group = "Group";
    /// <summary>Measured y (Double).</summary>
    public const string Y = "Y";
    /// <summary>The evaluation label: y, or ln y for fits in log space (Single, as ML.NET's regression metrics need).</summary>
    public const string Label = "Label";
    /// <summary>Feature for the nonparametric baseline: ln x as Single.</summary>
    public const string XFeature = "XFeature";
    /// <summary>Feature for the nonparametric baseline: ln x2 as Single (0 for one-variable data).</summary>
    public const string X2Feature = "X2Feature";
    /// <summary>The law's prediction in the fit space (Single; compared with <see cref="Label"/> by Evaluate).</summary>
    public const string Score = "Score";
    /// <summary>The law's prediction of y (Double, full precision).</summary>
    public const string Prediction = "Prediction";
}

/// <summary>One point of a scaling-law data view.</summary>
public sealed class LawPoint
{
    /// <summary>x.</summary>
    public double X { get; set; }
    /// <summary>x2 (NaN when one variable).</summary>
    public double X2 { get; set; } = double.NaN;
    /// <summary>Group key.</summary>
    public string Group { get; set; } = "";
    /// <summary>Measured y.</summary>
    public double Y { get; set; }
    /// <summary>y or ln y, by the fit space.</summary>
    public float Label { get; set; }
    /// <summary>ln x as Single (x itself when x ≤ 0).</summary>
    public float XFeature { get; set; }
    /// <summary>ln x2 as Single (0 when one variable).</summary>
    public float X2Feature { get; set; }
}

/// <summary>Loads sweep outputs and fit points into IDataViews.</summary>
public static class SweepData
{
    /// <summary>
    /// A sweep's results.csv (or any CSV with a header row) with typed columns: Double where every value of the
    /// column is a number, text otherwise. Column names are the header's (e.g. "agents.count").
    /// </summary>
    public static IDataView LoadResults(MLContext ml, string path) => LoadCsv(ml, path);

    /// <summary>A run's trajectory.csv (step, loss, coverageLoss, heterogeneity, ...) with typed columns.</summary>
    public static IDataView LoadTrajectory(MLContext ml, string path) => LoadCsv(ml, path);

    /// <summary>The ML.NET type each column of <paramref name="table"/> gets: Double when all values are numbers.</summary>
    public static IReadOnlyList<(string Name, DataKind Kind)> ColumnKinds(FitTable table)
        => table.Columns.Select(c => (c, IsNumeric(table, c) ? DataKind.Double : DataKind.String)).ToList();

    private static bool IsNumeric(FitTable table, string column)
    {
        try
        {
            table.Numbers(column);
            return table.RowCount > 0;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static IDataView LoadCsv(MLContext ml, string path)
    {
        var table = FitTable.ReadCsv(path);
        var columns = ColumnKinds(table).Select((c, i) => new TextLoader.Column(c.Name, c.Kind, i)).ToArray();
        return ml.Data.LoadFromTextFile(path, columns, separatorChar: ',', hasHeader: true, allowQuoting: true);
    }

    /// <summary>
    /// The points of <paramref name="groups"/> (one FitData per group, keyed by <paramref name="keys"/>) as a data
    /// view for <see cref="ScalingLawEstimator"/>: X, X2, Group, Y, Label (y or ln y by <paramref name="space"/>), XFeature, X2Feature.
    /// </summary>
    public static IDataView Points(MLContext ml, IReadOnlyList<FitData> groups, IReadOnlyList<string>? keys = null, FitSpace space = FitSpace.Linear)
        => ml.Data.LoadFromEnumerable(PointList(groups, keys, space));

    /// <summary>The rows of <see cref="Points"/>.</summary>
    public static List<LawPoint> PointList(IReadOnlyList<FitData> groups, IReadOnlyList<string>? keys = null, FitSpace space = FitSpace.Linear)
    {
        var list = new List<LawPoint>();
        for (int g = 0; g < groups.Count; g++)
        {
            var d = groups[g];
            for (int i = 0; i < d.Count; i++)
            {
                double x2 = d.X2?[i] ?? double.NaN;
                list.Add(new LawPoint
                {
                    X = d.X[i],
                    X2 = x2,
                    Group = keys?[g] ?? "",
                    Y = d.Y[i],
                    Label = (float)(space == FitSpace.Log ? Math.Log(d.Y[i]) : d.Y[i]),
                    XFeature = (float)(d.X[i] > 0 ? Math.Log(d.X[i]) : d.X[i]),
                    X2Feature = (float)(x2 > 0 ? Math.Log(x2) : 0),
                });
            }
        }
        return list;
    }
}
