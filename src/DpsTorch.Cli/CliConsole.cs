// Where a dps invocation prints: the writers Cli.Invoke was given, held in an AsyncLocal so that they flow into the
// Task/Parallel workers of a sweep, and so that two invocations in one process (in-process tests) never see each
// other's lines. Nothing in the command line writes to System.Console directly.
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
