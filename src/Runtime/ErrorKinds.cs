namespace Queues;

/// <summary>
/// The values of <see cref="JobError.Kind"/>: what ended an attempt (or the job). Every error the engine records on a
/// job carries one of these.
/// </summary>
public static class ErrorKinds
{
    /// <summary>The handler threw.</summary>
    public const string Exception = "exception";

    /// <summary>The handler ran past its job's timeout.</summary>
    public const string Timeout = "timeout";

    /// <summary>The payload could not be read as the handler's payload type; the job is discarded.</summary>
    public const string Payload = "payload";

    /// <summary>No handler in the worker that claimed the job serves its name; the attempt fails and is retried.</summary>
    public const string UnknownJob = "unknown_job";

    /// <summary>The job's worker stopped heartbeating while running it; the job was retried or discarded by the leader.</summary>
    public const string Rescued = "rescued";

    /// <summary>The job was cancelled, by its handler (<see cref="JobContext.Cancel"/>) or an operator.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>The handler discarded the job (<see cref="JobContext.Discard"/>).</summary>
    public const string Discarded = "discarded";

    /// <summary>The row could not be claimed (a value the engine cannot process); the job was discarded to keep its queue moving.</summary>
    public const string Poison = "poison";
}
