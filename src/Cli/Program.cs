// The queues command. Exit codes (docs/cli.md): 0 ok, 1 the operation failed, 2 bad arguments, 3 database unreachable.
using Queues.Cli;

// Whatever a command prints, no control character from the database reaches the terminal raw (issue 21).
Console.SetOut(new SafeWriter(Console.Out));
Console.SetError(new SafeWriter(Console.Error));

return await Cli.RunAsync(args).ConfigureAwait(false);
