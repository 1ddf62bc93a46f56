using Queues.Dashboard.Tests.Infrastructure;

namespace Queues.Dashboard.Tests;

/// <summary>The QueuesAdmin operations the dashboard and the CLI stand on, where HTTP adds nothing.</summary>
public sealed class AdminTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FinishedTotals_OnABigTable_EstimateOnlyCompleted_AndCountCancelledAndDiscardedUpToTheLimit()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.ScalarAsync<int>("""
            WITH i AS (INSERT INTO {s}.jobs (name, state, finalized_at)
                SELECT 'demo.ok', CASE WHEN g % 10 = 0 THEN 'cancelled' WHEN g % 10 < 3 THEN 'completed' ELSE 'discarded' END, now()
                FROM generate_series(1, 250000) AS g RETURNING 1)
            SELECT count(*)::int FROM i
            """);
        var exact = (await schema.Admin.GetFinishedTotalsAsync(Ct)).ToDictionary(static t => t.State);
        Assert.All(exact.Values, static t => Assert.False(t.IsEstimate || t.IsLowerBound));
        Assert.Equal(175_000, exact[JobState.Discarded].Count);
        await using (var analyze = fixture.DataSource.CreateCommand($"ANALYZE \"{schema.Name}\".jobs"))
        {
            await analyze.ExecuteNonQueryAsync(Ct);
        }

        // Big now: completed is estimated; cancelled and discarded are counted, exactly, from the state index.
        var big = (await schema.Admin.GetFinishedTotalsAsync(Ct)).ToDictionary(static t => t.State);
        Assert.True(big[JobState.Completed].IsEstimate);
        Assert.InRange(big[JobState.Completed].Count, 40_000, 60_000);
        Assert.Equal(new JobStateTotal(JobState.Cancelled, 25_000, false, false), big[JobState.Cancelled]);
        Assert.Equal(new JobStateTotal(JobState.Discarded, 175_000, false, false), big[JobState.Discarded]);

        // A burst of 30,000 more discarded jobs moves the count at once (no ANALYZE), up to the limit and no further.
        await schema.ScalarAsync<int>("""
            WITH i AS (INSERT INTO {s}.jobs (name, state, finalized_at) SELECT 'demo.ok', 'discarded', now() FROM generate_series(1, 30000) RETURNING 1)
            SELECT count(*)::int FROM i
            """);
        var burst = (await schema.Admin.GetFinishedTotalsAsync(Ct)).ToDictionary(static t => t.State);
        Assert.Equal(new JobStateTotal(JobState.Discarded, QueuesAdmin.ExactCountLimit, false, true), burst[JobState.Discarded]);
    }

    [Fact]
    public async Task RetryJobs_WalksDownTheIds_SoAJobThatFailsAgainAtOnceIsRetriedOnce()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var ids = new List<JobId>();
        for (var i = 0; i < 30; i++)
        {
            var id = await schema.EnqueueAsync(DemoJobs.Flaky);
            await schema.SetFinishedAsync(id, "discarded");
            ids.Add(id);
        }

        await using var host = await DashboardHost.StartAsync(schema, processJobs: true);
        var retried = await schema.Admin.RetryJobsAsync(new JobFilter { States = [JobState.Discarded] }, cancellationToken: Ct);

        Assert.Equal(30, retried);
        foreach (var id in ids)
        {
            var job = await schema.WaitForStateAsync(id, JobState.Discarded);
            Assert.Equal(2, job.Attempt);
        }
    }

    [Fact]
    public async Task RetryJobs_SkipsAUniqueJobWhoseKeyAnotherJobHolds()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var unique = new JobDefinition("demo.unique") { UniqueBy = ["k"] };
        var first = await schema.EnqueueAsync(unique, """{"k":1}""");
        await schema.SetFinishedAsync(first, "discarded");
        var second = await schema.EnqueueAsync(unique, """{"k":1}""");
        Assert.NotEqual(first, second);
        var free = await schema.EnqueueAsync(unique, """{"k":2}""");
        await schema.SetFinishedAsync(free, "discarded");

        Assert.Equal(1, await schema.Admin.RetryJobsAsync(new JobFilter { Name = "demo.unique" }, cancellationToken: Ct));
        Assert.Equal(JobState.Discarded, (await schema.Client.GetJobAsync(first, Ct))!.State);
        Assert.Equal(JobState.Available, (await schema.Client.GetJobAsync(free, Ct))!.State);
        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => schema.Admin.RetryJobAsync(first, Ct));
        Assert.Contains($"job {second}", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BulkActions_ReportProgressPerBatch_AndRefuseOversizedSelections()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.ScalarAsync<int>("WITH i AS (INSERT INTO {s}.jobs (name, queue) SELECT 'demo.ok', 'bulk' FROM generate_series(1, 2500) RETURNING 1) SELECT count(*)::int FROM i");
        var reports = new List<long>();

        var cancelled = await schema.Admin.CancelJobsAsync(new JobFilter { Queue = "bulk" }, progress: new SynchronousProgress(reports), cancellationToken: Ct);

        Assert.Equal(2500, cancelled);
        Assert.Equal([1000, 2000, 2500], reports);
        Assert.Equal(2500, await schema.Admin.DeleteJobsAsync(new JobFilter { Queue = "bulk", States = [JobState.Cancelled, JobState.Running] }, cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            schema.Admin.DeleteJobsAsync(new JobFilter { Ids = [.. Enumerable.Range(1, 1001).Select(static i => new JobId(i))] }, cancellationToken: Ct));
        Assert.Equal(0, await schema.Admin.RetryJobsAsync(new JobFilter { States = [JobState.Completed] }, cancellationToken: Ct));
    }

    [Fact]
    public async Task DeleteJobs_NeverDeletesARunningJob()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var running = await schema.EnqueueAsync(DemoJobs.Blocking);
        await schema.ScalarAsync<int>("WITH u AS (UPDATE {s}.jobs SET state = 'running', attempt = 1 WHERE id = $1 RETURNING 1) SELECT count(*)::int FROM u", running.Value);

        Assert.Equal(0, await schema.Admin.DeleteJobsAsync(new JobFilter { Ids = [running] }, cancellationToken: Ct));
        Assert.NotNull(await schema.Client.GetJobAsync(running, Ct));
    }

    [Fact]
    public async Task BulkActions_RefuseAnEmptyFilter_AndTakeEveryJobOnlyFromJobFilterAll()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        for (var i = 0; i < 3; i++)
        {
            await schema.EnqueueAsync(DemoJobs.Ok);
        }

        await schema.SetFinishedAsync(await schema.EnqueueAsync(DemoJobs.Flaky), "discarded");
        var admin = schema.Admin;

        foreach (var empty in (JobFilter[])[new JobFilter(), new JobFilter { States = [] }])
        {
            var exception = await Assert.ThrowsAsync<ArgumentException>(() => admin.DeleteJobsAsync(empty, cancellationToken: Ct));
            Assert.Contains("JobFilter.All", exception.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<ArgumentException>(() => admin.CancelJobsAsync(empty, cancellationToken: Ct));
            await Assert.ThrowsAsync<ArgumentException>(() => admin.RetryJobsAsync(empty, cancellationToken: Ct));
            await Assert.ThrowsAsync<ArgumentException>(() => admin.CountJobsAsync(empty, BulkAction.Delete, Ct));
        }

        Assert.Equal(4, await schema.ScalarAsync<long>("SELECT count(*) FROM {s}.jobs"));
        Assert.Equal(1, await admin.CountJobsAsync(JobFilter.All, BulkAction.Retry, Ct));
        Assert.Equal(3, await admin.CountJobsAsync(JobFilter.All, BulkAction.Cancel, Ct));
        Assert.Equal(4, await admin.CountJobsAsync(JobFilter.All, BulkAction.Delete, Ct));
        Assert.Equal(4, await admin.DeleteJobsAsync(JobFilter.All, cancellationToken: Ct));
        Assert.Equal(0, await schema.ScalarAsync<long>("SELECT count(*) FROM {s}.jobs"));
    }

    [Fact]
    public async Task CountJobs_CountsWhatTheActionWouldTake_LessUniqueJobsARetrySkips()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var unique = new JobDefinition("demo.unique") { UniqueBy = ["k"] };
        await schema.SetFinishedAsync(await schema.EnqueueAsync(unique, """{"k":1}"""), "discarded");
        await schema.EnqueueAsync(unique, """{"k":1}""");
        await schema.SetFinishedAsync(await schema.EnqueueAsync(unique, """{"k":2}"""), "discarded");
        var filter = new JobFilter { Name = "demo.unique" };

        Assert.Equal(1, await schema.Admin.CountJobsAsync(filter, BulkAction.Retry, Ct));
        Assert.Equal(1, await schema.Admin.CountJobsAsync(filter, BulkAction.Cancel, Ct));
        Assert.Equal(3, await schema.Admin.CountJobsAsync(filter, BulkAction.Delete, Ct));
        Assert.Equal(0, await schema.Admin.CountJobsAsync(new JobFilter { Name = "demo.unique", Ids = [] }, BulkAction.Delete, Ct));
        Assert.Equal(1, await schema.Admin.RetryJobsAsync(filter, cancellationToken: Ct));
    }

    [Fact]
    public async Task CountFinishedJobs_CountsWhatAPurgeWouldDelete()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.ScalarAsync<int>(
            "WITH i AS (INSERT INTO {s}.jobs (name, state, finalized_at) SELECT 'demo.ok', 'completed', now() - interval '10 days' FROM generate_series(1, 12) RETURNING 1) SELECT count(*)::int FROM i");
        await schema.SetFinishedAsync(await schema.EnqueueAsync(DemoJobs.Ok), "completed");
        await schema.EnqueueAsync(DemoJobs.Ok);
        var cutoff = DateTimeOffset.UtcNow.AddDays(-7);

        Assert.Equal(12, await schema.Admin.CountFinishedJobsAsync(cutoff, Ct));
        Assert.Equal(12, await schema.Admin.DeleteFinishedJobsAsync(cutoff, cancellationToken: Ct));
    }

    [Fact]
    public async Task Filters_WithANulCharacter_AreRefusedWithAMessage()
    {
        await using var schema = await fixture.CreateSchemaAsync();

        var list = await Assert.ThrowsAsync<ArgumentException>(() => schema.Admin.ListJobsAsync(new JobFilter { Name = "demo\0ok" }, cancellationToken: Ct));
        Assert.Contains("NUL", list.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => schema.Admin.ListJobsAsync(new JobFilter { Queue = "\0" }, cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => schema.Admin.DeleteJobsAsync(new JobFilter { Name = "demo\0ok" }, cancellationToken: Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => schema.Admin.CountJobsAsync(new JobFilter { Queue = "de\0fault" }, BulkAction.Cancel, Ct));
    }

    [Fact]
    public async Task MigrationScript_FromAVersion_HoldsOnlyTheLaterMigrations()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var script = schema.Admin.GetMigrationScript(QueuesAdmin.LatestSchemaVersion - 1);

        Assert.Contains($"VALUES ({QueuesAdmin.LatestSchemaVersion}, ", script, StringComparison.Ordinal);
        Assert.DoesNotContain("CREATE TABLE \"" + schema.Name + "\".jobs", script, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => schema.Admin.GetMigrationScript(QueuesAdmin.LatestSchemaVersion + 1));
    }

    private sealed class SynchronousProgress(List<long> reports) : IProgress<long>
    {
        public void Report(long value) => reports.Add(value);
    }
}
