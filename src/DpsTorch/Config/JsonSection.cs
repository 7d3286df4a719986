// A JSON object being read into a config record: typed getters that check ranges and name the key path,
// and a final check that no unknown key was given. Given a list of rules, every getter also notes the key it reads
// with its type, range, choices and default: ConfigSchema builds the JSON Schema from those notes.
using System.Globalization;
using System.Text.Json;

namespace DpsTorch.Config;

/// <summary>Reads one JSON object of a config, tracking the key path and which keys were consumed.</summary>
internal sealed class JsonSection
{
    private readonly JsonElement _element;
    private readonly HashSet<string> _used = [];

    public string Path { get; }

    /// <summary>Where the getters note the keys they read (null: not noted).</summary>
    public List<KeyRule>? Rules { get; }

    public JsonSection(JsonElement element, string path, List<KeyRule>? rules = null)
    {
        Rules = rules;
        if (element.ValueKind != JsonValueKind.Object)
            throw ConfigException.Invalid(path.Length == 0 ? "config" : path, Raw(element), "a JSON object { ... }");
        _element = element;
        Path = path;
    }

    public string KeyPath(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    public bool Has(string key) => _element.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    private bool TryGet(string key, out JsonElement value)
    {
        _used.Add(key);
        return _element.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null;
    }

    private void Note(string key, string type, object? fallback, double min = double.NegativeInfinity, double max = double.PositiveInfinity,
        bool exclusiveMin = false, string[]? choices = null, bool hasDefault = true, int? minItems = null)
        => Rules?.Add(new KeyRule(KeyPath(key), type, min, max, exclusiveMin, choices, hasDefault ? fallback : null, hasDefault && fallback is not null, minItems));

    public JsonSection? Section(string key)
    {
        Note(key, "object", null, hasDefault: false);
        return TryGet(key, out var v) ? new JsonSection(v, KeyPath(key), Rules) : null;
    }

    public int Int(string key, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        Note(key, "integer", fallback, min, max);
        return ReadInt(key, fallback, min, max);
    }

    private int ReadInt(string key, int fallback, int min, int max)
    {
        if (!TryGet(key, out var v)) return fallback;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long n))
            throw ConfigException.Invalid(KeyPath(key), Raw(v), Range("an integer", min, max));
        if (n < min || n > max) throw ConfigException.Invalid(KeyPath(key), n, Range("an integer", min, max));
        return (int)n;
    }

    public int? OptionalInt(string key, int min = int.MinValue, int max = int.MaxValue)
    {
        Note(key, "integer", null, min, max, hasDefault: false);
        return Has(key) ? ReadInt(key, 0, min, max) : Mark(key);
    }

    public double Double(string key, double fallback, double min = double.NegativeInfinity, double max = double.PositiveInfinity, bool exclusiveMin = false)
    {
        Note(key, "number", fallback, min, max, exclusiveMin);
        return ReadDouble(key, fallback, min, max, exclusiveMin);
    }

    private double ReadDouble(string key, double fallback, double min, double max, bool exclusiveMin)
    {
        if (!TryGet(key, out var v)) return fallback;
        string allowed = exclusiveMin ? $"a finite number > {Fmt(min)}" + (double.IsPositiveInfinity(max) ? "" : $" and <= {Fmt(max)}") : Range("a finite number", min, max);
        if (v.ValueKind != JsonValueKind.Number) throw ConfigException.Invalid(KeyPath(key), Raw(v), allowed);
        double d = v.GetDouble();
        if (!double.IsFinite(d) || d < min || d > max || (exclusiveMin && d <= min)) throw ConfigException.Invalid(KeyPath(key), d, allowed);
        return d;
    }

    public double? OptionalDouble(string key, double min = double.NegativeInfinity, double max = double.PositiveInfinity, bool exclusiveMin = false)
    {
        Note(key, "number", null, min, max, exclusiveMin, hasDefault: false);
        return Has(key) ? ReadDouble(key, 0, min, max, exclusiveMin) : MarkD(key);
    }

    public bool Bool(string key, bool fallback)
    {
        Note(key, "boolean", fallback);
        if (!TryGet(key, out var v)) return fallback;
        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) return v.GetBoolean();
        throw ConfigException.Invalid(KeyPath(key), Raw(v), "true or false");
    }

    public string? String(string key, string? fallback)
    {
        Note(key, "string", fallback);
        return ReadString(key, fallback);
    }

    private string? ReadString(string key, string? fallback)
    {
        if (!TryGet(key, out var v)) return fallback;
        if (v.ValueKind != JsonValueKind.String) throw ConfigException.Invalid(KeyPath(key), Raw(v), "a string");
        return v.GetString();
    }

    /// <summary>A string that must be one of <paramref name="allowed"/> (compared case-insensitively, returned as listed):
    /// for choices whose names are keys of another file (measures.headline names a summary.json measure), not an enum.</summary>
    public string Choice(string key, string fallback, params string[] allowed)
    {
        Note(key, "string", fallback, choices: allowed);
        var s = ReadString(key, null);
        if (s is null) return fallback;
        foreach (var a in allowed) if (string.Equals(a, s, StringComparison.OrdinalIgnoreCase)) return a;
        throw ConfigException.Invalid(KeyPath(key), s, "one of " + string.Join(", ", allowed.Select(a => $"\"{a}\"")));
    }

    /// <summary>A string naming a member of <typeparamref name="T"/> (compared case-insensitively, <see cref="Choices"/>).</summary>
    public T Choice<T>(string key, T fallback) where T : struct, Enum
    {
        Note(key, "string", Choices.Name(fallback), choices: Choices.Names<T>());
        var s = ReadString(key, null);
        return s is null ? fallback : Choices.Parse<T>(KeyPath(key), s);
    }

    /// <summary>A string that must be one of <paramref name="allowed"/> (compared case-insensitively, returned as written there): an open list that is no enum.</summary>
    public string Choice(string key, string fallback, IReadOnlyList<string> allowed)
    {
        Note(key, "string", fallback, choices: [.. allowed]);
        var s = ReadString(key, null);
        if (s is null) return fallback;
        foreach (var a in allowed) if (string.Equals(a, s, StringComparison.OrdinalIgnoreCase)) return a;
        throw ConfigException.Invalid(KeyPath(key), s, "one of " + string.Join(", ", allowed));
    }

    public double[]? Doubles(string key, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        Note(key, "array", null, min, max, hasDefault: false);
        if (!TryGet(key, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Array) throw ConfigException.Invalid(KeyPath(key), Raw(v), "an array of numbers");
        var list = new List<double>();
        int i = 0;
        foreach (var e in v.EnumerateArray())
        {
            string at = $"{KeyPath(key)}[{i++}]";
            if (e.ValueKind != JsonValueKind.Number) throw ConfigException.Invalid(at, Raw(e), Range("a finite number", min, max));
            double d = e.GetDouble();
            if (!double.IsFinite(d) || d < min || d > max) throw ConfigException.Invalid(at, d, Range("a finite number", min, max));
            list.Add(d);
        }
        return [.. list];
    }

    /// <summary>The value as it is, for readers that check it themselves; <paramref name="type"/> and
    /// <paramref name="minItems"/> describe it for the schema.</summary>
    public JsonElement? RawValue(string key, string type, int? minItems = null)
    {
        Note(key, type, null, hasDefault: false, minItems: minItems);
        return TryGet(key, out var v) ? v : null;
    }

    /// <summary>Throws for the first key present in the object that no getter asked for.</summary>
    public void RejectUnknownKeys()
    {
        foreach (var p in _element.EnumerateObject())
            if (!_used.Contains(p.Name))
                throw new ConfigException(KeyPath(p.Name), $"unknown key;{DidYouMean.Hint(p.Name, _used)} allowed keys here are {string.Join(", ", _used.Order(StringComparer.Ordinal))}.");
    }

    private int? Mark(string key) { _used.Add(key); return null; }
    private double? MarkD(string key) { _used.Add(key); return null; }

    /// <summary>The value as written in the file (shortened), shown without extra quotes.</summary>
    internal static RawJson Raw(JsonElement e)
    {
        var s = e.GetRawText();
        return new RawJson(s.Length > 60 ? s[..57] + "..." : s);
    }

    private static string Fmt(double d) => d.ToString("G", CultureInfo.InvariantCulture);

    private static string Range(string what, double min, double max)
    {
        bool lo = !double.IsNegativeInfinity(min) && min > int.MinValue, hi = !double.IsPositiveInfinity(max) && max < int.MaxValue;
        return lo && hi ? $"{what} in [{Fmt(min)}, {Fmt(max)}]" : lo ? $"{what} >= {Fmt(min)}" : hi ? $"{what} <= {Fmt(max)}" : what;
    }
}

/// <summary>JSON text quoted in an error as it was written.</summary>
internal readonly record struct RawJson(string Text)
{
    public override string ToString() => Text;
}

/// <summary>
/// A key a config reader reads, as <see cref="JsonSection"/> notes it: its path, JSON type ("integer", "number",
/// "boolean", "string", "object", "array": of numbers unless the records say otherwise), the accepted range (of the
/// items, for an array of numbers), choices, default, and the fewest items of an array.
/// </summary>
internal sealed record KeyRule(string Path, string Type, double Min, double Max, bool ExclusiveMin, string[]? Choices, object? Default,
    bool HasDefault, int? MinItems);
