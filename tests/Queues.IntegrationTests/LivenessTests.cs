using Npgsql;
using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

/// <summary>
/// What the rescue goes by: a worker's node row, not a row's heartbeat. A live worker's job is never rescued because
/// another session held its row (so its heartbeat skipped it); rows under a live worker's name that it does not track
/// (a claim whose reply was lost) are settled by that worker within a few heartbeats; two processes under one name
/// never take each other's jobs.
/// </summary>
public sealed class LivenessTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// A heartbeat slower than the leader's poll: once a stale row is unlocked, the rescue (every 50 ms) would find it
    /// before the next heartbeat (every 300 ms) if a row's heartbeat were enough evidence.
    /// </summary>
    private static void SlowHeartbeatFastRescue(QueuesOptions options)
    {
        options.HeartbeatInterval = TimeSpan.FromMilliseconds(300);
        options.RescueAfter = TimeSpan.FromMilliseconds(700);
    }

    [Fact]
    public async Task RowLockedByAnotherSessionForThreeRescueIntervals_ItsLiveJobIsNeverRescued()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItBlockingAsync(tx, new BlockingPayload("held"), cancellationToken: Ct)))[0];
        await using var worker = await TestWorker.StartAsync(schema, recorder, SlowHeartbeatFastRescue);
        await recorder.WaitForRunsAsync(1);

        // A report's SELECT … FOR UPDATE on the running row, held for three rescue intervals.
        await using (var report = await fixture.DataSource.OpenConnectionAsync(Ct))
        await using (var transaction = await report.BeginTransactionAsync(Ct))
        {
            await using (var lockRow = new NpgsqlCommand($"SELECT id FROM \"{schema.Name}\".jobs WHERE id = {id.Value} FOR UPDATE", report, transaction))
            {
                await lockRow.ExecuteScalarAsync(Ct);
            }

            var heldSince = await schema.ScalarAsync<DateTime>("SELECT now()");
            await Eventually.TrueAsync(async () => await schema.ScalarAsync<bool>(
                "SELECT now() > $1::timestamptz + interval '2100 milliseconds'", heldSince), what: static () => "three rescue intervals to pass");
            await transaction.CommitAsync(Ct);
        }

        // Unlocked: the heartbeat reaches the row again (and the rescue has polled many times meanwhile).
        var released = await schema.ScalarAsync<DateTime>("SELECT now()");
        await Eventually.TrueAsync(async () => await schema.ScalarAsync<bool>(
            "SELECT heartbeat_at > $2::timestamptz OR state <> 'running' FROM {jobs} WHERE id = $1", id.Value, released),
            what: static () => "the heartbeat to reach the unlocked row");

        var job = (await schema.Client.GetJobAsync(id, Ct))!;
        Assert.Equal(JobState.Running, job.State);
        Assert.Equal(1, job.Attempt);
        Assert.Empty(job.Errors);
        Assert.Single(recorder.Runs);
        Assert.DoesNotContain(worker.Logs.Entries, static e => e.EventId.Id is QueuesEventId.Rescued or QueuesEventId.UntrackedRescued);
    }

    [Fact]
    public async Task RunningRowsUnderALiveBusyWorkersNameThatItDoesNotTrack_AreRescuedByItAndRunAgain()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var backlog = await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(0), cancellationToken: Ct), count: 3000);
        await using var worker = await TestWorker.StartAsync(schema, recorder, o =>
        {
            o.WorkerName = "busy-worker";
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
            o.RescueAfter = TimeSpan.FromMilliseconds(700);
            o.Queues[JobDefinition.DefaultQueue] = 2;
        });
        await recorder.WaitForRunsAsync(1);

        // As a claim whose reply never arrived leaves them: running under the live worker's name, freshly heartbeated.
        var orphan = new JobId(await schema.ScalarAsync<long>("""
            INSERT INTO {jobs} (name, payload, state, attempt, attempted_at, heartbeat_at, attempted_by)
            VALUES ('it.count', '{"sequence": 7}', 'running', 1, now(), now(), 'busy-worker') RETURNING id
            """));

        var job = await schema.WaitForStateAsync(orphan, JobState.Completed);
        Assert.Equal(2, job.Attempt);
        var rescue = Assert.Single(job.Errors);
        Assert.Equal(ErrorKinds.Rescued, rescue.Kind);
        Assert.Contains("worker busy-worker was not running this job", rescue.Message, StringComparison.Ordinal);
        Assert.Contains(worker.Logs.Entries, static e => e.EventId.Id == QueuesEventId.UntrackedRescued);

        // Nothing the worker really ran was taken for lost.
        foreach (var id in backlog)
        {
            Assert.Empty((await schema.WaitForStateAsync(id, JobState.Completed)).Errors);
        }
    }

    [Fact]
    public async Task TwoLiveProcessesUnderOneWorkerName_SayItAndNeverRescueEachOthersJobs()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        static void Twin(QueuesOptions o)
        {
            o.WorkerName = "twin";
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
            o.RescueAfter = TimeSpan.FromMilliseconds(700);
        }

        var first = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItBlockingAsync(tx, new BlockingPayload("first"), cancellationToken: Ct)))[0];
        await using var one = await TestWorker.StartAsync(schema, recorder, Twin);
        await recorder.WaitForRunsAsync(1);
        await using var other = await TestWorker.StartAsync(schema, recorder, Twin);

        await Eventually.TrueAsync(() => Task.FromResult(other.Logs.Entries.Count(static e => e.EventId.Id == QueuesEventId.WorkerNameShared) > 0
            && one.Logs.Entries.Any(static e => e.EventId.Id == QueuesEventId.WorkerNameShared)), what: static () => "both processes to report the shared name");

        // Many beats later the job still runs where it started.
        var seen = await schema.ScalarAsync<DateTime>("SELECT now()");
        await Eventually.TrueAsync(async () => await schema.ScalarAsync<bool>("SELECT now() > $1::timestamptz + interval '1 second'", seen));
        var job = (await schema.Client.GetJobAsync(first, Ct))!;
        Assert.Equal(JobState.Running, job.State);
        Assert.Empty(job.Errors);
        Assert.Single(recorder.Runs);
    }

    [Fact]
    public async Task FailingJobWhoseCapIsAboveTheAttemptCeiling_IsDiscardedAtTheCeiling_NotRetriedForever()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        // A cap at the column's maximum, as a hand edit (or an older build) leaves it.
        var id = new JobId(await schema.ScalarAsync<long>(
            "INSERT INTO {jobs} (name, payload, attempt, max_attempts) VALUES ('it.alwaysFails', '{}', 32764, 32767) RETURNING id"));

        await using var worker = await TestWorker.StartAsync(schema, recorder);
        var job = await schema.WaitForStateAsync(id, JobState.Discarded);
        Assert.Equal((int)Internal.Sql.AttemptCeiling, job.Attempt);
        Assert.Equal(new[] { 32765, 32766 }, job.Errors.Select(static e => e.Attempt));
        Assert.Equal(new[] { 32765, 32766 }, recorder.Runs.Select(static r => r.Attempt));
    }

    [Fact]
    public async Task RetryByHandOfAJobAtTheAttemptCeiling_StartsItsCountAgain()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var id = new JobId(await schema.ScalarAsync<long>(
            "INSERT INTO {jobs} (name, payload, state, attempt, max_attempts, finalized_at) VALUES ('it.count', '{\"sequence\": 1}', 'discarded', 32766, 32767, now()) RETURNING id"));

        Assert.True(await new QueuesAdmin(schema.Client).RetryJobAsync(id, Ct));
        var job = (await schema.Client.GetJobAsync(id, Ct))!;
        Assert.Equal(JobState.Available, job.State);
        Assert.Equal(0, job.Attempt);
        Assert.Equal((int)Internal.Sql.AttemptCeiling, job.MaxAttempts);
    }

    [Fact]
    public void MaxAttemptsAboveTheAttemptCeiling_IsRefused()
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => new JobDefinition("x", maxAttempts: short.MaxValue));
        Assert.Contains("between 1 and 32766", error.Message, StringComparison.Ordinal);
        Assert.NotNull(new JobDefinition("x", maxAttempts: Internal.Sql.AttemptCeiling));
    }
}
