using Npgsql;
using Queues.Internal;
using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

/// <summary>
/// Claiming ahead of the free slots: batched claims for a queue with few slots and fast jobs, never more running than its
/// slots, and slow jobs not held back from other workers.
/// </summary>
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
    public async Task FastJobs_AreClaimedManyAtOnce_EvenWithOneSlot()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        await using (var connection = await fixture.DataSource.OpenConnectionAsync(Ct))
        await using (var transaction = await connection.BeginTransactionAsync(Ct))
        {
            await schema.Jobs.EnqueueItCountManyAsync(transaction, Enumerable.Range(0, 300).Select(static i => new CountPayload(i)), cancellationToken: Ct);
            await transaction.CommitAsync(Ct);
        }

        await using var worker = await TestWorker.StartAsync(schema, recorder, static o =>
        {
            o.Queues[JobDefinition.DefaultQueue] = 1;
            o.Prefetch = 50;
        });
        await recorder.WaitForRunsAsync(300);
        await Eventually.TrueAsync(async () => await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE state = 'completed' AND attempt = 1") == 300);

        // Rows claimed by one statement share its transaction's attempted_at. One slot without a buffer would claim one
        // row a statement (300 claims); jobs this fast fill the buffer up to the prefetch.
        var claims = await schema.ScalarAsync<long>("SELECT count(DISTINCT attempted_at) FROM {jobs}");
        Assert.InRange(claims, 1, 60);
        Assert.Equal(300, recorder.Runs.Select(static r => r.JobId).Distinct().Count());
    }

    [Fact]
    public async Task SlowJobs_AreNotClaimedFarAheadOfTheSlots()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        await using (var connection = await fixture.DataSource.OpenConnectionAsync(Ct))
        await using (var transaction = await connection.BeginTransactionAsync(Ct))
        {
            await schema.Jobs.EnqueueItSlowManyAsync(transaction, Enumerable.Range(0, 40).Select(static i => new CountPayload(i)), cancellationToken: Ct);
            await transaction.CommitAsync(Ct);
        }

        await using var worker = await TestWorker.StartAsync(schema, recorder, static o =>
        {
            o.Queues["slow"] = 2;
            o.Prefetch = 100;
        });

        // A 100 ms job takes far longer than a claim: held ahead, it would only wait here while another worker could
        // run it. One round of the slots is claimed ahead before the first job's time is known; after, what the slots get
        // through in four claims (2 jobs while claims take under 25 ms; 8 if a loaded machine makes them 100 ms). The rows
        // in state running are those 2 running, at most 2 finished whose completion is being written, and those held
        // ahead. Claimed without regard to the job time, all 40 would be held at once.
        long mostHeld = 0;
        while (recorder.Runs.Count < 40)
        {
            mostHeld = Math.Max(mostHeld, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE state = 'running'"));
            await Task.Delay(10, Ct);
        }

        Assert.InRange(mostHeld, 1, 12);
    }

    [Fact]
    public async Task CompletionsSlowerThanTheJobs_HoldBackClaims_SoFinishedJobsDoNotPileUp()
    {
        const int count = 20_000;
        await using var schema = await fixture.CreateSchemaAsync();
        var recorder = new Recorder();
        await using (var connection = await fixture.DataSource.OpenConnectionAsync(Ct))
        await using (var transaction = await connection.BeginTransactionAsync(Ct))
        {
            await schema.Jobs.EnqueueItCountManyAsync(transaction, Enumerable.Range(0, count).Select(static i => new CountPayload(i)), cancellationToken: Ct);
            await transaction.CommitAsync(Ct);
        }

        // A database that writes completions slower than the handlers finish (a slow disk, a large table): at least 0.3 ms a row.
        await schema.ScalarAsync<int>($"""
            CREATE FUNCTION "{schema.Name}".slow_completion() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_sleep(0.0003); RETURN NEW; END $$;
            CREATE TRIGGER slow_completion BEFORE UPDATE ON {"{jobs}"} FOR EACH ROW
                WHEN (OLD.state = 'running' AND NEW.state = 'completed') EXECUTE FUNCTION "{schema.Name}".slow_completion();
            SELECT 1;
            """);

        await using var worker = await TestWorker.StartAsync(schema, recorder, static o => o.Queues[JobDefinition.DefaultQueue] = 50);

        // Every row in state running is claimed ahead, running, or finished with its completion not yet written. The
        // completer holds about a batch being written and a batch waiting (5,000 each) before it makes finished slots
        // wait; with the 50 slots and the buffer (at most 500) that is 10,550, and a batch retrying rows the heartbeat
        // held locked still takes 100 new ones: 12,000 leaves that room. Without the bound, the fetch loop went on
        // claiming no-op jobs far faster than completions were written, and nearly all 20,000 piled up running (19,900).
        long mostRunning = 0;
        await Eventually.TrueAsync(async () =>
        {
            mostRunning = Math.Max(mostRunning, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE state = 'running'"));
            return await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE state = 'completed'") == count;
        }, TimeSpan.FromMinutes(3));

        Assert.InRange(mostRunning, 1, 12_000);
        Assert.Equal(count, recorder.Runs.Select(static r => r.JobId).Distinct().Count());
    }

    [Fact]
    public async Task FlushingClaims_MakesTheAsynchronousCommitsBeforeItDurable()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var id = (await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1), cancellationToken: Ct)))[0];
        var store = new JobStore(fixture.DataSource, schema.Name, prepareStatements: false, useNotifications: false);
        await using var connection = await fixture.DataSource.OpenConnectionAsync(Ct);

        // The suite's server commits asynchronously by default; a production server, as this session now, does not.
        await Sql(connection, "SET synchronous_commit = on");

        // Twenty times: the WAL writer flushes asynchronous commits on its own every 200 ms, so one try could pass by luck.
        // (SELECT txid_current(), the flush this replaced, left the flush position where it was: it writes no WAL.)
        for (var i = 0; i < 20; i++)
        {
            await Sql(connection, $"BEGIN; SET LOCAL synchronous_commit = off; UPDATE \"{schema.Name}\".jobs SET priority = priority WHERE id = {id.Value}; COMMIT");
            var committedUpTo = await Sql(connection, "SELECT pg_current_wal_insert_lsn()::text");
            await store.FlushClaimsAsync(connection, id.Value);
            Assert.Equal("True", await Sql(connection, $"SELECT pg_current_wal_flush_lsn() >= '{committedUpTo}'::pg_lsn"));
        }

        static async Task<string> Sql(NpgsqlConnection connection, string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            return (await command.ExecuteScalarAsync(Ct))?.ToString() ?? "";
        }
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
            // One runs; another was claimed with it (one round of the slots, as long as no job has finished to say how
            // long jobs take) and waits in the buffer, running in the table and heartbeated.
            await recorder.WaitForRunsAsync(1);
            await Eventually.TrueAsync(async () => await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE state = 'running'") == 2);
            await worker.StopAsync();
        }

        Assert.Single(recorder.Runs);
        Assert.Equal(5L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE id = ANY($1) AND state = 'available' AND attempt = 0",
            ids.Select(static id => id.Value).ToArray()));
        Assert.Equal(0L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs}, jsonb_array_elements(errors)"));
    }
}
