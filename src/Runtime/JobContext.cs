using Npgsql;
using Queues.Internal;

namespace Queues;

/// <summary>What a handler knows about the job it runs. Add a parameter of this type to a handler to receive it.</summary>
public sealed class JobContext
{
    private readonly HandlerTransaction? _transaction;

    internal JobContext(JobId id, string name, string queue, int attempt, int maxAttempts, DateTimeOffset createdAt, HandlerTransaction? transaction = null)
    {
        _transaction = transaction;
        Id = id;
        Name = name;
        Queue = queue;
        Attempt = attempt;
        MaxAttempts = maxAttempts;
        CreatedAt = createdAt;
    }

    /// <summary>The job's identity.</summary>
    public JobId Id { get; }

    /// <summary>The durable job name.</summary>
    public string Name { get; }

    /// <summary>The queue the job was claimed from.</summary>
    public string Queue { get; }

    /// <summary>This attempt's number, starting at 1.</summary>
    public int Attempt { get; }

    /// <summary>The number of attempts after which a failing job is discarded.</summary>
    public int MaxAttempts { get; }

    /// <summary>When the job was inserted.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>
    /// A transaction on the worker's database for the handler's own work, opened on the first call (later calls return
    /// the same one). When the handler returns normally, the worker records the job's outcome (completed, or what
    /// <see cref="Snooze"/>, <see cref="Cancel"/> or <see cref="Discard"/> asked for) in this transaction and commits
    /// it: the work and the outcome commit together or not at all. If the handler throws, times out, is cancelled, or
    /// the job is no longer this attempt's to finish (an operator cancelled it, or it was rescued and runs elsewhere),
    /// the transaction is rolled back. A handler whose effects are all in this database therefore has exactly-once
    /// effects, even when the worker crashes. Do not commit, roll back or dispose it yourself (no <c>await using</c>):
    /// disposing it or closing its connection rolls the work back and fails the attempt; committing or rolling it back
    /// yourself gets a warning and the outcome recorded separately. Jobs enqueued on it (the generated
    /// <c>Enqueue{Name}Async</c> methods) start only if this job completes. Not thread-safe: call it from one flow.
    /// </summary>
    /// <param name="cancellationToken">Cancels opening the connection.</param>
    /// <returns>The open transaction, at the default isolation level (read committed).</returns>
    /// <exception cref="InvalidOperationException">The context does not belong to a running worker (a test created it).</exception>
    public ValueTask<NpgsqlTransaction> GetTransactionAsync(CancellationToken cancellationToken = default)
        => _transaction is null
            ? throw new InvalidOperationException($"Job {Id} ('{Name}') has no database: its JobContext was not created by a worker.")
            : _transaction.GetAsync(this, cancellationToken);

    /// <summary>What the handler asked for with <see cref="Snooze"/>, <see cref="Cancel"/> or <see cref="Discard"/>; null to complete.</summary>
    internal JobOutcome? RequestedOutcome { get; private set; }

    /// <summary>
    /// Runs the job again after <paramref name="delay"/> without using up an attempt: it goes back to
    /// <see cref="JobState.Scheduled"/>. Takes effect when the handler returns normally; if it throws, the failure wins.
    /// </summary>
    /// <param name="delay">How long to wait; zero or more.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    public void Snooze(TimeSpan delay)
    {
        if (delay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(delay), delay, "A snooze delay must not be negative.");
        }

        RequestedOutcome = new JobOutcome(JobOutcomeKind.Snooze, delay, null);
    }

    /// <summary>
    /// Finalizes the job as <see cref="JobState.Cancelled"/> with <paramref name="reason"/> recorded: it will not run
    /// again. Takes effect when the handler returns normally.
    /// </summary>
    /// <param name="reason">Why, recorded on the row.</param>
    public void Cancel(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        RequestedOutcome = new JobOutcome(JobOutcomeKind.Cancel, TimeSpan.Zero, reason);
    }

    /// <summary>
    /// Fails the job without retrying: it is <see cref="JobState.Discarded"/> now, whatever attempts remain, with
    /// <paramref name="reason"/> recorded. Takes effect when the handler returns normally.
    /// </summary>
    /// <param name="reason">Why, recorded on the row.</param>
    public void Discard(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        RequestedOutcome = new JobOutcome(JobOutcomeKind.Discard, TimeSpan.Zero, reason);
    }
}

internal enum JobOutcomeKind
{
    Snooze,
    Cancel,
    Discard,
}

internal sealed record JobOutcome(JobOutcomeKind Kind, TimeSpan Delay, string? Reason);
