using Microsoft.Extensions.Logging;

namespace Queues.Internal;

/// <summary>Every log message of the runtime, one per event id (<see cref="QueuesEventId"/>), grouped by category.</summary>
internal static partial class LogMessages
{
    /// <summary>Logger categories, one per area of the engine.</summary>
    public static class Categories
    {
        public const string Worker = "Queues.Worker";
        public const string Maintenance = "Queues.Maintenance";
        public const string Notifications = "Queues.Notifications";
        public const string Admin = "Queues.Admin";
    }

    #region Queues.Worker: start, stop, schema

    [LoggerMessage(EventId = QueuesEventId.WorkerStarting, Level = LogLevel.Information,
        Message = "Queues worker {WorkerName} starting on schema {Schema}: queues {Queues}, {JobCount} job handlers")]
    public static partial void WorkerStarting(ILogger logger, string workerName, string schema, string queues, int jobCount);

    [LoggerMessage(EventId = QueuesEventId.WorkerStopped, Level = LogLevel.Information, Message = "Queues worker {WorkerName} stopped")]
    public static partial void WorkerStopped(ILogger logger, string workerName);

    [LoggerMessage(EventId = QueuesEventId.Migrated, Level = LogLevel.Information, Message = "Applied {Count} migrations to schema {Schema}")]
    public static partial void Migrated(ILogger logger, int count, string schema);

    [LoggerMessage(EventId = QueuesEventId.WaitingForDatabase, Level = LogLevel.Warning,
        Message = "Queues worker {WorkerName} cannot reach its database yet; it starts processing when the database answers (next try in {DelayMs} ms)")]
    public static partial void WaitingForDatabase(ILogger logger, Exception exception, string workerName, long delayMs);

    [LoggerMessage(EventId = QueuesEventId.SchemaOutdated, Level = LogLevel.Error, Message = "{Problem} (next check in {DelayMs} ms)")]
    public static partial void SchemaOutdated(ILogger logger, string problem, long delayMs);

    [LoggerMessage(EventId = QueuesEventId.UnknownConfigurationKey, Level = LogLevel.Warning,
        Message = "{Problem}; it is ignored. Set {FailKey} = true to fail at start instead")]
    public static partial void UnknownConfigurationKey(ILogger logger, string problem, string failKey);

    #endregion

    #region Queues.Worker: running jobs

    [LoggerMessage(EventId = QueuesEventId.JobCompleted, Level = LogLevel.Debug, Message = "Job {JobId} ({JobName}) completed on attempt {Attempt}")]
    public static partial void JobCompleted(ILogger logger, long jobId, string jobName, int attempt);

    [LoggerMessage(EventId = QueuesEventId.JobFailed, Level = LogLevel.Warning,
        Message = "Job {JobId} ({JobName}) failed on attempt {Attempt} of {MaxAttempts}; now {State}")]
    public static partial void JobFailed(ILogger logger, Exception? exception, long jobId, string jobName, int attempt, int maxAttempts, string state);

    [LoggerMessage(EventId = QueuesEventId.JobDiscarded, Level = LogLevel.Warning,
        Message = "Job {JobId} ({JobName}) was discarded by its handler on attempt {Attempt}: {Reason}")]
    public static partial void JobDiscarded(ILogger logger, long jobId, string jobName, int attempt, string reason);

    [LoggerMessage(EventId = QueuesEventId.UnknownJob, Level = LogLevel.Error,
        Message = "Job {JobId} in queue {Queue} has job name '{JobName}', which no handler in this worker serves; attempt {Attempt} of {MaxAttempts} failed and the job is now {State}")]
    public static partial void UnknownJob(ILogger logger, long jobId, string queue, string jobName, int attempt, int maxAttempts, string state);

    [LoggerMessage(EventId = QueuesEventId.BadPayload, Level = LogLevel.Error,
        Message = "Job {JobId} ({JobName}) has a payload that cannot be read; the job is discarded: {Reason}")]
    public static partial void BadPayload(ILogger logger, long jobId, string jobName, string reason);

    [LoggerMessage(EventId = QueuesEventId.JobReleased, Level = LogLevel.Information,
        Message = "Job {JobId} ({JobName}) was stopped by shutdown and put back as available")]
    public static partial void JobReleased(ILogger logger, long jobId, string jobName);

