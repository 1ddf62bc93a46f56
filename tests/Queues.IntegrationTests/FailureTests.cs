using Microsoft.Extensions.Logging;
using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

public sealed class FailureTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ThrowingHandler_RecordsTheErrorAndAttemptAndIsRetried()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItFlakyAsync(tx, new FlakyPayload(FailTimes: 2))))[0];

        await using var worker = await TestWorker.StartAsync(schema, recorder);
        var job = await schema.WaitForStateAsync(id, JobState.Completed);

        Assert.Equal(3, job.Attempt);
        Assert.Equal(5, job.MaxAttempts);
        Assert.Equal([1, 2, 3], recorder.Runs.Select(static r => r.Attempt));
        Assert.Equal(2, job.Errors.Count);
        for (var i = 0; i < 2; i++)
        {
            var error = job.Errors[i];
            Assert.Equal(i + 1, error.Attempt);
            Assert.Equal("exception", error.Kind);
            Assert.Equal(typeof(InvalidOperationException).FullName, error.Type);
            Assert.Equal($"flaky failure on attempt {i + 1}", error.Message);
            Assert.Contains(nameof(TestJobs.FlakyAsync), error.Trace, StringComparison.Ordinal);
        }

        Assert.Contains(worker.Logs.Entries, static e => e.EventId.Id == QueuesEventId.JobFailed && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task HandlerThatKeepsThrowing_IsDiscardedAfterMaxAttemptsWithItsErrorHistory()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItAlwaysFailsAsync(tx)))[0];

        await using var worker = await TestWorker.StartAsync(schema, recorder);
        var job = await schema.WaitForStateAsync(id, JobState.Discarded);
        await worker.StopAsync();

        Assert.Equal(2, job.Attempt);
        Assert.NotNull(job.FinalizedAt);
        Assert.Equal([1, 2], job.Errors.Select(static e => e.Attempt));
        Assert.All(job.Errors, static e => Assert.Equal(typeof(TimeoutException).FullName, e.Type));
        Assert.Equal("the remote end did not answer (attempt 2)", job.Errors[1].Message);
        Assert.Equal(2, recorder.Runs.Count);
    }

    [Fact]
    public async Task UnknownJobName_FailsItsAttemptsWithTheReason_IsDiscardedAtTheLast_AndTheWorkerKeepsWorking()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var unknown = new JobId(await schema.ScalarAsync<long>("INSERT INTO {jobs} (name, payload, max_attempts) VALUES ('no.such.job', '{\"a\": 1}', 3) RETURNING id"));
        var good = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(7))))[0];

        await using var worker = await TestWorker.StartAsync(schema, recorder);
        var discarded = await schema.WaitForStateAsync(unknown, JobState.Discarded);
        await schema.WaitForStateAsync(good, JobState.Completed);

        Assert.Equal(3, discarded.Attempt);
        Assert.Equal(3, discarded.Errors.Count);
        Assert.All(discarded.Errors, static e => Assert.Equal("unknown_job", e.Kind));
        Assert.Contains("'no.such.job'", discarded.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal("{\"a\": 1}", discarded.Payload);
        Assert.Contains(worker.Logs.Entries, e => e.Level == LogLevel.Error && e.EventId.Id == QueuesEventId.UnknownJob
            && e.Message.Contains("no.such.job", StringComparison.Ordinal) && e.Message.Contains(unknown.ToString(), StringComparison.Ordinal)
            && e.Message.Contains("now discarded", StringComparison.Ordinal));
        Assert.Equal([good], recorder.Runs.Select(static r => r.JobId));
    }

    [Fact]
    public async Task JobOnlyANewerWorkerServes_IsRetried_AndRunsWhenSuchAWorkerArrives()
    {
        // A rolling deploy: the old worker claims a job kind it does not know yet; the new one runs it on the retry.
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var late = new JobDefinition("it.newKind");
        var id = (await schema.EnqueueAsync(async (jobs, tx) => await schema.Client.EnqueueAsync(tx, late, "{}"u8.ToArray(), cancellationToken: Ct)))[0];

        await using (var old = await TestWorker.StartAsync(schema, recorder, static o => o.RetryDelay = static _ => TimeSpan.FromHours(1)))
        {
            var retryable = await schema.WaitForStateAsync(id, JobState.Retryable);
            Assert.Equal("unknown_job", Assert.Single(retryable.Errors).Kind);
        }

        await schema.ScalarAsync<int>("UPDATE {jobs} SET run_at = now() WHERE id = $1 RETURNING 1", id.Value);
        var ran = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upgraded = await TestWorker.StartAsync(schema, recorder, jobs: queues => queues.AddJob(late, (_, _, context, _) =>
        {
            ran.TrySetResult(context.Attempt);
            return ValueTask.CompletedTask;
        }));
        Assert.Equal(2, await ran.Task.WaitAsync(Eventually.DefaultTimeout, Ct));
        await schema.WaitForStateAsync(id, JobState.Completed);
    }

    [Theory]
    [InlineData("{\"failTimes\": \"three\"}", "FlakyPayload.FailTimes")]
    [InlineData("{}", "required member 'Queues.IntegrationTests.FlakyPayload.FailTimes'")]
    [InlineData("{\"failTimes\": 99999999999}", "FlakyPayload.FailTimes")]
    [InlineData("[1, 2]", "expected an object")]
    [InlineData("null", "the payload is null")]
    public async Task UndeserializablePayload_IsDiscardedWithAMessageNamingJobAndMember(string payload, string expected)
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var bad = new JobId(await schema.ScalarAsync<long>("INSERT INTO {jobs} (name, payload) VALUES ('it.flaky', $1::jsonb) RETURNING id", payload));
        var good = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1))))[0];

        await using var worker = await TestWorker.StartAsync(schema, recorder);
        var discarded = await schema.WaitForStateAsync(bad, JobState.Discarded);
        await schema.WaitForStateAsync(good, JobState.Completed);

        Assert.Equal(1, discarded.Attempt);
        var error = Assert.Single(discarded.Errors);
        Assert.Equal("payload", error.Kind);
        Assert.Equal(typeof(JobPayloadException).FullName, error.Type);
        Assert.Contains("job 'it.flaky'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"job {bad}", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(recorder.Runs, r => r.JobId == bad);
        // Logged once the discard is written, so just after the state shows.
        await Eventually.TrueAsync(() => Task.FromResult(worker.Logs.Entries.Any(e => e.Level == LogLevel.Error && e.EventId.Id == QueuesEventId.BadPayload
            && e.Message.Contains(bad.ToString(), StringComparison.Ordinal))), what: () => "the bad payload to be logged");
    }

    [Fact]
    public async Task DuplicateCompletion_IsHarmless()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1))))[0];
        await using (var worker = await TestWorker.StartAsync(schema, recorder))
        {
            await schema.WaitForStateAsync(id, JobState.Completed);
        }

        // A late outcome for the same attempt (a slow worker, a retried statement) matches no row.
        var state = await schema.Client.Store.FailAsync(new Internal.RunKey(id.Value, 1), new Internal.ErrorRecord(ErrorKinds.Exception, "X", "late", ""), TimeSpan.Zero);
        Assert.Null(state);

        var job = await schema.Client.GetJobAsync(id, TestContext.Current.CancellationToken);
        Assert.Equal(JobState.Completed, job!.State);
        Assert.Empty(job.Errors);
    }

    [Fact]
    public async Task StoppingWorker_PutsAJobThatOutlivesTheGracePeriodBackAsAvailable()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItBlockingAsync(tx, new BlockingPayload("k"))))[0];

        await using (var worker = await TestWorker.StartAsync(schema, recorder, static o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(200)))
        {
            await recorder.WaitForRunsAsync(1);
            Assert.Equal(JobState.Running, (await schema.Client.GetJobAsync(id, TestContext.Current.CancellationToken))!.State);
            await worker.StopAsync();
        }

        var job = await schema.Client.GetJobAsync(id, TestContext.Current.CancellationToken);
        Assert.Equal(JobState.Available, job!.State);
        Assert.Equal(0, job.Attempt);
        Assert.Empty(job.Errors);
    }

    [Theory]
    [InlineData(5, "retryable")]
    [InlineData(1, "discarded")]
    public async Task FailureWriteWhoseFirstTryCommittedButLostItsReply_IsLoggedAsAlreadyRecorded(int maxAttempts, string state)
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var (store, completer, logs) = Writer(schema);
        var id = await schema.ScalarAsync<long>(
            "INSERT INTO {jobs} (name, payload, state, attempt, max_attempts, attempted_at, heartbeat_at) VALUES ('it.count', '{}', 'running', 1, $1, now(), now()) RETURNING id",
            (short)maxAttempts);
        var job = new Internal.ClaimedJob(id, "it.count", "default", [], 1, (short)maxAttempts, DateTimeOffset.UtcNow);
        var error = new Internal.ErrorRecord(ErrorKinds.Exception, "System.InvalidOperationException", "boom", null);

        // The first try commits; a broken connection loses only its reply, so the completer writes the failure again.
        Assert.Equal(state, await store.FailAsync(job.Key, error, TimeSpan.FromHours(1)));
        completer.Track(job);
        await completer.RecordAsync(job, Internal.JobResult.Failed(error, TimeSpan.FromHours(1)));

        var entry = Assert.Single(logs.Entries, static e => e.EventId.Id == QueuesEventId.JobFailed);
        Assert.Contains($"now {state} (already recorded", entry.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("unchanged", entry.Message, StringComparison.Ordinal);
        Assert.Single((await schema.Client.GetJobAsync(new JobId(id), Ct))!.Errors);
    }

    [Fact]
    public async Task FailureWriteOfARunRescuedMeanwhile_IsLoggedAsUnchanged()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var (_, completer, logs) = Writer(schema);
        // Rescued at attempt 1 while its handler ran: the row holds the rescue, not this failure.
        var id = await schema.ScalarAsync<long>("""
            INSERT INTO {jobs} (name, payload, state, attempt, max_attempts, errors)
            VALUES ('it.count', '{}', 'retryable', 1, 5, '[{"attempt": 1, "at": "2026-01-01T00:00:00Z", "kind": "rescued", "message": "gone"}]') RETURNING id
            """);
        var job = new Internal.ClaimedJob(id, "it.count", "default", [], 1, 5, DateTimeOffset.UtcNow);

        completer.Track(job);
        await completer.RecordAsync(job, Internal.JobResult.Failed(new Internal.ErrorRecord(ErrorKinds.Exception, null, "boom", null), TimeSpan.FromHours(1)));

        var entry = Assert.Single(logs.Entries, static e => e.EventId.Id == QueuesEventId.JobFailed);
        Assert.Contains("now unchanged: the row was no longer running at this attempt (it was cancelled or rescued)", entry.Message, StringComparison.Ordinal);
    }

    private (Internal.JobStore Store, Internal.Completer Completer, CapturedLogs Logs) Writer(TestSchema schema)
    {
        var logs = new CapturedLogs();
        var logger = logs.CreateLogger("Queues.Worker");
        var store = new Internal.JobStore(fixture.DataSource, schema.Name, prepareStatements: false, useNotifications: false);
        var delays = new Internal.RetryDelays(new Internal.JobRegistry(), static _ => TimeSpan.FromHours(1), logger);
        return (store, new Internal.Completer(store, delays, TimeSpan.FromSeconds(30), logger), logs);
    }
}
