// The whole `dps fit` pipeline as one call: take x (and x2) and y columns of a results table, split the rows into
// groups (given columns, or by default every swept key but the seed), aggregate over seeds (or not), and fit each
// group (one form, or all with selection by AICc/AIC), separately or jointly with shared parameters.
namespace DpsTorch.Fitting;

/// <summary>What to fit: columns, form, grouping and aggregation.</summary>
/// <param name="XColumn">Column holding the size (N, R, K, width...).</param>
/// <param name="YColumn">Column holding the measured quantity.</param>
public sealed record FitRequest(string XColumn, string YColumn)
{
    /// <summary>Second variable of a two-variable law (chinchilla, power-product); null for one variable.</summary>
    public string? X2Column { get; init; }
    /// <summary>The form to fit; null fits all forms of the right arity and chooses by <see cref="FitOptions.Criterion"/> ("auto").</summary>
    public ScalingForm? Form { get; init; }
    /// <summary>
    /// Columns whose values split the rows into groups; null (default): every swept key of a sweep's results.csv
    /// except the seed and the x columns (<see cref="FitTable.SweptKeys"/>) that takes more than one value; empty:
    /// no grouping (all rows pooled, which the study then says).
    /// </summary>
    public IReadOnlyList<string>? GroupColumns { get; init; }
    /// <summary>True (default): fit the mean over rows sharing an x (the seeds); false: fit every row.</summary>
    public bool AggregateOverSeeds { get; init; } = true;

    /// <summary>"auto" or the form's name.</summary>
    public string FormName => Form is { } f ? ScalingForms.Name(f) : "auto";

    /// <summary>Parses a form argument: "auto" gives null, otherwise <see cref="ScalingForms.Parse"/>.</summary>
    public static ScalingForm? ParseForm(string name)
        => string.Equals(name?.Trim(), "auto", StringComparison.OrdinalIgnoreCase) ? null : ScalingForms.Parse(name!);
}

/// <summary>The fit of one group: its points and the candidate fits.</summary>
/// <param name="Group">The group key ("a=1, b=2", or the value for one column); null when not grouped.</param>
/// <param name="Rows">Table rows in the group (before aggregation).</param>
/// <param name="Data">The points fitted.</param>
/// <param name="Selection">Candidate fits and the chosen one.</param>
public sealed record GroupFit(string? Group, int Rows, FitData Data, FitSelection Selection)
{
    /// <summary>The cross-validated comparison that chose the form (dps fit --cv); null when the criterion chose.</summary>
    public FitCrossValidation? CrossValidation { get; init; }
}

/// <summary>One candidate's K-fold cross-validated error: a form, or the nonparametric baseline.</summary>
/// <param name="Name">Form name, or the baseline's name (e.g. "fasttree").</param>
/// <param name="IsBaseline">True for the baseline.</param>
/// <param name="Rmse">Mean over folds of the RMSE in the fit space.</param>
/// <param name="RmseStdDev">Standard deviation of the fold RMSEs.</param>
/// <param name="Failed">Why the candidate could not be cross-validated; null when it was.</param>
public sealed record FitCvScore(string Name, bool IsBaseline, double Rmse, double RmseStdDev, string? Failed);

/// <summary>A cross-validated form choice: K, the candidates' scores and the chosen form.</summary>
/// <param name="Folds">K.</param>
/// <param name="Scores">Every candidate, the baseline last.</param>
/// <param name="Chosen">The chosen form.</param>
/// <param name="Rule">How the choice was made, in words.</param>
public sealed record FitCrossValidation(int Folds, IReadOnlyList<FitCvScore> Scores, ScalingForm Chosen, string Rule);

