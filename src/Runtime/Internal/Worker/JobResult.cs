namespace Queues.Internal;

/// <summary>What one run of a handler came to; the executor returns it and the completer records it.</summary>
internal enum JobResultKind
{
    /// <summary>The handler returned normally: the job is completed (in the handler's transaction when it has one).</summary>
    Completed,

    /// <summary>The attempt failed (threw, timed out, unknown job name, work that could not commit): retried or discarded.</summary>
    Failed,

    /// <summary>The handler asked to run again later (<see cref="JobContext.Snooze"/>), its attempt not counted.</summary>
    Snoozed,

    /// <summary>The handler cancelled the job (<see cref="JobContext.Cancel"/>).</summary>
    Cancelled,

    /// <summary>The job is discarded: the handler asked (<see cref="JobContext.Discard"/>) or the payload cannot be read.</summary>
    Discarded,

    /// <summary>Stopped by shutdown: back to available, the attempt not counted.</summary>
    Released,

    /// <summary>An operator cancelled the job while it ran: the row says so already, nothing to write.</summary>
    CancelledElsewhere,
}

/// <summary>
/// The result of one run: its kind, the error to record (failed, discarded, cancelled), the delay (a failure's retry
/// delay, a snooze's delay), whether the handler was abandoned (ignored its cancelled token; it may still run), and the
/// handler's open transaction when the outcome is to be committed with the handler's work. A value with an open
/// transaction is owned by whoever holds it: the completer commits or ends it. <see cref="Exception"/> is what the handler
/// threw, for the log only (the row gets <see cref="Error"/>).
/// </summary>
internal readonly record struct JobResult(
    JobResultKind Kind, ErrorRecord? Error, TimeSpan Delay, HandlerTransaction? Transaction, bool Abandoned = false, Exception? Exception = null)
{
    public static JobResult Completed(HandlerTransaction? transaction) => new(JobResultKind.Completed, null, TimeSpan.Zero, transaction);

    public static JobResult Failed(ErrorRecord error, TimeSpan retryDelay, bool abandoned = false) => new(JobResultKind.Failed, error, retryDelay, null, abandoned);

    public static JobResult Snoozed(TimeSpan delay, HandlerTransaction? transaction) => new(JobResultKind.Snoozed, null, delay, transaction);

    public static JobResult Cancelled(string reason, HandlerTransaction? transaction)
        => new(JobResultKind.Cancelled, new ErrorRecord(ErrorKinds.Cancelled, null, reason, null), TimeSpan.Zero, transaction);

    public static JobResult Discarded(ErrorRecord error, HandlerTransaction? transaction) => new(JobResultKind.Discarded, error, TimeSpan.Zero, transaction);

    public static JobResult Released { get; } = new(JobResultKind.Released, null, TimeSpan.Zero, null);

    public static JobResult CancelledElsewhere { get; } = new(JobResultKind.CancelledElsewhere, null, TimeSpan.Zero, null);
}
