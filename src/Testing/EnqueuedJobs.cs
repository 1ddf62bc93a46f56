using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Npgsql;
using Queues.Internal;

namespace Queues.Testing;

/// <summary>
/// Reads the jobs table of one schema, for assertions on code that enqueues: "a job of this name whose payload matches
/// was enqueued" and "nothing was enqueued". Given a transaction, it reads through it, so it sees the jobs that
/// transaction inserted before they commit (and those committed by others); without one, it sees committed jobs.
/// </summary>
/// <remarks>
/// Payloads are matched as <see cref="JsonElement"/>s, in the JSON the generated serializer wrote: reflection-free and
/// safe under native AOT, and independent of the generated <c>Jobs</c> class, whose serializers are internal to the
/// assembly that declares the handlers. To work with a typed payload, use <see cref="EnqueuedJob.PayloadAs{T}"/> with a
/// <see cref="JsonTypeInfo{T}"/> from your own <c>JsonSerializerContext</c>.
/// </remarks>
public sealed class EnqueuedJobs
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _select;

    /// <summary>Reads the jobs of <paramref name="schema"/> on <paramref name="dataSource"/>.</summary>
    /// <param name="dataSource">The server holding the schema.</param>
    /// <param name="schema">The Queues schema, e.g. <see cref="QueuesOptions.DefaultSchema"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="schema"/> is not a valid schema name.</exception>
    public EnqueuedJobs(NpgsqlDataSource dataSource, string schema)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        Validate.SchemaName(schema, nameof(schema));
        _dataSource = dataSource;
        _select = $"""
            SELECT id, name, queue, state::text, priority, attempt, max_attempts, run_at, payload::text
            FROM "{schema}".jobs
            WHERE ($1::text IS NULL OR name = $1)
            ORDER BY id
            """;
    }

    /// <summary>The committed jobs, oldest first; only those named <paramref name="name"/> when it is given.</summary>
    /// <param name="name">A job name, or null for every job.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public Task<IReadOnlyList<EnqueuedJob>> ListAsync(string? name = null, CancellationToken cancellationToken = default)
        => ReadAsync(null, name, cancellationToken);

    /// <summary>The jobs <paramref name="transaction"/> sees (its own, uncommitted ones included), oldest first.</summary>
    /// <param name="transaction">The transaction the code under test enqueued in; still open.</param>
    /// <param name="name">A job name, or null for every job.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public Task<IReadOnlyList<EnqueuedJob>> ListAsync(NpgsqlTransaction transaction, string? name = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        return ReadAsync(transaction, name, cancellationToken);
    }

    /// <summary>Asserts that a committed job named <paramref name="name"/>, with a payload matching <paramref name="payload"/>, exists.</summary>
    /// <param name="name">The job name, as in <c>[Job("name")]</c>.</param>
    /// <param name="payload">A predicate on the payload JSON; null to accept any payload.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The first matching job.</returns>
    /// <exception cref="JobAssertionException">No job matches; the message lists the jobs there are.</exception>
    public async Task<EnqueuedJob> AssertEnqueuedAsync(string name, Func<JsonElement, bool>? payload = null, CancellationToken cancellationToken = default)
        => Single(await ReadAsync(null, null, cancellationToken).ConfigureAwait(false), name, payload, "committed");

    /// <summary>
    /// Asserts that <paramref name="transaction"/> sees a job named <paramref name="name"/> with a payload matching
    /// <paramref name="payload"/>: with a schema per test, that the code under test enqueued it in this transaction.
    /// </summary>
    /// <param name="transaction">The transaction the code under test enqueued in; still open.</param>
    /// <param name="name">The job name, as in <c>[Job("name")]</c>.</param>
    /// <param name="payload">A predicate on the payload JSON; null to accept any payload.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The first matching job.</returns>
    /// <exception cref="JobAssertionException">No job matches; the message lists the jobs there are.</exception>
    public async Task<EnqueuedJob> AssertEnqueuedAsync(NpgsqlTransaction transaction, string name, Func<JsonElement, bool>? payload = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        return Single(await ReadAsync(transaction, null, cancellationToken).ConfigureAwait(false), name, payload, "visible in the transaction");
    }

    /// <summary>Asserts that no committed job (of <paramref name="name"/>, when given) exists.</summary>
    /// <param name="name">A job name, or null for any job.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <exception cref="JobAssertionException">A job exists; the message lists them.</exception>
    public async Task AssertNothingEnqueuedAsync(string? name = null, CancellationToken cancellationToken = default)
        => None(await ReadAsync(null, name, cancellationToken).ConfigureAwait(false), name, "committed");

    /// <summary>Asserts that <paramref name="transaction"/> sees no job (of <paramref name="name"/>, when given).</summary>
    /// <param name="transaction">The transaction the code under test ran in; still open.</param>
    /// <param name="name">A job name, or null for any job.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <exception cref="JobAssertionException">A job exists; the message lists them.</exception>
    public async Task AssertNothingEnqueuedAsync(NpgsqlTransaction transaction, string? name = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        None(await ReadAsync(transaction, name, cancellationToken).ConfigureAwait(false), name, "visible in the transaction");
    }

    private static EnqueuedJob Single(IReadOnlyList<EnqueuedJob> jobs, string name, Func<JsonElement, bool>? payload, string where)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        foreach (var job in jobs)
        {
            if (job.Name == name && (payload is null || payload(job.Payload)))
            {
                return job;
            }
        }

        var what = payload is null ? $"a job '{name}'" : $"a job '{name}' with a payload matching the predicate";
        throw new JobAssertionException($"Expected {what} ({where}), but found {Describe(jobs)}");
    }

    private static void None(IReadOnlyList<EnqueuedJob> jobs, string? name, string where)
    {
        if (jobs.Count > 0)
        {
            var what = name is null ? "no job" : $"no job '{name}'";
            throw new JobAssertionException($"Expected {what} ({where}), but found {Describe(jobs)}");
        }
    }

    private static string Describe(IReadOnlyList<EnqueuedJob> jobs)
    {
        if (jobs.Count == 0)
        {
            return "no jobs.";
        }

        var text = new StringBuilder().Append(jobs.Count).Append(jobs.Count == 1 ? " job:" : " jobs:");
        foreach (var job in jobs.Take(20))
        {
            text.Append("\n  ").Append(job);
        }

        return (jobs.Count > 20 ? text.Append("\n  …") : text).ToString();
    }

    private async Task<IReadOnlyList<EnqueuedJob>> ReadAsync(NpgsqlTransaction? transaction, string? name, CancellationToken cancellationToken)
    {
        var connection = transaction?.Connection;
        if (transaction is not null && connection is null)
        {
            throw new InvalidOperationException("The transaction has already completed; assert before committing or rolling it back.");
        }

        var owned = connection is null ? await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false) : null;
        try
        {
            await using var command = new NpgsqlCommand(_select, owned ?? connection, transaction);
            command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = name, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var jobs = new List<EnqueuedJob>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                using var payload = JsonDocument.Parse(reader.GetString(8));
                jobs.Add(new EnqueuedJob(new JobId(reader.GetInt64(0)), reader.GetString(1), reader.GetString(2), JobStates.Parse(reader.GetString(3)),
                    reader.GetInt16(4), reader.GetInt16(5), reader.GetInt16(6), reader.GetFieldValue<DateTimeOffset>(7), payload.RootElement.Clone()));
            }

            return jobs;
        }
        finally
        {
            if (owned is not null)
            {
                await owned.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}

/// <summary>A row of the jobs table, as <see cref="EnqueuedJobs"/> reads it.</summary>
/// <param name="Id">The job's id.</param>
/// <param name="Name">The job name.</param>
/// <param name="Queue">The queue.</param>
/// <param name="State">The state.</param>
/// <param name="Priority">The priority; lower runs first.</param>
/// <param name="Attempt">Attempts made so far.</param>
/// <param name="MaxAttempts">The most attempts it gets.</param>
/// <param name="RunAt">When it is (or was) due.</param>
/// <param name="Payload">The payload JSON, as the generated serializer wrote it.</param>
public sealed record EnqueuedJob(JobId Id, string Name, string Queue, JobState State, short Priority, int Attempt, int MaxAttempts,
    DateTimeOffset RunAt, JsonElement Payload)
{
    /// <summary>The payload as <typeparamref name="T"/>, read with a System.Text.Json source-generated type info (no reflection).</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="typeInfo">E.g. <c>MyJsonContext.Default.UserOnboarding</c>.</param>
    /// <exception cref="JsonException">The payload does not fit <typeparamref name="T"/>.</exception>
    public T PayloadAs<T>(JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return Payload.Deserialize(typeInfo) ?? throw new JsonException($"The payload of job {Id} ('{Name}') is null.");
    }

    /// <inheritdoc />
    public override string ToString() => $"{Id} '{Name}' queue={Queue} state={State.ToString().ToLowerInvariant()} payload={CompactPayload()}";

    private string CompactPayload()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Payload.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

/// <summary>An assertion of <see cref="EnqueuedJobs"/> or <see cref="JobRunner"/> failed; the message says what was found instead.</summary>
public sealed class JobAssertionException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was expected and what was found.</param>
    public JobAssertionException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">What was expected and what was found.</param>
    /// <param name="innerException">What the job's handler threw, if anything.</param>
    public JobAssertionException(string message, Exception? innerException) : base(message, innerException) { }
}
