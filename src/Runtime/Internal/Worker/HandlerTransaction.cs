using Npgsql;

namespace Queues.Internal;

/// <summary>
/// The transaction a handler opens with <see cref="JobContext.GetTransactionAsync"/>: opened on the first call on the
/// worker's data source, then owned by the engine. The executor ends it when the attempt fails; the completer commits it
/// with the job's outcome when the handler returns normally.
/// </summary>
internal sealed class HandlerTransaction(NpgsqlDataSource dataSource)
{
    private NpgsqlConnection? _connection;
    private volatile bool _abandoned;

    /// <summary>The open transaction, or null when the handler never asked for one (or it has ended).</summary>
    public NpgsqlTransaction? Transaction { get; private set; }

    public async ValueTask<NpgsqlTransaction> GetAsync(JobContext job, CancellationToken cancellationToken)
    {
        if (Transaction is { } open)
        {
            return open;
        }

        if (_abandoned)
        {
            throw new InvalidOperationException(
                $"Job {job.Id} ('{job.Name}') attempt {job.Attempt} was abandoned after ignoring its cancellation; it can no longer open a transaction.");
        }

        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
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
    public void EndAfter(Task run)
    {
        _abandoned = true;
        _ = EndWhenDoneAsync(run);
    }

    private async Task EndWhenDoneAsync(Task run)
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
            await EndAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The connection broke under the abandoned handler; the pool discards it.
        }
    }

    /// <summary>Rolls back the transaction if it is still open and returns its connection to the pool.</summary>
    public async ValueTask EndAsync()
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
}
