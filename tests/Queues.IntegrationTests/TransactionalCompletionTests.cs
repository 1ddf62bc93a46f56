using Npgsql;
using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

/// <summary>What the transactional handler does besides writing its effect row, in the same transaction.</summary>
public enum EffectTwist
{
    None,
    FailOnFirstAttempt,
    CancelledWhileRunning,
    CommitsItself,
    SnoozesOnce,
    DisposesItOnFirstAttempt,
    SwallowsAnErrorOnFirstAttempt,
}

public sealed record EffectPayload(string Schema, EffectTwist Twist);

/// <summary>A handler whose effects are all in the database: one row per successful run, and a follow-up job.</summary>
public sealed class TransactionalTestJobs(Recorder recorder, Jobs jobs, QueuesClient client)
{
    [Job("it.tx.effect", MaxAttempts = 3)]
    public async Task EffectAsync(EffectPayload payload, JobContext context, CancellationToken cancellationToken)
    {
        recorder.Record(context, payload);
        var transaction = await context.GetTransactionAsync(cancellationToken);
        Assert.Same(transaction, await context.GetTransactionAsync(cancellationToken));
        await using (var insert = new NpgsqlCommand($"INSERT INTO \"{payload.Schema}\".effects (job_id, attempt) VALUES ($1, $2)", transaction.Connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = context.Id.Value });
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = context.Attempt });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await jobs.EnqueueItCountAsync(transaction, new CountPayload(context.Attempt), new EnqueueOptions { Delay = TimeSpan.FromHours(1) }, cancellationToken);
        switch (payload.Twist)
        {
            case EffectTwist.FailOnFirstAttempt when context.Attempt == 1:
                throw new InvalidOperationException("failed after writing its effect");
            case EffectTwist.CancelledWhileRunning:
                Assert.True(await new QueuesAdmin(client).CancelJobAsync(context.Id, "cancelled by the test", cancellationToken));
                break;
            case EffectTwist.CommitsItself:
                await transaction.CommitAsync(cancellationToken);
                break;
            case EffectTwist.SnoozesOnce:
                context.Snooze(TimeSpan.FromHours(1));
                break;
            case EffectTwist.DisposesItOnFirstAttempt when context.Attempt == 1:
                await transaction.DisposeAsync();
                break;
            case EffectTwist.SwallowsAnErrorOnFirstAttempt when context.Attempt == 1:
                try
                {
                    await using var broken = new NpgsqlCommand("SELECT 1 / 0", transaction.Connection, transaction);
                    await broken.ExecuteNonQueryAsync(cancellationToken);
                }
                catch (PostgresException)
                {
                    // Swallowed: the transaction is aborted now, so the work cannot commit.
                }

                break;
        }
    }
}

public sealed class TransactionalCompletionTests(PostgresFixture fixture)
{
    [Fact]
    public async Task HandlersWork_CommitsWithTheCompletion()
    {
        var (schema, id, worker, recorder) = await RunAsync(EffectTwist.None, JobState.Completed);
        await using (schema)
        await using (worker)
        {
            Assert.Equal(1L, await Effects(schema, id));
            Assert.Equal(1L, await FollowUps(schema));
            Assert.Single(recorder.Runs);
        }
    }

    [Fact]
    public async Task FailedAttempt_RollsBackItsWork_TheRetryCommitsOnce()
    {
        var (schema, id, worker, recorder) = await RunAsync(EffectTwist.FailOnFirstAttempt, JobState.Completed);
        await using (schema)
        await using (worker)
        {
            Assert.Equal(2, recorder.Runs.Count);
            Assert.Equal(1L, await Effects(schema, id));
            Assert.Equal(2, await schema.ScalarAsync<int>($"SELECT attempt FROM \"{schema.Name}\".effects"));
            Assert.Equal(1L, await FollowUps(schema));
            Assert.Equal("failed after writing its effect", Assert.Single((await schema.Client.GetJobAsync(id, TestContext.Current.CancellationToken))!.Errors).Message);
        }
    }

