namespace Queues.Internal;

/// <summary>
/// A row returned by the claim statement: the job a worker now runs at <see cref="Attempt"/>. Every outcome write is
/// guarded by (id, attempt), so <see cref="Key"/> is what identifies this run.
/// <see cref="RunAt"/> (when it became due), <see cref="AttemptedAt"/> (this claim) and <see cref="TraceContext"/> (the
/// enqueuer's W3C trace context, see <c>Telemetry/TraceContext.cs</c>) feed traces and metrics; <see cref="RunAt"/> and
/// <see cref="Priority"/> also move the fetch loop's <see cref="ClaimWalk"/>.
/// </summary>
internal sealed record ClaimedJob(long Id, string Name, string Queue, byte[] Payload, short Attempt, short MaxAttempts, DateTimeOffset CreatedAt,
    DateTimeOffset? RunAt = null, DateTimeOffset? AttemptedAt = null, string? TraceContext = null, short Priority = 0)
{
    public RunKey Key => new(Id, Attempt);
}

/// <summary>One attempt of one job: what the guarded outcome statements match on.</summary>
internal readonly record struct RunKey(long Id, short Attempt);

/// <summary>
/// A running row under this worker's name that the worker does not track, as read: its run is identified by the claim
/// that made it (attempt and attempted_at), so a later claim of the same row is never taken for it.
/// </summary>
internal readonly record struct UntrackedRun(long Id, short Attempt, DateTime AttemptedAt);

/// <summary>An error appended to a job's <c>errors</c>: kind (<see cref="ErrorKinds"/>), exception type, message and stack trace.</summary>
internal sealed record ErrorRecord(string Kind, string? Type, string Message, string? Trace)
{
    public const int MaxMessageLength = 2_000;
    public const int MaxTraceLength = 8_000;
    public const int MaxTypeLength = 500;

    public static ErrorRecord From(string kind, Exception exception)
        => new(kind, exception.GetType().FullName, exception.Message, exception.StackTrace);
}

/// <summary>
/// One job to insert, its defaults and the per-call options already resolved (see <see cref="NewJobs"/>). A null
/// <see cref="RunAt"/> and <see cref="Delay"/> mean now; <see cref="UniqueKey"/> is set for a unique job.
/// </summary>
internal sealed record NewJob(
    string Name, string Queue, short Priority, short MaxAttempts,
    DateTimeOffset? RunAt, TimeSpan? Delay, byte[]? UniqueKey, string[]? UniqueStates)
{
    /// <summary>The enqueuer's W3C trace context (see <c>Telemetry/TraceContext.cs</c>), or null when no activity was current.</summary>
    public string? TraceContext { get; init; }

    public bool IsScheduled => RunAt is not null || Delay is not null;

    /// <summary>Available at once (by the caller's clock): worth waking workers for.</summary>
    public bool IsDueNow => (RunAt is null || RunAt <= DateTimeOffset.UtcNow) && Delay is null or { Ticks: <= 0 };
}
