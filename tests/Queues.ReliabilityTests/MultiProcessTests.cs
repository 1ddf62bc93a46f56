using System.Diagnostics;
using Queues.ReliabilityTests.Infrastructure;

namespace Queues.ReliabilityTests;

/// <summary>Worker processes killed with SIGKILL while they run jobs: nothing is lost, and only killed runs repeat.</summary>
public sealed class MultiProcessTests(ReliabilityServer server) : IClassFixture<ReliabilityServer>
{
    private const int JobCount = 20_000;
    private const int RolledBack = 1_000;
    private const int EffectJobs = 3_000;
    private const int WorkerCount = 3;
    private static readonly TimeSpan KillEvery = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4);

    // The worker's defaults (see its Program.cs): a heartbeat every 200 ms, rescue after 1.5 s without one.
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan RescueAfter = TimeSpan.FromMilliseconds(1_500);

    // Seconds, not hours: a generous bound that holds even when the maintenance leader is among the killed, since its
    // lease (a third of RescueAfter, at least 1 s) must expire before another worker rescues anything.
    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 360_000)]
    public async Task TwentyThousandJobs_ThreeWorkersOneKilledEveryTwoSeconds_AllCompleteAndOnlyKilledRunsRepeat()
    {
        var schema = await server.CreateSchemaAsync("multi");
        Assert.Equal(JobCount, await schema.EnqueueWorkAsync(Enumerable.Range(0, JobCount).Select(static i => new WorkItem(i))));
        // Enqueued in a transaction that rolls back: these must never run.
        await schema.EnqueueWorkAsync(Enumerable.Range(JobCount, RolledBack).Select(static i => new WorkItem(i)), commit: false);

        // Jobs whose effect is written in their own transaction (JobContext.GetTransactionAsync): exactly once, kills or not.
        await schema.EnqueueAsync(async (jobs, tx) =>
        {
            await jobs.EnqueueRelEffectManyAsync(tx, Enumerable.Range(0, EffectJobs).Select(static i => new WorkItem(i)), cancellationToken: TestContext.Current.CancellationToken);
            return default;
        });

        await using var workers = new WorkerGroup(schema, WorkerCount);
        var clock = Stopwatch.StartNew();
        workers.StartAll();
        var lastKill = clock.Elapsed;
        var slot = 0;
        var leaderKills = new HashSet<string>(StringComparer.Ordinal);
        while (await schema.CountUnfinishedAsync() + await schema.CountUnfinishedAsync("rel.effect") > 0)
        {
            Assert.True(clock.Elapsed < Deadline,
                $"Not finished after {Deadline}: {await schema.DescribeStatesAsync()}. Logs in {workers.LogDirectory}\n{workers.Logs()}");
            if (clock.Elapsed - lastKill >= KillEvery)
            {
                if (await schema.LeaseHolderAsync() == workers[slot].Name)
                {
                    leaderKills.Add(workers[slot].Name);
                }

                await workers.KillAndRestartAsync(slot);
                slot = (slot + 1) % WorkerCount;
                lastKill = clock.Elapsed;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        var finished = clock.Elapsed;
        var exits = await workers.StopAllAsync(TimeSpan.FromSeconds(30));
        Assert.All(exits, static e => Assert.True(e.Value == 0, $"Worker {e.Key} exited with {e.Value} after SIGTERM."));

        var audit = await RunAudit.ReadAsync(schema);
        var killed = workers.Killed;
        var context = $"Jobs: {await schema.DescribeStatesAsync()}; errors: {RunAudit.Describe(audit.ErrorKinds)}. Logs in {workers.LogDirectory}";
        audit.AssertNothingLost(JobCount, context);
        Assert.Equal(0L, await schema.ScalarAsync<long>("SELECT count(*) FROM {runs} WHERE sequence >= $1", JobCount));

        // Exactly-once effects: every effect job completed with one effect row, however often its handler ran.
        Assert.Equal((long)EffectJobs, await schema.CountInStateAsync("completed", "rel.effect"));
        Assert.Equal((long)EffectJobs, await schema.ScalarAsync<long>($"SELECT count(*) FROM \"{schema.Name}\".effects"));
        Assert.Equal((long)EffectJobs, await schema.ScalarAsync<long>($"SELECT count(DISTINCT job_id) FROM \"{schema.Name}\".effects"));
        var effectReruns = await schema.ScalarAsync<long>(
            $"SELECT count(*) FROM (SELECT job_id FROM \"{schema.Name}\".effect_runs GROUP BY job_id HAVING count(*) > 1) AS again");
        var effectRerunsUnexplained = await schema.ScalarAsync<long>($"""
            SELECT count(*) FROM "{schema.Name}".effect_runs r
            WHERE r.pid <> ALL ($1) AND EXISTS (SELECT 1 FROM "{schema.Name}".effect_runs o WHERE o.job_id = r.job_id AND o.attempt > r.attempt)
            """, killed.Select(static w => w.Pid).ToArray());
        Assert.Equal(0L, effectRerunsUnexplained);

        // Only killed processes may have left a run whose completion was lost; only their jobs may have been rescued.
        var killedPids = killed.Select(static w => w.Pid).ToHashSet();
        var killedByName = killed.ToDictionary(static w => w.Name, static w => w.KilledAt!.Value);
        var unexplained = audit.ExtraRuns.Where(r => !killedPids.Contains(r.Pid)).ToList();
        Assert.True(unexplained.Count == 0,
            $"{unexplained.Count} jobs ran again although the worker that first ran them was not killed, e.g. {unexplained.FirstOrDefault()}. {context}");
        Assert.True(audit.ErrorKinds.Keys.All(static k => k == "rescued"), $"Errors other than rescues: {RunAudit.Describe(audit.ErrorKinds)}. {context}");
        var liveRescued = audit.Rescues.Where(r => r.Worker is null || !killedByName.ContainsKey(r.Worker)).ToList();
        Assert.True(liveRescued.Count == 0, $"{liveRescued.Count} jobs of a live worker were rescued, e.g. {liveRescued.FirstOrDefault()}. {context}");

        // Recovery: from the SIGKILL to the rescue of the worker's jobs (then they wait their turn behind the backlog); apart for the kills
        // of the maintenance leader, whose death also stops rescues until its lease expires.
        var rescueDelays = audit.Rescues.Select(r => r.RescuedAt - killedByName[r.Worker!]).Order().ToList();
        var followerRescueDelays = audit.Rescues.Where(r => !leaderKills.Contains(r.Worker!))
            .Select(r => r.RescuedAt - killedByName[r.Worker!]).Order().ToList();
        var leaderRescueDelays = audit.Rescues.Where(r => leaderKills.Contains(r.Worker!))
            .Select(r => r.RescuedAt - killedByName[r.Worker!]).Order().ToList();
        Assert.True(rescueDelays.Count > 0, $"{killed.Count} kills rescued no job: the kills did not interrupt anything. {context}");
        Assert.True(rescueDelays[^1] < RecoveryBound,
            $"A killed worker's job was rescued only {rescueDelays[^1]} after the kill (bound {RecoveryBound}). {context}");

        Figures.Write(server, "Multi-process: SIGKILL every 2 s", [
            ("jobs enqueued (one bulk COPY)", Figures.Format(JobCount)),
            ("jobs enqueued in a transaction rolled back / of them run", $"{Figures.Format(RolledBack)} / 0"),
            ("worker processes at a time (concurrency 20 each)", Figures.Format(WorkerCount)),
            ("workers killed with SIGKILL (each restarted at once)", Figures.Format(killed.Count)),
            ("worker processes started in all", Figures.Format(workers.All.Count)),
            ("time until every job completed", Figures.Seconds(finished)),
            ("throughput, kills included (work and transactional jobs)", Figures.Format((JobCount + EffectJobs) / finished.TotalSeconds) + " jobs/s"),
            ("jobs rescued from killed workers", Figures.Format(audit.Rescues.Count)),
            ("jobs run more than once (handler finished, completion lost to the kill)", Figures.Format(audit.ExtraRuns.Count)),
            ("… of which not explained by a kill", Figures.Format(unexplained.Count)),
            ("jobs lost", Figures.Format(JobCount - audit.SequencesRun)),
            ("transactional jobs (effect written via JobContext.GetTransactionAsync)", Figures.Format(EffectJobs)),
            ("… whose handler ran more than once (killed before its commit)", Figures.Format(effectReruns)),
            ("… with their effect committed other than exactly once", "0"),
            ("attempts run twice / runs of one job overlapping", $"{audit.AttemptsRunTwice} / {audit.OverlappingRuns}"),
            ("kills that hit the maintenance leader", Figures.Format(leaderKills.Count)),
            ("kill → rescue, median / max, all kills", Describe(rescueDelays)),
            ("kill → rescue, median / max, a non-leader killed", Describe(followerRescueDelays)),
            ("kill → rescue, median / max, the leader killed", Describe(leaderRescueDelays)),
            ("heartbeat interval / rescue after", $"{Figures.Seconds(HeartbeatInterval)} / {Figures.Seconds(RescueAfter)}"),
        ]);
    }

    private static string Describe(List<TimeSpan> sorted)
        => sorted.Count == 0 ? "n/a" : $"{Figures.Seconds(sorted[sorted.Count / 2])} / {Figures.Seconds(sorted[^1])}";
}