    [Fact]
    public async Task JobCancelledWhileItRan_RollsBackItsWork()
    {
        var (schema, id, worker, _) = await RunAsync(EffectTwist.CancelledWhileRunning, JobState.Cancelled);
        await using (schema)
        await using (worker)
        {
            await Eventually.TrueAsync(() => Task.FromResult(worker.Logs.Entries.Any(e => e.EventId.Id == QueuesEventId.TransactionRolledBack)));
            Assert.Equal(0L, await Effects(schema, id));
            Assert.Equal(0L, await FollowUps(schema));
            Assert.Equal(JobState.Cancelled, (await schema.Client.GetJobAsync(id, TestContext.Current.CancellationToken))!.State);
        }
    }

    [Fact]
    public async Task HandlerCommittingItself_IsCompletedSeparately_WithAWarning()
    {
        var (schema, id, worker, _) = await RunAsync(EffectTwist.CommitsItself, JobState.Completed);
        await using (schema)
        await using (worker)
        {
            Assert.Equal(1L, await Effects(schema, id));
            Assert.Contains(worker.Logs.Entries, e => e.EventId.Id == QueuesEventId.TransactionEndedByHandler && e.Message.Contains($"Job {id.Value}", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData(EffectTwist.DisposesItOnFirstAttempt, "was disposed")]
    [InlineData(EffectTwist.SwallowsAnErrorOnFirstAttempt, "current transaction is aborted")]
    public async Task WorkThatCannotCommit_FailsTheAttempt_AndTheRetryCommitsOnce(EffectTwist twist, string reason)
    {
        var (schema, id, worker, recorder) = await RunAsync(twist, JobState.Completed);
        await using (schema)
        await using (worker)
        {
            Assert.Equal(2, recorder.Runs.Count);
            Assert.Equal(1L, await Effects(schema, id));
            Assert.Equal(2, await schema.ScalarAsync<int>($"SELECT attempt FROM \"{schema.Name}\".effects"));
            Assert.Equal(1L, await FollowUps(schema));
            var error = Assert.Single((await schema.Client.GetJobAsync(id, TestContext.Current.CancellationToken))!.Errors);
            Assert.Equal(1, error.Attempt);
            Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Snooze_CommitsWithTheHandlersWork()
    {
        var (schema, id, worker, _) = await RunAsync(EffectTwist.SnoozesOnce, JobState.Scheduled);
        await using (schema)
        await using (worker)
        {
            Assert.Equal(1L, await Effects(schema, id));
            Assert.Equal(0, (await schema.Client.GetJobAsync(id, TestContext.Current.CancellationToken))!.Attempt);
        }
    }

    private async Task<(TestSchema Schema, JobId Id, TestWorker Worker, Recorder Recorder)> RunAsync(EffectTwist twist, JobState expected)
    {
        var schema = await fixture.CreateSchemaAsync();
        await schema.ScalarAsync<int>($"CREATE TABLE \"{schema.Name}\".effects (job_id bigint NOT NULL, attempt int NOT NULL); SELECT 1");
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItTxEffectAsync(tx, new EffectPayload(schema.Name, twist))))[0];
        var recorder = new Recorder();
        var worker = await TestWorker.StartAsync(schema, recorder);
        try
        {
            await schema.WaitForStateAsync(id, expected);
        }
        catch (Exception exception)
        {
            throw new InvalidOperationException(string.Join("\n", worker.Logs.Entries.Select(static e => $"{e.Level} {e.Message} {e.Exception}")), exception);
        }
        return (schema, id, worker, recorder);
    }

    private static Task<long> Effects(TestSchema schema, JobId id)
        => schema.ScalarAsync<long>($"SELECT count(*) FROM \"{schema.Name}\".effects WHERE job_id = $1", id.Value);

    private static Task<long> FollowUps(TestSchema schema) => schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE name = 'it.count'");
}
