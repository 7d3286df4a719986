// A CSV table of sweep results (header row, named columns) and the points a scaling fit takes from it:
// raw rows, or the mean and standard error over seeds at each x (MODEL.md section 6).
using System.Globalization;
using System.Text;
using DpsTorch.Config;

namespace DpsTorch.Fitting;

/// <summary>Points for a fit: x, y and, when aggregated over seeds, the standard error and seed count at each x.</summary>
/// <param name="XColumn">Column x came from.</param>
/// <param name="YColumn">Column y came from.</param>
/// <param name="X">Sizes (ascending when aggregated).</param>
/// <param name="Y">Values, or their means over seeds.</param>
/// <param name="AggregatedOverSeeds">True: y is the mean over rows sharing an x; false: every row is a point.</param>
/// <param name="StandardError">Per point s/√m (s the sample standard deviation of the m rows); NaN where m = 1; null when raw.</param>
/// <param name="Counts">Rows averaged into each point; null when raw.</param>
public sealed record FitData(string XColumn, string YColumn, double[] X, double[] Y, bool AggregatedOverSeeds,
    double[]? StandardError = null, int[]? Counts = null)
{
    /// <summary>Column of the second variable of a two-variable law; null for one variable.</summary>
    public string? X2Column { get; init; }
    /// <summary>Values of the second variable (aligned with X); null for one variable.</summary>
    public double[]? X2 { get; init; }

    /// <summary>Number of points.</summary>
    public int Count => X.Length;
}

/// <summary>A CSV table read into named text columns, with numeric access, grouping and aggregation over seeds.</summary>
/// <remarks>
/// The reader takes a header row, comma separators, optional double quotes (a doubled quote inside quotes is a
/// quote) and LF or CRLF line ends; blank lines are skipped. Numbers parse in the invariant culture.
/// Messages name the data row (counted from 1 after the header) and its line in the file.
/// </remarks>
public sealed class FitTable
{
    private readonly Dictionary<string, int> _index;
    private readonly List<string[]> _rows;
    private readonly int[] _rowNumbers;
    private readonly int[] _lineNumbers;

    /// <summary>Where the table came from (a path, or a label for text), used in messages.</summary>
    public string Source { get; }
    /// <summary>Column names, in file order.</summary>
    public IReadOnlyList<string> Columns { get; }
    /// <summary>Number of data rows.</summary>
    public int RowCount => _rows.Count;

