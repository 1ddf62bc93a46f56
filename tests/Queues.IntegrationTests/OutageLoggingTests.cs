using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using Queues.IntegrationTests.Infrastructure;
using Queues.Tests.Shared;

namespace Queues.IntegrationTests;

/// <summary>
/// The database goes away under a running worker (a proxy in front of PostgreSQL drops every connection and refuses new
/// ones) and comes back. Each loop logs its first failure with the exception, then at most one summary line per
/// interval, then one line when it works again: not one stack trace per retry.
/// </summary>
public sealed class OutageLoggingTests(PostgresFixture fixture)
{
    private static readonly TimeSpan SummaryInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Down = TimeSpan.FromSeconds(4.5);

    [Fact(Timeout = 120_000)]
    public async Task AnOutage_LogsFirstFailureInFull_BoundedSummaries_AndOneRecoveryLinePerLoop()
    {
        await using var schema = await fixture.CreateSchemaAsync();
        var target = new NpgsqlConnectionStringBuilder(fixture.ConnectionString);
        await using var proxy = new TcpProxy(target.Port);
        var viaProxy = new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { Host = "127.0.0.1", Port = proxy.Port, Timeout = 3 }.ConnectionString;
        await using var worker = await TestWorker.StartAsync(schema, new Recorder(), options =>
        {
            options.ConnectionString = viaProxy;
            options.HeartbeatInterval = TimeSpan.FromMilliseconds(200);
            options.OutageSummaryInterval = SummaryInterval;
        });
        var logs = worker.Logs;
        await Eventually.TrueAsync(() => Task.FromResult(logs.Entries.Any(static e => e.EventId.Id == QueuesEventId.WorkerStarting)), what: static () => "the worker to start");
        await Task.Delay(500, TestContext.Current.CancellationToken); // every loop has run once

        var before = logs.Entries.Count;
        var clock = Stopwatch.StartNew();
        proxy.Down();
        await Task.Delay(Down, TestContext.Current.CancellationToken);
        proxy.Up();
        var down = clock.Elapsed;

        // Every loop that failed says once that it works again.
        string[] mustRecover = ["The heartbeat", "The poll for due jobs", $"Maintenance of schema {schema.Name}", .. TestMode.PollOnly ? Array.Empty<string>() : ["The LISTEN connection"]];
        await Eventually.TrueAsync(() => Task.FromResult(mustRecover.All(loop => Since(logs, before).Any(e => e.EventId.Id == QueuesEventId.OutageEnded && e.Message.StartsWith(loop, StringComparison.Ordinal)))
            && Since(logs, before).Count(static e => e.EventId.Id == QueuesEventId.OutageEnded) == Since(logs, before).Count(static e => e.Exception is not null)),
            TimeSpan.FromSeconds(30), () => "a recovery line for every loop that failed:\n" + string.Join("\n", Since(logs, before).Select(static e => $"{e.EventId.Id} {e.Message}")));
        await Task.Delay(500, TestContext.Current.CancellationToken); // late lines would show here
        var window = Since(logs, before);
        var described = string.Join("\n", window.Select(static e => $"{e.Level} {e.EventId.Id} {e.Message}{(e.Exception is null ? "" : " [exception]")}"));

        // 1. The first failure of each loop is logged with its exception, once. Two loops log MaintenanceFailed: the
        //    leader and its queue watch; ClaimFailed one per queue whose loop was claiming (one recovery line each).
        var withException = window.Where(static e => e.Exception is not null).ToList();
        var claimOutages = window.Count(static e => e.EventId.Id == QueuesEventId.OutageEnded && e.Message.StartsWith("Claiming jobs of queue", StringComparison.Ordinal));
        Assert.NotEmpty(withException);
        foreach (var group in withException.GroupBy(static e => e.EventId.Id))
        {
            Assert.True(group.Count() <= (group.Key == QueuesEventId.MaintenanceFailed ? 2 : group.Key == QueuesEventId.ClaimFailed ? claimOutages : 1), $"Event {group.Key} was logged with an exception {group.Count()} times:\n{described}");
        }

        foreach (var first in new[] { QueuesEventId.HeartbeatFailed, QueuesEventId.PollFailed, QueuesEventId.MaintenanceFailed })
        {
            Assert.True(withException.Any(e => e.EventId.Id == first), $"No first failure {first} with its exception:\n{described}");
        }

        // 2. Summaries: no stack trace, at most one per loop per interval, and the heartbeat (retrying every 200 ms) has some.
        var summaries = window.Where(static e => e.EventId.Id == QueuesEventId.OutageContinues).ToList();
        Assert.All(summaries, static e => Assert.Null(e.Exception));
        var perLoop = (int)Math.Ceiling(down / SummaryInterval) + 1;
        foreach (var loop in summaries.GroupBy(static e => e.Message[..e.Message.IndexOf(" still fails", StringComparison.Ordinal)]))
        {
            Assert.True(loop.Count() <= perLoop, $"{loop.Key}: {loop.Count()} summary lines in {down.TotalSeconds:F1} s (at most {perLoop}):\n{described}");
        }

        Assert.Contains(summaries, static e => e.Message.StartsWith("The heartbeat still fails", StringComparison.Ordinal));

        // 3. One recovery line per outage, saying how long it lasted; nothing else above Information with a trace.
        var recoveries = window.Where(static e => e.EventId.Id == QueuesEventId.OutageEnded).ToList();
        Assert.Equal(recoveries.Count, recoveries.Select(static e => e.Message[..e.Message.IndexOf(" works again", StringComparison.Ordinal)]).Distinct().Count());
        Assert.Equal(withException.Count, recoveries.Count);
        Assert.All(recoveries, static e => Assert.Matches(@"after \d+ ms of failures", e.Message));
        Assert.True(window.Count(static e => e.Level >= LogLevel.Warning) <= withException.Count + summaries.Count,
            $"Unexpected warnings:\n{described}");
    }

    private static List<LogEntry> Since(CapturedLogs logs, int count) => [.. logs.Entries.Skip(count)];
}
