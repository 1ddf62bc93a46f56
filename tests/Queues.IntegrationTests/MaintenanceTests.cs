using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

public sealed class MaintenanceTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OneLeaderPerSchema_AndAnotherTakesOverWhenItStops()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        await using var first = await TestWorker.StartAsync(schema, recorder, static o => o.WorkerName = "first");
        await Eventually.TrueAsync(async () => await schema.ScalarAsync<long>($"SELECT count(*) FROM \"{schema.Name}\".leader WHERE holder = 'first'") == 1);

        await using var second = await TestWorker.StartAsync(schema, recorder, static o => o.WorkerName = "second");
        var scheduled = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1), new EnqueueOptions { Delay = TimeSpan.FromMilliseconds(200) })))[0];
        await schema.WaitForStateAsync(scheduled, JobState.Completed);
        Assert.Equal("first", await schema.ScalarAsync<string>($"SELECT holder FROM \"{schema.Name}\".leader"));

        await first.StopAsync();
        await Eventually.TrueAsync(async () => await schema.ScalarAsync<long>($"SELECT count(*) FROM \"{schema.Name}\".leader WHERE holder = 'second'") == 1);
        var later = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(2), new EnqueueOptions { Delay = TimeSpan.FromMilliseconds(200) })))[0];
        await schema.WaitForStateAsync(later, JobState.Completed);
        Assert.Contains(second.Logs.Entries, static e => e.EventId.Id == QueuesEventId.LeadershipGained);
    }

    [Fact]
    public async Task MaintenanceWaitsForALiveLeaseAndTakesOverAnExpiredOne()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var expires = await schema.ScalarAsync<DateTime>(
            $"INSERT INTO \"{schema.Name}\".leader (name, holder, expires_at) VALUES ('maintenance', 'elsewhere', now() + interval '3 seconds') RETURNING expires_at");
        var scheduled = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1), new EnqueueOptions { Delay = TimeSpan.FromMilliseconds(1) })))[0];

        await using var worker = await TestWorker.StartAsync(schema, recorder, static o => o.WorkerName = "here");

        // While 'elsewhere' holds the lease nobody here promotes; once it expires, this worker leads and the job runs.
        await Eventually.TrueAsync(async () => await schema.ScalarAsync<long>($"SELECT count(*) FROM \"{schema.Name}\".leader WHERE holder = 'here'") == 1);
        var job = await schema.WaitForStateAsync(scheduled, JobState.Completed);
        Assert.True(job.AttemptedAt >= new DateTimeOffset(expires, TimeSpan.Zero), $"promoted at {job.AttemptedAt}, before the other lease expired at {expires:O}");
    }

    [Fact]
    public async Task Retention_DeletesOnlyFinishedJobsPastTheirAge()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var ids = await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1), new EnqueueOptions { Delay = TimeSpan.FromDays(1) }), 4);
        await schema.ScalarAsync<int>("UPDATE {jobs} SET state = 'completed', finalized_at = now() - interval '2 hours' WHERE id = $1 RETURNING 1", ids[0].Value);
        await schema.ScalarAsync<int>("UPDATE {jobs} SET state = 'completed', finalized_at = now() - interval '10 minutes' WHERE id = $1 RETURNING 1", ids[1].Value);
        await schema.ScalarAsync<int>("UPDATE {jobs} SET state = 'discarded', finalized_at = now() - interval '2 hours' WHERE id = $1 RETURNING 1", ids[2].Value);

        await using var worker = await TestWorker.StartAsync(schema, recorder, static o => o.RetainCompletedFor = TimeSpan.FromHours(1));
        await Eventually.TrueAsync(async () => await schema.Client.GetJobAsync(ids[0], Ct) is null);

        Assert.NotNull(await schema.Client.GetJobAsync(ids[1], Ct));
        Assert.NotNull(await schema.Client.GetJobAsync(ids[2], Ct));
        Assert.Equal(JobState.Scheduled, (await schema.Client.GetJobAsync(ids[3], Ct))!.State);
    }
}
