namespace Queues;

/// <summary>
/// Event ids of the runtime's log messages, in blocks: 1000 start, stop and schema; 2000 running jobs; 2100 the
/// worker's own loops; 3000 notifications; 4000 maintenance; 5000 operator actions. docs/logging.md lists every event with its level,
/// category and meaning.
/// </summary>
public static class QueuesEventId
{
#pragma warning disable CS1591 // docs/logging.md describes each one
    public const int WorkerStarting = 1000;
    public const int WorkerStopped = 1001;
    public const int Migrated = 1002;

    /// <summary>The database did not answer when the worker started; it waits and retries instead of failing its host.</summary>
    public const int WaitingForDatabase = 1003;

    /// <summary>The schema is older than this build needs; the worker waits for a migration.</summary>
    public const int SchemaOutdated = 1004;

    /// <summary>The bound configuration section holds a key that is not an option (a typo); it is ignored.</summary>
    public const int UnknownConfigurationKey = 1005;

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

    public const int JobSnoozed = 2011;
    public const int JobCancelled = 2012;

    /// <summary>A retry-delay function threw; the default policy was used.</summary>
    public const int RetryDelayFailed = 2013;

    /// <summary>A handler's transaction could not be rolled back cleanly; its connection is discarded.</summary>
    public const int TransactionEndFailed = 2014;

    /// <summary>An available job could not be claimed even alone; it was discarded so its queue keeps moving.</summary>
    public const int PoisonJobDiscarded = 2015;

    /// <summary>An outcome could not be stored as given (a data error); a failure with a storable message was recorded instead.</summary>
    public const int OutcomeStoredAsFailure = 2016;

    public const int ClaimFailed = 2100;
    public const int CompletionFailed = 2101;
    public const int CompletionGivenUp = 2102;
    public const int HeartbeatFailed = 2103;

    /// <summary>Writing an outcome failed because the database was unavailable; it is retried and the job stays heartbeated.</summary>
    public const int OutcomeWriteFailed = 2104;

    /// <summary>A finished job's outcome (completion, failure, snooze…) was not written because another session has held its row locked for a second; it is retried without holding up other jobs.</summary>
    public const int CompletionDeferred = 2105;

    /// <summary>The worker stopped while rows of finished jobs were still locked by another session, their outcomes unwritten; they stay running and are rescued.</summary>
    public const int CompletionLeftLocked = 2106;

    /// <summary>Running jobs under this worker's name that it was not running (a claim's lost reply, an earlier process of the same name) were rescued.</summary>
    public const int UntrackedRescued = 2107;

    /// <summary>Another live process writes this worker's node row: two processes share one WorkerName.</summary>
    public const int WorkerNameShared = 2108;

    /// <summary>No heartbeat reached the database for half of RescueAfter; claimed jobs do not start until one does.</summary>
    public const int StartsHeld = 2109;

    /// <summary>The worker's one poll for due jobs across its queues failed; it is retried with backoff.</summary>
    public const int PollFailed = 2110;

    /// <summary>
    /// A loop that failed (its first failure was logged with its exception) is still failing: at most one such line per
    /// loop every 30 seconds, with the failures so far and the last error, without a stack trace.
    /// </summary>
    public const int OutageContinues = 2111;

    /// <summary>A loop that was failing succeeded again (the database is reachable again): how long it failed, and how often.</summary>
    public const int OutageEnded = 2112;

    public const int ListenFailed = 3000;

    public const int Promoted = 4000;
    public const int Rescued = 4001;
    public const int LeadershipGained = 4002;
    public const int LeadershipLost = 4003;
    public const int Retained = 4004;
    public const int CronEnqueued = 4005;

    /// <summary>A periodic job's tick was not enqueued: the job is unique and an earlier one still holds its key.</summary>
    public const int CronSkippedAsDuplicate = 4006;

    public const int MaintenanceFailed = 4007;
    public const int LeaseReleaseFailed = 4008;

    /// <summary>A queue holds due jobs that no live worker serves (none claims from it, none of its jobs runs); they wait until one does.</summary>
    public const int UnservedQueue = 4009;

    /// <summary>
    /// An operator acted through <see cref="QueuesAdmin"/> (retry, cancel, delete, purge, pause, resume, rollback): who
    /// (<see cref="QueuesAdmin.Actor"/>), what, on which jobs or queue, and how many it changed. One event per action.
    /// </summary>
    public const int OperatorAction = 5000;
#pragma warning restore CS1591
}
