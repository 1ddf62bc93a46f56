using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Queues.Internal;
using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

/// <summary>
/// Guards <see cref="TestMode"/>: checks in PostgreSQL that the suite's clients and workers really use LISTEN/NOTIFY and
/// prepared statements in the normal build, and none of them in the poll-only build (tests/Queues.PollOnlyTests), so
/// that build cannot silently run the suite in the normal mode. Runs in both builds and can fail in either.
/// </summary>
public sealed class PollOnlyModeTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EnqueuingClient_NotifiesAndPreparesExactlyWhenNotPollOnly()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        Assert.Equal(!TestMode.PollOnly, schema.Client.UseNotifications);
        Assert.Equal(!TestMode.PollOnly, schema.Client.PrepareStatements);

        await using var listener = await fixture.DataSource.OpenConnectionAsync(Ct);
        var notifications = 0;
        listener.Notification += (_, _) => Interlocked.Increment(ref notifications);
        await ExecuteAsync(listener, $"LISTEN \"{Sql.NotifyChannel(schema.Name)}\"");

        await using var connection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using (var transaction = await connection.BeginTransactionAsync(Ct))
        {
            await schema.Jobs.EnqueueItCountAsync(transaction, new CountPayload(1), cancellationToken: Ct);
            await transaction.CommitAsync(Ct);
        }

        // A prepared statement lives in the session that prepared it: ask the enqueuing connection itself.
        var prepared = await CountPreparedAsync(connection, schema);
        Assert.True(TestMode.PollOnly ? prepared == 0 : prepared > 0, $"{prepared} statement(s) on this schema prepared in the enqueuing session.");

        // The NOTIFY was sent when the enqueue committed; PostgreSQL delivers it to this idle listener ahead of the
        // reply to its next command, so one round trip is enough to have received it.
        await ExecuteAsync(listener, "SELECT 1");

        var received = Volatile.Read(ref notifications);
        Assert.True(TestMode.PollOnly ? received == 0 : received > 0, $"{received} notification(s) received on this schema's channel.");
    }

    [Fact]
    public async Task Worker_ListensAndPreparesExactlyWhenNotPollOnly()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();

        // An application name of its own picks this worker's sessions out of pg_stat_activity: other tests run on the server too.
        var application = "guard_" + schema.Name;
        var connectionString = new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { ApplicationName = application }.ConnectionString;
        await using var worker = await TestWorker.StartAsync(schema, recorder, o => o.ConnectionString = connectionString);
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1))))[0];
        await schema.WaitForStateAsync(id, JobState.Completed);

        var options = worker.Services.GetRequiredService<IOptions<QueuesOptions>>().Value;
        var client = worker.Services.GetRequiredService<QueuesClient>();
        Assert.Equal(!TestMode.PollOnly, options.UseNotifications);
        Assert.Equal(!TestMode.PollOnly, options.PrepareStatements);
        Assert.Equal(!TestMode.PollOnly, client.UseNotifications);
        Assert.Equal(!TestMode.PollOnly, client.PrepareStatements);

        const string sessions = "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1";
        const string listening = sessions + " AND query LIKE 'LISTEN%' AND query LIKE $2";
        var channel = $"%{Sql.NotifyChannel(schema.Name)}%";
        if (TestMode.PollOnly)
        {
            // The worker is connected and has claimed and completed a job, yet none of its sessions has run LISTEN.
            Assert.True(await schema.ScalarAsync<long>(sessions, application) > 0, "The worker has no session.");
            Assert.Equal(0L, await schema.ScalarAsync<long>(listening, application, channel));
        }
        else
        {
            await Eventually.TrueAsync(async () => await schema.ScalarAsync<long>(listening, application, channel) > 0,
                what: () => $"a session of the worker to LISTEN on {channel}");
        }

        // A prepared statement lives in the session that prepared it, so it is looked for in the worker's own sessions.
        // Stopped, the worker leaves them idle in its pool, where Npgsql keeps their prepared statements; holding as
        // many connections of its data source as it has sessions takes every one of them.
        await worker.StopAsync();
        var count = await schema.ScalarAsync<long>(sessions, application);
        var held = new List<NpgsqlConnection>();
        var prepared = 0L;
        try
        {
            for (var i = 0; i < count; i++)
            {
                var connection = await client.DataSource.OpenConnectionAsync(Ct);
                held.Add(connection);
                prepared += await CountPreparedAsync(connection, schema);
            }
        }
        finally
        {
            foreach (var connection in held)
            {
                await connection.DisposeAsync();
            }
        }

        Assert.True(TestMode.PollOnly ? prepared == 0 : prepared > 0, $"{prepared} statement(s) on this schema prepared in the worker's {count} session(s).");
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }

    /// <summary>The statements on <paramref name="schema"/> prepared in the session of <paramref name="connection"/>.</summary>
    private static async Task<long> CountPreparedAsync(NpgsqlConnection connection, TestSchema schema)
    {
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE $1", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"%{schema.Name}%" });
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }
}
