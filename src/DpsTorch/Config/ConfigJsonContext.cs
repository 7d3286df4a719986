// Source-generated System.Text.Json metadata of the config records, so that writing a config needs no reflection
// (trimmed, native-AOT and file-based apps): config.json, the config inside summary.json and model.json.
using System.Text.Json.Serialization;

namespace DpsTorch.Config;

/// <summary>camelCase, indented, nulls left out: the form config.json, summary.json and model.json use. A non-finite
/// number of a C#-built config is written as "NaN" or "Infinity", so that <see cref="ConfigLoader.Validate"/> reports it
/// by its key instead of failing to serialise.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(DpsConfig))]
internal sealed partial class ConfigJsonContext : JsonSerializerContext;
