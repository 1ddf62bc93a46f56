using System.Text;
using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

/// <summary>Options and transitions of the engine, each on its own schema.</summary>
public sealed class EngineTests(PostgresFixture fixture)
{
    private static readonly ReadOnlyMemory<byte> EmptyObject = Encoding.UTF8.GetBytes("{}");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HigherPriority_RunsFirst()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        int[] priorities = [5, 0, 3, 0, -2, 5];
        foreach (var priority in priorities)
        {
            await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItOrderedAsync(tx, new OrderPayload(priority), new EnqueueOptions { Priority = (short)priority }));
        }

        await using var worker = await TestWorker.StartAsync(schema, recorder, static o => o.Queues["serial"] = 1);
        await recorder.WaitForRunsAsync(priorities.Length);

        Assert.Equal(priorities.Order(), recorder.Runs.Select(static r => ((OrderPayload)r.Payload!).Priority));
    }

    [Fact]
    public async Task QueueConcurrencyLimit_IsNeverExceededUnderLoad()
    {
        const int count = 150;
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItLimitedAsync(tx, new CountPayload(0)), count);

        await using var first = await TestWorker.StartAsync(schema, recorder, static o => o.Queues["limited"] = 3);
        await recorder.WaitForRunsAsync(count);

        Assert.InRange(recorder.MaxConcurrent("limited"), 1, 3);
    }

    [Fact]
    public async Task JobTimeout_CancelsTheHandlerAndCountsAsAFailedAttempt()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var job = new JobDefinition("rt.timeout", maxAttempts: 2) { Timeout = TimeSpan.FromMilliseconds(100) };
        var cancelled = 0;
        var id = await EnqueueRawAsync(schema, job);

        await using var worker = await TestWorker.StartAsync(schema, recorder, jobs: b => b.AddJob(job, async (_, _, context, ct) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref cancelled);
                throw;
            }
        }));
        var discarded = await schema.WaitForStateAsync(id, JobState.Discarded);

        Assert.Equal(2, discarded.Attempt);
        Assert.Equal(2, Volatile.Read(ref cancelled));
        Assert.All(discarded.Errors, static e =>
        {
            Assert.Equal("timeout", e.Kind);
            Assert.Equal(typeof(TimeoutException).FullName, e.Type);
            Assert.Contains("exceeded its timeout of 00:00:00.1", e.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task PerJobRetryDelay_OverridesTheGlobalOne()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var job = new JobDefinition("rt.slowRetry") { RetryDelay = static attempt => TimeSpan.FromHours(attempt) };
        var id = await EnqueueRawAsync(schema, job);

        await using var worker = await TestWorker.StartAsync(schema, recorder,
            jobs: b => b.AddJob(job, static (_, _, _, _) => throw new InvalidOperationException("no")));
        var retryable = await schema.WaitForStateAsync(id, JobState.Retryable);

        var wait = retryable.RunAt - retryable.AttemptedAt!.Value;
        Assert.InRange(wait, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61));
        Assert.Equal(1, retryable.Attempt);
    }

    [Fact]
    public async Task SnoozingHandler_RunsAgainWithoutUsingAnAttempt()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItSnoozingAsync(tx)))[0];

        await using var worker = await TestWorker.StartAsync(schema, recorder);
        var job = await schema.WaitForStateAsync(id, JobState.Completed);

        // MaxAttempts is 2, yet it ran three times: snoozes do not count.
        Assert.Equal([1, 1, 1], recorder.Runs.Select(static r => r.Attempt));
        Assert.Equal(1, job.Attempt);
        Assert.Empty(job.Errors);
    }

    [Fact]
    public async Task CancellingHandler_FinalizesTheJobAsCancelledWithTheReason()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCancellingAsync(tx)))[0];

        await using var worker = await TestWorker.StartAsync(schema, recorder);
        var job = await schema.WaitForStateAsync(id, JobState.Cancelled);

        Assert.NotNull(job.FinalizedAt);
        var error = Assert.Single(job.Errors);
        Assert.Equal("cancelled", error.Kind);
        Assert.Equal("the order was withdrawn", error.Message);
        Assert.Single(recorder.Runs);
    }

    [Fact]
    public async Task DiscardingHandler_DiscardsAtOnceDespiteAttemptsLeft()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItDiscardingAsync(tx)))[0];

        await using var worker = await TestWorker.StartAsync(schema, recorder);
        var job = await schema.WaitForStateAsync(id, JobState.Discarded);

        Assert.Equal(1, job.Attempt);
        Assert.Equal(5, job.MaxAttempts);
        Assert.Equal("the account does not exist", Assert.Single(job.Errors).Message);
        Assert.Single(recorder.Runs);
    }

    [Fact]
    public async Task BulkEnqueue_InsertsEveryJobInTheCallersTransaction()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var job = new JobDefinition("rt.bulk", queue: "bulk", priority: 2, maxAttempts: 7);
        var payloads = Enumerable.Range(0, 2_000).Select(static i => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes($"{{\"n\":{i}}}")).ToList();

        await using (var connection = await fixture.DataSource.OpenConnectionAsync(Ct))
        {
            await using (var rolledBack = await connection.BeginTransactionAsync(Ct))
            {
                Assert.Equal(2_000, await schema.Client.EnqueueManyAsync(rolledBack, job, payloads, cancellationToken: Ct));
                await rolledBack.RollbackAsync(Ct);
            }

            Assert.Equal(0L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs}"));

            await using var committed = await connection.BeginTransactionAsync(Ct);
            Assert.Equal(2_000, await schema.Client.EnqueueManyAsync(committed, job, payloads, cancellationToken: Ct));
            Assert.Equal(1, await schema.Client.EnqueueManyAsync(committed, job, payloads.Take(1),
                new EnqueueOptions { Delay = TimeSpan.FromHours(1), Queue = "later" }, Ct));
            await committed.CommitAsync(Ct);
        }

        Assert.Equal(2_000L, await schema.ScalarAsync<long>(
            "SELECT count(*) FROM {jobs} WHERE name = 'rt.bulk' AND queue = 'bulk' AND priority = 2 AND max_attempts = 7 AND state = 'available'"));
        Assert.Equal(1_999_000L, await schema.ScalarAsync<long>("SELECT sum((payload->>'n')::bigint)::bigint FROM {jobs} WHERE queue = 'bulk'"));
        Assert.Equal(1L, await schema.ScalarAsync<long>(
            "SELECT count(*) FROM {jobs} WHERE queue = 'later' AND state = 'scheduled' AND run_at > now() + interval '59 minutes'"));

        var ran = 0;
        await using var worker = await TestWorker.StartAsync(schema, recorder,
            jobs: b => b.AddJob(job, (_, _, _, _) => { Interlocked.Increment(ref ran); return ValueTask.CompletedTask; }));
        await Eventually.TrueAsync(async () => await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE state = 'completed'") == 2_000);
        await worker.StopAsync();
        Assert.Equal(2_000, Volatile.Read(ref ran));
    }

