// Source-generated System.Text.Json metadata for the records IO serialises (nested measures; configs: Config/ConfigJsonContext.cs), so
// nothing needs reflection: the library works in trimmed and native-AOT apps and in .NET 10 file-based apps, where
// reflection-based serialisation is off by default.
using System.Text.Json.Serialization;
using DpsTorch.Config;
using DpsTorch.Model;
using DpsTorch.Measures;

namespace DpsTorch.IO;

/// <summary>camelCase, indented, nulls left out: the form config.json, summary.json and model.json use.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(NestedMeasureSet))]
[JsonSerializable(typeof(IReadOnlyList<double>))]
internal sealed partial class DpsJsonContext : JsonSerializerContext;
