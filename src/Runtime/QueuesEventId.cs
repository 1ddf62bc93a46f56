namespace Queues;

/// <summary>Event ids of the runtime's log messages, in blocks: 1000 enqueue and setup, 2000 claim and execute, 4000 maintenance.</summary>
public static class QueuesEventId
{
#pragma warning disable CS1591 // the names say it
    public const int WorkerStarting = 1000;
    public const int WorkerStopped = 1001;
    public const int Migrated = 1002;

    public const int JobCompleted = 2000;
    public const int JobFailed = 2001;
    public const int JobDiscarded = 2002;
    public const int UnknownJob = 2003;
    public const int BadPayload = 2004;
    public const int JobReleased = 2005;
    public const int HandlerAbandoned = 2006;
    public const int OutcomeNotWritten = 2007;
    public const int JobCancelledWhileRunning = 2008;

    /// <summary>A handler committed or rolled back its <see cref="JobContext"/> transaction itself; the outcome was recorded separately.</summary>
    public const int TransactionEndedByHandler = 2009;

    /// <summary>A job's transaction was rolled back because the job was no longer running at that attempt (cancelled or rescued).</summary>
    public const int TransactionRolledBack = 2010;

    public const int LoopError = 2100;

    public const int Promoted = 4000;
    public const int Rescued = 4001;
    public const int LeadershipGained = 4002;
    public const int LeadershipLost = 4003;
    public const int Retained = 4004;
    public const int CronEnqueued = 4005;

    /// <summary>A periodic job's tick was not enqueued: the job is unique and an earlier one still holds its key.</summary>
    public const int CronSkippedAsDuplicate = 4006;
#pragma warning restore CS1591
}
