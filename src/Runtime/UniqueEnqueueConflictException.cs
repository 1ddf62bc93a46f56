using Npgsql;

namespace Queues;

/// <summary>
/// A unique enqueue in a REPEATABLE READ or SERIALIZABLE transaction met a job with the same key that another
/// transaction committed after this one's snapshot was taken. PostgreSQL cannot report that job as a duplicate (the
/// snapshot does not see it) nor insert beside it, so it fails the statement with a serialization failure (SQLSTATE
/// 40001) and the transaction is aborted: roll it back and run it again from the start, as any serialization failure
/// asks. The new snapshot sees the job, and the enqueue then reports it as a duplicate
/// (<see cref="EnqueueResult.IsDuplicate"/>). READ COMMITTED, PostgreSQL's default, never gets this.
/// </summary>
/// <remarks>
/// It is an <see cref="NpgsqlException"/> whose <see cref="SqlState"/> is <c>40001</c> and whose
/// <see cref="NpgsqlException.IsTransient"/> is true, so retry loops written for serialization failures (EF Core's
/// execution strategy, a Polly policy on <c>IsTransient</c>, a check of <see cref="System.Data.Common.DbException.SqlState"/>)
/// retry it; the server's own <see cref="PostgresException"/> is its <see cref="Exception.InnerException"/>.
/// </remarks>
public sealed class UniqueEnqueueConflictException : NpgsqlException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="jobName">The job being enqueued.</param>
    /// <param name="innerException">The server's serialization failure.</param>
    public UniqueEnqueueConflictException(string jobName, PostgresException innerException)
        : base(
            $"The unique enqueue of job '{jobName}' met a serialization failure (40001) in a REPEATABLE READ or SERIALIZABLE transaction: a job of the same key was committed by another transaction after this one's snapshot was taken (under SERIALIZABLE it can also be another read/write conflict). PostgreSQL aborted the transaction: roll it back and run the whole transaction again; the retry sees that job and reports it as a duplicate.",
            innerException)
        => JobName = jobName;

    /// <summary>The job whose unique enqueue conflicted.</summary>
    public string JobName { get; }

    /// <summary><c>40001</c> (serialization_failure), the server's code.</summary>
    public override string SqlState => PostgresErrorCodes.SerializationFailure;
}
