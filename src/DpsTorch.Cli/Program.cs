// The `dps` command: parses arguments, calls the library, prints, and sets the exit code
// (0 success, 2 bad input, 1 failure, 130 Ctrl-C, 143 SIGTERM). Each command lives in Commands/<Name>Command.cs.
using System.CommandLine;
using DpsTorch.Cli;

var root = new RootCommand("""
    DpsTorch: train and measure distributed production systems (skills x topology x demand).

    Examples:
      dps run experiments/01-emergence/config.json --out runs/emergence
      dps run experiments/01-emergence/config.json --set agents.count=24 --set training.steps=500
      dps validate experiments/03-topology-scale/config.json
      dps measure runs/emergence/model.json --json
      dps robustness runs/emergence/model.json --removal resource --resilience-steps 50
      dps report runs/emergence

    Exit codes: 0 success, 2 bad input (the message names the key, the value and what is allowed), 1 failure,
    130 interrupted by Ctrl-C, 143 by SIGTERM (the unfinished run is saved with "complete": false).
    Config keys and defaults: docs/CONFIG.md.
    """);
foreach (var command in Commands.All()) root.Subcommands.Add(command);
return Cli.Invoke(root, args, Console.Out, Console.Error);
