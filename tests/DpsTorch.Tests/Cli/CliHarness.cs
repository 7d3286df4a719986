// Runs the dps command line in-process with its output captured (per invocation, through CliConsole: the global
// Console is never swapped, so tests may run in parallel), or as a child process (dotnet dps.dll).
using System.CommandLine;
using System.Diagnostics;
using DpsTorch.Cli;

namespace DpsTorch.Tests.Cli;

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
        foreach (var c in Commands.All()) root.Subcommands.Add(c);
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
    public static CliResult Process(string workDir, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dps.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(entireProcessTree: true); throw new TimeoutException($"dps {string.Join(' ', args)} did not finish in 60 s."); }
        return new CliResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>A tiny config (M = 32, N = 4, 20 steps, 1 restart, no resilience, three fractions) with optional extra sections.</summary>
    public static string TinyConfig(string topology = "none") => $$"""
        { "name": "tiny", "space": { "m": 32 }, "agents": { "count": 4 },
          "topology": { "kind": "{{topology}}", "k": 1 },
          "training": { "steps": 20, "restarts": 1, "logEvery": 5 },
          "measures": { "resilienceSteps": 0, "fractions": [0, 0.5, 1], "seeds": 2 } }
        """;
}