    private FitTable(string source, IReadOnlyList<string> columns, List<string[]> rows, int[] rowNumbers, int[] lineNumbers)
    {
        Source = source;
        Columns = columns;
        _rows = rows;
        _rowNumbers = rowNumbers;
        _lineNumbers = lineNumbers;
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < columns.Count; i++)
            if (!_index.TryAdd(columns[i], i))
                throw new FormatException($"{source}: the header names column '{columns[i]}' twice; column names must be unique.");
    }

    /// <summary>Reads a CSV file with a header row.</summary>
    public static FitTable ReadCsv(string path) => Parse(InputFile.ReadAllText(path, path, InputKind.ResultsTable), path);

    /// <summary>Parses CSV text with a header row; <paramref name="source"/> labels messages.</summary>
    public static FitTable Parse(string text, string source = "CSV text")
    {
        var records = SplitRecords(text, source);
        if (records.Count == 0) throw new FormatException($"{source}: the CSV is empty; it needs a header row naming the columns.");
        var header = records[0].Fields.Select(h => h.Trim()).ToArray();
        var rows = new List<string[]>();
        var numbers = new List<int>();
        var lines = new List<int>();
        for (int r = 1; r < records.Count; r++)
        {
            var f = records[r].Fields;
            if (f.Length != header.Length)
                throw new FormatException($"{source}: line {records[r].Line} has {f.Length} fields but the header has {header.Length}.");
            rows.Add(f);
            numbers.Add(r);
            lines.Add(records[r].Line);
        }
        return new FitTable(source, header, rows, numbers.ToArray(), lines.ToArray());
    }

    /// <summary>Builds a table from columns of text (all of equal length).</summary>
    public static FitTable FromColumns(IReadOnlyDictionary<string, string[]> columns, string source = "table")
    {
        var names = columns.Keys.ToArray();
        int n = names.Length == 0 ? 0 : columns[names[0]].Length;
        foreach (var name in names)
            if (columns[name].Length != n) throw new ArgumentException($"Column '{name}' has {columns[name].Length} values but '{names[0]}' has {n}.");
        var rows = new List<string[]>(n);
        for (int r = 0; r < n; r++) rows.Add(names.Select(c => columns[c][r]).ToArray());
        return new FitTable(source, names, rows, Enumerable.Range(1, n).ToArray(), Enumerable.Range(2, n).ToArray());
    }

    /// <summary>The text of a column.</summary>
    /// <exception cref="ArgumentException">The column does not exist; the message lists the available ones.</exception>
    public string[] Text(string column)
    {
        int c = ColumnIndex(column);
        var v = new string[_rows.Count];
        for (int r = 0; r < v.Length; r++) v[r] = _rows[r][c];
        return v;
    }

    /// <summary>A column parsed as finite numbers.</summary>
    /// <exception cref="ArgumentException">Unknown column; or a value that is empty, not a number, NaN or infinite
    /// (the message names the row and the column).</exception>
    public double[] Numbers(string column)
    {
        int c = ColumnIndex(column);
        var v = new double[_rows.Count];
        for (int r = 0; r < v.Length; r++)
        {
            string s = _rows[r][c].Trim();
            string where = $"{Source}: row {_rowNumbers[r]} (line {_lineNumbers[r]}), column '{column}'";
            if (s.Length == 0) throw new ArgumentException($"{where} is empty; every point needs a number there.");
            if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v[r]))
                throw new ArgumentException($"{where} holds '{s}', which is not a number (use invariant format, e.g. 0.5 or 1e-3).");
            if (!double.IsFinite(v[r]))
                throw new ArgumentException($"{where} is {s}; fits need finite numbers, so drop or repair that row.");
        }
        return v;
    }

    /// <summary>
    /// Splits the rows by the text of <paramref name="column"/>; groups appear in order of first appearance.
    /// </summary>
    public IReadOnlyList<(string Key, FitTable Table)> GroupBy(string column) => GroupBy([column]);

    /// <summary>
    /// Splits the rows by the texts of <paramref name="columns"/>; groups appear in order of first appearance. The
    /// key is the value for one column, "a=1, b=2" for several.
    /// </summary>
    public IReadOnlyList<(string Key, FitTable Table)> GroupBy(IReadOnlyList<string> columns)
    {
        var cs = columns.Select(ColumnIndex).ToArray();
        var order = new List<string>();
        var members = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int r = 0; r < _rows.Count; r++)
        {
            string key = cs.Length == 1 ? _rows[r][cs[0]].Trim()
                : string.Join(", ", cs.Select((c, k) => $"{columns[k]}={_rows[r][c].Trim()}"));
            if (!members.TryGetValue(key, out var list)) { members[key] = list = []; order.Add(key); }
            list.Add(r);
        }
        return order.Select(k => (k, new FitTable(Source, Columns,
            members[k].Select(r => _rows[r]).ToList(), members[k].Select(r => _rowNumbers[r]).ToArray(),
            members[k].Select(r => _lineNumbers[r]).ToArray()))).ToList();
    }

    /// <summary>
    /// The swept keys of a sweep's results.csv: the columns between "run" (first) and "seed", in order; empty when
    /// the table does not have that layout.
    /// </summary>
    public IReadOnlyList<string> SweptKeys()
    {
        int seed = Columns.ToList().IndexOf("seed");
        if (Columns.Count == 0 || Columns[0] != "run" || seed < 1) return [];
        return Columns.Skip(1).Take(seed - 1).ToList();
    }

    /// <summary>Number of distinct (trimmed) texts in a column.</summary>
    public int DistinctCount(string column) => Text(column).Select(v => v.Trim()).Distinct(StringComparer.Ordinal).Count();

    /// <summary>Every row as a point (no aggregation); <paramref name="x2Column"/> adds a second variable.</summary>
    public FitData Raw(string xColumn, string yColumn, string? x2Column = null)
        => new(xColumn, yColumn, Numbers(xColumn), Numbers(yColumn), false)
        {
            X2Column = x2Column,
            X2 = x2Column is null ? null : Numbers(x2Column),
        };

    /// <summary>
    /// One point per distinct x (per distinct (x, x2) with a second variable; sorted ascending): the mean of y over
    /// the rows there (the seeds), its standard error s/√m with s the sample standard deviation (NaN when m = 1), and m.
    /// </summary>
    public FitData AggregateOverSeeds(string xColumn, string yColumn, string? x2Column = null)
    {
        var x = Numbers(xColumn);
        var x2 = x2Column is null ? new double[x.Length] : Numbers(x2Column);
        var y = Numbers(yColumn);
        var groups = new SortedDictionary<(double, double), List<double>>();
        for (int r = 0; r < x.Length; r++)
        {
            if (!groups.TryGetValue((x2[r], x[r]), out var list)) groups[(x2[r], x[r])] = list = [];
            list.Add(y[r]);
        }
        int m = groups.Count, i = 0;
        var gx = new double[m];
        var gx2 = new double[m];
        var mean = new double[m];
        var se = new double[m];
        var counts = new int[m];
        foreach (var (key, ys) in groups)
        {
            double s = 0;
            foreach (var v in ys) s += v;
            double mu = s / ys.Count, ss = 0;
            foreach (var v in ys) ss += (v - mu) * (v - mu);
            (gx2[i], gx[i]) = key;
            mean[i] = mu;
            counts[i] = ys.Count;
            se[i] = ys.Count > 1 ? Math.Sqrt(ss / (ys.Count - 1) / ys.Count) : double.NaN;
            i++;
        }
        return new FitData(xColumn, yColumn, gx, mean, true, se, counts)
        {
            X2Column = x2Column,
            X2 = x2Column is null ? null : gx2,
        };
    }

    private int ColumnIndex(string column)
    {
        if (_index.TryGetValue(column, out int c)) return c;
        throw new ArgumentException(
            $"{Source} has no column '{column}'.{DidYouMean.Hint(column, Columns).Replace(" did", " Did")} Available columns: {string.Join(", ", Columns.Select(n => $"'{n}'"))}.");
    }

    private static List<(string[] Fields, int Line)> SplitRecords(string text, string source)
    {
        var records = new List<(string[], int)>();
        var fields = new List<string>();
        var field = new StringBuilder();
        bool inQuotes = false, any = false;
        int line = 1, recordLine = 1;
        void EndRecord()
        {
            fields.Add(field.ToString());
            field.Clear();
            if (any || fields.Count > 1 || fields[0].Trim().Length > 0) records.Add((fields.ToArray(), recordLine));
            fields.Clear();
            any = false;
        }
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            if (inQuotes)
            {
                if (ch == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                    else inQuotes = false;
                }
                else
                {
                    if (ch == '\n') line++;
                    field.Append(ch);
                }
                continue;
            }
            switch (ch)
            {
                case '"': inQuotes = true; any = true; break;
                case ',': fields.Add(field.ToString()); field.Clear(); break;
                case '\r': break;
                case '\n': EndRecord(); line++; recordLine = line; break;
                default: field.Append(ch); break;
            }
        }
        if (inQuotes) throw new FormatException($"{source}: a quoted field opened on line {recordLine} is never closed.");
        if (field.Length > 0 || fields.Count > 0 || any) EndRecord();
        return records;
    }
}
