// The queues command. Exit codes (docs/cli.md): 0 ok, 1 the operation failed, 2 bad arguments, 3 database unreachable.
using Queues.Cli;

return await Cli.RunAsync(args).ConfigureAwait(false);
