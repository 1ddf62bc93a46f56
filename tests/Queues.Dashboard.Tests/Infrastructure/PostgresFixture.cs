using Npgsql;
using Queues.Dashboard.Tests.Infrastructure;
using Queues.Testing;

[assembly: AssemblyFixture(typeof(PostgresFixture))]

namespace Queues.Dashboard.Tests.Infrastructure;

/// <summary>
/// One PostgreSQL server for the run: <c>QUEUES_TEST_DB</c> when set, else a throwaway server from the machine's
/// binaries (none fails the run with install instructions). Each test gets its own schema.
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

        ConnectionString = new NpgsqlConnectionStringBuilder(configured) { MaxPoolSize = 100 }.ConnectionString;
        DataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    /// <summary>Creates and migrates a fresh schema, dropped when the result is disposed.</summary>
    public async Task<TestSchema> CreateSchemaAsync(bool migrate = true)
    {
        var schema = new TestSchema(this, "d_" + Guid.NewGuid().ToString("N")[..16]);
        if (migrate)
        {
            await schema.Client.MigrateAsync(TestContext.Current.CancellationToken);
        }

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

/// <summary>A schema of one test's own.</summary>
public sealed class TestSchema(PostgresFixture fixture, string name) : IAsyncDisposable
{
    public string Name { get; } = name;

    public PostgresFixture Fixture { get; } = fixture;

    public QueuesClient Client { get; } = new(fixture.DataSource, name);

    public QueuesAdmin Admin => new(Client);

    /// <summary>Runs <paramref name="sql"/> with <c>{s}</c> standing for the quoted schema; returns the first value.</summary>
    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = Fixture.DataSource.CreateCommand(sql.Replace("{s}", $"\"{Name}\"", StringComparison.Ordinal));
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    public async Task<JobId> EnqueueAsync(JobDefinition job, string payload = "{}", EnqueueOptions? options = null)
        => (await Client.EnqueueAsync(job, System.Text.Encoding.UTF8.GetBytes(payload), options, TestContext.Current.CancellationToken)).Id;

    /// <summary>Puts a job straight into a finished <paramref name="state"/> (with an error for discarded and cancelled).</summary>
    public Task SetFinishedAsync(JobId id, string state, string error = "boom")
        => ScalarAsync<int>(
            """
            WITH u AS (UPDATE {s}.jobs SET state = $2, attempt = greatest(attempt, 1), finalized_at = now(),
                errors = CASE WHEN $2 = 'completed' THEN errors ELSE errors || jsonb_build_array(jsonb_build_object(
                    'attempt', 1, 'at', now(), 'kind', 'exception', 'type', 'System.InvalidOperationException', 'message', $3::text, 'trace', '   at Demo.Run()')) END
                WHERE id = $1 RETURNING 1) SELECT count(*)::int FROM u
            """, id.Value, state, error);

    /// <summary>
    /// A burst: 3,000 payment jobs discarded in the last 10 minutes for three reasons (the numbers in their messages
    /// differ), 50 retrying for one of them, and 20 discarded two hours ago.
    /// </summary>
    public Task InsertFailureBurstAsync() => ScalarAsync<int>("""
        WITH burst AS (
            INSERT INTO {s}.jobs (name, queue, state, attempt, finalized_at, errors)
            SELECT 'demo.charge', 'payments', 'discarded', 3, now() - (i % 600) * interval '1 second',
                   jsonb_build_array(jsonb_build_object('attempt', 3, 'at', now() - (i % 600) * interval '1 second', 'kind', 'exception',
                       'type', 'System.Net.Http.HttpRequestException',
                       'message', CASE WHEN i % 10 < 6 THEN 'card ' || i || ' declined'
                                       WHEN i % 10 < 9 THEN 'provider answered 503 for order ' || (i * 7919) || E'\nsecond line'
                                       ELSE 'timeout after 30 s' END))
            FROM generate_series(1, 3000) AS i
            RETURNING 1),
        retrying AS (
            INSERT INTO {s}.jobs (name, queue, state, attempt, run_at, errors)
            SELECT 'demo.charge', 'payments', 'retryable', 1, now() + interval '1 minute',
                   jsonb_build_array(jsonb_build_object('attempt', 1, 'at', now() - interval '1 minute', 'kind', 'exception',
                       'type', 'System.Net.Http.HttpRequestException', 'message', 'card ' || (i + 5000) || ' declined'))
            FROM generate_series(1, 50) AS i
            RETURNING 1),
        old AS (
            INSERT INTO {s}.jobs (name, queue, state, attempt, finalized_at, errors)
            SELECT 'demo.charge', 'payments', 'discarded', 3, now() - interval '2 hours',
                   jsonb_build_array(jsonb_build_object('attempt', 3, 'at', now() - interval '2 hours', 'kind', 'exception',
                       'type', 'System.Net.Http.HttpRequestException', 'message', 'card 1 declined'))
            FROM generate_series(1, 20) AS i
            RETURNING 1)
        SELECT ((SELECT count(*) FROM burst) + (SELECT count(*) FROM retrying) + (SELECT count(*) FROM old))::int
        """);

    public async Task<JobInfo> WaitForStateAsync(JobId id, JobState state, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var job = await Client.GetJobAsync(id, TestContext.Current.CancellationToken);
            if (job?.State == state)
            {
                return job;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for job {id} to reach {state}; it is {job?.State.ToString() ?? "missing"}.");
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await using var command = Fixture.DataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{Name}\" CASCADE");
        await command.ExecuteNonQueryAsync();
    }
}
