using System.Diagnostics;
using System.Globalization;
using Queues.ReliabilityTests.Infrastructure;

namespace Queues.ReliabilityTests;

/// <summary>
/// With real worker processes: rows a live worker never claimed are settled in seconds even while it is busy, a job
/// failing at the attempt ceiling ends instead of repeating an attempt number, and one worker serving ten thousand
/// queues costs the database next to nothing while idle.
/// </summary>
public sealed class LivenessTests(ReliabilityServer server) : IClassFixture<ReliabilityServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 240_000)]
    public async Task RunningRowsALiveBusyWorkerNeverClaimed_AreRescuedWithinHeartbeatsAndRescueAfter_NotAfterItsBacklog()
    {
        const int backlog = 4_000;
        const int orphans = 10;
        var schema = await server.CreateSchemaAsync("orphans");
        // Four slots and 20 ms per job: the backlog keeps the worker busy for about 20 s.
        await schema.EnqueueWorkAsync(Enumerable.Range(0, backlog).Select(static i => new WorkItem(i, DelayMs: 20)));
        var orphanIds = new List<long>();
        for (var i = 0; i < orphans; i++)
        {
            orphanIds.Add((await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueRelWorkAsync(tx, new WorkItem(100_000 + i),
                new EnqueueOptions { Delay = TimeSpan.FromHours(1) }, Ct))).Value);
        }

        await using var workers = new WorkerGroup(schema, 1, new Dictionary<string, string>
        {
            ["QUEUES_CONCURRENCY"] = "4",
            ["QUEUES_HEARTBEAT_MS"] = "200",
            ["QUEUES_RESCUE_MS"] = "1500",
        });
        var worker = workers.Start(0);
        await Wait.UntilAsync(async () => await schema.ScalarAsync<long>("SELECT count(*) FROM {runs}") >= 100, "the worker to work through its backlog", workers);

        // As a claim whose reply never arrived leaves them: running under the live worker's name, freshly heartbeated.
        var orphanedAt = Stopwatch.StartNew();
        await schema.ScalarAsync<int>(
            "WITH o AS (UPDATE {jobs} SET state = 'running', attempt = 1, attempted_at = now(), heartbeat_at = now(), attempted_by = $2 WHERE id = ANY($1) RETURNING 1) SELECT count(*)::int FROM o",
            orphanIds.ToArray(), worker.Name);
        await Wait.UntilAsync(async () => await schema.ScalarAsync<long>(
                "SELECT count(*) FROM {jobs}, jsonb_array_elements(errors) AS e WHERE id = ANY($1) AND e->>'kind' = 'rescued'", orphanIds.ToArray()) == orphans,
            "the worker to rescue the rows it never claimed", workers, TimeSpan.FromSeconds(60));
        var rescueTime = orphanedAt.Elapsed;
        var backlogLeft = await schema.ScalarAsync<long>(
            "SELECT count(*) FROM {jobs} WHERE name = 'rel.work' AND finalized_at IS NULL AND id <> ALL($1)", orphanIds.ToArray());

        // Two to three heartbeats (0.2 s) after the rows appear, with room for a loaded 2-core machine; the backlog still running.
        Assert.True(rescueTime < TimeSpan.FromSeconds(5), $"The orphaned rows were rescued {rescueTime} after they appeared. {workers.Logs()}");
        Assert.True(backlogLeft > 0, $"The backlog had finished before the orphaned rows were rescued ({rescueTime}).");

        await Wait.UntilAsync(async () => await schema.CountUnfinishedAsync() == 0, "every job to complete", workers, TimeSpan.FromMinutes(2));
        Assert.Equal(0, (await workers.StopAllAsync(TimeSpan.FromSeconds(60))).Values.Sum());
        // The orphans ran once each, at their second attempt (the first was never theirs); nothing the worker ran was rescued.
        Assert.Equal((long)orphans, await schema.ScalarAsync<long>("SELECT count(*) FROM {runs} WHERE job_id = ANY($1) AND attempt = 2", orphanIds.ToArray()));
        Assert.Equal((long)orphans, await schema.ScalarAsync<long>("SELECT count(*) FROM {runs} WHERE job_id = ANY($1)", orphanIds.ToArray()));
        Assert.Equal((long)orphans, await schema.ScalarAsync<long>(
            "SELECT count(*) FROM {jobs}, jsonb_array_elements(errors) AS e WHERE name = 'rel.work' AND e->>'kind' = 'rescued'"));
        Assert.Equal(0L, await schema.ScalarAsync<long>("SELECT count(*) FROM (SELECT job_id, attempt FROM {runs} GROUP BY 1, 2 HAVING count(*) > 1) AS twice"));

        Figures.Write(server, "Rows running under a live, busy worker's name that it never claimed (heartbeat 0.2 s, rescue after 1.5 s)", [
            ("rows / backlog still unfinished when they were rescued", $"{orphans} / {backlogLeft} of {backlog}"),
            ("rows appear → all rescued by their worker", Figures.Seconds(rescueTime)),
        ]);
    }

    [Fact(Timeout = 240_000)]
    public async Task FailingJobsAtTheAttemptCeiling_EndDiscarded_EachRunWithAnAttemptNumberOfItsOwn()
    {
        var schema = await server.CreateSchemaAsync("ceiling");
        // The highest cap the API accepts, and a row a hand edit (or an older build) left with the column's maximum.
        var atCap = await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueRelFailForeverAsync(tx, new WorkItem(1), cancellationToken: Ct));
        var aboveCap = await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueRelFailForeverAsync(tx, new WorkItem(2), cancellationToken: Ct));
        Assert.Equal(32766, (await schema.Client.GetJobAsync(atCap, Ct))!.MaxAttempts);
        await schema.ScalarAsync<int>("UPDATE {jobs} SET attempt = 32763 WHERE id = $1 RETURNING 1", atCap.Value);
        await schema.ScalarAsync<int>("UPDATE {jobs} SET attempt = 32763, max_attempts = 32767 WHERE id = $1 RETURNING 1", aboveCap.Value);

        await using var workers = new WorkerGroup(schema, 1);
        workers.Start(0);
        // The retry delay this far up is a day: bring each retry forward, as an operator's "run now" would.
        await Wait.UntilAsync(async () =>
        {
            await schema.ScalarAsync<long>("WITH r AS (UPDATE {jobs} SET run_at = now() WHERE state = 'retryable' AND run_at > now() RETURNING 1) SELECT count(*) FROM r");
            return await schema.CountUnfinishedAsync("rel.failForever") == 0
                || await schema.ScalarAsync<long>("SELECT count(*) FROM {runs}") > 12;
        }, "both jobs to end", workers, TimeSpan.FromSeconds(60));
        Assert.Equal(0, (await workers.StopAllAsync(TimeSpan.FromSeconds(60))).Values.Sum());

        foreach (var id in new[] { atCap, aboveCap })
        {
            var job = (await schema.Client.GetJobAsync(id, Ct))!;
            var runs = await schema.ScalarAsync<string>("SELECT coalesce(string_agg(attempt::text, ',' ORDER BY started_at), '') FROM {runs} WHERE job_id = $1", id.Value);
            Assert.True(job.State == JobState.Discarded, $"Job {id} is {job.State} at attempt {job.Attempt} after runs at attempts {runs}. {workers.Logs()}");
            Assert.Equal(32766, job.Attempt);
            Assert.Equal("32764,32765,32766", runs);
            Assert.Equal(new[] { 32764, 32765, 32766 }, job.Errors.Select(static e => e.Attempt));
        }
    }

    [Fact(Timeout = 240_000)]
    public async Task OneWorkerServingTenThousandQueues_IsCheapWhileIdle_AndRunsTheJobsOfTheBusyOnes()
    {
        const int queues = 10_000;
        var schema = await server.CreateSchemaAsync("tenants");
        // The default poll interval (1 s) and a heartbeat a second, where the suite's other tests are faster: the idle
        // cost of this design is a few statements per interval whatever the number of queues, that of a poll per queue
        // would be 10,000 a second.
        await using var workers = new WorkerGroup(schema, 1, new Dictionary<string, string>
        {
            ["QUEUES_TENANT_QUEUES"] = $"{queues}",
            ["QUEUES_POLL_MS"] = "1000",
            ["QUEUES_HEARTBEAT_MS"] = "1000",
            ["QUEUES_RESCUE_MS"] = "5000",
        });
        var worker = workers.Start(0);
        await worker.WaitReadyAsync(TimeSpan.FromSeconds(120));
        await Task.Delay(TimeSpan.FromSeconds(5), Ct); // settle: start-up and the first polls are not the idle cost

        // Every transaction on the database, committed or rolled back, over the sample (the test's own two reads subtracted).
        // pg_stat_database lags each backend by up to its stats interval; over 10 s that bounds an idle rate well.
        const string transactions = "SELECT (xact_commit + xact_rollback)::bigint FROM pg_stat_database WHERE datname = current_database()";
        var before = await schema.ScalarAsync<long>(transactions);
        var sampled = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(10), Ct);
        var after = await schema.ScalarAsync<long>(transactions);
        var perSecond = (after - before - 2) / sampled.Elapsed.TotalSeconds;

        // Then a few tenants get work: it runs on the same worker.
        const int jobsPerQueue = 20;
        var busy = new[] { "tenant-0", "tenant-4711", "tenant-9999" };
        foreach (var queue in busy)
        {
            await schema.EnqueueAsync(async (jobs, tx) =>
            {
                await jobs.EnqueueRelWorkManyAsync(tx, Enumerable.Range(0, jobsPerQueue).Select(static i => new WorkItem(i)), new EnqueueOptions { Queue = queue }, Ct);
                return default;
            });
        }

        var enqueuedAt = Stopwatch.StartNew();
        await Wait.UntilAsync(async () => await schema.CountUnfinishedAsync() == 0, "the busy tenants' jobs to complete", workers, TimeSpan.FromSeconds(60));
        var drainTime = enqueuedAt.Elapsed;
        Assert.Equal(0, (await workers.StopAllAsync(TimeSpan.FromSeconds(60))).Values.Sum());

        var log = worker.ReadLog();
        Assert.True(perSecond < 200, $"One idle worker serving {queues} queues drove {perSecond:F0} transactions/s. {workers.Logs()}");
        Assert.DoesNotContain("pool has been exhausted", log, StringComparison.OrdinalIgnoreCase);
        Assert.Equal((long)(busy.Length * jobsPerQueue), await schema.ScalarAsync<long>("SELECT count(*) FROM {runs}"));
        Assert.Equal((long)busy.Length, await schema.ScalarAsync<long>("SELECT count(DISTINCT queue) FROM {jobs} WHERE state = 'completed'"));

        Figures.Write(server, $"One worker process serving {queues:N0} queues", [
            ("idle: transactions/s on PostgreSQL (10 s sample)", perSecond.ToString("F1", CultureInfo.InvariantCulture)),
            ($"{busy.Length} queues given {jobsPerQueue} jobs each → all completed", Figures.Seconds(drainTime)),
            ("\"pool exhausted\" errors logged", "0"),
        ]);
    }
}
