using Npgsql;
using Queues.Internal;
using Queues.Internal.Telemetry;

namespace Queues;

/// <summary>
/// The entry point to one Queues schema: migrates it, inserts jobs inside the caller's transaction and reads jobs back.
/// The generated <c>Jobs</c> class wraps it with one typed method per job. Thread-safe; keep one per schema.
/// </summary>
public sealed class QueuesClient
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _schema;
    private readonly bool _useNotifications = true;
    private readonly bool _prepareStatements = true;
    private JobStore? _store;

    /// <summary>Creates a client for <paramref name="schema"/> on <paramref name="dataSource"/>.</summary>
    /// <param name="dataSource">Where the schema lives.</param>
    /// <param name="schema">The schema name: lowercase letters, digits and underscores. Defaults to <c>queues</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="schema"/> is not a valid name.</exception>
    public QueuesClient(NpgsqlDataSource dataSource, string schema = QueuesOptions.DefaultSchema)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        Validate.SchemaName(schema, nameof(schema));
        _dataSource = dataSource;
        _schema = schema;
    }

    /// <summary>The client the worker's services share: its store is the worker's.</summary>
    internal QueuesClient(JobStore store)
    {
        _dataSource = store.DataSource;
        _schema = store.Schema;
        _useNotifications = store.UseNotifications;
        _prepareStatements = store.PrepareStatements;
        _store = store;
    }

    /// <summary>The data source the client migrates and reads through.</summary>
    public NpgsqlDataSource DataSource => _dataSource;

    /// <summary>The schema holding the jobs table.</summary>
    public string Schema => _schema;

    /// <summary>
    /// Whether enqueues wake idle workers with a NOTIFY (at most one per queue every few milliseconds, so committing
    /// enqueuers do not serialize on it). Correctness never depends on it: workers also poll. Turn it off behind
    /// PgBouncer in transaction mode. The same setting as <see cref="QueuesOptions.UseNotifications"/>.
    /// </summary>
    public bool UseNotifications
    {
        get => _useNotifications;
        init => _useNotifications = value;
    }

    /// <summary>
    /// Prepare the hot statements (enqueue, claim, complete) once per physical connection (on by default): PostgreSQL
    /// then skips parsing and planning them. Turn off behind a pooler that cannot keep prepared statements, such as
    /// PgBouncer before 1.21 in transaction mode. The same setting as <see cref="QueuesOptions.PrepareStatements"/>.
    /// </summary>
    public bool PrepareStatements
    {
        get => _prepareStatements;
        init => _prepareStatements = value;
    }

    /// <summary>The storage this client works through; for <see cref="QueuesAdmin"/> and tests, never the worker.</summary>
    /// <remarks>Created on first use, after the init-only settings have been applied.</remarks>
    internal JobStore Store => _store ?? LazyInitializer.EnsureInitialized(ref _store, () => new JobStore(_dataSource, _schema, _prepareStatements, _useNotifications));

    /// <summary>
    /// The shortest time between two NOTIFYs this client sends for one queue. A committing transaction that notified
    /// holds a database-wide lock through its commit, so one NOTIFY per queue per interval keeps concurrent enqueuers
    /// from queueing behind each other, while a job enqueued on its own still wakes an idle worker at once.
    /// </summary>
    public static readonly TimeSpan NotifyInterval = JobStore.NotifyInterval;

    /// <summary>
    /// Creates the schema or brings it up to date. Safe to call from several processes at once: they wait for each other
    /// on an advisory lock and the later ones find nothing to do. A schema that is already current is only read, so an
    /// application role without CREATE rights can call this.
    /// </summary>
    /// <param name="cancellationToken">Cancels the migration; nothing is applied then.</param>
    /// <returns>The number of migrations applied.</returns>
    public Task<int> MigrateAsync(CancellationToken cancellationToken = default) => Store.MigrateAsync(cancellationToken);

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
        var row = NewJobs.Create(job, payload.Span, options);
        var connection = OpenConnectionOf(transaction, job);
        using var activity = QueuesTelemetry.StartEnqueue(row.Queue, row.Name);
        try
        {
            var result = await Store.InsertAsync(connection, transaction, QueuesTelemetry.WithTraceContext(row), payload, cancellationToken).ConfigureAwait(false);
            QueuesTelemetry.Enqueued(activity, row, result.IsDuplicate ? 0 : 1, result.Id.Value);
            return result;
        }
        catch (Exception exception) when (QueuesTelemetry.EnqueueFailed(activity, exception))
        {
            throw;
        }
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
        var row = NewJobs.Create(job, payload.Span, options);
        using var activity = QueuesTelemetry.StartEnqueue(row.Queue, row.Name);
        try
        {
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var result = await Store.InsertAsync(connection, null, QueuesTelemetry.WithTraceContext(row), payload, cancellationToken).ConfigureAwait(false);
                QueuesTelemetry.Enqueued(activity, row, result.IsDuplicate ? 0 : 1, result.Id.Value);
                return result;
            }
        }
        catch (Exception exception) when (QueuesTelemetry.EnqueueFailed(activity, exception))
        {
            throw;
        }
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
        var row = NewJobs.CreateBatch(job, options);
        OpenConnectionOf(transaction, job);
        using var activity = QueuesTelemetry.StartEnqueue(row.Queue, row.Name);
        try
        {
            var count = await EnqueueManyCoreAsync(transaction, job, QueuesTelemetry.WithTraceContext(row), payloads, options, cancellationToken).ConfigureAwait(false);
            QueuesTelemetry.Enqueued(activity, row, count);
            return count;
        }
        catch (Exception exception) when (QueuesTelemetry.EnqueueFailed(activity, exception))
        {
            throw;
        }
    }

    /// <summary>One COPY, or for a unique job one INSERT over arrays; every row carries <paramref name="row"/>'s trace context.</summary>
    private async Task<int> EnqueueManyCoreAsync(NpgsqlTransaction transaction, JobDefinition job, NewJob row, IEnumerable<ReadOnlyMemory<byte>> payloads,
        EnqueueOptions? options, CancellationToken cancellationToken)
    {
        if (!UniqueKeys.Applies(job, options))
        {
            // Checked in full before the COPY starts: a payload refused halfway through would abort the caller's transaction.
            var all = payloads as IReadOnlyCollection<ReadOnlyMemory<byte>> ?? [.. payloads];
            foreach (var payload in all)
            {
                StorablePayload.Check(job, payload.Span);
            }

            return await Store.CopyAsync(transaction, row, all, cancellationToken).ConfigureAwait(false);
        }

        // A per-call key is the same for every payload: hashed once.
        var callKey = options?.UniqueKey is not null ? UniqueKeys.Compute(job, default, options) : null;
        var rows = new List<ReadOnlyMemory<byte>>();
        var keys = new List<byte[]>();
        foreach (var payload in payloads)
        {
            StorablePayload.Check(job, payload.Span);
            rows.Add(payload);
            keys.Add(callKey ?? UniqueKeys.Compute(job, payload.Span, options)!);
        }

        return rows.Count == 0 ? 0 : await Store.InsertUniqueManyAsync(transaction, row, [.. rows], [.. keys], cancellationToken).ConfigureAwait(false);
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
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
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

    /// <summary>Reads one job, or null when no row has that id.</summary>
    /// <param name="id">The job's id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public Task<JobInfo?> GetJobAsync(JobId id, CancellationToken cancellationToken = default)
        => Store.GetJobAsync(id.Value, QueuesOptions.DefaultRescueAfter, cancellationToken);

    /// <summary>The transaction's connection; a finished transaction gets a message that says what to do.</summary>
    private static NpgsqlConnection OpenConnectionOf(NpgsqlTransaction transaction, JobDefinition job)
    {
        try
        {
            // Npgsql reports a finished transaction from either of these (null connection, or InvalidOperationException).
            if (transaction.Connection is { } connection)
            {
                // Npgsql refuses a command on a committed or rolled-back transaction here, before anything is sent.
                using var probe = new NpgsqlCommand(null, connection, transaction);
                return connection;
            }
        }
        catch (InvalidOperationException)
        {
            // Includes ObjectDisposedException: the transaction was disposed.
        }

        throw new InvalidOperationException(
            $"Cannot enqueue job '{job.Name}': its transaction has already been committed, rolled back or disposed. Enqueue inside an open transaction.");
    }
}
