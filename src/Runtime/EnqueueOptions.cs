namespace Queues;

/// <summary>Per-call options that override a job's defaults when it is enqueued.</summary>
public sealed class EnqueueOptions
{
    /// <summary>Run the job no earlier than this instant. When null or in the past, the job is available at once.</summary>
    public DateTimeOffset? RunAt { get; init; }

    /// <summary>Run the job no earlier than this delay after the inserting statement. Ignored when <see cref="RunAt"/> is set.</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>The priority (lower runs first), overriding the attribute's.</summary>
    public short? Priority { get; init; }

    /// <summary>The queue, overriding the attribute's.</summary>
    public string? Queue { get; init; }

    /// <summary>The maximum number of attempts, overriding the attribute's.</summary>
    public int? MaxAttempts { get; init; }
}
