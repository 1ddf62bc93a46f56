using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

public sealed class EnqueueAndRunTests(PostgresFixture fixture)
{
    private static EchoPayload NewEcho() => new()
    {
        Text = "héllo \"world\" \n ✓",
        Number = -42,
        Big = long.MaxValue,
        Amount = 12345.6789m,
        Flag = true,
        Id = Guid.NewGuid(),
        At = new DateTimeOffset(2026, 11, 24, 13, 45, 10, 123, TimeSpan.FromHours(2)),
        Day = new DateOnly(2027, 2, 28),
        Duration = TimeSpan.FromMinutes(90) + TimeSpan.FromTicks(5),
        Color = Color.Blue,
        Maybe = null,
        Note = "a note",
        Tags = ["a", "b", ""],
        Counts = new() { ["x"] = 1, ["y"] = -2 },
        Inner = new Inner("inner", 0.125),
        More = [new Inner("m1", 1.5), new Inner("m2", double.MaxValue)],
    };

    [Fact]
    public async Task CommittedEnqueue_RunsTheHandlerExactlyOnceWithTheSamePayload()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var sent = NewEcho();
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItEchoAsync(tx, sent, cancellationToken: TestContext.Current.CancellationToken)))[0];

        await using (var worker = await TestWorker.StartAsync(schema, recorder))
        {
            await schema.WaitForStateAsync(id, JobState.Completed);
            await worker.StopAsync();
        }

        var run = Assert.Single(recorder.Runs);
        Assert.Equal(id, run.JobId);
        Assert.Equal(1, run.Attempt);
        var received = Assert.IsType<EchoPayload>(run.Payload);
        Assert.NotSame(sent, received);
        Assert.Equal(sent.Text, received.Text);
        Assert.Equal(sent.Number, received.Number);
        Assert.Equal(sent.Big, received.Big);
        Assert.Equal(sent.Amount, received.Amount);
        Assert.Equal(sent.Flag, received.Flag);
        Assert.Equal(sent.Id, received.Id);
        Assert.Equal(sent.At, received.At);
        Assert.Equal(sent.At.Offset, received.At.Offset);
        Assert.Equal(sent.Day, received.Day);
        Assert.Equal(sent.Duration, received.Duration);
        Assert.Equal(sent.Color, received.Color);
        Assert.Null(received.Maybe);
        Assert.Equal(sent.Note, received.Note);
        Assert.Equal(sent.Tags, received.Tags);
        Assert.Equal(sent.Counts, received.Counts);
        Assert.Equal(sent.Inner, received.Inner);
        Assert.Equal(sent.More, received.More);

        var job = await schema.Client.GetJobAsync(id, TestContext.Current.CancellationToken);
        Assert.NotNull(job);
        Assert.Equal("it.echo", job.Name);
        Assert.Equal("default", job.Queue);
        Assert.Equal(1, job.Attempt);
        Assert.NotNull(job.FinalizedAt);
        Assert.Empty(job.Errors);
        Assert.Contains("\"color\": \"Blue\"", job.Payload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RolledBackEnqueue_NeverRuns()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var rolledBack = await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1)), commit: false);
        var committed = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(2))))[0];

        await using (var worker = await TestWorker.StartAsync(schema, recorder))
        {
            await schema.WaitForStateAsync(committed, JobState.Completed);
            await worker.StopAsync();
        }

        Assert.Null(await schema.Client.GetJobAsync(rolledBack[0], TestContext.Current.CancellationToken));
        Assert.Equal(1L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs}"));
        var run = Assert.Single(recorder.Runs);
        Assert.Equal(new CountPayload(2), run.Payload);
    }

    [Fact]
    public async Task TwoWorkersOnOneQueue_NeverRunTheSameJob()
    {
        const int count = 300;
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var ids = await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(0)), count);

        await using (var first = await TestWorker.StartAsync(schema, recorder, o => { o.WorkerName = "first"; o.Queues["default"] = 4; }))
        await using (var second = await TestWorker.StartAsync(schema, recorder, o => { o.WorkerName = "second"; o.Queues["default"] = 4; }))
        {
            await Eventually.TrueAsync(async () => await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE state = 'completed'") == count);
            await first.StopAsync();
            await second.StopAsync();
        }

        Assert.Equal(count, recorder.Runs.Count);
        Assert.Equal(ids.Order(), recorder.Runs.Select(static r => r.JobId).Order());
        Assert.All(recorder.Runs, static r => Assert.Equal(1, r.Attempt));
        Assert.Equal(0L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE attempted_by NOT IN ('first', 'second')"));
    }

    [Fact]
    public async Task JobWithoutPayload_RunsWithAnEmptyObjectStored()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItAlwaysFailsAsync(tx, new EnqueueOptions { MaxAttempts = 1 })))[0];

        await using var worker = await TestWorker.StartAsync(schema, recorder);
        var job = await schema.WaitForStateAsync(id, JobState.Discarded);
        Assert.Equal("{}", job.Payload);
        Assert.Equal(1, job.MaxAttempts);
    }

    [Fact]
    public async Task RunAtInTheFuture_IsScheduledAndNotRunBeforeItIsDue()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var later = (await schema.EnqueueAsync((jobs, tx) =>
            jobs.EnqueueItCountAsync(tx, new CountPayload(1), new EnqueueOptions { RunAt = DateTimeOffset.UtcNow.AddHours(1) })))[0];
        var soon = (await schema.EnqueueAsync((jobs, tx) =>
            jobs.EnqueueItCountAsync(tx, new CountPayload(2), new EnqueueOptions { Delay = TimeSpan.FromMilliseconds(300), Priority = 3 })))[0];
        Assert.Equal(JobState.Scheduled, (await schema.Client.GetJobAsync(later, TestContext.Current.CancellationToken))!.State);
        Assert.Equal(JobState.Scheduled, (await schema.Client.GetJobAsync(soon, TestContext.Current.CancellationToken))!.State);

        await using (var worker = await TestWorker.StartAsync(schema, recorder))
        {
            var done = await schema.WaitForStateAsync(soon, JobState.Completed);
            Assert.Equal(3, done.Priority);
            await worker.StopAsync();
        }

        Assert.Equal(JobState.Scheduled, (await schema.Client.GetJobAsync(later, TestContext.Current.CancellationToken))!.State);
        Assert.Equal([soon], recorder.Runs.Select(static r => r.JobId));
    }

    [Fact]
    public async Task EnqueueOnAFinishedTransaction_FailsWithAClearMessage()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await fixture.DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await transaction.CommitAsync(ct);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => schema.Jobs.EnqueueItCountAsync(transaction, new CountPayload(1), cancellationToken: ct));
        Assert.Contains("'it.count'", error.Message, StringComparison.Ordinal);
        Assert.Contains("already been committed, rolled back or disposed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PayloadMissingOptionalMembers_RunsWithTheirDefaults()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        // As an older producer (or another language) might write it: no "maybe", "note" or "more", plus an unknown member.
        const string json = """
            {"text": "t", "number": 1, "big": 2, "amount": 3.5, "flag": false, "id": "6f1c1b9e-8a3c-4a8e-9d0f-0a1b2c3d4e5f",
             "at": "2026-01-02T03:04:05+00:00", "day": "2026-01-02", "duration": "00:00:01", "color": "Red",
             "tags": [], "counts": {}, "inner": {"name": "n", "ratio": 1}, "addedLater": {"x": [1, 2]}}
            """;
        var id = new JobId(await schema.ScalarAsync<long>("INSERT INTO {jobs} (name, payload) VALUES ('it.echo', $1::jsonb) RETURNING id", json));

        await using var worker = await TestWorker.StartAsync(schema, recorder);
        await schema.WaitForStateAsync(id, JobState.Completed);

        var payload = Assert.IsType<EchoPayload>(Assert.Single(recorder.Runs).Payload);
        Assert.Null(payload.Maybe);
        Assert.Null(payload.Note);
        Assert.NotNull(payload.More);
        Assert.Empty(payload.More);
        Assert.Equal(Color.Red, payload.Color);
        Assert.Equal(new Inner("n", 1), payload.Inner);
    }
}
