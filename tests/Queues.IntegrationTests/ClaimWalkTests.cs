using Npgsql;
using Queues.Internal;
using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

/// <summary>
/// The claim walk (<see cref="ClaimWalk"/>): while a snapshot holds back vacuum, a claim reads only what is new instead of
/// every row claimed since the snapshot began, and it still takes rows in claim order and, at its next walk from the
/// head, every row it passed over. Claims go through <see cref="JobStore.ClaimAsync"/> with a walk whose clock the test
/// sets (stopwatch timestamps are only compared), so whether a claim walks from the head is the test's choice.
/// </summary>
public sealed class ClaimWalkTests(PostgresFixture fixture)
{
    private const string Queue = "serial"; // it.ordered's queue.

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task UnderAHeldSnapshot_AClaimFromItsFloor_ReadsOnlyWhatIsNew_AWalkFromTheHeadReadsEveryDeadRow()
    {
        await using var schema = await fixture.CreateSchemaAsync();

        // 2,000 jobs a second apart in run-at (an hour ago onward), so the floor the walk keeps is far above the first.
        // Inserted with their run-at rather than updated to it: another test's snapshot (one server for the run) could
        // keep the versions an update leaves, whose entries would sit above the floor.
        await schema.ScalarAsync<int>("""
            WITH i AS (INSERT INTO {jobs} (name, queue, payload, run_at)
                SELECT 'it.ordered', 'serial', '{"priority": 1}', now() - interval '1 hour' + g * interval '1 second'
                FROM generate_series(1, 2000) AS g RETURNING 1)
            SELECT count(*)::int FROM i
            """);

        // The snapshot: from here on, nothing a claim leaves dead can be removed (nor marked dead in the index).
        await using var held = await HeldSnapshot.BeginAsync(fixture, schema);

        await using var walker = await Walker.OpenAsync(fixture, schema);
        var claimed = 0;
        for (var claim = 0; claim < 4; claim++)
        {
            claimed += (await walker.ClaimAsync(500)).Count;
        }

        Assert.Equal(2_000, claimed);
        await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItOrderedAsync(tx, new OrderPayload(2)), 10);

        var beforeFloor = await walker.ClaimIndexEntriesReadAsync();
        var fromFloor = await walker.ClaimAsync(5);
        var readFromFloor = await walker.ClaimIndexEntriesReadAsync() - beforeFloor;
        Assert.False(walker.Walk.FromHead);
        Assert.Equal(5, fromFloor.Count);

        var beforeHead = await walker.ClaimIndexEntriesReadAsync();
        var fromHead = await walker.ClaimAsync(5, fromHead: true);
        var readFromHead = await walker.ClaimIndexEntriesReadAsync() - beforeHead;
        Assert.True(walker.Walk.FromHead);
        Assert.Equal(5, fromHead.Count);

