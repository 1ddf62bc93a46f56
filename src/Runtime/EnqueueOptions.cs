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

    /// <summary>
    /// Makes this job unique by this key among jobs of the same name, whatever the payload (it overrides the job's
    /// <see cref="JobAttribute.UniqueBy"/>): while a job with the same name and key is in a state that counts, the
    /// enqueue inserts nothing and reports a duplicate. Null to use the job's own uniqueness, if any.
    /// </summary>
    public string? UniqueKey { get; init; }

    /// <summary>
    /// The finished states in which this job, once finished, keeps holding its unique key, overriding the job's
    /// <see cref="JobDefinition.UniqueStates"/>. It decides how long this job blocks later enqueues, not which earlier
    /// jobs block this one (each job carries its own).
    /// </summary>
    public UniqueStates? UniqueStates { get; init; }
}
