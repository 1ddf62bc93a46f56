using System.Diagnostics;
using Queues.ReliabilityTests.Infrastructure;

namespace Queues.ReliabilityTests;

/// <summary>SIGTERM to a worker with jobs in flight: they finish or are put back; after a clean stop nothing is left running.</summary>
public sealed class ShutdownTests(ReliabilityServer server) : IClassFixture<ReliabilityServer>
{
    [Fact(Timeout = 180_000)]
    public async Task Sigterm_WithJobsInFlight_LetsThemFinishAndLeavesNothingRunning()
    {
        const int jobCount = 400;
        var schema = await server.CreateSchemaAsync("drain");
        await schema.EnqueueWorkAsync(Enumerable.Range(0, jobCount).Select(static i => new WorkItem(i, DelayMs: 250)));
        // No claiming ahead, so "running" in the table means a handler runs (prefetched jobs are released at a stop:
        // tests/Queues.IntegrationTests/PrefetchTests.cs).
        await using var workers = new WorkerGroup(schema, 1, new Dictionary<string, string> { ["QUEUES_SHUTDOWN_MS"] = "10000", ["QUEUES_PREFETCH"] = "0" });
        var worker = workers.Start(0);
        await Wait.UntilAsync(async () => await schema.CountInStateAsync("completed") >= 40, "40 jobs to complete", workers);
        await worker.WaitReadyAsync(TimeSpan.FromSeconds(30));

        var inFlight = await schema.ScalarAsync<long[]>("SELECT coalesce(array_agg(id), '{}') FROM {jobs} WHERE state = 'running'");
        var clock = Stopwatch.StartNew();
        var exit = await worker.StopAsync(TimeSpan.FromSeconds(60));
        var stopTime = clock.Elapsed;

        Assert.Equal(0, exit);
        Assert.True(inFlight.Length > 0, "No job was running when the worker was stopped.");
        Assert.Equal(0L, await schema.CountInStateAsync("running"));
        Assert.Equal((long)inFlight.Length, await schema.ScalarAsync<long>(
            "SELECT count(*) FROM {jobs} WHERE id = ANY($1) AND state = 'completed' AND attempt = 1", inFlight));
        Assert.Equal(0L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE state = 'available' AND attempt <> 0"));
        var completedAtStop = await schema.CountInStateAsync("completed");
        Assert.Equal(completedAtStop, await schema.ScalarAsync<long>("SELECT count(*) FROM {runs}"));

        // The rest runs on the next worker, each job once.
        workers.Start(0);
        await Wait.UntilAsync(async () => await schema.CountUnfinishedAsync() == 0, "the remaining jobs to complete", workers);
        Assert.Equal(0, await workers[0].StopAsync(TimeSpan.FromSeconds(60)));
        var audit = await RunAudit.ReadAsync(schema);
        audit.AssertNothingLost(jobCount, $"Logs in {workers.LogDirectory}");
        Assert.Empty(audit.ExtraRuns);
        Assert.Empty(audit.ErrorKinds);

        Figures.Write(server, "SIGTERM with jobs in flight, within the grace period", [
            ("jobs running at SIGTERM (250 ms each)", Figures.Format(inFlight.Length)),
            ("… completed before the process exited", Figures.Format(inFlight.Length)),
            ("SIGTERM → exit (code 0)", Figures.Seconds(stopTime)),
            ("jobs left running / run twice / lost", "0 / 0 / 0"),
        ]);
    }

    [Fact(Timeout = 180_000)]
    public async Task Sigterm_WithJobsOutlastingTheGracePeriod_PutsThemBackAvailableAndLeavesNothingRunning()
    {
        var schema = await server.CreateSchemaAsync("release");
        // Ten handlers that honour cancellation but need a minute, and one that ignores it and never returns.
        await schema.EnqueueWorkAsync(Enumerable.Range(0, 10).Select(static i => new WorkItem(i, DelayMs: 60_000)));
        await schema.EnqueueAsync(static (jobs, tx) => jobs.EnqueueRelForeverAsync(tx, new WorkItem(-1)));
        await using var workers = new WorkerGroup(schema, 1, new Dictionary<string, string> { ["QUEUES_SHUTDOWN_MS"] = "1000" });
        var worker = workers.Start(0);
        await Wait.UntilAsync(async () => await schema.CountInStateAsync("running") == 11, "all 11 jobs to run", workers);

        var clock = Stopwatch.StartNew();
        var exit = await worker.StopAsync(TimeSpan.FromSeconds(60));
        var stopTime = clock.Elapsed;

        Assert.Equal(0, exit);
        Assert.Equal(0L, await schema.CountInStateAsync("running"));
        // Back as they were before the claim: available, the interrupted attempt not counted, nothing recorded as run.
        Assert.Equal(11L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE state = 'available' AND attempt = 0"));
        Assert.Equal(0L, await schema.ScalarAsync<long>("SELECT count(*) FROM {runs}"));
        // The grace period, then the abandon delay for the handler that ignores its token: seconds, not a hang.
        Assert.True(stopTime < TimeSpan.FromSeconds(20), $"The worker took {stopTime} to stop.");
        Assert.Contains("put back as available", worker.ReadLog(), StringComparison.Ordinal);

        Figures.Write(server, "SIGTERM with jobs outlasting the grace period (1 s)", [
            ("jobs running at SIGTERM (10 honour cancellation, 1 never returns)", "11"),
            ("… put back as available, attempt not counted", "11"),
            ("SIGTERM → exit (code 0)", Figures.Seconds(stopTime)),
            ("jobs left running", "0"),
        ]);
    }
}
