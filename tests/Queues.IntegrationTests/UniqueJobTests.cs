using Npgsql;
using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

public sealed record AccountSync(Guid AccountId, string Reason);

/// <summary>Unique jobs: by payload member with the default states, and with completed jobs also holding the key.</summary>
public sealed class UniqueTestJobs(Recorder recorder)
{
    [Job("it.unique.sync", UniqueBy = new[] { nameof(AccountSync.AccountId) })]
    public void Sync(AccountSync payload, JobContext context) => recorder.Record(context, payload);

    [Job("it.unique.once", UniqueBy = new[] { nameof(AccountSync.AccountId) }, UniqueStates = UniqueStates.Completed)]
    public void Once(AccountSync payload, JobContext context) => recorder.Record(context, payload);
}

public sealed class UniqueJobTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SameUniqueMembers_AreADuplicate_NamingTheHolder_OtherMembersDoNotMatter()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var account = Guid.NewGuid();
        await using var connection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using (var transaction = await connection.BeginTransactionAsync(Ct))
        {
            var first = await schema.Jobs.EnqueueItUniqueSyncAsync(transaction, new AccountSync(account, "signup"), cancellationToken: Ct);
            var again = await schema.Jobs.EnqueueItUniqueSyncAsync(transaction, new AccountSync(account, "another reason"), cancellationToken: Ct);
            var other = await schema.Jobs.EnqueueItUniqueSyncAsync(transaction, new AccountSync(Guid.NewGuid(), "signup"), cancellationToken: Ct);
            Assert.False(first.IsDuplicate);
            Assert.Equal(new EnqueueResult(first.Id, IsDuplicate: true), again);
            Assert.False(other.IsDuplicate);
            await transaction.CommitAsync(Ct);
        }

        // A later transaction sees the committed holder; a scheduled job holds its key as well.
        await using (var transaction = await connection.BeginTransactionAsync(Ct))
        {
            var later = await schema.Jobs.EnqueueItUniqueSyncAsync(transaction, new AccountSync(account, "later"), new EnqueueOptions { Delay = TimeSpan.FromHours(1) }, Ct);
            Assert.True(later.IsDuplicate);
            var later2 = Guid.NewGuid();
            var scheduled = await schema.Jobs.EnqueueItUniqueSyncAsync(transaction, new AccountSync(later2, "scheduled"), new EnqueueOptions { Delay = TimeSpan.FromHours(1) }, Ct);
            var afterScheduled = await schema.Jobs.EnqueueItUniqueSyncAsync(transaction, new AccountSync(later2, "x"), cancellationToken: Ct);
            Assert.False(scheduled.IsDuplicate);
            Assert.Equal(scheduled.Id, afterScheduled.Id);
            Assert.True(afterScheduled.IsDuplicate);
            await transaction.CommitAsync(Ct);
        }

        Assert.Equal(3L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs}"));
    }

    [Theory]
    [InlineData(System.Data.IsolationLevel.RepeatableRead, false)]
    [InlineData(System.Data.IsolationLevel.Serializable, false)]
    [InlineData(System.Data.IsolationLevel.RepeatableRead, true)]
    public async Task UniqueEnqueueAfterTheSnapshot_OfAKeyCommittedMeanwhile_FailsClearly_AndARetryReportsTheDuplicate(
        System.Data.IsolationLevel isolation, bool many)
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var payload = new AccountSync(Guid.NewGuid(), "signup");
        await using var connection = await fixture.DataSource.OpenConnectionAsync(Ct);

        // The caller's transaction takes its snapshot; then another transaction enqueues the key and commits.
        var transaction = await connection.BeginTransactionAsync(isolation, Ct);
        await using (var snapshot = new NpgsqlCommand("SELECT 1", connection, transaction))
        {
            await snapshot.ExecuteScalarAsync(Ct);
        }

        var holder = await CommitElsewhereAsync(schema, payload);

        // PostgreSQL can neither see the holder nor insert beside it: a serialization failure, named for what it is.
        var conflict = await Assert.ThrowsAsync<UniqueEnqueueConflictException>(() => EnqueueAsync(schema, transaction, payload, many));
        Assert.Equal("it.unique.sync", conflict.JobName);
        Assert.Equal(PostgresErrorCodes.SerializationFailure, conflict.SqlState);
        Assert.True(conflict.IsTransient);
        Assert.Equal(PostgresErrorCodes.SerializationFailure, Assert.IsType<PostgresException>(conflict.InnerException).SqlState);
        Assert.Contains("run the whole transaction again", conflict.Message, StringComparison.Ordinal);
        await transaction.RollbackAsync(Ct);
        await transaction.DisposeAsync();

        // The retry, as the message asks: a new snapshot sees the holder and reports the duplicate.
        var retried = await RetryAsync(schema, connection, isolation, payload, many);
        Assert.Equal(many ? new EnqueueResult(default, IsDuplicate: true) : new EnqueueResult(holder, IsDuplicate: true), retried);
        Assert.Equal(1L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs}"));
    }

    // Outside the test method: QUE0101 flags an enqueue on any transaction but the one in scope, local functions included.
    private static async Task<JobId> CommitElsewhereAsync(TestSchema schema, AccountSync payload)
        => (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItUniqueSyncAsync(tx, payload, cancellationToken: Ct)))[0];

    private static async Task<EnqueueResult> EnqueueAsync(TestSchema schema, NpgsqlTransaction transaction, AccountSync payload, bool many)
        => many
            ? new EnqueueResult(default, IsDuplicate: await schema.Jobs.EnqueueItUniqueSyncManyAsync(transaction, [payload], cancellationToken: Ct) == 0)
            : await schema.Jobs.EnqueueItUniqueSyncAsync(transaction, payload, cancellationToken: Ct);

    private static async Task<EnqueueResult> RetryAsync(TestSchema schema, NpgsqlConnection connection, System.Data.IsolationLevel isolation, AccountSync payload, bool many)
    {
        await using var retry = await connection.BeginTransactionAsync(isolation, Ct);
        var result = await EnqueueAsync(schema, retry, payload, many);
        await retry.CommitAsync(Ct);
        return result;
    }

    [Fact]
    public async Task RolledBackHolder_DoesNotBlock()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var payload = new AccountSync(Guid.NewGuid(), "signup");
        await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItUniqueSyncAsync(tx, payload), commit: false);

        await using var connection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        Assert.False((await schema.Jobs.EnqueueItUniqueSyncAsync(transaction, payload, cancellationToken: Ct)).IsDuplicate);
    }

    [Fact]
    public async Task FinishedJob_ReleasesItsKey_UnlessItsStateCounts()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        var account = Guid.NewGuid();
        var keeper = Guid.NewGuid();
        var sync = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItUniqueSyncAsync(tx, new AccountSync(account, "first"))))[0];
        var once = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItUniqueOnceAsync(tx, new AccountSync(account, "first"))))[0];

        // Per call, the states in which this job keeps its key once finished override the job's.
        var kept = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItUniqueSyncAsync(tx, new AccountSync(keeper, "first"),
            new EnqueueOptions { UniqueStates = UniqueStates.Completed })))[0];
        await using (await TestWorker.StartAsync(schema, recorder))
        {
            foreach (var id in new[] { sync, once, kept })
            {
                await schema.WaitForStateAsync(id, JobState.Completed);
            }
        }

        await using var connection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        var syncAgain = await schema.Jobs.EnqueueItUniqueSyncAsync(transaction, new AccountSync(account, "second"), cancellationToken: Ct);
        var onceAgain = await schema.Jobs.EnqueueItUniqueOnceAsync(transaction, new AccountSync(account, "second"), cancellationToken: Ct);
        var keptAgain = await schema.Jobs.EnqueueItUniqueSyncAsync(transaction, new AccountSync(keeper, "second"), cancellationToken: Ct);
        Assert.False(syncAgain.IsDuplicate);
        Assert.NotEqual(sync, syncAgain.Id);
        Assert.Equal(new EnqueueResult(once, IsDuplicate: true), onceAgain);
        Assert.Equal(new EnqueueResult(kept, IsDuplicate: true), keptAgain);
        Assert.Equal(3, recorder.Runs.Count);
    }

    [Fact]
    public async Task PerCallUniqueKey_IsScopedToTheJobName()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var unique = new EnqueueOptions { UniqueKey = "tenant-42" };
        await using var connection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        var first = await schema.Jobs.EnqueueItCountAsync(transaction, new CountPayload(1), unique, Ct);
        var second = await schema.Jobs.EnqueueItCountAsync(transaction, new CountPayload(2), unique, Ct);
        var otherKey = await schema.Jobs.EnqueueItCountAsync(transaction, new CountPayload(3), new EnqueueOptions { UniqueKey = "tenant-43" }, Ct);
        var otherName = await schema.Jobs.EnqueueItOrderedAsync(transaction, new OrderPayload(1), unique, Ct);
        var notUnique = await schema.Jobs.EnqueueItCountAsync(transaction, new CountPayload(4), cancellationToken: Ct);

        Assert.Equal(new EnqueueResult(first.Id, IsDuplicate: true), second);
        Assert.False(first.IsDuplicate || otherKey.IsDuplicate || otherName.IsDuplicate || notUnique.IsDuplicate);

        // The per-call key overrides UniqueBy: same account, different keys → two jobs.
        var account = Guid.NewGuid();
        Assert.False((await schema.Jobs.EnqueueItUniqueSyncAsync(transaction, new AccountSync(account, "a"), new EnqueueOptions { UniqueKey = "a" }, Ct)).IsDuplicate);
        Assert.False((await schema.Jobs.EnqueueItUniqueSyncAsync(transaction, new AccountSync(account, "b"), new EnqueueOptions { UniqueKey = "b" }, Ct)).IsDuplicate);
    }

    [Fact]
    public async Task Bulk_SkipsDuplicatesOfExistingJobsAndWithinTheCall()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var accounts = Enumerable.Range(0, 3).Select(static _ => Guid.NewGuid()).ToArray();
        await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItUniqueSyncAsync(tx, new AccountSync(accounts[0], "existing")));

        await using var connection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using (var transaction = await connection.BeginTransactionAsync(Ct))
        {
            var payloads = Enumerable.Range(0, 10).Select(i => new AccountSync(accounts[i % 3], $"bulk {i}"));
            Assert.Equal(2, await schema.Jobs.EnqueueItUniqueSyncManyAsync(transaction, payloads, cancellationToken: Ct));
            Assert.Equal(0, await schema.Jobs.EnqueueItUniqueSyncManyAsync(transaction, payloads, new EnqueueOptions { Delay = TimeSpan.FromMinutes(5) }, Ct));
            await transaction.CommitAsync(Ct);
        }

        Assert.Equal(3L, await schema.ScalarAsync<long>("SELECT count(DISTINCT payload->>'accountId') FROM {jobs}"));
        Assert.Equal(3L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs}"));

        // The first payload of each key in the call is the one kept.
        Assert.Equal("bulk 1", await schema.ScalarAsync<string>($"SELECT payload->>'reason' FROM {{jobs}} WHERE payload->>'accountId' = '{accounts[1]}'"));

        // A rolled-back bulk insert leaves nothing, and bulk with a per-call key inserts one job.
        await using (var transaction = await connection.BeginTransactionAsync(Ct))
        {
            Assert.Equal(1, await schema.Jobs.EnqueueItCountManyAsync(transaction, [new CountPayload(1), new CountPayload(2)], new EnqueueOptions { UniqueKey = "k" }, Ct));
            await transaction.RollbackAsync(Ct);
        }

        Assert.Equal(3L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs}"));
    }

    [Fact]
    public async Task ConcurrentTransactions_WithTheSameKey_InsertExactlyOneJob()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var payload = new AccountSync(Guid.NewGuid(), "race");
        const int Callers = 24;
        var ready = 0;
        var allReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Every caller enqueues at the same moment; the even ones roll back afterwards, so a waiting caller must take over
        // from a holder that disappears, and a duplicate may only ever name a committed job.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, Callers).Select(i => Task.Run(async () =>
        {
            await using var connection = await fixture.DataSource.OpenConnectionAsync(Ct);
            await using var transaction = await connection.BeginTransactionAsync(Ct);
            if (Interlocked.Increment(ref ready) == Callers)
            {
                allReady.SetResult();
            }

            await allReady.Task.WaitAsync(Ct);
            var result = await schema.Jobs.EnqueueItUniqueSyncAsync(transaction, payload with { Reason = $"caller {i}" }, cancellationToken: Ct);
            await Task.Delay(Random.Shared.Next(0, 20), Ct);
            var commit = i % 2 == 1;
            if (commit)
            {
                await transaction.CommitAsync(Ct);
            }
            else
            {
                await transaction.RollbackAsync(Ct);
            }

            return (Result: result, Committed: commit);
        }, Ct)));

        var rows = await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs}");
        Assert.Equal(1L, rows);
        var survivor = new JobId(await schema.ScalarAsync<long>("SELECT id FROM {jobs}"));
        Assert.Single(outcomes, static o => o.Committed && !o.Result.IsDuplicate);
        Assert.Equal(survivor, outcomes.Single(static o => o.Committed && !o.Result.IsDuplicate).Result.Id);
        Assert.All(outcomes.Where(static o => o.Result.IsDuplicate), o => Assert.Equal(survivor, o.Result.Id));
    }

    [Fact]
    public async Task RetryingAFinishedUniqueJob_WhoseKeyIsTaken_FailsNamingTheHolder()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var admin = new QueuesAdmin(schema.Client);
        var payload = new AccountSync(Guid.NewGuid(), "signup");
        var first = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItUniqueSyncAsync(tx, payload)))[0];
        Assert.True(await admin.CancelJobAsync(first, cancellationToken: Ct));
        var second = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItUniqueSyncAsync(tx, payload)))[0];
        Assert.NotEqual(first, second);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => admin.RetryJobAsync(first, Ct));
        Assert.Contains($"job {second.Value} (available) now holds its key", error.Message, StringComparison.Ordinal);
        Assert.Equal(JobState.Cancelled, (await schema.Client.GetJobAsync(first, Ct))!.State);

        Assert.True(await admin.CancelJobAsync(second, cancellationToken: Ct));
        Assert.True(await admin.RetryJobAsync(first, Ct));
        Assert.Equal(JobState.Available, (await schema.Client.GetJobAsync(first, Ct))!.State);
    }

    [Fact]
    public async Task UniqueStatesOutsideTheFlags_AreRejected()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await using var connection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => schema.Jobs.EnqueueItUniqueSyncAsync(transaction,
            new AccountSync(Guid.NewGuid(), "x"), new EnqueueOptions { UniqueStates = (UniqueStates)16 }, Ct));
        Assert.Contains("EnqueueOptions.UniqueStates", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new JobDefinition("x") { UniqueStates = (UniqueStates)8 });
        Assert.Contains("at most 30 days", Assert.Throws<ArgumentOutOfRangeException>(() => new JobDefinition("x") { Timeout = TimeSpan.FromDays(31) }).Message,
            StringComparison.Ordinal);
    }
}
