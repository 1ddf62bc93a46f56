namespace Queues;

/// <summary>
/// The states in which a unique job holds its key, so that enqueuing another job with the same key is a duplicate. Each
/// job carries its own (from its <see cref="JobAttribute"/> or <see cref="EnqueueOptions"/>). Unfinished jobs
/// (scheduled, available, running or retryable) always hold it; add finished states to keep the key after the job ends,
/// until retention deletes the row.
/// </summary>
[Flags]
public enum UniqueStates
{
    /// <summary>Only unfinished jobs: a new job with the key can be enqueued as soon as the earlier one finishes. The default.</summary>
    Unfinished = 0,

    /// <summary>Unfinished and completed jobs: a key that ran successfully is not run again.</summary>
    Completed = 1,

    /// <summary>Unfinished and cancelled jobs.</summary>
    Cancelled = 2,

    /// <summary>Unfinished and discarded jobs.</summary>
    Discarded = 4,

    /// <summary>Every state: a key is enqueued once for as long as its row exists.</summary>
    All = Completed | Cancelled | Discarded,
}
