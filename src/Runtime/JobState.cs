namespace Queues;

/// <summary>Where a job is in its lifecycle. Stored as lowercase text in the <c>state</c> column.</summary>
public enum JobState
{
    /// <summary>Waiting for its run-at time.</summary>
    Scheduled,

    /// <summary>Ready to be claimed.</summary>
    Available,

    /// <summary>Claimed by a worker and running.</summary>
    Running,

    /// <summary>Failed an attempt and waits for its next one.</summary>
    Retryable,

    /// <summary>Finished successfully.</summary>
    Completed,

    /// <summary>Cancelled before it finished.</summary>
    Cancelled,

    /// <summary>Given up on: attempts exhausted, unreadable payload or unknown job name. Kept with its errors.</summary>
    Discarded,
}
