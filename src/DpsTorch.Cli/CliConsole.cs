// Where a dps invocation prints: the writers Cli.Invoke was given, held in an AsyncLocal so that they flow into the
// Task/Parallel workers of a sweep, and so that two invocations in one process (in-process tests) never see each
// other's lines. Nothing in the command line writes to System.Console directly. Results go to Out, diagnostics
// (progress, "wrote" lines, notes) to Note, which is standard error or nothing under --quiet; errors go to Error.
namespace DpsTorch.Cli;

/// <summary>The standard output and error of the current dps invocation.</summary>
public static class CliConsole
{
    private sealed record Writers(TextWriter Out, TextWriter Error, bool ProcessConsole);

    private static readonly AsyncLocal<Writers?> Current = new();

    /// <summary>Standard output of this invocation (the process's console outside any invocation).</summary>
    public static TextWriter Out => Current.Value?.Out ?? Console.Out;

    /// <summary>Standard error of this invocation (the process's console outside any invocation).</summary>
    public static TextWriter Error => Current.Value?.Error ?? Console.Error;

    private sealed record Flags(bool Quiet, bool Json, string CommandLine);

    private static readonly AsyncLocal<Flags?> CurrentFlags = new();

    /// <summary>Diagnostics of this invocation (progress, notes, "wrote" lines): standard error, or nothing under --quiet.</summary>
    public static TextWriter Note => Quiet ? TextWriter.Null : Error;

    /// <summary>--quiet was given: nothing on standard error but errors.</summary>
    public static bool Quiet => CurrentFlags.Value?.Quiet ?? false;

    /// <summary>--json was given: the result goes to standard output as JSON.</summary>
    public static bool Json => CurrentFlags.Value?.Json ?? false;

    /// <summary>The command line of this invocation ("dps run ..."), recorded in every run's metadata.</summary>
    public static string CommandLine => CurrentFlags.Value?.CommandLine ?? "dps";

    /// <summary>Sets this flow's --quiet, --json and command line until disposed.</summary>
    public static IDisposable Configure(bool quiet, bool json, string commandLine)
    {
        var previous = CurrentFlags.Value;
        CurrentFlags.Value = new Flags(quiet, json, commandLine);
        return new RestoreFlags(previous);
    }

    private sealed class RestoreFlags(Flags? previous) : IDisposable
    {
        public void Dispose() => CurrentFlags.Value = previous;
    }

    /// <summary>True when standard error is the process's own console and that console is a terminal (a live progress bar may draw there).</summary>
    public static bool IsErrorTerminal => (Current.Value?.ProcessConsole ?? true) && !Console.IsErrorRedirected && !Console.IsOutputRedirected;

    /// <summary>True when standard output is the process's own console and that console is a terminal.</summary>
    public static bool IsTerminal => (Current.Value?.ProcessConsole ?? true) && !Console.IsOutputRedirected;

    /// <summary>Makes <paramref name="stdout"/> and <paramref name="stderr"/> this flow's console until disposed.</summary>
    public static IDisposable Use(TextWriter stdout, TextWriter stderr)
    {
        var previous = Current.Value;
        Current.Value = new Writers(TextWriter.Synchronized(stdout), TextWriter.Synchronized(stderr), ReferenceEquals(stdout, Console.Out));
        return new Restore(previous);
    }

    private sealed class Restore(Writers? previous) : IDisposable
    {
        public void Dispose() => Current.Value = previous;
    }
}
