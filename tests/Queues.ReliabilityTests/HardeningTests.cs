using System.Diagnostics;
using System.Globalization;
using Queues.ReliabilityTests.Infrastructure;

namespace Queues.ReliabilityTests;

/// <summary>
/// A live job never runs twice at once, whatever its handlers do to the worker's threads; a frozen worker's jobs run
/// elsewhere and its late outcomes are no-ops; a worker started during an outage waits instead of exiting.
/// </summary>
public sealed class HardeningTests(ReliabilityServer server) : IClassFixture<ReliabilityServer>
{
    [Fact(Timeout = 240_000)]
    public async Task ThreadBlockingHandlersFarAboveThePoolSize_AreNeverRescuedWhileTheyRun()
    {
        const int jobCount = 120;
        var schema = await server.CreateSchemaAsync("block");
        await schema.EnqueueAsync(async (jobs, tx) =>
        {
            // Each handler blocks its thread for longer than RescueAfter: a heartbeat on the thread pool would starve.
            await jobs.EnqueueRelBlockManyAsync(tx, Enumerable.Range(0, jobCount).Select(static i => new WorkItem(i, DelayMs: 1_500)),
                cancellationToken: TestContext.Current.CancellationToken);
            return default;
        });

        // Two processes, each running 40 blocking handlers on a 2-core machine (the pool starts with 2 threads and adds
        // about one a second): whichever leads maintenance must rescue neither its own nor the other's live jobs.
        await using var workers = new WorkerGroup(schema, 2, new Dictionary<string, string>
        {
            ["QUEUES_CONCURRENCY"] = "40",
            ["QUEUES_HEARTBEAT_MS"] = "200",
            ["QUEUES_RESCUE_MS"] = "1000",
        });
        workers.StartAll();
        await Wait.UntilAsync(async () => await schema.CountUnfinishedAsync("rel.block") == 0, "the blocking jobs to finish", workers, TimeSpan.FromMinutes(3));

        var rescued = await schema.ScalarAsync<long>(
            "SELECT count(*) FROM {jobs}, jsonb_array_elements(errors) AS e WHERE name = 'rel.block' AND e->>'kind' = 'rescued'");
        var overlapping = await schema.ScalarAsync<long>(
            "SELECT count(*) FROM {runs} a JOIN {runs} b ON a.job_id = b.job_id AND a.ctid < b.ctid AND b.started_at < a.finished_at AND a.started_at < b.finished_at");
        var details = rescued == 0 ? "" : await schema.ScalarAsync<string>(
            "SELECT string_agg(id || ' ' || (e->>'message') || ' at ' || (e->>'at'), '; ') FROM {jobs}, jsonb_array_elements(errors) AS e WHERE name = 'rel.block' AND e->>'kind' = 'rescued'");
        Assert.True(rescued == 0, $"{rescued} live jobs were rescued: {details}. {workers.Logs()}");
        Assert.True(overlapping == 0, $"{overlapping} pairs of runs of one job overlapped. {workers.Logs()}");
        Assert.Equal((long)jobCount, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE name = 'rel.block' AND state = 'completed' AND attempt = 1"));
        Assert.Equal((long)jobCount, await schema.ScalarAsync<long>("SELECT count(*) FROM {runs}"));
        Assert.Equal(0, (await workers.StopAllAsync(TimeSpan.FromSeconds(60))).Values.Sum());

        Figures.Write(server, "Handlers that block their threads (2 processes × 40 at once, 1.5 s each, 2 cores)", [
            ("heartbeat interval / rescue after", "0.2 s / 1.0 s"),
            ("jobs / rescued while live / overlapping runs", $"{jobCount} / {rescued} / {overlapping}"),
        ]);
    }

    [Fact(Timeout = 240_000)]
    public async Task FrozenWorker_ItsJobsRunElsewhere_AndWhenResumedItCancelsItsStaleHandlersAndRecordsNothing()
    {
        const int jobCount = 8;
        var schema = await server.CreateSchemaAsync("frozen");
        await schema.EnqueueAsync(async (jobs, tx) =>
        {
            await jobs.EnqueueRelSlowEffectManyAsync(tx, Enumerable.Range(0, jobCount).Select(static i => new WorkItem(i, DelayMs: 60_000)),
                cancellationToken: TestContext.Current.CancellationToken);
            return default;
        });

        await using var workers = new WorkerGroup(schema, 2);
        var frozen = workers.Start(0);
        await Wait.UntilAsync(async () => await schema.CountInStateAsync("running", "rel.slowEffect") == jobCount, "every job to run on the first worker", workers);
        var healthy = workers.Start(1);
        await healthy.WaitReadyAsync(TimeSpan.FromSeconds(60));

        Signal("STOP", frozen.Pid);
        var stoppedAt = Stopwatch.StartNew();
        try
        {
            // The first worker's node and jobs go stale; the second takes the lease, rescues them and runs them to the end.
            await Wait.UntilAsync(async () => await schema.ScalarAsync<long>(
                    "SELECT count(*) FROM {jobs} WHERE name = 'rel.slowEffect' AND state = 'completed' AND attempt = 2 AND attempted_by = $1", healthy.Name) == jobCount,
                "the frozen worker's jobs to complete on the other worker", workers);
        }
        finally
        {
            Signal("CONT", frozen.Pid);
        }

        var rescueTime = stoppedAt.Elapsed;
        var resumedAt = Stopwatch.StartNew();
        await Wait.UntilAsync(() => Task.FromResult(CountOccurrences(frozen.ReadLog(), "rescued while this worker was unresponsive") == jobCount),
            "the resumed worker to cancel its stale handlers", workers, TimeSpan.FromSeconds(10));
        var cancelTime = resumedAt.Elapsed;

        // Let anything the resumed worker might still write land, then check it wrote nothing.
        Assert.Equal(0, (await workers.StopAllAsync(TimeSpan.FromSeconds(60))).Values.Sum());
        Assert.Equal((long)jobCount, await schema.ScalarAsync<long>(
            "SELECT count(*) FROM {jobs} WHERE name = 'rel.slowEffect' AND state = 'completed' AND attempt = 2 AND attempted_by = $1", healthy.Name));
        Assert.Equal((long)jobCount, await schema.ScalarAsync<long>("SELECT count(DISTINCT job_id) FROM {effects}"));
        Assert.Equal((long)jobCount, await schema.ScalarAsync<long>("SELECT count(*) FROM {effects}"));
        Assert.Equal(0L, await schema.ScalarAsync<long>("SELECT count(*) FROM {effect_runs} WHERE pid = $1", frozen.Pid));
        Assert.True(cancelTime < TimeSpan.FromSeconds(2), $"The resumed worker took {cancelTime} to cancel its stale handlers.");

        Figures.Write(server, "A worker frozen with SIGSTOP while running jobs, then resumed (heartbeat 0.2 s, rescue after 1.5 s)", [
            ("SIGSTOP → its jobs completed on another worker", Figures.Seconds(rescueTime)),
            ("SIGCONT → its stale handlers cancelled", Figures.Seconds(cancelTime)),
            ("outcomes recorded by the resumed worker / effects per job", "0 / exactly 1"),
        ]);
    }

    [Fact(Timeout = 240_000)]
    public async Task RunningRowsLockedByAnotherSessionForThreeRescueIntervals_AreNeverRescued()
    {
        const int jobCount = 8;
        var schema = await server.CreateSchemaAsync("lockedrows");
        await schema.EnqueueAsync(async (jobs, tx) =>
        {
            await jobs.EnqueueRelStartEffectManyAsync(tx, Enumerable.Range(0, jobCount).Select(static i => new WorkItem(i, DelayMs: 9_000)),
                cancellationToken: TestContext.Current.CancellationToken);
            return default;
        });

        // Two workers, so whichever leads maintenance looks at the other's rows too; heartbeat 0.2 s, rescue after 1.5 s.
        await using var workers = new WorkerGroup(schema, 2);
        workers.StartAll();
        await Wait.UntilAsync(async () => await schema.CountInStateAsync("running", "rel.startEffect") == jobCount, "every job to run", workers);

        // A report's SELECT … FOR UPDATE over the running rows, held for three rescue intervals.
        await using (var connection = await schema.Server.DataSource.OpenConnectionAsync(TestContext.Current.CancellationToken))
        await using (var report = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken))
        {
            await using (var hold = new Npgsql.NpgsqlCommand($"SELECT id FROM \"{schema.Name}\".jobs WHERE state = 'running' FOR UPDATE", connection, report))
            {
                await hold.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            }

            await Task.Delay(TimeSpan.FromSeconds(4.5), TestContext.Current.CancellationToken);
            await report.CommitAsync(TestContext.Current.CancellationToken);
        }

        await Wait.UntilAsync(async () => await schema.CountUnfinishedAsync("rel.startEffect") == 0, "the jobs to finish", workers);
        var rescued = await schema.ScalarAsync<long>(
            "SELECT count(*) FROM {jobs}, jsonb_array_elements(errors) AS e WHERE name = 'rel.startEffect' AND e->>'kind' = 'rescued'");
        Assert.True(rescued == 0, $"{rescued} live jobs were rescued. {workers.Logs()}");
        Assert.Equal((long)jobCount, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE name = 'rel.startEffect' AND state = 'completed' AND attempt = 1"));
        Assert.Equal((long)jobCount, await schema.ScalarAsync<long>("SELECT count(*) FROM {effect_runs}"));
        Assert.Equal(0, (await workers.StopAllAsync(TimeSpan.FromSeconds(60))).Values.Sum());
    }

    [Fact(Timeout = 240_000)]
    public async Task FrozenWorker_WhenResumed_StartsNoneOfItsBufferedJobsThatCompletedElsewhere()
    {
        var schema = await server.CreateSchemaAsync("frozenbuffer");
        // Twenty run at once and twenty wait in the prefetch buffer (before a job finishes, the buffer holds one round of
        // slots). On resume the running handlers' delays have passed: twenty slots look for their next job at once.
        const int slots = 20;
        await schema.EnqueueAsync(async (jobs, tx) =>
        {
            await jobs.EnqueueRelStartEffectManyAsync(tx, Enumerable.Range(0, 2 * slots).Select(static i => new WorkItem(i, DelayMs: 2_000)),
                cancellationToken: TestContext.Current.CancellationToken);
            return default;
        });

        await using var workers = new WorkerGroup(schema, 2, new Dictionary<string, string> { ["QUEUES_CONCURRENCY"] = $"{slots}" });
        var frozen = workers.Start(0);
        await Wait.UntilAsync(async () => await schema.CountInStateAsync("running", "rel.startEffect") == 2 * slots
            && await schema.ScalarAsync<long>("SELECT count(*) FROM {effect_runs} WHERE pid = $1", frozen.Pid) == slots, "half the jobs to start and half to wait", workers);
        var healthy = workers.Start(1);
        await healthy.WaitReadyAsync(TimeSpan.FromSeconds(60));

        Signal("STOP", frozen.Pid);
        var stoppedAt = Stopwatch.StartNew();
        try
        {
            await Wait.UntilAsync(async () => await schema.ScalarAsync<long>(
                    "SELECT count(*) FROM {jobs} WHERE name = 'rel.startEffect' AND state = 'completed' AND attempted_by = $1", healthy.Name) == 2 * slots,
                "the frozen worker's jobs to complete on the other worker", workers);

            // Past the running handlers' delay: resumed, they return at once and their slots look for the next job.
            while (stoppedAt.Elapsed < TimeSpan.FromSeconds(3))
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }
        finally
        {
            Signal("CONT", frozen.Pid);
        }

        // Once a heartbeat of the resumed worker has landed, it knows the buffered jobs are not its own any more.
        var resumedAt = await schema.ScalarAsync<DateTime>("SELECT now()");
        await Wait.UntilAsync(async () => await schema.ScalarAsync<bool>(
                "SELECT coalesce((SELECT seen_at > $2::timestamptz FROM {nodes} WHERE name = $1), false)", frozen.Name, resumedAt),
            "a heartbeat of the resumed worker", workers, TimeSpan.FromSeconds(10));
        Assert.Equal(0, (await workers.StopAllAsync(TimeSpan.FromSeconds(60))).Values.Sum());
        var starts = await schema.ScalarAsync<string>(
            "SELECT coalesce(string_agg(job_id || '@' || attempt, ', ' ORDER BY job_id), '') FROM {effect_runs} WHERE pid = $1", frozen.Pid);
        Assert.True(starts.Split(", ").Length == slots, $"The resumed worker started jobs completed elsewhere: its starts were {starts}. {workers.Logs()}");
        Assert.Equal(2L * slots, await schema.ScalarAsync<long>("SELECT count(*) FROM {effect_runs} WHERE pid = $1", healthy.Pid));
    }

    [Fact(Timeout = 240_000)]
    public async Task WorkersStartedWhilePostgreSqlIsDown_WaitAndProcessOnceItIsBack()
    {
        const int jobCount = 200;
        var schema = await server.CreateSchemaAsync("outage");
        await schema.EnqueueWorkAsync(Enumerable.Range(0, jobCount).Select(static i => new WorkItem(i)));
        await using var workers = new WorkerGroup(schema, 2);

        await server.StopAsync();
        try
        {
            workers.StartAll();
            foreach (var worker in workers.All)
            {
                await worker.WaitReadyAsync(TimeSpan.FromSeconds(60));
            }

            await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
            Assert.All(workers.All, static w => Assert.False(w.HasExited, $"Worker {w.Name} exited while the database was down: {w.ReadLog()}"));
        }
        finally
        {
            await server.StartAsync();
        }

        await Wait.UntilAsync(async () => await schema.CountUnfinishedAsync() == 0, "the jobs to complete after the database came back", workers);
        Assert.All(workers.All, static w => Assert.False(w.HasExited, $"Worker {w.Name} exited: {w.ReadLog()}"));
        Assert.All(workers.All, static w => Assert.Contains("cannot reach its database yet", w.ReadLog(), StringComparison.Ordinal));
        Assert.Equal(0, (await workers.StopAllAsync(TimeSpan.FromSeconds(60))).Values.Sum());
        var audit = await RunAudit.ReadAsync(schema);
        audit.AssertNothingLost(jobCount, $"Logs in {workers.LogDirectory}");
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    private static int CountOccurrences(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
