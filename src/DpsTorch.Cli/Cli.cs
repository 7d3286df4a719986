// Shared command-line plumbing: the list of commands, exit codes, and the one place errors become messages.
using System.CommandLine;
using DpsTorch.IO;
using DpsTorch.Model;

namespace DpsTorch.Cli;

/// <summary>Exit codes of every command.</summary>
public static class ExitCode
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int BadInput = 2;
    /// <summary>Stopped by Ctrl-C after saving what is finished (128 + SIGINT).</summary>
    public const int Interrupted = 130;
    /// <summary>Stopped by SIGTERM after saving what is finished (128 + SIGTERM).</summary>
    public const int Terminated = 143;
}

/// <summary>Entry point helpers.</summary>
public static class Cli
{
    /// <summary>Parses and runs with everything printed to <paramref name="stdout"/> and <paramref name="stderr"/>
    /// (see <see cref="CliConsole"/>); parse errors are bad input (exit 2).</summary>
    public static int Invoke(RootCommand root, string[] args, TextWriter stdout, TextWriter stderr)
    {
        using var _ = CliConsole.Use(stdout, stderr);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors) CliConsole.Error.WriteLine($"dps: error: {e.Message}");
            CliConsole.Error.WriteLine("Run 'dps --help' for usage.");
            return ExitCode.BadInput;
        }
        return parsed.Invoke(new InvocationConfiguration { Output = CliConsole.Out, Error = CliConsole.Error });
    }

    /// <summary>Runs a command body, turning bad input into one line and exit 2, and any other failure into exit 1.</summary>
    public static int Guard(Func<int> body)
    {
        try { return body(); }
        catch (ConfigException e) { return Fail(ExitCode.BadInput, e.Message); }
        catch (ArgumentException e) { return Fail(ExitCode.BadInput, e.Message); }
        catch (NonFiniteException e) { return Fail(ExitCode.Failure, e.Message); }
        catch (IOException e) { return Fail(ExitCode.Failure, e.Message); }
        catch (UnauthorizedAccessException e) { return Fail(ExitCode.Failure, e.Message); }
        catch (InvalidDataException e) { return Fail(ExitCode.BadInput, e.Message); } // a data file the user gave (histogram, edge list)
        catch (FormatException e) { return Fail(ExitCode.BadInput, e.Message); } // a malformed table the user gave (dps fit)
        catch (Exception e) { return Fail(ExitCode.Failure, $"{e.GetType().Name}: {e.Message}"); }
    }

    private static int Fail(int code, string message)
    {
        CliConsole.Error.WriteLine($"dps: error: {message.ReplaceLineEndings(" ")}");
        return code;
    }
}

/// <summary>All subcommands, in help order.</summary>
public static partial class Commands
{
    // training.backend "torchsharp" for dps run / sweep: registering loads nothing; libtorch is loaded by the first run
    // that asks for it, and a machine where it cannot load gets one line saying what is missing.
    static Commands() => DpsTorch.TorchSharp.TorchBackend.Register();

    public static IEnumerable<Command> All()
    {
        yield return RunCommand.Create();
        yield return MeasureCommand.Create();
        yield return RobustnessCommand.Create();
        yield return ReportCommand.Create();
        yield return ValidateCommand.Create();
        yield return SchemaCommand.Create();
        yield return SweepCommand.Create();
        yield return FitCommand.Create();
        yield return NestedCommand.Create();
        yield return BenchStepCommand.Create();
    }
}
