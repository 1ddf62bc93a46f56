using Npgsql;
using Queues.IntegrationTests.Infrastructure;
using Queues.Testing;

[assembly: AssemblyFixture(typeof(PostgresFixture))]

namespace Queues.IntegrationTests.Infrastructure;

/// <summary>
/// One PostgreSQL server for the whole test run: <c>QUEUES_TEST_DB</c> when set, else a throwaway server started from
/// the machine's binaries. No binaries and no QUEUES_TEST_DB fails the run with instructions — never a silent skip.
/// Each test gets its own schema from <see cref="CreateSchemaAsync"/>.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private TemporaryPostgres? _server;

    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var configured = Environment.GetEnvironmentVariable("QUEUES_TEST_DB");
        if (string.IsNullOrWhiteSpace(configured))
        {
            _server = await TemporaryPostgres.StartAsync();
            configured = _server.ConnectionString;
        }

        ConnectionString = new NpgsqlConnectionStringBuilder(configured) { MaxPoolSize = 150 }.ConnectionString;
        DataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    /// <summary>Creates and migrates a fresh schema, dropped again when the returned object is disposed.</summary>
    public async Task<TestSchema> CreateSchemaAsync()
    {
        var schema = new TestSchema(this, "t_" + Guid.NewGuid().ToString("N")[..16]);
        await schema.Client.MigrateAsync(TestContext.Current.CancellationToken);
        return schema;
    }

    public async ValueTask DisposeAsync()
    {
        if (DataSource is not null)
        {
            await DataSource.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>A schema of its own for one test.</summary>
public sealed class TestSchema(PostgresFixture fixture, string name) : IAsyncDisposable
{
    public string Name { get; } = name;

    public PostgresFixture Fixture { get; } = fixture;

    public QueuesClient Client { get; } = TestMode.CreateClient(fixture.DataSource, name);

    public Jobs Jobs => new(Client);

    /// <summary>Runs <paramref name="sql"/> (with <c>{jobs}</c> standing for this schema's jobs table) and returns the first column of the first row.</summary>
    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = Fixture.DataSource.CreateCommand(sql.Replace("{jobs}", $"\"{Name}\".jobs", StringComparison.Ordinal));
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    /// <summary>Enqueues through the generated method inside a transaction that commits, or rolls back when <paramref name="commit"/> is false.</summary>
    public async Task<List<JobId>> EnqueueAsync(Func<Jobs, NpgsqlTransaction, Task<EnqueueResult>> enqueue, int count = 1, bool commit = true)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await Fixture.DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var ids = new List<JobId>(count);
        for (var i = 0; i < count; i++)
        {
            ids.Add((await enqueue(Jobs, transaction)).Id);
        }

        if (commit)
        {
            await transaction.CommitAsync(ct);
        }
        else
        {
            await transaction.RollbackAsync(ct);
        }

        return ids;
    }

    /// <summary>Waits until the job reaches <paramref name="state"/> and returns it.</summary>
    public async Task<JobInfo> WaitForStateAsync(JobId id, JobState state, TimeSpan? timeout = null)
    {
        JobInfo? job = null;
        await Eventually.TrueAsync(async () =>
        {
            job = await Client.GetJobAsync(id, TestContext.Current.CancellationToken);
            return job?.State == state;
        }, timeout, () => $"job {id} to reach {state}; it is {job?.State.ToString() ?? "missing"}");
        return job!;
    }

    public async ValueTask DisposeAsync()
    {
        await using var command = Fixture.DataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{Name}\" CASCADE");
        await command.ExecuteNonQueryAsync();
    }
}