    [LoggerMessage(EventId = QueuesEventId.HandlerAbandoned, Level = LogLevel.Error,
        Message = "Job {JobId} ({JobName}) ignored its cancelled token (timeout or shutdown) for {GraceMs} ms; its slot is freed and its attempt recorded, but the handler may still be running")]
    public static partial void HandlerAbandoned(ILogger logger, long jobId, string jobName, long graceMs);

    [LoggerMessage(EventId = QueuesEventId.OutcomeNotWritten, Level = LogLevel.Error,
        Message = "Could not write the outcome of job {JobId} ({JobName}) attempt {Attempt}; it stays running until rescued after {RescueAfterMs} ms without a heartbeat")]
    public static partial void OutcomeNotWritten(ILogger logger, Exception exception, long jobId, string jobName, int attempt, long rescueAfterMs);

    [LoggerMessage(EventId = QueuesEventId.JobCancelledWhileRunning, Level = LogLevel.Information,
        Message = "Job {JobId} ({JobName}) was cancelled, or rescued while this worker was unresponsive, as it ran here; its handler's token was fired and its outcome is not recorded")]
    public static partial void JobCancelledWhileRunning(ILogger logger, long jobId, string jobName);

    [LoggerMessage(EventId = QueuesEventId.TransactionEndedByHandler, Level = LogLevel.Warning,
        Message = "Job {JobId} ({JobName}) committed or rolled back its JobContext transaction itself, so its outcome was recorded separately; leave the transaction to the worker to commit work and outcome together")]
    public static partial void TransactionEndedByHandler(ILogger logger, long jobId, string jobName);

    [LoggerMessage(EventId = QueuesEventId.TransactionRolledBack, Level = LogLevel.Warning,
        Message = "Job {JobId} ({JobName}) attempt {Attempt} finished but was no longer running at that attempt (cancelled or rescued meanwhile): its transaction was rolled back")]
    public static partial void TransactionRolledBack(ILogger logger, long jobId, string jobName, int attempt);

    [LoggerMessage(EventId = QueuesEventId.JobSnoozed, Level = LogLevel.Debug,
        Message = "Job {JobId} ({JobName}) snoozed for {DelayMs} ms on attempt {Attempt}; the attempt is not counted")]
    public static partial void JobSnoozed(ILogger logger, long jobId, string jobName, long delayMs, int attempt);

    [LoggerMessage(EventId = QueuesEventId.JobCancelled, Level = LogLevel.Information,
        Message = "Job {JobId} ({JobName}) was cancelled by its handler on attempt {Attempt}: {Reason}")]
    public static partial void JobCancelled(ILogger logger, long jobId, string jobName, int attempt, string reason);

    [LoggerMessage(EventId = QueuesEventId.RetryDelayFailed, Level = LogLevel.Error,
        Message = "The retry delay of job '{JobName}' threw; the default policy is used. Fix {Setting}")]
    public static partial void RetryDelayFailed(ILogger logger, Exception exception, string jobName, string setting);

    [LoggerMessage(EventId = QueuesEventId.TransactionEndFailed, Level = LogLevel.Warning,
        Message = "The transaction of job {JobId} ({JobName}) could not be rolled back cleanly; its connection is discarded")]
    public static partial void TransactionEndFailed(ILogger logger, Exception exception, long jobId, string jobName);

    [LoggerMessage(EventId = QueuesEventId.PoisonJobDiscarded, Level = LogLevel.Error,
        Message = "Job {JobId} of queue {Queue} made every claim of its queue fail ({SqlState}: {Problem}); it was discarded so the queue keeps moving")]
    public static partial void PoisonJobDiscarded(ILogger logger, long jobId, string queue, string sqlState, string problem);

    [LoggerMessage(EventId = QueuesEventId.OutcomeStoredAsFailure, Level = LogLevel.Error,
        Message = "The outcome of job {JobId} ({JobName}) attempt {Attempt} could not be stored as given; a failure was recorded instead")]
    public static partial void OutcomeStoredAsFailure(ILogger logger, Exception exception, long jobId, string jobName, int attempt);

    #endregion

    #region Queues.Worker: loops

