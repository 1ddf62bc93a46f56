namespace Queues;

/// <summary>
/// Marks a method as the handler of a durable job. The Queues source generator turns every marked method into a typed
/// <c>Enqueue{Name}Async(NpgsqlTransaction, payload, ...)</c> method on the generated <c>Jobs</c> class, a
/// reflection-free serializer for the payload and an entry in the dispatch table.
/// </summary>
/// <remarks>
/// The <see cref="Name"/> is the job's durable identity: it is stored in every row and must outlive renames of the
/// method or its type. Renaming the name itself is a data migration.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class JobAttribute : Attribute
{
    /// <summary>Marks a method as the handler of the job called <paramref name="name"/>.</summary>
    /// <param name="name">The durable job name, for example <c>"userOnboarding"</c>.</param>
    public JobAttribute(string name) => Name = name;

    /// <summary>The durable job name stored in each row.</summary>
    public string Name { get; }

    /// <summary>The queue the job is inserted into. Defaults to <c>"default"</c>.</summary>
    public string Queue { get; set; } = JobDefinition.DefaultQueue;

    /// <summary>The priority; lower runs first. Defaults to 0.</summary>
    public short Priority { get; set; }

    /// <summary>How many times the job is attempted before it is discarded. Defaults to 20.</summary>
    public int MaxAttempts { get; set; } = JobDefinition.DefaultMaxAttempts;

    /// <summary>
    /// Seconds one attempt may run before its cancellation token fires and the attempt counts as failed. 0 (the
    /// default) means no limit.
    /// </summary>
    public int TimeoutSeconds { get; set; }

    /// <summary>
    /// The base of this job's retry delay in seconds: attempt <c>n</c> waits <c>base × n⁴</c> seconds plus jitter.
    /// 0 (the default) uses <see cref="QueuesOptions.RetryDelay"/>.
    /// </summary>
    public double RetryBaseDelaySeconds { get; set; }

    /// <summary>
    /// Payload property names whose values make the job unique: enqueuing a job whose values match those of a job that
    /// has not finished (or one in <see cref="UniqueStates"/>) inserts nothing and reports a duplicate. Empty (the
    /// default) for no uniqueness. Use <c>nameof(Payload.Member)</c>.
    /// </summary>
    public string[] UniqueBy { get; set; } = [];

    /// <summary>
    /// The finished states that also make a later enqueue with the same unique key a duplicate, besides the unfinished
    /// ones; <see cref="Queues.UniqueStates.Unfinished"/> (the default) for none.
    /// </summary>
    public UniqueStates UniqueStates { get; set; }

    /// <summary>A cron expression (five fields, UTC) on which the job is enqueued periodically. Null for none.</summary>
    public string? Cron { get; set; }
}