        // The walk from the floor reads the claimed rows within the margin below it and the new ones; the walk from the
        // head reads all 2,000 dead entries first.
        Assert.InRange(readFromFloor, 5, 50);
        Assert.InRange(readFromHead, 2_000, long.MaxValue);
    }

    [Fact]
    public async Task AFloorNeverHoldsBackAHigherPriority_AndEveryPriorityIsTakenInOrder()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItOrderedAsync(tx, new OrderPayload(0), new EnqueueOptions { Priority = 5 }), 3);
        await using var walker = await Walker.OpenAsync(fixture, schema);
        Assert.Equal(3, (await walker.ClaimAsync(10)).Count); // Floor at priority 5.

        // Above, below and at the floored priority, enqueued after it: each claim takes the first in claim order.
        var low = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItOrderedAsync(tx, new OrderPayload(9), new EnqueueOptions { Priority = 9 })))[0];
        var same = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItOrderedAsync(tx, new OrderPayload(5), new EnqueueOptions { Priority = 5 })))[0];
        var gap = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItOrderedAsync(tx, new OrderPayload(7), new EnqueueOptions { Priority = 7 })))[0];
        var high = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItOrderedAsync(tx, new OrderPayload(-3), new EnqueueOptions { Priority = -3 })))[0];

        var order = new List<long>();
        for (var i = 0; i < 4; i++)
        {
            var jobs = await walker.ClaimAsync(1);
            Assert.False(walker.Walk.FromHead);
            order.AddRange(jobs.Select(static j => j.Id));
        }

        Assert.Equal([high.Value, same.Value, gap.Value, low.Value], order);
    }

    [Fact]
    public async Task RowsMadeAvailableBelowTheirFloor_AreFoundByTheNextWalkFromTheHead_WhichMovesTheFloorDownToThem()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItOrderedAsync(tx, new OrderPayload(1)), 3);
        await using var walker = await Walker.OpenAsync(fixture, schema);
        Assert.Equal(3, (await walker.ClaimAsync(10)).Count);

        // Out of order: rows whose run-at is a day old when they become available (released, promoted late, edited by
        // hand, or enqueued in transactions that committed long after they began).
        var late = await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItOrderedAsync(tx, new OrderPayload(2)), 3);
        await schema.ScalarAsync<int>("WITH u AS (UPDATE {jobs} SET run_at = now() - interval '1 day' + id * interval '1 second' WHERE id = ANY($1) RETURNING 1) SELECT count(*)::int FROM u",
            late.Select(static id => id.Value).ToArray());

        Assert.Empty(await walker.ClaimAsync(10));
        Assert.False(walker.Walk.FromHead);
        var fromHead = await walker.ClaimAsync(1, fromHead: true);
        Assert.True(walker.Walk.FromHead);
        Assert.Equal([late[0].Value], fromHead.Select(static j => j.Id));

        // The walk from the head moved the floor down to the first: the walks from the floor take the others.
        var rest = await walker.ClaimAsync(10);
        Assert.False(walker.Walk.FromHead);
        Assert.Equal(late.Skip(1).Select(static id => id.Value), rest.Select(static j => j.Id));
    }

    [Fact]
    public async Task AWorker_RunsAJobWhoseEnqueueCommittedLongAfterItBegan_WhileOthersFlowPastIt()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        await using var worker = await TestWorker.StartAsync(schema, recorder, static o => o.Queues["serial"] = 4);

        // The transaction begins (its run-at is its start), then 200 jobs are enqueued and run past it.
        await using var connection = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        var late = (await schema.Jobs.EnqueueItOrderedAsync(transaction, new OrderPayload(-1), cancellationToken: Ct)).Id;
        for (var i = 0; i < 20; i++)
        {
            await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItOrderedAsync(tx, new OrderPayload(i)), 10);
            await Task.Delay(50, Ct);
        }

        await recorder.WaitForRunsAsync(200);
        await transaction.CommitAsync(Ct);
        await schema.WaitForStateAsync(late, JobState.Completed, TimeSpan.FromSeconds(30));
    }

    /// <summary>A REPEATABLE READ transaction that has read the jobs table, held open until disposed (then rolled back).</summary>
    private sealed class HeldSnapshot(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public static async Task<HeldSnapshot> BeginAsync(PostgresFixture fixture, TestSchema schema)
        {
            var connection = await fixture.DataSource.OpenConnectionAsync(Ct);
            var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, Ct);
            await using (var read = new NpgsqlCommand($"SELECT count(*) FROM \"{schema.Name}\".jobs", connection, transaction))
            {
                await read.ExecuteScalarAsync(Ct); // The snapshot is taken by the first statement, not by BEGIN.
            }

            return new HeldSnapshot(connection, transaction);
        }

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    /// <summary>
    /// Claims through the store on one connection with one walk, on a clock of the test's: each claim "takes" one tick,
    /// so a walk from the head is next due 21 ticks after one; a claim asked to walk from the head jumps past that.
    /// </summary>
    private sealed class Walker(NpgsqlConnection connection, TestSchema schema) : IAsyncDisposable
    {
        private long _clock;

        public ClaimWalk Walk { get; } = new();

        public NpgsqlConnection Connection => connection;

        public static async Task<Walker> OpenAsync(PostgresFixture fixture, TestSchema schema)
            => new(await fixture.DataSource.OpenConnectionAsync(Ct), schema);

        public async Task<List<ClaimedJob>> ClaimAsync(int limit, bool fromHead = false)
        {
            var now = fromHead ? _clock + 1_000 : _clock;
            var jobs = await schema.Client.Store.ClaimAsync(connection, Queue, limit, "walker", Walk.Next(now));
            Walk.Claimed(jobs, now, now + 1);
            _clock = now + 2;
            return jobs;
        }

        /// <summary>Index entries read so far by scans of the claim index (this connection's counts flushed first).</summary>
        public async Task<long> ClaimIndexEntriesReadAsync()
        {
            await using (var flush = new NpgsqlCommand("SELECT pg_stat_force_next_flush()", connection))
            {
                await flush.ExecuteNonQueryAsync(Ct);
            }

            return await schema.ScalarAsync<long>(
                "SELECT idx_tup_read FROM pg_stat_all_indexes WHERE schemaname = $1 AND indexrelname = 'jobs_claim_idx'", schema.Name);
        }

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}
