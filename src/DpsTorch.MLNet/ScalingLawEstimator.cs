// A scaling-law fit as an ML.NET estimator: Fit runs DpsTorch's fit (any form, one or two variables, groups with
// shared or per-group parameters, linear or log space, squared or Huber loss) and returns ML.NET's own transformers
// with the fitted constants written into an Expression, so Transform, Regression.Evaluate, CrossValidate,
// Model.Save/Load and prediction engines all work on it. (A transformer class of our own could not save its state,
// and CustomMapping saves the mapping without the fitted values.)
using System.Globalization;
using DpsTorch.Fitting;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DpsTorch.MLNet;

/// <summary>Settings of a <see cref="ScalingLawEstimator"/>.</summary>
public sealed record ScalingLawOptions
{
    /// <summary>The form fitted (default power).</summary>
    public ScalingForm Form { get; init; } = ScalingForm.Power;
    /// <summary>Fit settings (space, loss, shared parameters, bootstrap; default: no bootstrap, which a pipeline does not need).</summary>
    public FitOptions Fit { get; init; } = new() { BootstrapResamples = 0 };
}

/// <summary>Fits a scaling law to the X (X2), Group and Y columns of a data view (see <see cref="LawColumns"/>).</summary>
public sealed class ScalingLawEstimator : IEstimator<ITransformer>
{
    private readonly MLContext _ml;

    /// <summary>The settings.</summary>
    public ScalingLawOptions Options { get; }

    /// <summary>The per-group fits of the last <see cref="Fit"/> (in order of first appearance of each group).</summary>
    public IReadOnlyList<FitResult> LastFit { get; private set; } = [];
    /// <summary>The group keys of <see cref="LastFit"/>.</summary>
    public IReadOnlyList<string> LastGroups { get; private set; } = [];

    /// <summary>An estimator for <paramref name="options"/>.</summary>
    public ScalingLawEstimator(MLContext ml, ScalingLawOptions? options = null)
    {
        _ml = ml;
        Options = options ?? new ScalingLawOptions();
    }

    /// <summary>Fits the law and returns Expression transformers computing <see cref="LawColumns.Prediction"/> (y, Double)
    /// and <see cref="LawColumns.Score"/> (fit space, Single).</summary>
    public ITransformer Fit(IDataView input)
    {
        var (keys, groups) = ReadGroups(input, ScalingForms.IsTwoVariable(Options.Form));
        var fits = ScalingFit.FitGroups(groups, Options.Form, Options.Fit);
        LastFit = fits;
        LastGroups = keys;
        return Build(fits, keys).Fit(input);
    }

    /// <summary>The schema after the transform: the input plus Prediction and Score.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
        => Build([], [""]).GetOutputSchema(inputSchema);

    /// <summary>The fitted law's pipeline: Prediction (Double), then Score (Single, fit space).</summary>
    private IEstimator<ITransformer> Build(IReadOnlyList<FitResult> fits, IReadOnlyList<string> keys)
    {
        bool two = ScalingForms.IsTwoVariable(Options.Form);
        string body;
        if (fits.Count == 0) body = "0d/0d";
        else if (fits.Count == 1 && keys[0].Length == 0) body = Formula(fits[0]);
        else
        {
            body = "0d/0d";
            for (int g = fits.Count - 1; g >= 0; g--)
                body = $"(g == \"{keys[g].Replace("\"", "")}\" ? {Formula(fits[g])} : {body})";
        }
        string args = two ? "(x, x2, g)" : "(x, g)";
        string[] inputs = two ? [LawColumns.X, LawColumns.X2, LawColumns.Group] : [LawColumns.X, LawColumns.Group];
        string score = Options.Fit.Space == FitSpace.Log ? "(p) => ln(p)" : "(p) => p";
        return _ml.Transforms.Expression(LawColumns.Prediction, $"{args} => {body}", inputs)
            .Append(_ml.Transforms.Expression(ScoreDouble, score, LawColumns.Prediction))
            .Append(_ml.Transforms.Conversion.ConvertType(LawColumns.Score, ScoreDouble, DataKind.Single));
    }

    private const string ScoreDouble = "ScoreDouble";

    /// <summary>The fitted curve as an ML.NET expression over x (and x2), constants written as exact doubles.</summary>
    internal static string Formula(FitResult fit)
    {
        var p = fit.Parameters.Select(q => q.Estimate).ToArray();
        string C(double v) => "(" + v.ToString("R", CultureInfo.InvariantCulture) + "d)";
        return fit.Form switch
        {
            ScalingForm.Power => $"{C(p[0])} * x ^ {C(p[1])}",
            ScalingForm.PowerOffset => $"{C(p[0])} + {C(p[1])} * x ^ {C(-p[2])}",
            ScalingForm.Saturating => $"{C(p[0])} * (1d - exp(-x / {C(p[1])}))",
            ScalingForm.BrokenPower => $"(x < {C(p[3])} ? {C(p[0])} * x ^ {C(p[1])} : {C(p[0] * Math.Pow(p[3], p[1] - p[2]))} * x ^ {C(p[2])})",
            ScalingForm.Chinchilla => $"{C(p[0])} + {C(p[1])} * x ^ {C(-p[2])} + {C(p[3])} * x2 ^ {C(-p[4])}",
            ScalingForm.PowerProduct => $"{C(p[0])} * x ^ {C(p[1])} * x2 ^ {C(p[2])}",
            _ => throw new ArgumentOutOfRangeException(nameof(fit), fit.Form, "Unknown scaling form."),
        };
    }

    /// <summary>The groups of a data view, in order of first appearance.</summary>
    internal static (List<string> Keys, List<FitData> Groups) ReadGroups(IDataView input, bool twoVariable)
    {
        foreach (var c in new[] { LawColumns.X, LawColumns.Y, LawColumns.Group }.Concat(twoVariable ? [LawColumns.X2] : []))
            if (input.Schema.GetColumnOrNull(c) is null)
                throw new ArgumentException($"The data view has no column '{c}'; build it with SweepData.Points (columns X, X2, Group, Y, Label).");
        var x = input.GetColumn<double>(LawColumns.X).ToArray();
        var y = input.GetColumn<double>(LawColumns.Y).ToArray();
        var x2 = twoVariable ? input.GetColumn<double>(LawColumns.X2).ToArray() : null;
        var g = input.GetColumn<ReadOnlyMemory<char>>(LawColumns.Group).Select(m => m.ToString()).ToArray();
        var keys = new List<string>();
        var index = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < x.Length; i++)
        {
            if (!index.TryGetValue(g[i], out var list)) { index[g[i]] = list = []; keys.Add(g[i]); }
            list.Add(i);
        }
        var groups = keys.Select(k => new FitData(LawColumns.X, LawColumns.Y, index[k].Select(i => x[i]).ToArray(),
            index[k].Select(i => y[i]).ToArray(), false)
        {
            X2Column = twoVariable ? LawColumns.X2 : null,
            X2 = x2 is null ? null : index[k].Select(i => x2[i]).ToArray(),
        }).ToList();
        return (keys, groups);
    }
}
