// The whole `dps fit` pipeline as one call: take x and y columns of a results table, optionally split by a group
// column, aggregate over seeds (or not), and fit each group (one form, or all with selection by AICc/AIC).
namespace DpsTorch.Fitting;

/// <summary>What to fit: columns, form, grouping and aggregation.</summary>
/// <param name="XColumn">Column holding the size (N, R, K, width...).</param>
/// <param name="YColumn">Column holding the measured quantity.</param>
public sealed record FitRequest(string XColumn, string YColumn)
{
    /// <summary>The form to fit; null fits all four and chooses by <see cref="FitOptions.Criterion"/> ("auto").</summary>
    public ScalingForm? Form { get; init; }
    /// <summary>Column whose values split the rows into separately fitted groups; null: one group.</summary>
    public string? GroupColumn { get; init; }
    /// <summary>True (default): fit the mean over rows sharing an x (the seeds); false: fit every row.</summary>
    public bool AggregateOverSeeds { get; init; } = true;

    /// <summary>"auto" or the form's name.</summary>
    public string FormName => Form is { } f ? ScalingForms.Name(f) : "auto";

    /// <summary>Parses a form argument: "auto" gives null, otherwise <see cref="ScalingForms.Parse"/>.</summary>
    public static ScalingForm? ParseForm(string name)
        => string.Equals(name?.Trim(), "auto", StringComparison.OrdinalIgnoreCase) ? null : ScalingForms.Parse(name!);
}

/// <summary>The fit of one group: its points and the candidate fits.</summary>
/// <param name="Group">The group column's value; null when not grouped.</param>
/// <param name="Rows">Table rows in the group (before aggregation).</param>
/// <param name="Data">The points fitted.</param>
/// <param name="Selection">Candidate fits and the chosen one.</param>
public sealed record GroupFit(string? Group, int Rows, FitData Data, FitSelection Selection);

/// <summary>Fits of every group of a results table.</summary>
public sealed record ScalingStudy(FitRequest Request, FitOptions Options, string Source, IReadOnlyList<GroupFit> Groups)
{
    /// <summary>
    /// Runs the request on <paramref name="table"/>. Errors name the column, row or group and the form concerned.
    /// </summary>
    public static ScalingStudy Run(FitTable table, FitRequest request, FitOptions? options = null)
    {
        options ??= new FitOptions();
        options.Validate();
        // Resolve columns up front so a misspelt name fails before any fitting.
        table.Numbers(request.XColumn);
        table.Numbers(request.YColumn);
        var parts = request.GroupColumn is null
            ? [(Key: (string?)null, Table: table)]
            : table.GroupBy(request.GroupColumn).Select(g => (Key: (string?)g.Key, g.Table)).ToList();
        var forms = request.Form is { } f ? new[] { f } : null;
        var groups = new List<GroupFit>();
        foreach (var (key, part) in parts)
        {
            var data = request.AggregateOverSeeds
                ? part.AggregateOverSeeds(request.XColumn, request.YColumn)
                : part.Raw(request.XColumn, request.YColumn);
            try
            {
                groups.Add(new GroupFit(key, part.RowCount, data, ScalingFit.FitAuto(data.X, data.Y, options, forms)));
            }
            catch (ArgumentException e) when (key is not null)
            {
                throw new ArgumentException($"Group {request.GroupColumn} = '{key}': {e.Message}", e);
            }
        }
        return new ScalingStudy(request, options, table.Source, groups);
    }
}
