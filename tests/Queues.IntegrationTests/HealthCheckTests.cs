using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

public sealed class HealthCheckTests(PostgresFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunningWorker_IsHealthyOnEveryCheck()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await using var worker = await StartAsync(schema);

        var report = await WaitForAsync(worker, static r => r.Status == HealthStatus.Healthy);

        Assert.Equal(
            [QueuesHealthChecks.Backlog, QueuesHealthChecks.Database, QueuesHealthChecks.Leader, QueuesHealthChecks.Schema, QueuesHealthChecks.Snapshots,
                QueuesHealthChecks.Unserved, QueuesHealthChecks.Worker],
            report.Entries.Keys.Order(StringComparer.Ordinal));
        Assert.All(report.Entries.Values, static e => Assert.Contains(QueuesHealthChecks.Tag, e.Tags));
        Assert.Contains("default", (IEnumerable<string>)report.Entries[QueuesHealthChecks.Worker].Data.Keys.Select(static k => k.Replace("claim:", "", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task UnreachableDatabase_IsUnhealthy_AndTheWorkerSaysItWaits()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await using var worker = await StartAsync(schema, static o => o.ConnectionString = "Host=127.0.0.1;Port=1;Timeout=2;Pooling=false");

        var report = await CheckAsync(worker);

        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Equal(HealthStatus.Unhealthy, report.Entries[QueuesHealthChecks.Database].Status);
        Assert.NotNull(report.Entries[QueuesHealthChecks.Database].Exception);
        Assert.Equal(HealthStatus.Unhealthy, report.Entries[QueuesHealthChecks.Worker].Status);
        Assert.Contains("waiting for its database", report.Entries[QueuesHealthChecks.Worker].Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SchemaNeverMigrated_FailsTheSchemaCheck_AndNoLeaderIsPresent()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await using var worker = await StartAsync(schema, static o =>
        {
            o.Schema = "never_migrated_" + Guid.NewGuid().ToString("N")[..8];
            o.ProcessJobs = false;
        });

        var report = await CheckAsync(worker);

        Assert.Equal(HealthStatus.Healthy, report.Entries[QueuesHealthChecks.Database].Status);
        Assert.Equal(HealthStatus.Unhealthy, report.Entries[QueuesHealthChecks.Schema].Status);
        Assert.Equal(0, report.Entries[QueuesHealthChecks.Schema].Data["version"]);
        Assert.Equal(HealthStatus.Healthy, report.Entries[QueuesHealthChecks.Worker].Status);
    }

    [Fact]
    public async Task NoWorkerRunning_MeansNoLeader()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await using var worker = await StartAsync(schema, static o => o.ProcessJobs = false);

        var report = await CheckAsync(worker);

        Assert.Equal(HealthStatus.Unhealthy, report.Entries[QueuesHealthChecks.Leader].Status);
        Assert.Contains("No worker leads maintenance", report.Entries[QueuesHealthChecks.Leader].Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StoppedWorker_FailsTheWorkerCheck()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await using var worker = await StartAsync(schema);
        await WaitForAsync(worker, static r => r.Entries[QueuesHealthChecks.Worker].Status == HealthStatus.Healthy);

        await worker.StopAsync();
        var report = await CheckAsync(worker);

        Assert.Equal(HealthStatus.Unhealthy, report.Entries[QueuesHealthChecks.Worker].Status);
        Assert.Contains("stopped", report.Entries[QueuesHealthChecks.Worker].Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClaimLoopBlockedOnTheDatabase_IsReportedStuck_UntilItMovesAgain()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await using var worker = await StartAsync(schema, health: static h => h.LoopStaleAfter = TimeSpan.FromSeconds(1));
        await WaitForAsync(worker, static r => r.Entries[QueuesHealthChecks.Worker].Status == HealthStatus.Healthy);

        // Every claim now waits for this lock: the loop hangs in its statement, as it would on a stuck connection.
        await using (var connection = await fixture.DataSource.OpenConnectionAsync(Ct))
        await using (var transaction = await connection.BeginTransactionAsync(Ct))
        {
            await using (var command = new Npgsql.NpgsqlCommand($"LOCK TABLE \"{schema.Name}\".jobs IN ACCESS EXCLUSIVE MODE", connection, transaction))
            {
                await command.ExecuteNonQueryAsync(Ct);
            }

            var stuck = await WaitForAsync(worker, static r => r.Entries[QueuesHealthChecks.Worker].Status == HealthStatus.Unhealthy);
            Assert.Contains("claim:default", stuck.Entries[QueuesHealthChecks.Worker].Description, StringComparison.Ordinal);
            await transaction.RollbackAsync(Ct);
        }

        await WaitForAsync(worker, static r => r.Entries[QueuesHealthChecks.Worker].Status == HealthStatus.Healthy);
    }

    [Fact]
    public async Task QueueWithOldJobsNobodyServes_FailsBacklogAndUnserved_AndTheLeaderWarnsOnce()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1),
            new EnqueueOptions { Queue = "nobody", RunAt = DateTimeOffset.UtcNow.AddHours(-1) }), 2);
        await using var worker = await StartAsync(schema, health: static h =>
        {
            h.MaxAvailableAge = TimeSpan.FromMinutes(10);
            h.UnservedAfter = TimeSpan.FromSeconds(30);
        });

        var report = await CheckAsync(worker);
        Assert.Equal(HealthStatus.Unhealthy, report.Entries[QueuesHealthChecks.Backlog].Status);
        Assert.Contains("nobody (2 available", report.Entries[QueuesHealthChecks.Backlog].Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Unhealthy, report.Entries[QueuesHealthChecks.Unserved].Status);
        Assert.Equal(2L, report.Entries[QueuesHealthChecks.Unserved].Data["nobody"]);

        await Eventually.TrueAsync(() => Task.FromResult(worker.Logs.Entries.Any(static e => e.EventId.Id == QueuesEventId.UnservedQueue)));
        var warning = Assert.Single(worker.Logs.Entries, static e => e.EventId.Id == QueuesEventId.UnservedQueue);
        Assert.Contains("Queue nobody", warning.Message, StringComparison.Ordinal);
        Assert.Contains("2 due jobs", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServedQueueAndFreshJobs_PassBacklogAndUnserved()
    {
        await using var schema = await fixture.CreateSchemaAsync();

        // Due an hour ago but in a queue this worker serves; and a fresh job in a queue nobody serves.
        await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItBlockingAsync(tx, new BlockingPayload("x"),
            new EnqueueOptions { RunAt = DateTimeOffset.UtcNow.AddHours(-1) }));
        await schema.EnqueueAsync((jobs, tx) => jobs.EnqueueItCountAsync(tx, new CountPayload(1), new EnqueueOptions { Queue = "nobody" }));
        var recorder = new Recorder();
        await using var worker = await StartAsync(schema, recorder: recorder);
        await recorder.WaitForRunsAsync(1);

        var report = await CheckAsync(worker);
        Assert.Equal(HealthStatus.Healthy, report.Entries[QueuesHealthChecks.Backlog].Status);
        Assert.Equal(HealthStatus.Healthy, report.Entries[QueuesHealthChecks.Unserved].Status);
    }

    [Fact]
    public async Task SessionHoldingAnOldSnapshot_DegradesTheSnapshotCheck_UntilItEnds()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        await using var worker = await StartAsync(schema, health: static h => h.MaxSnapshotAge = TimeSpan.FromSeconds(1));
        await using var holder = await fixture.DataSource.OpenConnectionAsync(Ct);
        var key = $"pid {holder.ProcessID}";

        // A report left open: its snapshot keeps every row version it could see, so vacuum cannot remove dead jobs.
        await using (var snapshot = await holder.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, Ct))
        {
            await using (var read = new Npgsql.NpgsqlCommand("SELECT count(*) FROM pg_class", holder, snapshot))
            {
                await read.ExecuteScalarAsync(Ct);
            }

            var report = await WaitForAsync(worker, r => r.Entries[QueuesHealthChecks.Snapshots].Data.ContainsKey(key));
            var entry = report.Entries[QueuesHealthChecks.Snapshots];
            Assert.Equal(HealthStatus.Degraded, entry.Status);
            Assert.Contains(key, entry.Description, StringComparison.Ordinal);
            Assert.Contains("idle in transaction", entry.Description, StringComparison.Ordinal);
            await snapshot.CommitAsync(Ct);
        }

        // Other tests' sessions share the server: only this one's absence is certain.
        Assert.DoesNotContain(key, (await CheckAsync(worker)).Entries[QueuesHealthChecks.Snapshots].Data.Keys);
    }

    private static Task<TestWorker> StartAsync(TestSchema schema, Action<QueuesOptions>? configure = null, Action<QueuesHealthCheckOptions>? health = null,
        Recorder? recorder = null)
        => TestWorker.StartAsync(schema, recorder ?? new Recorder(), configure, queues => queues.Services.AddHealthChecks().AddQueues(health));

    private static Task<HealthReport> CheckAsync(TestWorker worker) => worker.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(Ct);

    private static async Task<HealthReport> WaitForAsync(TestWorker worker, Func<HealthReport, bool> condition)
    {
        HealthReport? report = null;
        await Eventually.TrueAsync(async () => condition(report = await CheckAsync(worker)),
            what: () => "health: " + string.Join("; ", report?.Entries.Select(static e => $"{e.Key} {e.Value.Status} {e.Value.Description}") ?? []));
        return report!;
    }
}
