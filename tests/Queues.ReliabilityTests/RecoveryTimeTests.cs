using Queues.ReliabilityTests.Infrastructure;

namespace Queues.ReliabilityTests;

/// <summary>
/// How long a killed worker's jobs stay stuck: measured on long jobs, first killing a worker that is not the maintenance
/// leader (a live leader rescues them), then the leader itself (another worker takes the lease over, then rescues).
/// </summary>
public sealed class RecoveryTimeTests(ReliabilityServer server) : IClassFixture<ReliabilityServer>
{
    private const int PerWorker = 10;
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan RescueAfter = TimeSpan.FromMilliseconds(1_500);

    [Fact(Timeout = 180_000)]
    public async Task KilledWorkersJobs_AreRescuedWithinRescueAfterAndAHeartbeat_AndAfterALeaseTakeoverWhenTheLeaderDies()
    {
        var schema = await server.CreateSchemaAsync("recovery");
        // Jobs that outlive the test, so a worker holds exactly PerWorker of them and no slot frees up.
        await schema.EnqueueWorkAsync(Enumerable.Range(0, 3 * PerWorker).Select(static i => new WorkItem(i, DelayMs: 600_000)));
        await using var workers = new WorkerGroup(schema, 3, new Dictionary<string, string>
        {
            ["QUEUES_CONCURRENCY"] = PerWorker.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["QUEUES_SHUTDOWN_MS"] = "500",
            // No claiming ahead: each worker holds exactly PerWorker jobs, so each one's rescues can be counted.
            ["QUEUES_PREFETCH"] = "0",
        });
        workers.StartAll();
        await Wait.UntilAsync(async () => await schema.CountInStateAsync("running") == 3 * PerWorker, "every job to be claimed", workers);
        string? leaderName = null;
        await Wait.UntilAsync(async () => (leaderName = await schema.LeaseHolderAsync()) is not null, "a maintenance leader", workers);
        var leaderSlot = Enumerable.Range(0, 3).Single(s => workers[s].Name == leaderName);
        var followerSlot = (leaderSlot + 1) % 3;
        var survivorSlot = (leaderSlot + 2) % 3;
        var follower = workers[followerSlot];
        var leader = workers[leaderSlot];

        // A follower dies: the live leader rescues its jobs once their heartbeat is RescueAfter old.
        await follower.KillAsync();
        await Wait.UntilAsync(async () => await CountRescuedAsync(schema, follower.Name) == PerWorker, $"the jobs of {follower.Name} to be rescued", workers);
        var followerRecovery = await LatestRescueAsync(schema, follower.Name) - follower.KilledAt!.Value;

        // The leader dies: nobody rescues until its lease expires and another worker takes it over.
        await leader.KillAsync();
        await Wait.UntilAsync(async () => await CountRescuedAsync(schema, leader.Name) == PerWorker, $"the jobs of {leader.Name} to be rescued", workers);
        var leaderRecovery = await LatestRescueAsync(schema, leader.Name) - leader.KilledAt!.Value;
        var newLeader = await schema.LeaseHolderAsync();

        var exit = await workers[survivorSlot].StopAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, exit);
        Assert.Equal(workers[survivorSlot].Name, newLeader);
        Assert.Equal(0L, await schema.CountInStateAsync("running"));
        Assert.True(followerRecovery < RescueAfter + HeartbeatInterval + TimeSpan.FromSeconds(1.5),
            $"The jobs of a killed follower were rescued {followerRecovery} after the kill; expected about RescueAfter ({RescueAfter}) + a heartbeat ({HeartbeatInterval}).");
        // The lease is a third of RescueAfter, at least 1 s: the runtime derives it so a leader's death delays rescues
        // by about a lease, not by a fixed 10 s.
        var lease = TimeSpan.FromSeconds(1);
        Assert.True(leaderRecovery < lease + RescueAfter + HeartbeatInterval + TimeSpan.FromSeconds(3),
            $"The jobs of a killed leader were rescued {leaderRecovery} after the kill; expected about the lease ({lease}) + RescueAfter ({RescueAfter}).");

        Figures.Write(server, "Recovery time after a SIGKILL (jobs held: 10 per worker)", [
            ("heartbeat interval / rescue after", $"{Figures.Seconds(HeartbeatInterval)} / {Figures.Seconds(RescueAfter)}"),
            ("a follower killed → its last job rescued (by the live leader)", Figures.Seconds(followerRecovery)),
            ("the leader killed → its last job rescued (after a lease takeover)", Figures.Seconds(leaderRecovery)),
            ("jobs lost", "0"),
        ]);
    }

    private static Task<long> CountRescuedAsync(ReliabilitySchema schema, string worker) => schema.ScalarAsync<long>("""
        SELECT count(*) FROM {jobs}, jsonb_array_elements(errors) AS e
        WHERE e->>'kind' = 'rescued' AND e->>'message' LIKE '%worker ' || $1 || ' stopped heartbeating%'
        """, worker);

    private static Task<DateTime> LatestRescueAsync(ReliabilitySchema schema, string worker) => schema.ScalarAsync<DateTime>("""
        SELECT max((e->>'at')::timestamptz) FROM {jobs}, jsonb_array_elements(errors) AS e
        WHERE e->>'kind' = 'rescued' AND e->>'message' LIKE '%worker ' || $1 || ' stopped heartbeating%'
        """, worker);
}
