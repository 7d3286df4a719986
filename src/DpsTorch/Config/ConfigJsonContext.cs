// Source-generated System.Text.Json metadata of the config records, so that writing a config needs no reflection
// (trimmed, native-AOT and file-based apps): config.json, the config inside summary.json and model.json.
using System.Text.Json.Serialization;

namespace DpsTorch.Config;

/// <summary>camelCase, indented, nulls left out: the form config.json, summary.json and model.json use.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DpsConfig))]
internal sealed partial class ConfigJsonContext : JsonSerializerContext;
