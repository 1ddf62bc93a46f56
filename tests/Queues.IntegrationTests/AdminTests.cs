using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

public sealed class AdminTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ListJobs_FiltersAndPagesNewestFirstWithoutGapsOrRepeats()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var admin = new QueuesAdmin(schema.Client);
        var counts = await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1)), 25);
        var ordered = await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItOrderedAsync(tx, new OrderPayload(1)), 3);
        var later = await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(2), new EnqueueOptions { Delay = TimeSpan.FromHours(1) }), 2);

        var seen = new List<JobId>();
        JobId? cursor = null;
        do
        {
            var page = await admin.ListJobsAsync(new JobFilter { Name = "it.count", States = [JobState.Available] }, cursor, 10, Ct);
            Assert.InRange(page.Jobs.Count, 1, 10);
            seen.AddRange(page.Jobs.Select(static j => j.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal(counts.OrderDescending(), seen);
        Assert.Equal(ordered.OrderDescending(), (await admin.ListJobsAsync(new JobFilter { Queue = "serial" }, cancellationToken: Ct)).Jobs.Select(static j => j.Id));
        Assert.Equal(later.OrderDescending(), (await admin.ListJobsAsync(new JobFilter { States = [JobState.Scheduled] }, cancellationToken: Ct)).Jobs.Select(static j => j.Id));
        Assert.Empty((await admin.ListJobsAsync(new JobFilter { CreatedBefore = DateTimeOffset.UtcNow.AddDays(-1) }, cancellationToken: Ct)).Jobs);
        Assert.Equal(30, (await admin.ListJobsAsync(new JobFilter { CreatedFrom = DateTimeOffset.UtcNow.AddMinutes(-5) }, limit: 1000, cancellationToken: Ct)).Jobs.Count);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => admin.ListJobsAsync(new JobFilter(), limit: 0, cancellationToken: Ct));

        // The bulk actions' filter: a selection lists exactly the jobs it names, and the other fields narrow it further.
        Assert.Equal([counts[2], counts[0]], (await admin.ListJobsAsync(new JobFilter { Ids = [counts[0], counts[2], later[0]], States = [JobState.Available] },
            cancellationToken: Ct)).Jobs.Select(static j => j.Id));
        Assert.Equal(30, (await admin.ListJobsAsync(JobFilter.All, limit: 1000, cancellationToken: Ct)).Jobs.Count);
    }

    [Fact]
    public async Task QueueSummaries_CountEveryUnfinishedStateByQueue()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var admin = new QueuesAdmin(schema.Client);
        await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1)), 4);
        await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItOrderedAsync(tx, new OrderPayload(1), new EnqueueOptions { RunAt = DateTimeOffset.UtcNow.AddDays(1) }), 2);

        var summaries = await admin.GetQueueSummariesAsync(Ct);
        Assert.Equal(["default", "serial"], summaries.Select(static q => q.Queue));
        Assert.All(summaries, static q => Assert.Equal(Enum.GetValues<JobState>().Where(static s => !s.IsFinished()), q.Counts.Keys.Order()));
        Assert.Equal((4L, 0L), (summaries[0].Count(JobState.Available), summaries[0].Count(JobState.Scheduled)));
        Assert.Equal((0L, 2L), (summaries[1].Count(JobState.Available), summaries[1].Count(JobState.Scheduled)));
        Assert.Equal(0L, summaries[0].Count(JobState.Completed));
    }

    [Fact]
    public async Task CountFinishedOverTime_BucketsFinalStates()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var admin = new QueuesAdmin(schema.Client);
        var ids = await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1)), 5);
        await schema.ScalarAsync<int>("WITH u AS (UPDATE {jobs} SET state = 'completed', finalized_at = '2026-01-01T00:00:30Z' WHERE id = ANY($1) RETURNING 1) SELECT count(*)::int FROM u",
            ids.Take(3).Select(static i => i.Value).ToArray());
        await schema.ScalarAsync<int>("WITH u AS (UPDATE {jobs} SET state = 'discarded', finalized_at = '2026-01-01T00:01:10Z' WHERE id = ANY($1) RETURNING 1) SELECT count(*)::int FROM u",
            ids.Skip(3).Select(static i => i.Value).ToArray());

        var counts = await admin.CountFinishedOverTimeAsync(TimeSpan.FromMinutes(1),
            new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 1, 1, 1, 0, 0, TimeSpan.Zero), Ct);

        Assert.Equal(
            [new JobTimeCount(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), JobState.Completed, 3),
             new JobTimeCount(new DateTimeOffset(2026, 1, 1, 0, 1, 0, TimeSpan.Zero), JobState.Discarded, 2)],
            counts);
    }

    [Fact]
    public async Task RetryJob_MakesADiscardedJobRunAgainWithOneMoreAttempt()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var admin = new QueuesAdmin(schema.Client);
        var recorder = new Recorder();
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItAlwaysFailsAsync(tx, new EnqueueOptions { MaxAttempts = 1 })))[0];
        await using var worker = await TestWorker.StartAsync(schema, recorder);
        await schema.WaitForStateAsync(id, JobState.Discarded);

        Assert.True(await admin.RetryJobAsync(id, Ct));
        var again = await schema.WaitForStateAsync(id, JobState.Discarded);
        Assert.Equal(2, again.Attempt);
        Assert.Equal(2, again.MaxAttempts);
        Assert.Equal([1, 2], again.Errors.Select(static e => e.Attempt));
        Assert.False(await admin.RetryJobAsync(new JobId(long.MaxValue), Ct));
    }

    [Fact]
    public async Task CancelJob_StopsAPendingJobAndIgnoresTheLateOutcomeOfARunningOne()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var admin = new QueuesAdmin(schema.Client);
        var recorder = new Recorder();
        var pending = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1), new EnqueueOptions { Delay = TimeSpan.FromHours(1) })))[0];
        Assert.True(await admin.CancelJobAsync(pending, "no longer needed", Ct));
        var cancelled = (await admin.GetJobAsync(pending, Ct))!;
        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.Equal("no longer needed", Assert.Single(cancelled.Errors).Message);
        Assert.False(await admin.CancelJobAsync(pending, cancellationToken: Ct));

        var running = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItBlockingAsync(tx, new BlockingPayload("x"))))[0];
        await using (var worker = await TestWorker.StartAsync(schema, recorder, static o => o.ShutdownTimeout = TimeSpan.Zero))
        {
            await recorder.WaitForRunsAsync(1);
            Assert.True(await admin.CancelJobAsync(running, cancellationToken: Ct));
            await worker.StopAsync();
        }

        // Shutdown tried to put the job back as available; the guard kept the cancellation.
        Assert.Equal(JobState.Cancelled, (await admin.GetJobAsync(running, Ct))!.State);
    }

    [Fact]
    public async Task DeleteFinishedJobs_DeletesOnlyFinishedJobsOlderThanTheCutoffInBatches()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var admin = new QueuesAdmin(schema.Client);
        var ids = await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1)), 12);
        await schema.ScalarAsync<int>(
            "WITH u AS (UPDATE {jobs} SET state = 'completed', finalized_at = now() - interval '2 days' WHERE id = ANY($1) RETURNING 1) SELECT count(*)::int FROM u",
            ids.Take(7).Select(static i => i.Value).ToArray());
        await schema.ScalarAsync<int>(
            "WITH u AS (UPDATE {jobs} SET state = 'discarded', finalized_at = now() WHERE id = ANY($1) RETURNING 1) SELECT count(*)::int FROM u",
            ids.Skip(7).Take(2).Select(static i => i.Value).ToArray());

        Assert.Equal(7, await admin.DeleteFinishedJobsAsync(DateTimeOffset.UtcNow.AddDays(-1), batchSize: 3, Ct));

        Assert.Equal(5L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs}"));
        Assert.Equal(0, await admin.DeleteFinishedJobsAsync(DateTimeOffset.UtcNow.AddDays(-1), cancellationToken: Ct));
    }

    [Fact]
    public async Task PausedQueue_IsNotClaimedUntilResumedWhileOtherQueuesRun()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var admin = new QueuesAdmin(schema.Client);
        var recorder = new Recorder();
        // No job or worker has the queue yet: only a forced pause takes it; paused, it is known.
        await Assert.ThrowsAsync<ArgumentException>(() => admin.PauseQueueAsync("serial", Ct));
        Assert.True(await admin.PauseQueueAsync("serial", force: true, Ct));
        Assert.False(await admin.PauseQueueAsync("serial", Ct));
        Assert.Equal(["serial"], await admin.GetPausedQueuesAsync(Ct));
        var paused = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItOrderedAsync(tx, new OrderPayload(1))))[0];
        var running = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1))))[0];

        await using var worker = await TestWorker.StartAsync(schema, recorder);
        await schema.WaitForStateAsync(running, JobState.Completed);
        await recorder.WaitForRunsAsync(1);
        Assert.Equal(JobState.Available, (await admin.GetJobAsync(paused, Ct))!.State);

        Assert.True(await admin.ResumeQueueAsync("serial", Ct));
        await schema.WaitForStateAsync(paused, JobState.Completed);
        Assert.Empty(await admin.GetPausedQueuesAsync(Ct));
        Assert.False(await admin.ResumeQueueAsync("serial", Ct));
    }

    [Fact]
    public async Task CancellingARunningJob_FiresItsHandlersToken()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var admin = new QueuesAdmin(schema.Client);
        var recorder = new Recorder();
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItBlockingAsync(tx, new BlockingPayload("cancel me"))))[0];

        await using var worker = await TestWorker.StartAsync(schema, recorder, static o =>
        {
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
            o.RescueAfter = TimeSpan.FromSeconds(5);
        });
        await recorder.WaitForRunsAsync(1);
        Assert.True(await admin.CancelJobAsync(id, "stop it", Ct));

        await Eventually.TrueAsync(() => Task.FromResult(worker.Logs.Entries.Any(e => e.EventId.Id == QueuesEventId.JobCancelledWhileRunning
            && e.Message.Contains(id.ToString(), StringComparison.Ordinal))));
        var job = (await admin.GetJobAsync(id, Ct))!;
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.Equal("stop it", Assert.Single(job.Errors).Message);
    }
}
