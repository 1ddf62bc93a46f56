namespace Queues;

/// <summary>A snapshot of one job row.</summary>
public sealed class JobInfo
{
    internal JobInfo() { }

    /// <summary>The job's identity.</summary>
    public required JobId Id { get; init; }

    /// <summary>The durable job name.</summary>
    public required string Name { get; init; }

    /// <summary>The queue.</summary>
    public required string Queue { get; init; }

    /// <summary>The lifecycle state.</summary>
    public required JobState State { get; init; }

    /// <summary>The priority; lower runs first.</summary>
    public required short Priority { get; init; }

    /// <summary>The payload as stored (JSON text).</summary>
    public required string Payload { get; init; }

    /// <summary>Attempts made so far.</summary>
    public required int Attempt { get; init; }

    /// <summary>Attempts allowed before the job is discarded.</summary>
    public required int MaxAttempts { get; init; }

    /// <summary>When the job runs (or ran) at the earliest.</summary>
    public required DateTimeOffset RunAt { get; init; }

    /// <summary>When the job was inserted.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the last attempt started.</summary>
    public required DateTimeOffset? AttemptedAt { get; init; }

    /// <summary>When the job reached a final state.</summary>
    public required DateTimeOffset? FinalizedAt { get; init; }

    /// <summary>One entry per failed attempt, oldest first.</summary>
    public required IReadOnlyList<JobError> Errors { get; init; }

    /// <summary>The latest heartbeat of the running attempt (set by the claim, renewed by the worker); null before the first claim.</summary>
    public DateTimeOffset? HeartbeatAt { get; init; }

    /// <summary>The worker node that claimed the last attempt (its <see cref="QueuesOptions.WorkerName"/>); null before the first claim or after a retry.</summary>
    public string? AttemptedBy { get; init; }

    /// <summary>
    /// Running, with a heartbeat older than the rescue threshold (<see cref="QueuesAdmin.RescueAfter"/>): its worker
    /// has stopped beating for it, and unless that worker is still seen alive the maintenance leader will rescue it.
    /// False in every other state.
    /// </summary>
    public bool IsStale { get; init; }
}

/// <summary>The record of one failed attempt.</summary>
/// <param name="Attempt">The attempt that failed.</param>
/// <param name="At">When it failed.</param>
/// <param name="Kind">What failed: <c>exception</c> (the handler threw), <c>payload</c> (unreadable payload) or <c>unknown_job</c>.</param>
/// <param name="Type">The exception's type name, if any.</param>
/// <param name="Message">What went wrong.</param>
/// <param name="Trace">The stack trace, if any.</param>
public sealed record JobError(int Attempt, DateTimeOffset At, string Kind, string? Type, string Message, string? Trace);
