using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using Npgsql;

namespace Queues.Cli;

/// <summary>The command tree, and the one place that turns failures into messages and exit codes.</summary>
internal static class Cli
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int BadArguments = 2;
    public const int Unreachable = 3;

    public static readonly Option<string?> Connection = new("--connection", "-c")
    {
        Description = "The PostgreSQL connection string. Defaults to $QUEUES_CONNECTION_STRING, then ConnectionStrings:Queues or Queues:ConnectionString in ./appsettings.json.",
        Recursive = true,
    };

    public static readonly Option<string> Schema = new("--schema")
    {
        Description = "The Queues schema.",
        DefaultValueFactory = static _ => QueuesOptions.DefaultSchema,
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json") { Description = "Write JSON for scripts instead of tables.", Recursive = true };

    public static readonly Option<string?> Actor = new("--actor")
    {
        Description = "Who acts, as the audit line on stderr and the reasons stored on jobs name them. Defaults to the OS user and host ($USER on host).",
        Recursive = true,
    };

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Operate on the background jobs of a Queues schema in PostgreSQL.");
        root.Options.Add(Connection);
        root.Options.Add(Schema);
        root.Options.Add(Json);
        root.Options.Add(Actor);
        foreach (var command in Commands.All())
        {
            root.Subcommands.Add(command);
        }

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                Console.Error.WriteLine("error: " + error.Message);
            }

            Console.Error.WriteLine("Run 'queues --help' for usage.");
            return BadArguments;
        }

        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cancellation.Token).ConfigureAwait(false);
    }

    /// <summary>Runs a command's body with the connection resolved; every failure becomes a message on stderr and an exit code.</summary>
    public static async Task<int> RunAsync(ParseResult result, CancellationToken cancellationToken, Func<CommandContext, Task<int>> body)
    {
        try
        {
            var connectionString = ConnectionStrings.Resolve(result.GetValue(Connection));
            var schema = result.GetValue(Schema) ?? QueuesOptions.DefaultSchema;
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            var client = new QueuesClient(dataSource, schema) { PrepareStatements = false };
            // Every action is recorded with who did it: one audit line on stderr (the OperatorAction event), and the
            // actor in the reasons stored on jobs.
            var actor = (string.IsNullOrWhiteSpace(result.GetValue(Actor)) ? $"{Environment.UserName} on {Environment.MachineName}" : result.GetValue(Actor)!.Trim())
                + " via the queues CLI";
            var admin = new QueuesAdmin(client, AuditLog.Factory).WithActor(actor);
            var context = new CommandContext(client, admin, result.GetValue(Json), result);
            return await body(context).ConfigureAwait(false);
        }
        catch (UsageException exception)
        {
            Console.Error.WriteLine("error: " + exception.Message);
            return BadArguments;
        }
        catch (ArgumentException exception)
        {
            Console.Error.WriteLine("error: " + exception.Message);
            return BadArguments;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine("Cancelled; what was done stays done.");
            return Failure;
        }
        catch (PostgresException exception) when (exception.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification
                                                      or PostgresErrorCodes.InvalidCatalogName
                                                  // Down, restarting or full: class 08 (connection), 53 (too many connections), 57P (shutdown, starting up).
                                                  || exception.SqlState.StartsWith("08", StringComparison.Ordinal)
                                                  || exception.SqlState.StartsWith("53", StringComparison.Ordinal)
                                                  || exception.SqlState.StartsWith("57P", StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"error: cannot connect to the database: {exception.MessageText}");
            return Unreachable;
        }
        catch (PostgresException exception) when (exception.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            Console.Error.WriteLine($"error: the schema '{result.GetValue(Schema)}' is not set up ({exception.MessageText}). Run 'queues migrate' first.");
            return Failure;
        }
        catch (PostgresException exception)
        {
            Console.Error.WriteLine($"error: the database refused: {exception.MessageText} ({exception.SqlState})");
            return Failure;
        }
        catch (NpgsqlException exception)
        {
            var reason = exception.InnerException is SocketException or TimeoutException or IOException ? exception.InnerException.Message : exception.Message;
            Console.Error.WriteLine($"error: cannot reach the database: {reason}");
            return Unreachable;
        }
        catch (InvalidOperationException exception)
        {
            Console.Error.WriteLine("error: " + exception.Message);
            return Failure;
        }
    }

    public static string Format(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}

/// <summary>A mistake in the command line found after parsing (a bad duration, a missing connection string): exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>What a command's body works with.</summary>
internal sealed record CommandContext(QueuesClient Client, QueuesAdmin Admin, bool Json, ParseResult Result);

/// <summary>
/// Writes the admin API's action events (<see cref="QueuesEventId.OperatorAction"/>) to stderr as one <c>audit:</c>
/// line each, so a terminal session or a CI log keeps who did what; every other category and level is dropped.
/// </summary>
internal sealed class AuditLog : Microsoft.Extensions.Logging.ILoggerFactory, Microsoft.Extensions.Logging.ILogger
{
    public static readonly AuditLog Factory = new();

    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Information;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter)
    {
        if (eventId.Id == QueuesEventId.OperatorAction)
        {
            Console.Error.WriteLine("audit: " + Output.Safe(formatter(state, exception)));
        }
    }

    public void Dispose()
    {
    }
}