/// <summary>Fits of every group of a results table.</summary>
/// <param name="Request">What was fitted.</param>
/// <param name="Options">Fit settings.</param>
/// <param name="Source">The table's path or label.</param>
/// <param name="GroupColumns">The columns the rows were grouped by (empty: pooled).</param>
/// <param name="Grouping">One sentence saying how the rows were grouped and why.</param>
/// <param name="Groups">One fit per group, in order of first appearance.</param>
public sealed record ScalingStudy(FitRequest Request, FitOptions Options, string Source, IReadOnlyList<string> GroupColumns,
    string Grouping, IReadOnlyList<GroupFit> Groups)
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
        if (request.X2Column is { } x2) table.Numbers(x2);
        if (request.Form is { } form && ScalingForms.IsTwoVariable(form) != (request.X2Column is not null))
            throw new ArgumentException(request.X2Column is null
                ? $"The {ScalingForms.Name(form)} form takes two variables; give the second with --x2 COLUMN."
                : $"The {ScalingForms.Name(form)} form takes one variable but --x2 {request.X2Column} was given; use {string.Join(" or ", ScalingForms.TwoVariable.Select(ScalingForms.Name))}, or drop --x2.");
        var (columns, grouping) = ResolveGroups(table, request);
        var parts = columns.Count == 0
            ? [(Key: (string?)null, Table: table)]
            : table.GroupBy(columns).Select(g => (Key: (string?)g.Key, g.Table)).ToList();
        var data = parts.Select(p => request.AggregateOverSeeds
            ? p.Table.AggregateOverSeeds(request.XColumn, request.YColumn, request.X2Column)
            : p.Table.Raw(request.XColumn, request.YColumn, request.X2Column)).ToList();
        var forms = request.Form is { } f ? new[] { f } : null;
        IReadOnlyList<FitSelection> selections;
        if (options.Shared.Count > 0 && parts.Count > 1)
            selections = ScalingFit.FitAutoGroups(data, options, forms);
        else
        {
            var list = new List<FitSelection>();
            for (int i = 0; i < parts.Count; i++)
            {
                try
                {
                    list.Add(ScalingFit.FitAutoGroups([data[i]], options, forms)[0]);
                }
                catch (ArgumentException e) when (parts[i].Key is not null)
                {
                    throw new ArgumentException($"Group {Describe(columns, parts[i].Key!)}: {e.Message}", e);
                }
            }
            selections = list;
        }
        var groups = parts.Select((p, i) => new GroupFit(p.Key, p.Table.RowCount, data[i], selections[i])).ToList();
        return new ScalingStudy(request, options, table.Source, columns, grouping, groups);
    }

    private static string Describe(IReadOnlyList<string> columns, string key) => columns.Count == 1 ? $"{columns[0]} = '{key}'" : $"'{key}'";

    /// <summary>The grouping columns and the sentence that says what they are and why.</summary>
    internal static (IReadOnlyList<string> Columns, string Sentence) ResolveGroups(FitTable table, FitRequest request)
    {
        var fitted = new[] { request.XColumn, request.X2Column, request.YColumn }.Where(c => c is not null).ToHashSet();
        if (request.GroupColumns is { } given)
        {
            foreach (var c in given)
            {
                table.Text(c);
                if (fitted.Contains(c))
                    throw new ArgumentException($"--group {c}: that column is fitted (x, x2 or y); group by another column.");
            }
            return given.Count == 0
                ? (given, "All rows pooled into one fit (--group none).")
                : (given, $"Grouped by {string.Join(", ", given)} (--group): {table.GroupBy(given).Count} groups fitted separately.");
        }
        var swept = table.SweptKeys();
        if (swept.Count == 0)
            return ([], $"All rows pooled into one fit: {table.Source} has no sweep layout (run, keys..., seed) to group by; name columns with --group.");
        var keys = swept.Where(k => !fitted.Contains(k) && table.DistinctCount(k) > 1).ToList();
        var constant = swept.Where(k => !fitted.Contains(k) && table.DistinctCount(k) <= 1).ToList();
        string rest = constant.Count > 0 ? $" ({string.Join(", ", constant)} takes one value)" : "";
        if (keys.Count == 0)
            return ([], $"All rows pooled into one fit: no swept key besides the fitted columns and the seed varies{rest}.");
        return (keys, $"Grouped by every swept key except the seed and the fitted columns: {string.Join(", ", keys)} ({table.GroupBy(keys).Count} groups, each fitted separately){rest}; --group chooses others, --group none pools.");
    }
}
