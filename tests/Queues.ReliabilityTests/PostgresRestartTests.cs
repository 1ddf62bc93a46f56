using System.Diagnostics;
using Queues.ReliabilityTests.Infrastructure;

namespace Queues.ReliabilityTests;

/// <summary>
/// The database goes away under running workers: their backends are terminated, the server is restarted cleanly, then
/// crashed (immediate shutdown, recovery from the WAL). On a durable server, as in production.
/// </summary>
public sealed class PostgresRestartTests(DurableReliabilityServer server) : IClassFixture<DurableReliabilityServer>
{
    private const int JobCount = 6_000;
    private const string WorkerBackends = "rel-worker";

    // RescueAfter must outlast the outage: while PostgreSQL is down no worker can heartbeat, so an outage longer than
    // RescueAfter makes live jobs look abandoned and they run again (allowed by at-least-once, but not what this test
    // is about). A restart here takes one to two seconds, plus the workers' reconnection backoff.
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["QUEUES_HEARTBEAT_MS"] = "500",
        ["QUEUES_RESCUE_MS"] = "5000",
    };

    [Fact(Timeout = 300_000)]
    public async Task BackendsTerminatedServerRestartedAndCrashed_RunStillCompletesWithNothingLost()
    {
        var schema = await server.CreateSchemaAsync("restart");
        Assert.Equal(JobCount, await schema.EnqueueWorkAsync(Enumerable.Range(0, JobCount).Select(static i => new WorkItem(i))));
        await using var workers = new WorkerGroup(schema, 2, Settings);
        var clock = Stopwatch.StartNew();
        workers.StartAll();

        // Each disruption once a further share of the jobs has completed, so all of them land mid-run.
        await WaitForCompletedAsync(schema, JobCount / 8, workers);
        var terminatedAt = DateTime.UtcNow;
        var terminated = await server.TerminateBackendsAsync(WorkerBackends);
        var afterTerminate = await MeasureRecoveryAsync(schema, clock.Elapsed, clock, workers);

        await WaitForCompletedAsync(schema, JobCount * 3 / 8, workers);
        var fastStart = clock.Elapsed;
        var fastAt = DateTime.UtcNow;
        await server.RestartAsync("fast");
        var fastOutage = clock.Elapsed - fastStart;
        var afterFast = await MeasureRecoveryAsync(schema, fastStart, clock, workers);

        await WaitForCompletedAsync(schema, JobCount * 5 / 8, workers);
        var crashStart = clock.Elapsed;
        var crashedAt = DateTime.UtcNow;
        await server.RestartAsync("immediate");
        var crashOutage = clock.Elapsed - crashStart;
        var crashOverAt = DateTime.UtcNow;
        var afterCrash = await MeasureRecoveryAsync(schema, crashStart, clock, workers);

        await Wait.UntilAsync(async () => await schema.CountUnfinishedAsync() == 0, "every job to finish", workers, TimeSpan.FromMinutes(3));
        var finished = clock.Elapsed;
        var exits = await workers.StopAllAsync(TimeSpan.FromSeconds(30));
        Assert.All(exits, static e => Assert.True(e.Value == 0, $"Worker {e.Key} exited with {e.Value} after SIGTERM."));

        var audit = await RunAudit.ReadAsync(schema);
        var context = $"Jobs: {await schema.DescribeStatesAsync()}; errors: {RunAudit.Describe(audit.ErrorKinds)}. Logs in {workers.LogDirectory}";
        Assert.True(terminated > 0, "No worker backend was found to terminate.");
        audit.AssertNothingLost(JobCount, context);
        Assert.Equal(0L, await schema.CountInStateAsync("running"));

        // A job runs twice only when PostgreSQL lost its completion: the asynchronous commit of the last moments
        // before the crash (until pg_ctl's immediate stop actually lands). A terminated connection or a clean restart
        // loses none: the worker retries the write.
        var crashWindowStart = crashedAt - TimeSpan.FromSeconds(1);
        var notLostToTheCrash = audit.ExtraRuns.Where(r => r.FinishedAt < crashWindowStart || r.FinishedAt > crashOverAt).ToList();
        string Phase(DateTime at) => at < terminatedAt ? "before the terminate" : at < fastAt ? "terminate→fast restart"
            : at < crashedAt ? "fast restart→crash" : at < crashOverAt ? "during the crash" : "after the crash";
        var examples = new List<string>();
        foreach (var run in notLostToTheCrash.Take(3))
        {
            examples.Add($"job {run.JobId}: errors {await schema.ScalarAsync<string>("SELECT errors::text FROM {jobs} WHERE id = $1", run.JobId)}, runs " +
                await schema.ScalarAsync<string>("SELECT string_agg(attempt || ' by ' || worker || ' ' || started_at::time || '-' || finished_at::time, '; ') FROM {runs} WHERE job_id = $1", run.JobId));
        }

        Assert.True(notLostToTheCrash.Count == 0,
            $"Marks: terminate {terminatedAt:HH:mm:ss.fff}, fast restart {fastAt:HH:mm:ss.fff}, crash {crashedAt:HH:mm:ss.fff}-{crashOverAt:HH:mm:ss.fff}. {string.Join("\n", examples)}\n" +
            $"{notLostToTheCrash.Count} jobs ran again although their first run did not end just before the crash; by when it ended: " +
            string.Join(", ", notLostToTheCrash.GroupBy(r => Phase(r.FinishedAt)).Select(static g => $"{g.Key}: {g.Count()}")) +
            $"; e.g. {notLostToTheCrash.FirstOrDefault()}. {context}");
        var lostWindow = audit.ExtraRuns.Count == 0 ? TimeSpan.Zero : audit.ExtraRuns.Max(static r => r.FinishedAt) - audit.ExtraRuns.Min(static r => r.FinishedAt);

        Figures.Write(server, "PostgreSQL restarted and crashed mid-run (durable server)", [
            ("jobs enqueued", Figures.Format(JobCount)),
            ("worker processes", Figures.Format(workers.Size)),
            ("worker backends terminated (pg_terminate_backend)", Figures.Format(terminated)),
            ("… → completions resumed", Figures.Seconds(afterTerminate)),
            ("pg_ctl restart -m fast: outage / → completions resumed", $"{Figures.Seconds(fastOutage)} / {Figures.Seconds(afterFast)}"),
            ("pg_ctl restart -m immediate (crash): outage / → completions resumed", $"{Figures.Seconds(crashOutage)} / {Figures.Seconds(afterCrash)}"),
            ("time until every job completed", Figures.Seconds(finished)),
            ("jobs rescued (claim or outcome lost with the connection)", Figures.Format(audit.Rescues.Count)),
            ("jobs run more than once (completion lost in the crash)", Figures.Format(audit.ExtraRuns.Count)),
            ("… their first runs ended within a window of", Figures.Seconds(lostWindow)),
            ("jobs lost", Figures.Format(JobCount - audit.SequencesRun)),
            ("attempts run twice / runs of one job overlapping", $"{audit.AttemptsRunTwice} / {audit.OverlappingRuns}"),
            ("errors recorded on the jobs", RunAudit.Describe(audit.ErrorKinds)),
            ("heartbeat interval / rescue after", "0.50 s / 5.00 s"),
        ]);
    }

    private static Task WaitForCompletedAsync(ReliabilitySchema schema, long count, WorkerGroup workers)
        => Wait.UntilAsync(async () => await schema.CountInStateAsync("completed") >= count, $"{count} jobs to complete", workers);

    /// <summary>Time from <paramref name="since"/> until jobs complete again: 50 more than when the server was back.</summary>
    private static async Task<TimeSpan> MeasureRecoveryAsync(ReliabilitySchema schema, TimeSpan since, Stopwatch clock, WorkerGroup workers)
    {
        var baseline = await schema.CountInStateAsync("completed");
        await Wait.UntilAsync(async () => await schema.CountInStateAsync("completed") >= Math.Min(baseline + 50, JobCount),
            "jobs to complete again", workers);
        return clock.Elapsed - since;
    }
}
