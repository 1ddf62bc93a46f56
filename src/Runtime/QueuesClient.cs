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
    /// Whether enqueues wake idle workers with a NOTIFY (rate-limited per queue, see <see cref="NotifyInterval"/>).
    /// Correctness never depends on it: workers also poll. Turn it off behind PgBouncer in transaction mode.
    /// </summary>
    public bool NotifyWorkers { get; init; } = true;

    /// <summary>
    /// Prepare the hot statements (enqueue, claim, complete) once per physical connection (on by default): PostgreSQL
    /// then skips parsing and planning them. Turn off behind a pooler that cannot keep prepared statements, such as
    /// PgBouncer before 1.21 in transaction mode.
    /// </summary>
    public bool PrepareStatements { get; init; } = true;

    /// <summary>
    /// The shortest time between two NOTIFYs this client sends for one queue: 2 ms. A committing transaction that
    /// notified holds a database-wide lock through its commit (including the WAL flush), so notifying on every commit
    /// serializes concurrent enqueuers (measured: 62 % of the raw INSERT rate with 8 callers). One NOTIFY per 2 ms per
    /// queue keeps this client's notifying commits from queueing behind each other (101 % of raw) while a job enqueued
    /// on its own still wakes an idle worker at once; jobs enqueued in between are found by workers that a NOTIFY
    /// woke and that poll every few milliseconds for a while after.
    /// </summary>
    public static readonly TimeSpan NotifyInterval = TimeSpan.FromMilliseconds(2);

    private readonly NotifyLimiter _notifyLimiter = new(NotifyInterval);

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
    /// A unique job (<see cref="JobDefinition.UniqueBy"/> or <see cref="EnqueueOptions.UniqueKey"/>) whose key is held by
    /// a job in a state that counts is not inserted: the result says so and names that job. When the holder is another
    /// transaction's uncommitted insert, this call waits for that transaction to end.
    /// </summary>
    /// <param name="transaction">The caller's open transaction, the same one that writes the data the job refers to.</param>
    /// <param name="job">The job's name and defaults.</param>
    /// <param name="payload">The payload as UTF-8 JSON.</param>
    /// <param name="options">Overrides of the job's defaults, or null.</param>
    /// <param name="cancellationToken">Cancels the insert.</param>
    /// <returns>The new job's id, or the holder's id with <see cref="EnqueueResult.IsDuplicate"/> set.</returns>
    /// <exception cref="InvalidOperationException">The transaction has already been committed or rolled back.</exception>
    /// <exception cref="ArgumentException">The job is unique by payload members and the payload is not a JSON object.</exception>
    public async Task<EnqueueResult> EnqueueAsync(
        NpgsqlTransaction transaction,
        JobDefinition job,
        ReadOnlyMemory<byte> payload,
        EnqueueOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(job);
        return await EnqueueCoreAsync(CreateCommand("", transaction, job), job, payload, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Inserts a job on its own, outside any transaction of the caller: one autocommitted statement on a pooled connection.
    /// Use it only where the caller writes no data the job depends on; beside data writes it is a dual write (the
    /// analyzers flag that). The generated <c>Enqueue{Name}Async</c> overloads without a transaction call this.
    /// </summary>
    /// <param name="job">The job's name and defaults.</param>
    /// <param name="payload">The payload as UTF-8 JSON.</param>
    /// <param name="options">Overrides of the job's defaults, or null.</param>
    /// <param name="cancellationToken">Cancels the insert.</param>
    /// <returns>The new job's id, or the holder's id with <see cref="EnqueueResult.IsDuplicate"/> set.</returns>
    /// <exception cref="ArgumentException">The job is unique by payload members and the payload is not a JSON object.</exception>
    public async Task<EnqueueResult> EnqueueAsync(
        JobDefinition job,
        ReadOnlyMemory<byte> payload,
        EnqueueOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await EnqueueCoreAsync(connection.CreateCommand(), job, payload, options, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<EnqueueResult> EnqueueCoreAsync(
        NpgsqlCommand command,
        JobDefinition job,
        ReadOnlyMemory<byte> payload,
        EnqueueOptions? options,
        CancellationToken cancellationToken)
    {
        using var commandScope = command;

        var (queue, priority, maxAttempts) = Resolve(job, options);
        var uniqueKey = UniqueKeys.Compute(job, payload.Span, options);
        var scheduled = options is { RunAt: not null } or { Delay: not null };
        var notify = NotifyWorkers && (options?.RunAt is null || options.RunAt <= DateTimeOffset.UtcNow) && options?.Delay is null or { Ticks: <= 0 }
            && _notifyLimiter.TryAcquire(queue);
        command.CommandText = uniqueKey is not null ? _sql.InsertUnique : scheduled ? _sql.InsertScheduled : notify ? _sql.InsertAndNotify : _sql.Insert;
        var parameters = command.Parameters;
        AddJobColumns(parameters, job, queue, priority, maxAttempts);
        parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>> { TypedValue = payload, NpgsqlDbType = NpgsqlDbType.Jsonb });
        if (scheduled || uniqueKey is not null)
        {
            AddRunAt(parameters, options);
            parameters.Add(new NpgsqlParameter<bool> { TypedValue = notify });
        }

        if (uniqueKey is not null)
        {
            parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = uniqueKey, NpgsqlDbType = NpgsqlDbType.Bytea });
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = UniqueKeys.States(job, options), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            return await InsertUniqueAsync(command, uniqueKey, cancellationToken).ConfigureAwait(false);
        }

        if (PrepareStatements)
        {
            await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
        }

        var id = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return new EnqueueResult(new JobId((long)id!), IsDuplicate: false);
    }

    /// <summary>
    /// Runs the unique insert; on a conflict, finds the holder with a new statement. The holder can leave the states that
    /// count between the two (it finished), so the pair is retried a few times before giving up.
    /// </summary>
    private async Task<EnqueueResult> InsertUniqueAsync(NpgsqlCommand insert, byte[] uniqueKey, CancellationToken cancellationToken)
    {
        using var find = new NpgsqlCommand(_sql.FindUnique, insert.Connection, insert.Transaction);
        find.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = uniqueKey, NpgsqlDbType = NpgsqlDbType.Bytea });
        for (var attempt = 1; ; attempt++)
        {
            if (await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long id)
            {
                return new EnqueueResult(new JobId(id), IsDuplicate: false);
            }

            if (await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long holder)
            {
                return new EnqueueResult(new JobId(holder), IsDuplicate: true);
            }

            if (attempt == 5)
            {
                throw new InvalidOperationException(
                    "A unique enqueue conflicted five times with a job that was gone when looked up; the transaction's isolation level may hide it (use READ COMMITTED).");
            }
        }
    }

    /// <summary>$1 to $4 of every insert: name, queue, priority, max_attempts.</summary>
    private static void AddJobColumns(NpgsqlParameterCollection parameters, JobDefinition job, string queue, short priority, short maxAttempts)
    {
        parameters.Add(new NpgsqlParameter<string> { TypedValue = job.Name });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
        parameters.Add(new NpgsqlParameter<short> { TypedValue = priority });
        parameters.Add(new NpgsqlParameter<short> { TypedValue = maxAttempts });
    }

    private static void AddRunAt(NpgsqlParameterCollection parameters, EnqueueOptions? options)
    {
        parameters.Add(options?.RunAt is { } runAt
            ? new NpgsqlParameter<DateTime> { TypedValue = runAt.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz }
            : new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = options?.Delay ?? TimeSpan.Zero, NpgsqlDbType = NpgsqlDbType.Interval });
    }

    /// <summary>
    /// Inserts many jobs of one kind inside <paramref name="transaction"/> in one round trip (binary COPY): all become
    /// visible when the transaction commits, none if it rolls back. The generated <c>Enqueue{Name}ManyAsync</c> methods
    /// call this.
    /// </summary>
    /// <param name="transaction">The caller's open transaction.</param>
    /// <param name="job">The job's name and defaults.</param>
    /// <param name="payloads">The payloads as UTF-8 JSON, one job each.</param>
    /// <param name="options">Overrides applied to every job, or null.</param>
    /// <param name="cancellationToken">Cancels the insert.</param>
    /// <returns>The number of jobs inserted; for a unique job, duplicates (of existing jobs or within the call) are skipped and not counted.</returns>
    /// <exception cref="InvalidOperationException">The transaction has already been committed or rolled back.</exception>
    public async Task<int> EnqueueManyAsync(
        NpgsqlTransaction transaction,
        JobDefinition job,
        IEnumerable<ReadOnlyMemory<byte>> payloads,
        EnqueueOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(payloads);
        var (queue, priority, maxAttempts) = Resolve(job, options);
        if (UniqueKeys.Applies(job, options))
        {
            return await EnqueueUniqueManyAsync(transaction, job, payloads, options, queue, priority, maxAttempts, cancellationToken).ConfigureAwait(false);
        }

        using var probe = CreateCommand("SELECT now()", transaction, job);
        var connection = probe.Connection!;

        // Scheduling needs the transaction's clock, the one DEFAULT now() would use; without it, defaults serve.
        DateTime? runAt = null;
        var state = "available";
        if (options is { RunAt: not null } or { Delay: not null })
        {
            var now = (DateTime)(await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            runAt = options.RunAt?.UtcDateTime ?? now + options.Delay!.Value;
            state = runAt > now ? "scheduled" : "available";
        }

        var copy = runAt is null ? _sql.CopyJobs : _sql.CopyScheduledJobs;
        var count = 0;
        var importer = await connection.BeginBinaryImportAsync(copy, cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            foreach (var payload in payloads)
            {
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(job.Name, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(queue, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(priority, NpgsqlDbType.Smallint, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(maxAttempts, NpgsqlDbType.Smallint, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(payload, NpgsqlDbType.Jsonb, cancellationToken).ConfigureAwait(false);
                if (runAt is { } at)
                {
                    await importer.WriteAsync(state, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(at, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
                }

                count++;
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        // Once per statement, after the COPY has ended (the connection is busy until the importer is disposed).
        if (count > 0 && state == "available" && NotifyWorkers && _notifyLimiter.TryAcquire(queue))
        {
            probe.CommandText = _sql.Notify;
            probe.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
            await probe.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return count;
    }

    /// <summary>
    /// Inserts many jobs of one kind on their own, outside any transaction of the caller, in one transaction of this call's
    /// (all or none). Use it only where the caller writes no data the jobs depend on. The generated
    /// <c>Enqueue{Name}ManyAsync</c> overloads without a transaction call this.
    /// </summary>
    /// <param name="job">The job's name and defaults.</param>
    /// <param name="payloads">The payloads as UTF-8 JSON, one job each.</param>
    /// <param name="options">Overrides applied to every job, or null.</param>
    /// <param name="cancellationToken">Cancels the insert; nothing is inserted then.</param>
    /// <returns>The number of jobs inserted; for a unique job, duplicates are skipped and not counted.</returns>
    public async Task<int> EnqueueManyAsync(
        JobDefinition job,
        IEnumerable<ReadOnlyMemory<byte>> payloads,
        EnqueueOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(payloads);
        var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var count = await EnqueueManyAsync(transaction, job, payloads, options, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return count;
            }
        }
    }

    /// <summary>
    /// Unique jobs cannot use COPY (it has no ON CONFLICT): one INSERT over unnest arrays instead, still one round trip,
    /// inserting in key order (ids, and so the claim order among equals, follow the keys, not the call's order).
    /// </summary>
    private async Task<int> EnqueueUniqueManyAsync(NpgsqlTransaction transaction, JobDefinition job, IEnumerable<ReadOnlyMemory<byte>> payloads,
        EnqueueOptions? options, string queue, short priority, short maxAttempts, CancellationToken cancellationToken)
    {
        // A per-call key is the same for every payload: hashed once.
        var callKey = options?.UniqueKey is not null ? UniqueKeys.Compute(job, default, options) : null;
        var rows = new List<ReadOnlyMemory<byte>>();
        var keys = new List<byte[]>();
        foreach (var payload in payloads)
        {
            rows.Add(payload);
            keys.Add(callKey ?? UniqueKeys.Compute(job, payload.Span, options)!);
        }

        if (rows.Count == 0)
        {
            return 0;
        }

        using var command = CreateCommand(_sql.InsertUniqueMany, transaction, job);
        var parameters = command.Parameters;
        AddJobColumns(parameters, job, queue, priority, maxAttempts);
        parameters.Add(new NpgsqlParameter<ReadOnlyMemory<byte>[]> { TypedValue = [.. rows], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = [.. keys], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = UniqueKeys.States(job, options), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        AddRunAt(parameters, options);
        int inserted, available;
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            inserted = reader.GetInt32(0);
            available = reader.GetInt32(1);
        }

        if (available > 0 && NotifyWorkers && _notifyLimiter.TryAcquire(queue))
        {
            command.CommandText = _sql.Notify;
            command.Parameters.Clear();
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return inserted;
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

        return ReadJob(reader);
    }

    /// <summary>Reads a row in the column order of <see cref="Sql.GetJob"/>.</summary>
    internal static JobInfo ReadJob(NpgsqlDataReader reader)
    {
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

    /// <summary>The queue, priority and attempts of one enqueue: the options' where given (validated), else the job's.</summary>
    private static (string Queue, short Priority, short MaxAttempts) Resolve(JobDefinition job, EnqueueOptions? options)
    {
        if (options is null)
        {
            return (job.Queue, job.Priority, (short)job.MaxAttempts);
        }

        if (options.Queue is not null)
        {
            Validate.QueueName(options.Queue, "EnqueueOptions.Queue");
        }

        var maxAttempts = options.MaxAttempts ?? job.MaxAttempts;
        Validate.MaxAttempts(maxAttempts, "EnqueueOptions.MaxAttempts");
        return (options.Queue ?? job.Queue, options.Priority ?? job.Priority, (short)maxAttempts);
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
