using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Queues.Internal;

namespace Queues;

/// <summary>
/// The entry point to one Queues schema: migrates it, inserts jobs inside the caller's transaction and reads jobs back.
/// The generated <c>Jobs</c> class wraps it with one typed method per job. Thread-safe; keep one per schema.
/// </summary>
public sealed class QueuesClient
{
    private readonly Sql _sql;

    /// <summary>Creates a client for <paramref name="schema"/> on <paramref name="dataSource"/>.</summary>
    /// <param name="dataSource">Where the schema lives.</param>
    /// <param name="schema">The schema name: lowercase letters, digits and underscores. Defaults to <c>queues</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="schema"/> is not a valid name.</exception>
    public QueuesClient(NpgsqlDataSource dataSource, string schema = QueuesOptions.DefaultSchema)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        DataSource = dataSource;
        _sql = new Sql(schema);
    }

    /// <summary>The data source the client migrates and reads through.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>The schema holding the jobs table.</summary>
    public string Schema => _sql.Schema;

    internal Sql Sql => _sql;

    /// <summary>
    /// Creates the schema or brings it up to date. Safe to call from several processes at once: they wait for each other
    /// on an advisory lock and the later ones find nothing to do.
    /// </summary>
    /// <param name="cancellationToken">Cancels the migration; nothing is applied then.</param>
    /// <returns>The number of migrations applied.</returns>
    public Task<int> MigrateAsync(CancellationToken cancellationToken = default)
        => Migrator.MigrateAsync(DataSource, _sql, cancellationToken);

    /// <summary>
    /// Inserts a job inside <paramref name="transaction"/>: it becomes visible to workers when the transaction commits and
    /// never existed if it rolls back. The generated <c>Enqueue{Name}Async</c> methods call this with a serialized payload.
    /// </summary>
    /// <param name="transaction">The caller's open transaction, the same one that writes the data the job refers to.</param>
    /// <param name="job">The job's name and defaults.</param>
    /// <param name="payload">The payload as UTF-8 JSON.</param>
    /// <param name="options">Overrides of the job's defaults, or null.</param>
    /// <param name="cancellationToken">Cancels the insert.</param>
    /// <returns>The new job's id.</returns>
    /// <exception cref="InvalidOperationException">The transaction has already been committed or rolled back.</exception>
    public async Task<JobId> EnqueueAsync(
        NpgsqlTransaction transaction,
        JobDefinition job,
        ReadOnlyMemory<byte> payload,
        EnqueueOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(job);

        var queue = options?.Queue ?? job.Queue;
        var maxAttempts = options?.MaxAttempts ?? job.MaxAttempts;
        if (options is not null)
        {
            if (options.Queue is not null)
            {
                Validate.QueueName(options.Queue, "EnqueueOptions.Queue");
            }

            Validate.MaxAttempts(maxAttempts, "EnqueueOptions.MaxAttempts");
        }

        using var command = CreateCommand(_sql.Insert, transaction, job);
        var parameters = command.Parameters;
        parameters.Add(new NpgsqlParameter<string> { TypedValue = job.Name });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
        parameters.Add(new NpgsqlParameter<short> { TypedValue = options?.Priority ?? job.Priority });
        parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)maxAttempts });
        parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { TypedValue = payload, NpgsqlDbType = NpgsqlDbType.Jsonb });
        parameters.Add(options?.RunAt is { } runAt
            ? new NpgsqlParameter<DateTime> { TypedValue = runAt.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz }
            : new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = options?.Delay ?? TimeSpan.Zero, NpgsqlDbType = NpgsqlDbType.Interval });

        var id = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return new JobId((long)id!);
    }

    /// <summary>Reads one job, or null when no row has that id.</summary>
    /// <param name="id">The job's id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<JobInfo?> GetJobAsync(JobId id, CancellationToken cancellationToken = default)
    {
        using var command = DataSource.CreateCommand(_sql.GetJob);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id.Value });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new JobInfo
        {
            Id = new JobId(reader.GetInt64(0)),
            Name = reader.GetString(1),
            Queue = reader.GetString(2),
            State = JobStates.Parse(reader.GetString(3)),
            Priority = reader.GetInt16(4),
            Payload = reader.GetString(5),
            Attempt = reader.GetInt16(6),
            MaxAttempts = reader.GetInt16(7),
            RunAt = reader.GetFieldValue<DateTimeOffset>(8),
            CreatedAt = reader.GetFieldValue<DateTimeOffset>(9),
            AttemptedAt = reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
            FinalizedAt = reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11),
            Errors = ParseErrors(reader.GetString(12)),
        };
    }

    /// <summary>A command on the transaction's connection; a finished transaction gets a message that says what to do.</summary>
    private static NpgsqlCommand CreateCommand(string sql, NpgsqlTransaction transaction, JobDefinition job)
    {
        try
        {
            // Npgsql reports a finished transaction from either of these (null connection, or InvalidOperationException).
            var connection = transaction.Connection;
            if (connection is not null)
            {
                return new NpgsqlCommand(sql, connection, transaction);
            }
        }
        catch (InvalidOperationException)
        {
            // Includes ObjectDisposedException: the transaction was disposed.
        }

        throw new InvalidOperationException(
            $"Cannot enqueue job '{job.Name}': its transaction has already been committed, rolled back or disposed. Enqueue inside an open transaction.");
    }

    private static List<JobError> ParseErrors(string json)
    {
        using var document = JsonDocument.Parse(json);
        var errors = new List<JobError>(document.RootElement.GetArrayLength());
        foreach (var e in document.RootElement.EnumerateArray())
        {
            errors.Add(new JobError(
                e.GetProperty("attempt").GetInt32(),
                e.GetProperty("at").GetDateTimeOffset(),
                e.GetProperty("kind").GetString() ?? "",
                e.TryGetProperty("type", out var type) ? type.GetString() : null,
                e.GetProperty("message").GetString() ?? "",
                e.TryGetProperty("trace", out var trace) ? trace.GetString() : null));
        }

        return errors;
    }
}
