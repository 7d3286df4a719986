// Ctrl-C (SIGINT) and SIGTERM for the long commands (run, sweep, nested): the first signal cancels a token, so the
// command stops at the next safe point and saves what is finished; a second Ctrl-C ends the process at once. The exit
// code says which signal it was: 130 (128 + SIGINT) or 143 (128 + SIGTERM).
using System.Runtime.InteropServices;

namespace DpsTorch.Cli;

/// <summary>Listens for SIGINT and SIGTERM while a command runs; dispose to stop listening.</summary>
internal sealed class Interrupt : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration[] _registrations;
    private readonly TextWriter _log;
    private readonly string _stopping;
    private int _signal;

    /// <param name="log">Where the one-line notice goes (standard error of this invocation).</param>
    /// <param name="stopping">What the command does now, e.g. "stopping after this step and saving what is finished".</param>
    public Interrupt(TextWriter log, string stopping)
    {
        _log = log;
        _stopping = stopping;
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, On), PosixSignalRegistration.Create(PosixSignal.SIGTERM, On)];
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>The exit code of a command stopped by the signal received: 143 after SIGTERM, else 130.</summary>
    public int ExitCode => _signal == 15 ? DpsTorch.Cli.ExitCode.Terminated : DpsTorch.Cli.ExitCode.Interrupted;

    private void On(PosixSignalContext ctx)
    {
        // A second Ctrl-C is left to the runtime, which ends the process.
        if (_cancel.IsCancellationRequested && ctx.Signal == PosixSignal.SIGINT) return;
        ctx.Cancel = true;
        if (_cancel.IsCancellationRequested) return;
        _signal = ctx.Signal == PosixSignal.SIGTERM ? 15 : 2;
        _log.WriteLine(ctx.Signal == PosixSignal.SIGTERM
            ? $"dps: SIGTERM: {_stopping}..."
            : $"dps: Ctrl-C: {_stopping} (Ctrl-C again to abort)...");
        _cancel.Cancel();
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _cancel.Dispose();
    }
}
