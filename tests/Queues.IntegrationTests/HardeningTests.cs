using Npgsql;
using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

/// <summary>
/// What production throws at a worker that is not a handler's exception: rows edited by hand, text PostgreSQL cannot
/// store, values at the edge of a column's range. Each must end in a stated state, never stall a queue.
/// </summary>
public sealed class HardeningTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RowAtTheAttemptCeiling_IsClaimedAndFinishedWithoutStallingItsQueue()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        // Rows as a hand edit leaves them: an attempt counter at the highest value the table allows.
        var ceiling = new JobId(await schema.ScalarAsync<long>(
            "INSERT INTO {jobs} (name, payload, attempt, max_attempts) VALUES ('it.count', '{\"sequence\": 1}', 32766, 32767) RETURNING id"));
        var exhausted = new JobId(await schema.ScalarAsync<long>(
            "INSERT INTO {jobs} (name, payload, attempt, max_attempts) VALUES ('it.alwaysFails', '{}', 32766, 5) RETURNING id"));
        var after = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(2), cancellationToken: Ct)))[0];

        await using var worker = await TestWorker.StartAsync(schema, recorder);
        await schema.WaitForStateAsync(ceiling, JobState.Completed);
        await schema.WaitForStateAsync(after, JobState.Completed);
        var failed = await schema.WaitForStateAsync(exhausted, JobState.Discarded);
        Assert.Equal(ErrorKinds.Exception, Assert.Single(failed.Errors).Kind);
        Assert.DoesNotContain(worker.Logs.Entries, static e => e.EventId.Id == QueuesEventId.ClaimFailed);
    }

    [Fact]
    public async Task RowThatMakesEveryClaimFail_IsDiscardedWithTheReason_AndTheQueueMovesOn()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var poison = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(0), cancellationToken: Ct)))[0];
        var others = await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1), cancellationToken: Ct), count: 5);

        // A trigger standing for whatever no guard foresaw (here: a DBA's check) makes the claim of that one row fail.
        await schema.ScalarAsync<int>($"""
            CREATE FUNCTION "{schema.Name}".refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.id = {poison.Value} AND NEW.state = 'running' THEN RAISE EXCEPTION 'row % refused by a trigger', NEW.id; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER refuse BEFORE UPDATE ON {"{jobs}"} FOR EACH ROW EXECUTE FUNCTION "{schema.Name}".refuse();
            SELECT 1;
            """);

        await using var worker = await TestWorker.StartAsync(schema, recorder);
        foreach (var id in others)
        {
            await schema.WaitForStateAsync(id, JobState.Completed);
        }

        var discarded = await schema.WaitForStateAsync(poison, JobState.Discarded);
        var error = Assert.Single(discarded.Errors);
        Assert.Equal(ErrorKinds.Poison, error.Kind);
        Assert.Contains("refused by a trigger", error.Message, StringComparison.Ordinal);
        Assert.Contains(worker.Logs.Entries, e => e.EventId.Id == QueuesEventId.PoisonJobDiscarded && e.Message.Contains($"Job {poison.Value}", StringComparison.Ordinal));
        Assert.DoesNotContain(recorder.Runs, r => r.JobId == poison);
    }

    [Theory]
    [InlineData("throw", JobState.Retryable)]
    [InlineData("cancel", JobState.Cancelled)]
    [InlineData("discard", JobState.Discarded)]
    public async Task MessageWithNulAndBrokenSurrogates_IsRecordedSanitized_NotLeftRunning(string mode, JobState expected)
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        // A payload cannot hold a NUL or a lone surrogate (see the enqueue tests): the handler puts them into its message.
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItHostileAsync(tx, new HostilePayload("beforeafter lone " + new string('x', 10_000), mode),
            cancellationToken: Ct)))[0];
        await using var worker = await TestWorker.StartAsync(schema, recorder, configure: static o => o.RetryDelay = static _ => TimeSpan.FromHours(1));
        var job = await schema.WaitForStateAsync(id, expected);
        var error = Assert.Single(job.Errors);
        Assert.StartsWith("before\uFFFDafter \uFFFD lone xxx", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\0', error.Message);
        Assert.Contains("more characters)", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, job.Attempt);
    }

    [Fact]
    public async Task ExceptionMessageWithNul_IsStoredWithTheNulReplaced()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItHostileAsync(tx, new HostilePayload("x", "throw-nul"), cancellationToken: Ct)))[0];
        await using var worker = await TestWorker.StartAsync(schema, recorder, configure: static o => o.RetryDelay = static _ => TimeSpan.FromHours(1));
        var job = await schema.WaitForStateAsync(id, JobState.Retryable);
        Assert.Equal("the real error: a\uFFFDb", Assert.Single(job.Errors).Message);
        Assert.DoesNotContain(worker.Logs.Entries, static e => e.EventId.Id == QueuesEventId.OutcomeNotWritten);
    }

    [Fact]
    public async Task PayloadWithNul_IsRefusedBeforeAnythingIsSent_AndTheTransactionStaysUsable()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await using var connection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => schema.Jobs.EnqueueItHostileAsync(transaction, new HostilePayload("a\0b", "throw"), cancellationToken: Ct));
        Assert.Contains("member 'text'", error.Message, StringComparison.Ordinal);
        var many = await Assert.ThrowsAsync<ArgumentException>(() => schema.Jobs.EnqueueItHostileManyAsync(transaction,
            [new HostilePayload("fine", "throw"), new HostilePayload("\0", "throw")], cancellationToken: Ct));
        Assert.Contains("NUL", many.Message, StringComparison.Ordinal);

        // An escaped backslash followed by "u0000" is ordinary text.
        var fine = await schema.Jobs.EnqueueItHostileAsync(transaction, new HostilePayload("\\u0000", "throw"), cancellationToken: Ct);
        await transaction.CommitAsync(Ct);
        Assert.Contains("\"text\": \"\\\\u0000\"", (await schema.Client.GetJobAsync(fine.Id, Ct))!.Payload, StringComparison.Ordinal);
        Assert.Equal(1L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs}"));
    }

    [Fact]
    public async Task PayloadWithALoneSurrogate_IsRefusedLikeNul_NamingTheMember_AndTheTransactionStaysUsable()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await using var connection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);

        // Half an emoji, as cutting "😀" in the middle leaves it: the JSON writer would store U+FFFD in its place.
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            schema.Jobs.EnqueueItHostileAsync(transaction, new HostilePayload("smile \uD83D", "throw"), cancellationToken: Ct));
        Assert.Contains("HostilePayload.Text holds a lone UTF-16 surrogate (U+D83D at index 6)", error.Message, StringComparison.Ordinal);
        Assert.Equal("payload", error.ParamName);
        await Assert.ThrowsAsync<ArgumentException>(() => schema.Jobs.EnqueueItHostileManyAsync(transaction,
            [new HostilePayload("fine", "throw"), new HostilePayload("\uDE00", "throw")], cancellationToken: Ct));

        // A whole pair is ordinary text; nothing was sent before, so the transaction goes on.
        var fine = await schema.Jobs.EnqueueItHostileAsync(transaction, new HostilePayload("smile \uD83D\uDE00", "throw"), cancellationToken: Ct);
        await transaction.CommitAsync(Ct);
        Assert.Contains("smile \uD83D\uDE00", (await schema.Client.GetJobAsync(fine.Id, Ct))!.Payload, StringComparison.Ordinal);
        Assert.Equal(1L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs}"));
    }

    [Fact]
    public async Task OptionsPostgreSqlCannotStore_AreRefusedBeforeAnythingIsSent()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await using var connection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        var payload = new CountPayload(1);

        var queue = await Assert.ThrowsAsync<ArgumentException>(() =>
            schema.Jobs.EnqueueItCountAsync(transaction, payload, new EnqueueOptions { Queue = "a\0b" }, Ct));
        Assert.Contains("EnqueueOptions.Queue", queue.Message, StringComparison.Ordinal);
        var runAt = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            schema.Jobs.EnqueueItCountAsync(transaction, payload, new EnqueueOptions { RunAt = DateTimeOffset.MaxValue }, Ct));
        Assert.Contains("EnqueueOptions.RunAt", runAt.Message, StringComparison.Ordinal);
        var delay = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            schema.Jobs.EnqueueItCountAsync(transaction, payload, new EnqueueOptions { Delay = TimeSpan.MinValue }, Ct));
        Assert.Contains("EnqueueOptions.Delay", delay.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            schema.Jobs.EnqueueItCountManyAsync(transaction, [payload], new EnqueueOptions { RunAt = DateTimeOffset.MinValue }, Ct));

        var key = await Assert.ThrowsAsync<ArgumentException>(() =>
            schema.Jobs.EnqueueItCountAsync(transaction, payload, new EnqueueOptions { UniqueKey = "order-\uD83D" }, Ct));
        Assert.Contains("EnqueueOptions.UniqueKey holds a lone UTF-16 surrogate", key.Message, StringComparison.Ordinal);

        var far = await schema.Jobs.EnqueueItCountAsync(transaction, payload, new EnqueueOptions { Delay = TimeSpan.FromDays(365 * 100) }, Ct);
        await transaction.CommitAsync(Ct);
        Assert.Equal(JobState.Scheduled, (await schema.Client.GetJobAsync(far.Id, Ct))!.State);
    }

    [Fact]
    public async Task RunningRowWithoutAHeartbeat_IsRescued()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var id = new JobId(await schema.ScalarAsync<long>("""
            INSERT INTO {jobs} (name, payload, state, attempt, attempted_at, heartbeat_at, attempted_by)
            VALUES ('it.count', '{"sequence": 1}', 'running', 1, now(), NULL, 'a worker that is gone') RETURNING id
            """));

        await using var worker = await TestWorker.StartAsync(schema, recorder, static o =>
        {
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
            o.RescueAfter = TimeSpan.FromMilliseconds(700);
        });
        var job = await schema.WaitForStateAsync(id, JobState.Completed);
        Assert.Equal(ErrorKinds.Rescued, Assert.Single(job.Errors).Kind);
        Assert.Contains("last heartbeat never", job.Errors[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("complete", JobState.Completed)]
    [InlineData("fail", JobState.Discarded)]
    [InlineData("snooze", JobState.Scheduled)]
    [InlineData("cancel", JobState.Cancelled)]
    [InlineData("discard", JobState.Discarded)]
    [InlineData("commitOwnTransaction", JobState.Completed)]
    public async Task RunningRowLockedByAnotherSession_DelaysOnlyItsOwnOutcome(string outcome, JobState expected)
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var held = new JobDefinition("rt.held", maxAttempts: 1);
        var (started, finish) = (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously),
            new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        var heldId = await EnqueueAsync(schema, held);
        await using var worker = await TestWorker.StartAsync(schema, new Recorder(), static o => o.Queues[JobDefinition.DefaultQueue] = 2,
            jobs: b => b.AddJob(held, async (_, _, context, ct) =>
            {
                started.TrySetResult();
                await finish.Task.WaitAsync(ct);
                await EndAsAsync(context, outcome, ct);
            }));
        await started.Task.WaitAsync(Eventually.DefaultTimeout, Ct);

        // An operator's edit of the running row, its transaction left open.
        await using var operatorConnection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var operatorEdit = await operatorConnection.BeginTransactionAsync(Ct);
        await using (var edit = new NpgsqlCommand($"UPDATE \"{schema.Name}\".jobs SET priority = 3 WHERE id = {heldId.Value}", operatorConnection, operatorEdit))
        {
            Assert.Equal(1, await edit.ExecuteNonQueryAsync(Ct));
        }

        finish.TrySetResult();
        await Eventually.TrueAsync(() => Task.FromResult(worker.Logs.Entries.Any(e => e.EventId.Id == QueuesEventId.CompletionDeferred
            && e.Message.Contains($"Job {heldId.Value} ", StringComparison.Ordinal))), what: () => "the held job's outcome to be deferred");

        // Jobs finishing after it complete while the lock is held (on the other slot, when the held job keeps its own).
        foreach (var id in await EnqueueCountsAsync(schema, 5))
        {
            await schema.WaitForStateAsync(id, JobState.Completed);
        }

        Assert.Equal(JobState.Running, (await schema.Client.GetJobAsync(heldId, Ct))!.State);

        // Once the edit commits, the held job's outcome is written at its attempt, with the operator's change kept.
        await operatorEdit.CommitAsync(Ct);
        var job = await schema.WaitForStateAsync(heldId, expected);
        Assert.Equal(outcome == "snooze" ? 0 : 1, job.Attempt);
        Assert.Equal(3, job.Priority);
        Assert.Equal(outcome is "fail" or "cancel" or "discard" ? 1 : 0, job.Errors.Count);
        Assert.Equal(1, worker.Logs.Entries.Count(e => e.EventId.Id == QueuesEventId.CompletionDeferred));
    }

    [Theory]
    [InlineData("complete")]
    [InlineData("fail")]
    [InlineData("snooze")]
    [InlineData("commitOwnTransaction")]
    public async Task WorkerStoppingWhileAFinishedJobsRowIsLocked_StopsAndLeavesTheRowRunning(string outcome)
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var held = new JobDefinition("rt.heldAtStop", maxAttempts: 1);
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var heldId = await EnqueueAsync(schema, held);
        await using var operatorConnection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var operatorLock = await operatorConnection.BeginTransactionAsync(Ct);
        var worker = await TestWorker.StartAsync(schema, new Recorder(), jobs: b => b.AddJob(held, async (_, _, context, ct) =>
        {
            // Lock the row while the job runs, as a report's SELECT … FOR UPDATE would.
            await using (var lockRow = new NpgsqlCommand($"SELECT 1 FROM \"{schema.Name}\".jobs WHERE id = {heldId.Value} FOR UPDATE", operatorConnection, operatorLock))
            {
                await lockRow.ExecuteScalarAsync(CancellationToken.None);
            }

            finished.TrySetResult();
            await EndAsAsync(context, outcome, ct);
        }));
        await using (worker)
        {
            await finished.Task.WaitAsync(Eventually.DefaultTimeout, Ct);
            await Eventually.TrueAsync(() => Task.FromResult(worker.Logs.Entries.Any(static e => e.EventId.Id == QueuesEventId.CompletionDeferred)));

            // Before, the stop waited for the lock: 30 s command timeouts, retried, about 6 minutes.
            await worker.StopAsync().WaitAsync(Eventually.DefaultTimeout, Ct);
        }

        Assert.Contains(worker.Logs.Entries, e => e.EventId.Id == QueuesEventId.CompletionLeftLocked && e.Message.Contains($"ids {heldId.Value}", StringComparison.Ordinal));
        await operatorLock.RollbackAsync(Ct);
        Assert.Equal(JobState.Running, (await schema.Client.GetJobAsync(heldId, Ct))!.State);
    }

    private static async ValueTask EndAsAsync(JobContext context, string outcome, CancellationToken cancellationToken)
    {
        switch (outcome)
        {
            case "commitOwnTransaction":
                // The handler ends the job's transaction itself: its completion is then written alone.
                await (await context.GetTransactionAsync(cancellationToken)).CommitAsync(cancellationToken);
                break;
            case "fail":
                throw new InvalidOperationException("the handler failed");
            case "snooze":
                context.Snooze(TimeSpan.FromHours(1));
                break;
            case "cancel":
                context.Cancel("withdrawn");
                break;
            case "discard":
                context.Discard("no such account");
                break;
        }
    }

    [Fact]
    public async Task LiveWorker_IsRecordedAsANode_AndRemovedWhenItStops()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var worker = await TestWorker.StartAsync(schema, new Recorder(), static o => o.WorkerName = "node-under-test");
        await using (worker)
        {
            await Eventually.TrueAsync(async () => await schema.ScalarAsync<long>(
                $"SELECT count(*) FROM \"{schema.Name}\".nodes WHERE name = 'node-under-test' AND seen_at > now() - interval '5 seconds' AND 'default' = ANY (queues)") == 1);
            await worker.StopAsync();
        }

        Assert.Equal(0L, await schema.ScalarAsync<long>($"SELECT count(*) FROM \"{schema.Name}\".nodes"));
    }

    private static Task<List<JobId>> EnqueueCountsAsync(TestSchema schema, int count)
        => schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1), cancellationToken: Ct), count);

    private static async Task<JobId> EnqueueAsync(TestSchema schema, JobDefinition job)
    {
        await using var connection = await schema.Fixture.DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        var (id, _) = await schema.Client.EnqueueAsync(transaction, job, "{}"u8.ToArray(), cancellationToken: Ct);
        await transaction.CommitAsync(Ct);
        return id;
    }

    [Fact]
    public async Task NullInANonNullablePayloadMember_IsRefusedAtEnqueue_NamingTheMember()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await using var connection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);

        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            schema.Jobs.EnqueueItHostileAsync(transaction, new HostilePayload(null!, "throw"), cancellationToken: Ct));
        Assert.Contains("HostilePayload.Text is null", error.Message, StringComparison.Ordinal);

        // Nothing was sent: the transaction goes on.
        await schema.Jobs.EnqueueItHostileAsync(transaction, new HostilePayload("fine", "throw"), cancellationToken: Ct);
        await transaction.CommitAsync(Ct);
        Assert.Equal(1L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs}"));
    }

    [Fact]
    public async Task PayloadWrittenBySqlWithADeepUnknownMember_RunsWithTheMemberSkipped()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        // As another service writing jobs with SQL might: a member this worker does not know, 1,000 and 10,000 levels deep.
        var ids = new List<JobId>();
        foreach (var depth in new[] { 1_000, 10_000 })
        {
            ids.Add(new JobId(await schema.ScalarAsync<long>(
                "INSERT INTO {jobs} (name, payload) VALUES ('it.count', ('{\"extra\": ' || repeat('[', $1) || repeat(']', $1) || ', \"sequence\": 3}')::jsonb) RETURNING id",
                depth)));
        }

        await using var worker = await TestWorker.StartAsync(schema, recorder);
        foreach (var id in ids)
        {
            Assert.Empty((await schema.WaitForStateAsync(id, JobState.Completed)).Errors);
        }

        Assert.All(recorder.Runs, static r => Assert.Equal(3, ((CountPayload)r.Payload!).Sequence));
    }
}
