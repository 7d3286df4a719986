// Shared command-line plumbing: the list of commands, exit codes, and the one place errors become messages.
using System.CommandLine;
using DpsTorch.Config;
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
    /// (see <see cref="CliConsole"/>); parse errors are bad input (exit 2) with a "did you mean" for a misspelt command or
    /// option. Adds the options every command takes, --quiet and --json, to <paramref name="root"/>.</summary>
    public static int Invoke(RootCommand root, string[] args, TextWriter stdout, TextWriter stderr)
    {
        using var _ = CliConsole.Use(stdout, stderr);
        AddGlobalOptions(root);
        var parsed = root.Parse(args);
        using var flags = CliConsole.Configure(parsed.GetValue<bool>(QuietName), parsed.GetValue<bool>(JsonName),
            DpsTorch.IO.RunMetadata.Join(args.Prepend("dps")));
        if (UnknownOption(parsed, args) is string unknown)
        {
            CliConsole.Error.WriteLine($"dps: error: {unknown}");
            CliConsole.Error.WriteLine("Run 'dps --help' for usage.");
            return ExitCode.BadInput;
        }
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors) CliConsole.Error.WriteLine($"dps: error: {e.Message}{Suggestion(parsed, e.Message)}");
            CliConsole.Error.WriteLine("Run 'dps --help' for usage.");
            return ExitCode.BadInput;
        }
        return parsed.Invoke(new InvocationConfiguration { Output = CliConsole.Out, Error = CliConsole.Error });
    }

    private const string QuietName = "--quiet", JsonName = "--json";

    /// <summary>--quiet (only errors on standard error) and --json (the result as JSON on standard output), for every command.</summary>
    private static void AddGlobalOptions(RootCommand root)
    {
        if (root.Options.Any(o => o.Name == QuietName)) return;
        root.Options.Add(new Option<bool>(QuietName, "-q") { Description = "Print nothing on standard error but errors (no progress, no notes).", Recursive = true });
        root.Options.Add(new Option<bool>(JsonName) { Description = "Print the result as JSON on standard output.", Recursive = true });
    }

    /// <summary>The first "--name" argument (before any "--") that is no option of the command, as an error with a "did you
    /// mean"; null when there is none. (The parser would take it as an argument value.)</summary>
    private static string? UnknownOption(ParseResult parsed, string[] args)
    {
        var names = OptionNames(parsed).ToHashSet(StringComparer.Ordinal);
        foreach (var a in args.TakeWhile(a => a != "--"))
        {
            string name = a.Split('=')[0];
            if (name.StartsWith("--", StringComparison.Ordinal) && name.Length > 2 && !names.Contains(name))
                return $"unknown option '{name}' for 'dps {parsed.CommandResult.Command.Name}'.{(DidYouMean.Closest(name, names) is string g ? $" Did you mean '{g}'?" : "")}";
        }
        return null;
    }

    private static IEnumerable<string> OptionNames(ParseResult parsed)
        => parsed.CommandResult.Command.Options.Concat(parsed.RootCommandResult.Command.Options.Where(o => o.Recursive))
            .SelectMany(o => o.Aliases.Prepend(o.Name)).Append("--help").Append("--version");

    /// <summary>" Did you mean 'x'?" when a parse error names a token close to a command (in command position) or to an
    /// option of the command being parsed.</summary>
    private static string Suggestion(ParseResult parsed, string message)
    {
        var token = parsed.UnmatchedTokens.FirstOrDefault(t => message.Contains($"'{t}'", StringComparison.Ordinal));
        if (token is null) return "";
        var names = token.StartsWith('-') ? OptionNames(parsed) : parsed.CommandResult.Command.Subcommands.Select(c => c.Name);
        return DidYouMean.Closest(token, names) is string guess ? $" Did you mean '{guess}'?" : "";
    }

    /// <summary>Runs a command body, turning bad input into one line and exit 2, and any other failure into exit 1.</summary>
    public static int Guard(Func<int> body)
    {
        try { return body(); }
        catch (ConfigException e) { return Fail(ExitCode.BadInput, e.Message); }
        catch (ArgumentException e) { return Fail(ExitCode.BadInput, WithoutParameterName(e)); }
        catch (NonFiniteException e) { return Fail(ExitCode.Failure, e.Message); }
        catch (IOException e) { return Fail(ExitCode.Failure, e.Message); }
        catch (UnauthorizedAccessException e) { return Fail(ExitCode.Failure, e.Message); }
        catch (InvalidDataException e) { return Fail(ExitCode.BadInput, e.Message); } // a data file the user gave (histogram, edge list)
        catch (FormatException e) { return Fail(ExitCode.BadInput, e.Message); } // a malformed table the user gave (dps fit)
        catch (Exception e) { return Fail(ExitCode.Failure, $"unexpected failure ({FirstSentence(e.Message)}); please report it with the command line."); }
    }

    /// <summary>An ArgumentException's message without the " (Parameter 'name')" .NET appends.</summary>
    internal static string WithoutParameterName(ArgumentException e) => WithoutParameterName(e.Message);

    /// <summary>A message without a trailing " (Parameter 'name')" (.NET's suffix for argument errors), on one line.</summary>
    internal static string WithoutParameterName(string message)
    {
        message = message.ReplaceLineEndings(" ");
        int at = message.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
        return at > 0 && message.EndsWith("')", StringComparison.Ordinal) ? message[..at] : message;
    }

    private static string FirstSentence(string message)
        => message.IndexOf(". ", StringComparison.Ordinal) is int i and > 0 ? message[..i] : message.TrimEnd('.');

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
        yield return RunsCommand.Create();
        yield return FitCommand.Create();
        yield return NestedCommand.Create();
        yield return BenchStepCommand.Create();
    }
}
