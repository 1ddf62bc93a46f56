using Queues.Internal.Telemetry;

namespace Queues.Internal;

/// <summary>A queue holding due jobs that no live worker serves: how many, and how long the oldest has been due.</summary>
internal sealed record UnservedQueue(string Queue, long Count, double OldestSeconds);

/// <summary>A session holding an old snapshot (or transaction id), so vacuum cannot remove what jobs leave dead.</summary>
internal sealed record OldSnapshot(int Pid, string User, string Application, string State, double AgeSeconds);

/// <summary>The maintenance lease as stored: who holds it and whether it is still valid.</summary>
internal sealed record LeaderLease(string Holder, bool Valid);

internal sealed partial class JobStore
{
    /// <summary>Unfinished jobs by queue and state, with the age of each queue's oldest available job (gauges, health).</summary>
    public async Task<List<QueueStat>> QueueStatsAsync(CancellationToken cancellationToken)
    {
        using var command = Command(Sql.QueueStats);
        return await ReadAllAsync(command, static r => new QueueStat(r.GetString(0), r.GetString(1), r.GetInt64(2), r.IsDBNull(3) ? null : r.GetDouble(3)),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The maintenance lease, or null when there is none.</summary>
    public async Task<LeaderLease?> GetLeaderLeaseAsync(CancellationToken cancellationToken)
    {
        using var command = Command(Sql.LeaderLease);
        var rows = await ReadAllAsync(command, static r => new LeaderLease(r.GetString(0), r.GetBoolean(1)), cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>
    /// Queues with jobs due for longer than <paramref name="dueFor"/> that no live worker serves. Until the schema
    /// records live workers and their queues, "served" means: one of <paramref name="localQueues"/> (this process's),
    /// or a job of the queue is running somewhere. With a nodes table, this method (and its statement's <c>served</c>
    /// CTE) is the only change: serve from the nodes seen recently instead.
    /// </summary>
    public async Task<List<UnservedQueue>> UnservedQueuesAsync(string[] localQueues, TimeSpan dueFor, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.UnservedQueues, Parameters.TextArray(localQueues), Parameters.Interval(dueFor));
        return await ReadAllAsync(command, static r => new UnservedQueue(r.GetString(0), r.GetInt64(1), r.GetDouble(2)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sessions whose transaction began more than <paramref name="olderThan"/> ago and holds back vacuum, oldest first.</summary>
    public async Task<List<OldSnapshot>> OldSnapshotsAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.OldSnapshots, Parameters.Interval(olderThan));
        return await ReadAllAsync(command, static r => new OldSnapshot(r.GetInt32(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetDouble(4)),
            cancellationToken).ConfigureAwait(false);
    }
}
