// The one error type for bad input: it names the key path, the bad value and what is allowed.
namespace DpsTorch.Config;

/// <summary>
/// Bad user input (a config key, a file, a value). <see cref="Key"/> is the key path (e.g. "topology.k") or a file
/// path; the message is one sentence with the value and what is allowed. The command line maps it to exit code 2.
/// </summary>
public sealed class ConfigException(string key, string message) : Exception($"{key}: {message}")
{
    /// <summary>The key path or file the error is about.</summary>
    public string Key { get; } = key;

    /// <summary>An error for <paramref name="key"/> whose value <paramref name="value"/> is not <paramref name="allowed"/>.</summary>
    public static ConfigException Invalid(string key, object? value, string allowed)
        => new(key, $"{Show(value)} is not allowed; expected {allowed}.");

    internal static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "?",
    };
}