    [LoggerMessage(EventId = QueuesEventId.ClaimFailed, Level = LogLevel.Error,
        Message = "Claiming jobs of queue {Queue} failed; retrying in {DelayMs} ms")]
    public static partial void ClaimFailed(ILogger logger, Exception exception, string queue, long delayMs);

    [LoggerMessage(EventId = QueuesEventId.CompletionFailed, Level = LogLevel.Warning,
        Message = "Writing the completion of {Count} jobs failed; retrying in {DelayMs} ms (they are heartbeated meanwhile)")]
    public static partial void CompletionFailed(ILogger logger, Exception exception, int count, long delayMs);

    [LoggerMessage(EventId = QueuesEventId.CompletionGivenUp, Level = LogLevel.Error,
        Message = "Gave up writing the completion of {Count} jobs after {Attempts} tries; they stay running and are rescued like a crashed worker's")]
    public static partial void CompletionGivenUp(ILogger logger, Exception exception, int count, int attempts);

    [LoggerMessage(EventId = QueuesEventId.CompletionDeferred, Level = LogLevel.Warning,
        Message = "Job {JobId} ({JobName}) attempt {Attempt} finished, but another session holds its row locked; writing its outcome is retried every {RetryMs} ms without holding up other jobs, and the job stays running until then")]
    public static partial void CompletionDeferred(ILogger logger, long jobId, string jobName, short attempt, long retryMs);

    [LoggerMessage(EventId = QueuesEventId.CompletionLeftLocked, Level = LogLevel.Error,
        Message = "Stopped with the outcome of {Count} jobs unwritten because another session still holds their rows locked (ids {JobIds}); they stay running and are rescued like a crashed worker's, so they run again")]
    public static partial void CompletionLeftLocked(ILogger logger, int count, string jobIds);

    [LoggerMessage(EventId = QueuesEventId.HeartbeatFailed, Level = LogLevel.Warning,
        Message = "Heartbeat of {Count} running jobs failed; retrying in {DelayMs} ms")]
    public static partial void HeartbeatFailed(ILogger logger, Exception exception, int count, long delayMs);

    [LoggerMessage(EventId = QueuesEventId.OutcomeWriteFailed, Level = LogLevel.Warning,
        Message = "Writing the outcome of job {JobId} ({JobName}) attempt {Attempt} failed; retrying in {DelayMs} ms (it is heartbeated meanwhile)")]
    public static partial void OutcomeWriteFailed(ILogger logger, Exception exception, long jobId, string jobName, int attempt, long delayMs);

    [LoggerMessage(EventId = QueuesEventId.PollFailed, Level = LogLevel.Warning,
        Message = "The poll for due jobs across this worker's queues failed; retrying in {DelayMs} ms (NOTIFY still wakes the queues meanwhile)")]
    public static partial void PollFailed(ILogger logger, Exception exception, long delayMs);

    [LoggerMessage(EventId = QueuesEventId.OutageContinues, Level = LogLevel.Warning,
        Message = "{Loop} still fails after {DownMs} ms ({Failures} failures since the first, which was logged with its exception); last error: {Error}")]
    public static partial void OutageContinues(ILogger logger, string loop, long downMs, int failures, string error);

    [LoggerMessage(EventId = QueuesEventId.OutageEnded, Level = LogLevel.Information,
        Message = "{Loop} works again: the database is reachable again after {DownMs} ms of failures ({Failures} failed tries)")]
    public static partial void OutageEnded(ILogger logger, string loop, long downMs, int failures);

    [LoggerMessage(EventId = QueuesEventId.UntrackedRescued, Level = LogLevel.Warning,
        Message = "Rescued {Count} running jobs under this worker's name ({WorkerName}) that it was not running: the reply to their claim was lost, or an earlier process of the same name claimed them; they are retried or, out of attempts, discarded")]
    public static partial void UntrackedRescued(ILogger logger, int count, string workerName);

    [LoggerMessage(EventId = QueuesEventId.WorkerNameShared, Level = LogLevel.Warning,
        Message = "Another live process also runs as worker {WorkerName}; give each process a unique QueuesOptions.WorkerName. Until then this process leaves running jobs under the name that it does not track alone (a lost claim's jobs wait until one process remains)")]
    public static partial void WorkerNameShared(ILogger logger, string workerName);