#if !POLL_ONLY
    // Not in the poll-only build (POLL_ONLY): it tests the NOTIFY wake-up itself, which that mode turns off.
    [Fact]
    public async Task Notify_WakesAnIdleWorkerLongBeforeItsPollInterval()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        await using var worker = await TestWorker.StartAsync(schema, recorder, static o => o.PollInterval = TimeSpan.FromHours(1));

        // The worker has made its first (empty) claim and now sleeps for an hour unless a NOTIFY wakes it.
        await Eventually.TrueAsync(async () => await schema.ScalarAsync<long>(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND query LIKE $1", $"%{schema.Name}%") > 0);
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1))))[0];

        await schema.WaitForStateAsync(id, JobState.Completed, TimeSpan.FromSeconds(30));
    }
#endif

    [Fact]
    public async Task PollOnlyMode_RunsJobsWithoutListenOrNotify()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        await using var worker = await TestWorker.StartAsync(schema, recorder, static o => o.UseNotifications = false);
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1))))[0];

        await schema.WaitForStateAsync(id, JobState.Completed);
        Assert.Equal(0L, await schema.ScalarAsync<long>(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND query LIKE $1", $"%{schema.Name}%"));
    }

    [Fact]
    public async Task HandlerIgnoringItsTimeout_IsAbandonedAndItsAttemptFails()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var job = new JobDefinition("rt.deaf", maxAttempts: 1) { Timeout = TimeSpan.FromMilliseconds(100) };
        var id = await EnqueueRawAsync(schema, job);

        await using var worker = await TestWorker.StartAsync(schema, recorder,
            jobs: b => b.AddJob(job, static (_, _, _, _) => new ValueTask(Task.Delay(Timeout.Infinite, CancellationToken.None))));
        var discarded = await schema.WaitForStateAsync(id, JobState.Discarded);

        var error = Assert.Single(discarded.Errors);
        Assert.Equal("timeout", error.Kind);
        Assert.Contains("ignored cancellation; its attempt was abandoned", error.Message, StringComparison.Ordinal);
        Assert.Contains(worker.Logs.Entries, static e => e.EventId.Id == QueuesEventId.HandlerAbandoned);
    }

    [Fact]
    public async Task ShutdownWithAHandlerIgnoringCancellation_StillEndsAndPutsTheJobBack()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var job = new JobDefinition("rt.stubborn");
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = await EnqueueRawAsync(schema, job);

        await using (var worker = await TestWorker.StartAsync(schema, recorder, static o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(100),
            jobs: b => b.AddJob(job, (_, _, _, _) => { started.TrySetResult(); return new ValueTask(Task.Delay(Timeout.Infinite, CancellationToken.None)); })))
        {
            await started.Task.WaitAsync(Eventually.DefaultTimeout, Ct);
            await worker.StopAsync().WaitAsync(TimeSpan.FromSeconds(30), Ct);
        }

        var released = (await schema.Client.GetJobAsync(id, Ct))!;
        Assert.Equal(JobState.Available, released.State);
        Assert.Equal(0, released.Attempt);
    }

    [Fact]
    public async Task HandlerReportingShutdownWithAnotherException_IsPutBackNotFailed()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var job = new JobDefinition("rt.io");
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = await EnqueueRawAsync(schema, job);

        await using (var worker = await TestWorker.StartAsync(schema, recorder, static o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(100),
            jobs: b => b.AddJob(job, async (_, _, _, ct) =>
            {
                started.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    throw new IOException("the connection to the mail server was closed");
                }
            })))
        {
            await started.Task.WaitAsync(Eventually.DefaultTimeout, Ct);
            await worker.StopAsync();
        }

        var released = (await schema.Client.GetJobAsync(id, Ct))!;
        Assert.Equal(JobState.Available, released.State);
        Assert.Empty(released.Errors);
    }

    private static async Task<JobId> EnqueueRawAsync(TestSchema schema, JobDefinition job)
    {
        await using var connection = await schema.Fixture.DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        var (id, _) = await schema.Client.EnqueueAsync(transaction, job, EmptyObject, cancellationToken: Ct);
        await transaction.CommitAsync(Ct);
        return id;
    }
}
