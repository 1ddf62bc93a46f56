using Microsoft.Extensions.Logging;

namespace Queues.Internal;

internal static partial class LogMessages
{
    [LoggerMessage(EventId = QueuesEventId.WorkerStarting, Level = LogLevel.Information,
        Message = "Queues worker {WorkerName} starting on schema {Schema}: queues {Queues}, {JobCount} job handlers")]
    public static partial void WorkerStarting(ILogger logger, string workerName, string schema, string queues, int jobCount);

    [LoggerMessage(EventId = QueuesEventId.WorkerStopped, Level = LogLevel.Information, Message = "Queues worker {WorkerName} stopped")]
    public static partial void WorkerStopped(ILogger logger, string workerName);

    [LoggerMessage(EventId = QueuesEventId.Migrated, Level = LogLevel.Information, Message = "Applied {Count} migrations to schema {Schema}")]
    public static partial void Migrated(ILogger logger, int count, string schema);

    [LoggerMessage(EventId = QueuesEventId.JobCompleted, Level = LogLevel.Debug, Message = "Job {JobId} ({JobName}) completed on attempt {Attempt}")]
    public static partial void JobCompleted(ILogger logger, long jobId, string jobName, int attempt);

    [LoggerMessage(EventId = QueuesEventId.JobFailed, Level = LogLevel.Warning,
        Message = "Job {JobId} ({JobName}) failed on attempt {Attempt} of {MaxAttempts}; now {State}")]
    public static partial void JobFailed(ILogger logger, Exception exception, long jobId, string jobName, int attempt, int maxAttempts, string state);

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
        Message = "Job {JobId} ({JobName}) was cancelled by an operator while running; its handler was stopped")]
    public static partial void JobCancelledWhileRunning(ILogger logger, long jobId, string jobName);

    [LoggerMessage(EventId = QueuesEventId.LoopError, Level = LogLevel.Error,
        Message = "Queues worker loop '{Loop}' failed; retrying in {DelayMs} ms")]
    public static partial void LoopError(ILogger logger, Exception exception, string loop, long delayMs);

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

    [LoggerMessage(EventId = QueuesEventId.TransactionEndedByHandler, Level = LogLevel.Warning,
        Message = "Job {JobId} ({JobName}) committed or rolled back its JobContext transaction itself, so its outcome was recorded separately; leave the transaction to the worker to commit work and outcome together")]
    public static partial void TransactionEndedByHandler(ILogger logger, long jobId, string jobName);

    [LoggerMessage(EventId = QueuesEventId.TransactionRolledBack, Level = LogLevel.Warning,
        Message = "Job {JobId} ({JobName}) attempt {Attempt} finished but was no longer running at that attempt (cancelled or rescued meanwhile): its transaction was rolled back")]
    public static partial void TransactionRolledBack(ILogger logger, long jobId, string jobName, int attempt);

    [LoggerMessage(EventId = QueuesEventId.Promoted, Level = LogLevel.Debug, Message = "Made {Count} scheduled or retryable jobs available")]
    public static partial void Promoted(ILogger logger, int count);
}
