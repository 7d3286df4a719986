// The `dps` command: a placeholder until the model issue gives it work (see README).
Console.Error.WriteLine("dps: no commands yet; the model and its command line arrive with issues 3 and 4.");
return 1;