    [LoggerMessage(EventId = QueuesEventId.StartsHeld, Level = LogLevel.Warning,
        Message = "No heartbeat has reached the database for {SinceMs} ms (the process was frozen, starved or cut off); queue {Queue} starts none of its {Buffered} claimed jobs until one has found out which are still its own")]
    public static partial void StartsHeld(ILogger logger, string queue, long sinceMs, int buffered);

    #endregion

    #region Queues.Notifications

    [LoggerMessage(EventId = QueuesEventId.ListenFailed, Level = LogLevel.Warning,
        Message = "The LISTEN connection failed; workers poll meanwhile, reconnecting in {DelayMs} ms")]
    public static partial void ListenFailed(ILogger logger, Exception exception, long delayMs);

    #endregion

    #region Queues.Maintenance

    [LoggerMessage(EventId = QueuesEventId.Rescued, Level = LogLevel.Warning,
        Message = "Rescued {Count} running jobs whose worker stopped heartbeating for {RescueAfterMs} ms; they are retried or, out of attempts, discarded")]
    public static partial void Rescued(ILogger logger, int count, long rescueAfterMs);

    [LoggerMessage(EventId = QueuesEventId.LeadershipGained, Level = LogLevel.Information,
        Message = "Worker {WorkerName} is now the maintenance leader of schema {Schema}")]
    public static partial void LeadershipGained(ILogger logger, string workerName, string schema);

    [LoggerMessage(EventId = QueuesEventId.LeadershipLost, Level = LogLevel.Information,
        Message = "Worker {WorkerName} is no longer the maintenance leader of schema {Schema}")]
    public static partial void LeadershipLost(ILogger logger, string workerName, string schema);

    [LoggerMessage(EventId = QueuesEventId.Retained, Level = LogLevel.Debug, Message = "Deleted {Count} finished jobs past their retention")]
    public static partial void Retained(ILogger logger, long count);

    [LoggerMessage(EventId = QueuesEventId.CronEnqueued, Level = LogLevel.Information,
        Message = "Enqueued periodic job {JobName} for {ScheduledAt:O} as job {JobId}")]
    public static partial void CronEnqueued(ILogger logger, string jobName, DateTime scheduledAt, long jobId);

    [LoggerMessage(EventId = QueuesEventId.CronSkippedAsDuplicate, Level = LogLevel.Information,
        Message = "Skipped periodic job {JobName} for {ScheduledAt:O}: it is unique and job {JobId} still holds its key")]
    public static partial void CronSkippedAsDuplicate(ILogger logger, string jobName, DateTime scheduledAt, long jobId);

    [LoggerMessage(EventId = QueuesEventId.Promoted, Level = LogLevel.Debug, Message = "Made {Count} scheduled or retryable jobs available")]
    public static partial void Promoted(ILogger logger, int count);

    [LoggerMessage(EventId = QueuesEventId.MaintenanceFailed, Level = LogLevel.Error,
        Message = "Maintenance of schema {Schema} failed; retrying in {DelayMs} ms")]
    public static partial void MaintenanceFailed(ILogger logger, Exception exception, string schema, long delayMs);

    [LoggerMessage(EventId = QueuesEventId.LeaseReleaseFailed, Level = LogLevel.Warning,
        Message = "Could not hand over the maintenance lease of schema {Schema} at shutdown; it expires by itself within {LeaseMs} ms")]
    public static partial void LeaseReleaseFailed(ILogger logger, Exception exception, string schema, long leaseMs);

    [LoggerMessage(EventId = QueuesEventId.UnservedQueue, Level = LogLevel.Warning,
        Message = "Queue {Queue} in schema {Schema} has {Count} due jobs (the oldest due for {OldestSeconds} s) that no live worker serves; they wait until a worker lists the queue in QueuesOptions.Queues or registers one of its jobs")]
    public static partial void UnservedQueue(ILogger logger, string queue, long count, long oldestSeconds, string schema);

    #endregion

    #region Queues.Admin: operator actions

    [LoggerMessage(EventId = QueuesEventId.OperatorAction, Level = LogLevel.Information,
        Message = "Operator action in schema {Schema} by {Actor}: {Action} {Target}; {Count} affected")]
    public static partial void OperatorAction(ILogger logger, string schema, string actor, string action, string target, long count);

    #endregion
}
