using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

/// <summary>Claiming ahead of the free slots: batched claims for a queue with few slots, never more running than its slots.</summary>
public sealed class PrefetchTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PrefetchedJobs_RunEachOnce_NeverMoreAtOnceThanTheQueuesConcurrency()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        await using (var connection = await fixture.DataSource.OpenConnectionAsync(Ct))
        await using (var transaction = await connection.BeginTransactionAsync(Ct))
        {
            await schema.Jobs.EnqueueItLimitedManyAsync(transaction, Enumerable.Range(0, 300).Select(static i => new CountPayload(i)), cancellationToken: Ct);
            await transaction.CommitAsync(Ct);
        }

        await using var worker = await TestWorker.StartAsync(schema, recorder, static o =>
        {
            o.Queues["limited"] = 2;
            o.Prefetch = 50;
        });
        await recorder.WaitForRunsAsync(300);
        await Eventually.TrueAsync(async () => await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE state = 'completed' AND attempt = 1") == 300);

        Assert.InRange(recorder.MaxConcurrent("limited"), 1, 2);
        Assert.Equal(300, recorder.Runs.Select(static r => r.JobId).Distinct().Count());
    }

    [Fact]
    public async Task Shutdown_ReleasesPrefetchedJobsThatNeverStarted_WithoutUsingAnAttempt()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var ids = await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItBlockingAsync(tx, new BlockingPayload("x"), cancellationToken: Ct), count: 5);

        var worker = await TestWorker.StartAsync(schema, recorder, static o =>
        {
            o.Queues[JobDefinition.DefaultQueue] = 1;
            o.Prefetch = 10;
            o.ShutdownTimeout = TimeSpan.FromMilliseconds(200);
        });
        await using (worker)
        {
            // One runs; the other four were claimed with it and wait in the buffer, running in the table and heartbeated.
            await recorder.WaitForRunsAsync(1);
            await Eventually.TrueAsync(async () => await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE state = 'running'") == 5);
            await worker.StopAsync();
        }

        Assert.Single(recorder.Runs);
        Assert.Equal(5L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE id = ANY($1) AND state = 'available' AND attempt = 0",
            ids.Select(static id => id.Value).ToArray()));
        Assert.Equal(0L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs}, jsonb_array_elements(errors)"));
    }
}
