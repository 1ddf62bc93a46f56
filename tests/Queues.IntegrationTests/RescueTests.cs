using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

public sealed class RescueTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void FastHeartbeat(QueuesOptions options)
    {
        options.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
        options.RescueAfter = TimeSpan.FromMilliseconds(700);
    }

    [Fact]
    public async Task JobOfAWorkerThatStoppedHeartbeating_IsRescuedAndRunsAgain()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        // As a killed worker leaves them: running, last heartbeat long ago.
        var retried = new JobId(await schema.ScalarAsync<long>("""
            INSERT INTO {jobs} (name, payload, state, attempt, max_attempts, attempted_at, heartbeat_at, attempted_by)
            VALUES ('it.count', '{"sequence": 5}', 'running', 1, 3, now() - interval '1 hour', now() - interval '1 hour', 'dead-worker')
            RETURNING id
            """));
        var exhausted = new JobId(await schema.ScalarAsync<long>("""
            INSERT INTO {jobs} (name, payload, state, attempt, max_attempts, attempted_at, heartbeat_at, attempted_by)
            VALUES ('it.count', '{"sequence": 6}', 'running', 3, 3, now() - interval '1 hour', now() - interval '1 hour', 'dead-worker')
            RETURNING id
            """));

        await using var worker = await TestWorker.StartAsync(schema, recorder, FastHeartbeat);
        var completed = await schema.WaitForStateAsync(retried, JobState.Completed);
        var discarded = await schema.WaitForStateAsync(exhausted, JobState.Discarded);

        Assert.Equal(2, completed.Attempt);
        var rescue = Assert.Single(completed.Errors);
        Assert.Equal("rescued", rescue.Kind);
        Assert.Equal(1, rescue.Attempt);
        Assert.Contains("worker dead-worker stopped heartbeating", rescue.Message, StringComparison.Ordinal);
        Assert.Equal("rescued", Assert.Single(discarded.Errors).Kind);
        Assert.Equal([new CountPayload(5)], recorder.Runs.Select(static r => r.Payload));
        Assert.Contains(worker.Logs.Entries, static e => e.EventId.Id == QueuesEventId.Rescued);
    }

    [Fact]
    public async Task LongRunningJobOfALiveWorker_KeepsHeartbeatingAndIsNotRescued()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItBlockingAsync(tx, new BlockingPayload("long"))))[0];

        await using var worker = await TestWorker.StartAsync(schema, recorder, FastHeartbeat);
        await recorder.WaitForRunsAsync(1);
        var started = (await schema.Client.GetJobAsync(id, Ct))!.AttemptedAt!.Value;

        // Wait until the job has run for more than twice the rescue threshold, watching its heartbeat advance.
        await Eventually.TrueAsync(async () => await schema.ScalarAsync<bool>(
            "SELECT heartbeat_at > attempted_at + interval '1500 milliseconds' FROM {jobs} WHERE id = $1", id.Value));

        var job = (await schema.Client.GetJobAsync(id, Ct))!;
        Assert.Equal(JobState.Running, job.State);
        Assert.Equal(started, job.AttemptedAt);
        Assert.Empty(job.Errors);
        Assert.Single(recorder.Runs);
    }

    [Fact]
    public void RescueAfterNotAboveTwoHeartbeats_IsRejected()
    {
        var options = new QueuesOptions { HeartbeatInterval = TimeSpan.FromSeconds(10), RescueAfter = TimeSpan.FromSeconds(20) };
        var error = Assert.ThrowsAny<ArgumentException>(options.Validate);
        Assert.Contains("QueuesOptions.RescueAfter", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompletionHoldingTheRow_MakesTheRescueSkipIt_AndTheJobStaysCompleted()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var id = await StaleRunningJobAsync(schema);
        await using var completer = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using (var transaction = await completer.BeginTransactionAsync(Ct))
        {
            Assert.Empty(await CompleteAsync(schema, completer, transaction, id)); // Completed, none skipped.
            Assert.Equal(0, await RescueAsync(schema)); // The row is locked by the completion: skipped, not waited for.
            await transaction.CommitAsync(Ct);
        }

        Assert.Equal(0, await RescueAsync(schema));
        var job = (await schema.Client.GetJobAsync(id, Ct))!;
        Assert.Equal(JobState.Completed, job.State);
        Assert.Empty(job.Errors);
    }

    [Fact]
    public async Task RescueHoldingTheRow_MakesTheCompletionSkipIt_AndItsRetryANoOp()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var id = await StaleRunningJobAsync(schema);
        await using var rescuer = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var completer = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using (var transaction = await rescuer.BeginTransactionAsync(Ct))
        {
            await using (var rescue = new Npgsql.NpgsqlCommand(schema.Client.Store.Sql.Rescue, rescuer, transaction))
            {
                AddRescueParameters(rescue);
                Assert.Equal(1, (int)(await rescue.ExecuteScalarAsync(Ct))!); // The finish path answers how many it finished.
            }

            // The completion does not wait for the rescue's row lock: it skips the row and says so, to be tried again.
            Assert.Equal([id.Value], await CompleteAsync(schema, completer, null, id));
            await transaction.CommitAsync(Ct);
        }

        // Tried again, its guard no longer matches the rescued row: nothing changes and nothing is left to retry.
        Assert.Empty(await CompleteAsync(schema, completer, null, id));
        var job = (await schema.Client.GetJobAsync(id, Ct))!;
        Assert.Equal(JobState.Retryable, job.State);
        Assert.Equal("rescued", Assert.Single(job.Errors).Kind);
    }

    /// <summary>A job as a killed worker leaves it: running attempt 1, last heartbeat an hour ago.</summary>
    private static async Task<JobId> StaleRunningJobAsync(TestSchema schema) => new(await schema.ScalarAsync<long>("""
        INSERT INTO {jobs} (name, payload, state, attempt, max_attempts, attempted_at, heartbeat_at, attempted_by)
        VALUES ('it.count', '{"sequence": 1}', 'running', 1, 3, now() - interval '1 hour', now() - interval '1 hour', 'dead-worker')
        RETURNING id
        """));

    /// <summary>Runs the batched completion for one run; returns the ids it skipped because their row was locked.</summary>
    private static async Task<List<long>> CompleteAsync(TestSchema schema, Npgsql.NpgsqlConnection connection, Npgsql.NpgsqlTransaction? transaction, JobId id)
    {
        await using var complete = new Npgsql.NpgsqlCommand(schema.Client.Store.Sql.CompleteMany, connection, transaction);
        complete.Parameters.Add(new Npgsql.NpgsqlParameter<long[]> { TypedValue = [id.Value] });
        complete.Parameters.Add(new Npgsql.NpgsqlParameter<short[]> { TypedValue = [1] });
        var skipped = new List<long>();
        await using var reader = await complete.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            skipped.Add(reader.GetInt64(0));
        }

        return skipped;
    }

    private static async Task<int> RescueAsync(TestSchema schema)
    {
        await using var rescue = schema.Fixture.DataSource.CreateCommand(schema.Client.Store.Sql.Rescue);
        AddRescueParameters(rescue);
        return (int)(await rescue.ExecuteScalarAsync(Ct))!; // The finish path answers how many it finished.
    }

    /// <summary>The rescue's $1 (RescueAfter) and $2 (jobs the rescuing process runs: none).</summary>
    private static void AddRescueParameters(Npgsql.NpgsqlCommand rescue)
    {
        rescue.Parameters.Add(new Npgsql.NpgsqlParameter<TimeSpan> { TypedValue = TimeSpan.FromSeconds(30), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Interval });
        rescue.Parameters.Add(new Npgsql.NpgsqlParameter<long[]> { TypedValue = [] });
    }
}
