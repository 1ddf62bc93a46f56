using Npgsql;

namespace Queues;

/// <summary>What a handler knows about the job it runs. Add a parameter of this type to a handler to receive it.</summary>
public sealed class JobContext
{
    private readonly NpgsqlDataSource? _dataSource;
    private NpgsqlConnection? _connection;
    private volatile bool _abandoned;

    internal JobContext(JobId id, string name, string queue, int attempt, int maxAttempts, DateTimeOffset createdAt, NpgsqlDataSource? dataSource = null)
    {
        _dataSource = dataSource;
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

    /// <summary>The transaction opened by <see cref="GetTransactionAsync"/>, or null.</summary>
    internal NpgsqlTransaction? Transaction { get; private set; }

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
    public async ValueTask<NpgsqlTransaction> GetTransactionAsync(CancellationToken cancellationToken = default)
    {
        if (Transaction is { } open)
        {
            return open;
        }

        if (_dataSource is null)
        {
            throw new InvalidOperationException($"Job {Id} ('{Name}') has no database: its JobContext was not created by a worker.");
        }

        if (_abandoned)
        {
            throw new InvalidOperationException($"Job {Id} ('{Name}') attempt {Attempt} was abandoned after ignoring its cancellation; it can no longer open a transaction.");
        }

        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            _connection = connection;
            return Transaction;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// For an abandoned attempt, whose handler may still be using its connection: no new transaction, and the one it has
    /// is rolled back once <paramref name="run"/> ends. Neither the handler's exception nor the rollback's goes unobserved.
    /// </summary>
    internal void EndTransactionAfter(Task run)
    {
        _abandoned = true;
        _ = EndTransactionWhenDoneAsync(run);
    }

    private async Task EndTransactionWhenDoneAsync(Task run)
    {
        try
        {
            await run.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Its attempt was already recorded as abandoned.
        }

        try
        {
            await EndTransactionAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The connection broke under the abandoned handler; the pool discards it.
        }
    }

    /// <summary>Rolls back the transaction if it is still open and returns its connection to the pool.</summary>
    internal async ValueTask EndTransactionAsync()
    {
        var connection = _connection;
        var transaction = Transaction;
        _connection = null;
        Transaction = null;
        if (transaction is not null)
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
        }

        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

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
