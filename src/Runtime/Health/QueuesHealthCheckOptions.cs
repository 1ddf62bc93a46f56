namespace Queues;

/// <summary>Thresholds of the Queues health checks, set in <c>AddHealthChecks().AddQueues(o => ...)</c>.</summary>
public sealed class QueuesHealthCheckOptions
{
    /// <summary>The default of <see cref="MaxAvailableAge"/>: five minutes.</summary>
    public static readonly TimeSpan DefaultMaxAvailableAge = TimeSpan.FromMinutes(5);

    /// <summary>The default of <see cref="UnservedAfter"/>: one minute.</summary>
    public static readonly TimeSpan DefaultUnservedAfter = TimeSpan.FromMinutes(1);

    /// <summary>The default of <see cref="MaxSnapshotAge"/>: five minutes.</summary>
    public static readonly TimeSpan DefaultMaxSnapshotAge = TimeSpan.FromMinutes(5);

    /// <summary>The default of <see cref="LoopStaleAfter"/>: thirty seconds.</summary>
    public static readonly TimeSpan DefaultLoopStaleAfter = TimeSpan.FromSeconds(30);

    /// <summary>
    /// <c>queues.backlog</c> fails when a queue's oldest available job has been due longer than this. Null turns the
    /// check off. Defaults to <see cref="DefaultMaxAvailableAge"/>.
    /// </summary>
    public TimeSpan? MaxAvailableAge { get; set; } = DefaultMaxAvailableAge;

    /// <summary>
    /// <c>queues.unserved</c> fails when a queue holds jobs due longer than this that no live worker serves. Defaults to
    /// <see cref="DefaultUnservedAfter"/>.
    /// </summary>
    public TimeSpan UnservedAfter { get; set; } = DefaultUnservedAfter;

    /// <summary>
    /// <c>queues.worker</c> fails when one of this process's worker loops has not completed an iteration for this long
    /// (or three of its intervals, when longer): it crashed, hangs, or cannot reach the database. Defaults to
    /// <see cref="DefaultLoopStaleAfter"/>.
    /// </summary>
    public TimeSpan LoopStaleAfter { get; set; } = DefaultLoopStaleAfter;

    /// <summary>
    /// <c>queues.snapshots</c> reports <c>Degraded</c> when a session's transaction has held a snapshot (or a transaction
    /// id) longer than this: vacuum cannot remove what claims and completions leave dead meanwhile, so claims slow down
    /// (docs/operations.md has the measured figures). It names the sessions' pids, users and applications. The role
    /// sees only its own sessions unless granted <c>pg_monitor</c>. Null turns the check off. Defaults to
    /// <see cref="DefaultMaxSnapshotAge"/>.
    /// </summary>
    public TimeSpan? MaxSnapshotAge { get; set; } = DefaultMaxSnapshotAge;

    /// <summary>The status a failing check reports; null for <c>Unhealthy</c>.</summary>
    public Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus? FailureStatus { get; set; }

    /// <summary>Tags added to every Queues check (each also carries <c>queues</c>), for filtering in <c>MapHealthChecks</c>.</summary>
    public IList<string> Tags { get; } = [];
}
