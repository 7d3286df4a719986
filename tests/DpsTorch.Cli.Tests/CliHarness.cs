// Runs the dps command line in-process with its output captured (per invocation, through CliConsole: the global
// Console is never swapped, so tests may run in parallel), or as a child process (dotnet dps.dll).
using System.CommandLine;
using System.Diagnostics;
using System.Text;
using DpsTorch.Cli;

namespace DpsTorch.Cli.Tests;

/// <summary>What a dps invocation returned and printed.</summary>
internal sealed record CliResult(int Code, string Out, string Error)
{
    /// <summary>The non-empty lines of standard error.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

internal static class CliHarness
{
    /// <summary>The root command as Program.cs builds it.</summary>
    public static RootCommand Root()
    {
        var root = new RootCommand("dps");
        foreach (var c in DpsTorch.Cli.Commands.All()) root.Subcommands.Add(c);
        return root;
    }

    /// <summary>Runs <c>dps args</c> in this process with its standard output and error captured.</summary>
    public static CliResult Invoke(params string[] args)
    {
        var (o, e) = (new StringWriter(), new StringWriter());
        int code = DpsTorch.Cli.Cli.Invoke(Root(), args, o, e);
        return new CliResult(code, o.ToString(), e.ToString());
    }

    /// <summary>Runs <paramref name="body"/> (a command's code, called without parsing) with its CliConsole output captured.</summary>
    public static CliResult Capture(Func<int> body)
    {
        var (o, e) = (new StringWriter(), new StringWriter());
        int code;
        using (CliConsole.Use(o, e)) code = body();
        return new CliResult(code, o.ToString(), e.ToString());
    }

    /// <summary>Runs the built dps.dll as a child process in <paramref name="workDir"/>.</summary>
    public static CliResult Process(string workDir, params string[] args) => Process(workDir, null, args);

    /// <summary>As <see cref="Process(string, string[])"/>, with environment variables set (a null value removes one)
    /// in the child only.</summary>
    public static CliResult Process(string workDir, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        using var child = CliChild.Start(workDir, environment, args);
        return child.Wait(TimeSpan.FromSeconds(60));
    }

    /// <summary>A tiny config (M = 32, N = 4, 20 steps, 1 restart, no resilience, three fractions) with optional extra sections.</summary>
    public static string TinyConfig(string topology = "none") => $$"""
        { "name": "tiny", "space": { "m": 32 }, "agents": { "count": 4 },
          "topology": { "kind": "{{topology}}", "k": 1 },
          "training": { "steps": 20, "restarts": 1, "logEvery": 5, "polish": 0 },
          "measures": { "resilienceSteps": 0, "fractions": [0, 0.5, 1], "seeds": 2 } }
        """;
}

/// <summary>A dps child process (the built dps.dll) whose output is collected while it runs.</summary>
internal sealed class CliChild : IDisposable
{
    private readonly StringBuilder _out = new(), _err = new();
    private readonly string _what;

    public Process Process { get; }

    private CliChild(Process p, string what)
    {
        Process = p;
        _what = what;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.Append(e.Data).Append('\n'); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.Append(e.Data).Append('\n'); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
    }

    /// <summary>Standard output so far.</summary>
    public string Out { get { lock (_out) return _out.ToString(); } }

    /// <summary>Standard error so far.</summary>
    public string Error { get { lock (_err) return _err.ToString(); } }

    /// <summary>Waits (at most 60 s) until <paramref name="ready"/> holds; fails if the process ends first.</summary>
    public void WaitUntil(Func<bool> ready, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!ready())
        {
            if (Process.HasExited) throw new InvalidOperationException($"{_what} ended (exit {Process.ExitCode}) before {what}:\n{Error}");
            if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"{_what}: timed out waiting for {what}");
            Thread.Sleep(10);
        }
    }

    /// <summary>Sends a POSIX signal ("INT", "TERM", "STOP", ...) with kill(1).</summary>
    public void Signal(string signal)
    {
        using var kill = System.Diagnostics.Process.Start("kill", [$"-{signal}", Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    /// <summary>Starts <c>dotnet dps.dll args</c> in <paramref name="workDir"/>.</summary>
    public static CliChild Start(string workDir, params string[] args) => Start(workDir, null, args);

    /// <summary>As <see cref="Start(string, string[])"/>, with environment variables set (a null value removes one) in
    /// the child only.</summary>
    public static CliChild Start(string workDir, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dps.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
            if (value is null) psi.Environment.Remove(name); else psi.Environment[name] = value;
        return new CliChild(System.Diagnostics.Process.Start(psi)!, $"dps {string.Join(' ', args)}");
    }

    /// <summary>Waits for the exit (killing the process after <paramref name="limit"/>) and returns what it printed.</summary>
    public CliResult Wait(TimeSpan limit)
    {
        if (!Process.WaitForExit(limit)) { Process.Kill(entireProcessTree: true); throw new TimeoutException($"{_what} did not finish in {limit.TotalSeconds} s."); }
        Process.WaitForExit(); // the output is read to its end
        return new CliResult(Process.ExitCode, Out, Error);
    }

    /// <summary>Kills the process if it still runs.</summary>
    public void Dispose()
    {
        if (!Process.HasExited) { Process.Kill(entireProcessTree: true); Process.WaitForExit(); }
        Process.Dispose();
    }
}
