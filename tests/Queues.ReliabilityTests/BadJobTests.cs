using System.Diagnostics;
using Queues.ReliabilityTests.Infrastructure;

namespace Queues.ReliabilityTests;

/// <summary>Handlers that never return, payloads that cannot be read, handlers that always throw, names nobody handles: the other jobs still complete.</summary>
public sealed class BadJobTests(ReliabilityServer server) : IClassFixture<ReliabilityServer>
{
    private const int GoodJobs = 2_000;

    [Fact(Timeout = 180_000)]
    public async Task HangingHandlersAndPoisonPayloads_DoNotStopTheOtherJobs()
    {
        var schema = await server.CreateSchemaAsync("bad");
        var hang = new List<JobId>();
        var poison = new List<JobId>();
        for (var i = 0; i < 2; i++)
        {
            hang.Add(await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueRelHangAsync(tx, new WorkItem(-1))));
        }

        for (var i = 0; i < 3; i++)
        {
            poison.Add(await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueRelPoisonAsync(tx, new WorkItem(-1))));
        }

        var forever = await schema.EnqueueAsync(static (jobs, tx) => jobs.EnqueueRelForeverAsync(tx, new WorkItem(-1)));
        // Rows the generated code would never write: payloads that do not match the type, a name no handler has.
        var malformed = await schema.ScalarAsync<long[]>("""
            WITH inserted AS (
                INSERT INTO {jobs} (name, payload) VALUES ('rel.poison', '{"sequence": "not a number"}'), ('rel.poison', '"just a string"')
                RETURNING id)
            SELECT array_agg(id) FROM inserted
            """);
        var unknown = await schema.ScalarAsync<long>("INSERT INTO {jobs} (name, payload, max_attempts) VALUES ('rel.unknown', '{}', 1) RETURNING id");
        await schema.EnqueueWorkAsync(Enumerable.Range(0, GoodJobs).Select(static i => new WorkItem(i)));

        await using var workers = new WorkerGroup(schema, 1, new Dictionary<string, string>
        {
            ["QUEUES_CONCURRENCY"] = "10",
            ["QUEUES_SHUTDOWN_MS"] = "1000",
        });
        var clock = Stopwatch.StartNew();
        var worker = workers.Start(0);
        await Wait.UntilAsync(async () => await schema.CountUnfinishedAsync() == 0, "the good jobs to complete", workers);
        var goodDone = clock.Elapsed;
        await Wait.UntilAsync(async () => await schema.ScalarAsync<long>(
            "SELECT count(*) FROM {jobs} WHERE name <> 'rel.forever' AND finalized_at IS NULL") == 0, "the bad jobs to be discarded", workers);
        var badDone = clock.Elapsed;

        var audit = await RunAudit.ReadAsync(schema);
        audit.AssertNothingLost(GoodJobs, $"Logs in {workers.LogDirectory}");
        Assert.Empty(audit.ExtraRuns);
        Assert.Equal(GoodJobs, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE name = 'rel.work' AND attempt = 1"));

        // Each bad job ends discarded, its history saying why.
        foreach (var id in hang)
        {
            await AssertDiscardedAsync(schema, id.Value, attempts: 2, "timeout", "timeout");
        }

        foreach (var id in poison)
        {
            await AssertDiscardedAsync(schema, id.Value, attempts: 3, "exception", "exception", "exception");
        }

        foreach (var id in malformed)
        {
            await AssertDiscardedAsync(schema, id, attempts: 1, "payload");
        }

        await AssertDiscardedAsync(schema, unknown, attempts: 1, "unknown_job");

        // The handler without a timeout that never returns is still running: heartbeating, so never rescued.
        Assert.Equal("running", await schema.ScalarAsync<string>("SELECT state FROM {jobs} WHERE id = $1", forever.Value));
        Assert.True(await schema.ScalarAsync<bool>(
            "SELECT attempt = 1 AND errors = '[]' AND heartbeat_at > now() - interval '1 second' AND attempted_at < now() - interval '3 seconds' FROM {jobs} WHERE id = $1",
            forever.Value), "The never-returning job was rescued or stopped heartbeating although its worker is alive.");

        // A clean stop puts it back.
        Assert.Equal(0, await worker.StopAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal("available", await schema.ScalarAsync<string>("SELECT state FROM {jobs} WHERE id = $1", forever.Value));
        Assert.Equal(0L, await schema.CountInStateAsync("running"));

        Figures.Write(server, "Bad jobs among good ones (one worker, concurrency 10)", [
            ("good jobs, all completed once", Figures.Format(GoodJobs)),
            ("handlers that never return (1 s timeout, token ignored) → discarded after 2 attempts", Figures.Format(hang.Count)),
            ("handler that never returns, no timeout → kept running and heartbeating, put back on SIGTERM", "1"),
            ("handlers that always throw → discarded after 3 attempts", Figures.Format(poison.Count)),
            ("malformed payloads → discarded at once", Figures.Format(malformed.Length)),
            ("unknown job name, one attempt allowed → discarded after it (with more, retried for a newer worker)", "1"),
            ("time until the good jobs completed / the bad ones were discarded", $"{Figures.Seconds(goodDone)} / {Figures.Seconds(badDone)}"),
        ]);
    }

    private static async Task AssertDiscardedAsync(ReliabilitySchema schema, long id, int attempts, params string[] errorKinds)
    {
        Assert.Equal("discarded", await schema.ScalarAsync<string>("SELECT state FROM {jobs} WHERE id = $1", id));
        Assert.Equal(attempts, await schema.ScalarAsync<short>("SELECT attempt FROM {jobs} WHERE id = $1", id));
        Assert.Equal(errorKinds, await schema.ScalarAsync<string[]>(
            "SELECT array_agg(e.value->>'kind' ORDER BY e.ordinality) FROM {jobs}, jsonb_array_elements(errors) WITH ORDINALITY AS e(value, ordinality) WHERE id = $1", id));
    }
}
