using System.Diagnostics;
using Npgsql;
using Queues.Testing;

namespace Queues.ReliabilityTests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL server of one test class's own (a test may restart or crash it, so it is never shared with
/// QUEUES_TEST_DB or other classes), with the operations the tests inflict on it.
/// </summary>
public class ReliabilityServer : IAsyncLifetime
{
    private TemporaryPostgres? _postgres;

    /// <summary>fsync and synchronous commit on, as in production; off (the default) for speed.</summary>
    protected virtual bool Durable => false;

    public TemporaryPostgres Postgres => _postgres ?? throw new InvalidOperationException("The server has not started.");

    public string ConnectionString { get; private set; } = "";

    /// <summary>The tests' own connections, never the workers'.</summary>
    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public string Version { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        _postgres = await TemporaryPostgres.StartAsync(new TemporaryPostgresOptions
        {
            Durable = Durable,
            MaxConnections = 300,
            // For the server log kept beside the worker logs: lock waits and deadlocks with their statements.
            Settings = new Dictionary<string, string> { ["log_lock_waits"] = "on" },
        });
        ConnectionString = new NpgsqlConnectionStringBuilder(_postgres.ConnectionString) { MaxPoolSize = 20, ApplicationName = "rel-tests" }.ConnectionString;
        DataSource = NpgsqlDataSource.Create(ConnectionString);
        await using var command = DataSource.CreateCommand("SHOW server_version");
        Version = (string)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Creates and migrates a fresh schema holding the jobs table and the handlers' <c>runs</c> table.</summary>
    public async Task<ReliabilitySchema> CreateSchemaAsync(string prefix)
    {
        var schema = new ReliabilitySchema(this, prefix + "_" + Guid.NewGuid().ToString("N")[..10]);
        await schema.Client.MigrateAsync(TestContext.Current.CancellationToken);
        await using var command = DataSource.CreateCommand(RunLog.CreateTableSql(schema.Name));
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        return schema;
    }

    /// <summary>
    /// <c>pg_ctl restart -m <paramref name="mode"/></c> on the same data directory and settings: <c>fast</c> is a clean
    /// shutdown (clients disconnected, a checkpoint written), <c>immediate</c> is a crash (recovery from the WAL on start).
    /// Returns once the server accepts connections again.
    /// </summary>
    public async Task RestartAsync(string mode)
    {
        await PgCtlAsync("-m", mode, "restart");
        DataSource.Clear();
    }

    /// <summary><c>pg_ctl stop -m fast</c>: the server is down until <see cref="StartAsync"/>.</summary>
    public Task StopAsync() => PgCtlAsync("-m", "fast", "stop");

    /// <summary><c>pg_ctl start</c> on the same data directory and settings; returns once it accepts connections.</summary>
    public async Task StartAsync()
    {
        await PgCtlAsync("start");
        DataSource.Clear();
    }

    private async Task PgCtlAsync(params string[] command)
    {
        var pgCtl = Path.Combine(TemporaryPostgres.FindBinDirectory() ?? throw new PostgresNotFoundException(), "pg_ctl");
        string[] arguments =
        [
            "-D", Path.Combine(Postgres.RootDirectory, "data"), "-l", Path.Combine(Postgres.RootDirectory, "server.log"), "-w", "-t", "60", .. command,
        ];

        // PostgreSQL refuses to run as root: as TemporaryPostgres does, run pg_ctl as the postgres user.
        var asRoot = OperatingSystem.IsLinux() && Environment.UserName == "root";
        await RunAsync(asRoot ? "runuser" : pgCtl, asRoot ? ["-u", "postgres", "--", pgCtl, .. arguments] : arguments);
    }

    /// <summary>Terminates every backend whose application name starts with <paramref name="applicationNamePrefix"/>.</summary>
    public async Task<int> TerminateBackendsAsync(string applicationNamePrefix)
    {
        await using var command = DataSource.CreateCommand(
            "SELECT count(*)::int FROM pg_stat_activity WHERE application_name LIKE $1 || '%' AND pg_terminate_backend(pid)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = applicationNamePrefix });
        return (int)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    public async ValueTask DisposeAsync()
    {
        if (DataSource is not null)
        {
            await DataSource.DisposeAsync();
        }

        if (_postgres is not null)
        {
            // The server's log outlives its throwaway directory, next to the worker logs.
            var log = Path.Combine(_postgres.RootDirectory, "server.log");
            if (File.Exists(log))
            {
                File.Copy(log, Path.Combine(Figures.LogDirectory("postgres"), $"{GetType().Name}-{DateTime.UtcNow:HHmmss}-{_postgres.Port}.log"), overwrite: true);
            }

            await _postgres.DisposeAsync();
        }
    }

    private static async Task RunAsync(string fileName, string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{fileName} {string.Join(' ', arguments)}' exited with {process.ExitCode}:\n{await output}{await error}");
        }
    }
}

/// <summary>A server with fsync and synchronous commit on, for the tests that crash it.</summary>
public sealed class DurableReliabilityServer : ReliabilityServer
{
    protected override bool Durable => true;
}
