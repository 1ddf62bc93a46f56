using Npgsql;

namespace Queues.Internal;

/// <summary>
/// The engine's only access to its tables: one typed method per statement of <see cref="Sql"/>, binding its <c>$n</c>
/// parameters in order and mapping its rows, so no other class binds a parameter or reads a column by position.
/// Partial by area: enqueue (<c>JobStore.Enqueue.cs</c>), worker (<c>JobStore.Worker.cs</c>), maintenance
/// (<c>JobStore.Maintenance.cs</c>), admin (<c>JobStore.Admin.cs</c>). Thread-safe; one per schema and data source.
/// </summary>
internal sealed partial class JobStore
{
    /// <summary>
    /// The shortest time between two NOTIFYs an enqueuing client sends for one queue. A committing transaction that
    /// notified holds a database-wide lock through its commit (including the WAL flush), so notifying on every commit
    /// serializes concurrent enqueuers; once per interval per queue keeps them apart while a job enqueued on its own
    /// still wakes an idle worker at once (docs/performance.md has the measurements).
    /// </summary>
    public static readonly TimeSpan NotifyInterval = TimeSpan.FromMilliseconds(2);

    private readonly NotifyLimiter _notifyLimiter = new(NotifyInterval);

    public JobStore(NpgsqlDataSource dataSource, string schema, bool prepareStatements, bool useNotifications)
    {
        DataSource = dataSource;
        Sql = new Sql(schema);
        PrepareStatements = prepareStatements;
        UseNotifications = useNotifications;
    }

    public NpgsqlDataSource DataSource { get; }

    public Sql Sql { get; }

    public string Schema => Sql.Schema;

    /// <summary>Prepare the hot statements (insert, claim, complete) once per physical connection.</summary>
    public bool PrepareStatements { get; }

    /// <summary>Send NOTIFYs to wake idle workers; off behind a pooler in transaction mode.</summary>
    public bool UseNotifications { get; }

    /// <summary>A command on a pooled connection of its own (opened and returned by the execute call).</summary>
    private NpgsqlCommand Command(string sql, params ReadOnlySpan<NpgsqlParameter> parameters)
        => Bind(DataSource.CreateCommand(sql), parameters);

    /// <summary>A command on <paramref name="connection"/>, in <paramref name="transaction"/> when given.</summary>
    private static NpgsqlCommand Command(string sql, NpgsqlConnection connection, NpgsqlTransaction? transaction, params ReadOnlySpan<NpgsqlParameter> parameters)
        => Bind(new NpgsqlCommand(sql, connection, transaction), parameters);

    /// <summary>On <paramref name="transaction"/> when given (throws if it has ended), else on a pooled connection.</summary>
    private NpgsqlCommand Command(string sql, NpgsqlTransaction? transaction, params ReadOnlySpan<NpgsqlParameter> parameters)
        => transaction is null ? Command(sql, parameters) : Command(sql, transaction.Connection!, transaction, parameters);

    private static NpgsqlCommand Bind(NpgsqlCommand command, ReadOnlySpan<NpgsqlParameter> parameters)
    {
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter);
        }

        return command;
    }

    private async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        using var command = Command(sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a statement of the finish path that answers how many rows it finished (see <see cref="Sql.Finish"/>).</summary>
    private static async Task<int> FinishAsync(NpgsqlCommand command, CancellationToken cancellationToken)
        => (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;

    /// <inheritdoc cref="FinishAsync(NpgsqlCommand, CancellationToken)"/>
    private async Task<int> FinishAsync(string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        using var command = Command(sql, parameters);
        return await FinishAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="command"/> and maps each row with <paramref name="read"/>.</summary>
    private static async Task<List<T>> ReadAllAsync<T>(NpgsqlCommand command, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken, int capacity = 0)
    {
        var rows = new List<T>(capacity);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(read(reader));
            }
        }

        return rows;
    }

    /// <summary>Prepares <paramref name="command"/> (on an open connection) when statements are prepared.</summary>
    private async ValueTask PrepareAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        if (PrepareStatements)
        {
            await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Wakes workers of <paramref name="queue"/> on every node, outside any enqueuer's transaction.</summary>
    public Task NotifyAsync(string queue, CancellationToken cancellationToken)
        => UseNotifications ? ExecuteAsync(Sql.Notify, cancellationToken, Parameters.Text(queue)) : Task.CompletedTask;
}
