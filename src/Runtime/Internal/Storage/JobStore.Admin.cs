using System.Text.Json;
using Npgsql;

namespace Queues.Internal;

internal sealed partial class JobStore
{
    /// <summary>One job, or null when no row has that id.</summary>
    public async Task<JobInfo?> GetJobAsync(long id, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.GetJob, Parameters.Bigint(id));
        var rows = await ReadAllAsync(command, ReadJob, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>Jobs matching <paramref name="query"/>, newest first, at most <paramref name="limit"/> rows.</summary>
    public async Task<List<JobInfo>> ListJobsAsync(JobQuery query, int limit, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.ListJobs,
            Parameters.NullableText(query.Queue),
            Parameters.NullableText(query.Name),
            Parameters.TextArray(query.States is { Count: > 0 } states ? states.Select(JobStates.ToText).ToArray() : null),
            Parameters.TimestampTz(query.CreatedFrom),
            Parameters.TimestampTz(query.CreatedBefore),
            Parameters.Bigint(query.Before?.Value),
            Parameters.Integer(limit));
        return await ReadAllAsync(command, ReadJob, cancellationToken, Math.Min(limit, 128)).ConfigureAwait(false);
    }

    /// <summary>Jobs per queue and state.</summary>
    public async Task<List<JobCount>> CountJobsAsync(CancellationToken cancellationToken)
    {
        using var command = Command(Sql.CountByQueueAndState);
        return await ReadAllAsync(command, static r => new JobCount(r.GetString(0), JobStates.Parse(r.GetString(1)), r.GetInt64(2)), cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Jobs finished per bucket and final state.</summary>
    public async Task<List<JobTimeCount>> CountFinishedOverTimeAsync(TimeSpan bucket, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.CountOverTime, Parameters.Interval(bucket), Parameters.TimestampTz(from.UtcDateTime), Parameters.TimestampTz(to.UtcDateTime));
        return await ReadAllAsync(command,
            static r => new JobTimeCount(r.GetFieldValue<DateTimeOffset>(0), JobStates.Parse(r.GetString(1)), r.GetInt64(2)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes a discarded or cancelled job available again; false when it is in another state or absent.</summary>
    /// <exception cref="PostgresException">A unique violation: another job now holds the job's key.</exception>
    public async Task<bool> RetryJobAsync(long id, CancellationToken cancellationToken)
        => await ExecuteAsync(Sql.RetryJob, cancellationToken, Parameters.Bigint(id)).ConfigureAwait(false) == 1;

    /// <summary>The job holding the unique key of job <paramref name="id"/>, with its state; null when none does.</summary>
    public async Task<(long Id, string State)?> FindUniqueHolderAsync(long id, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.UniqueHolder, Parameters.Bigint(id));
        var rows = await ReadAllAsync(command, static r => (r.GetInt64(0), r.GetString(1)), cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>Cancels an unfinished job with <paramref name="reason"/>; false when it has finished or is absent.</summary>
    public async Task<bool> CancelJobAsync(long id, string reason, CancellationToken cancellationToken)
        => await ExecuteAsync(Sql.CancelJob, cancellationToken, Parameters.Bigint(id), Parameters.UserText(reason, ErrorRecord.MaxMessageLength))
            .ConfigureAwait(false) == 1;

    /// <summary>Deletes up to <paramref name="limit"/> jobs finished before <paramref name="finishedBefore"/>; returns how many.</summary>
    public Task<int> DeleteFinishedAsync(DateTimeOffset finishedBefore, int limit, CancellationToken cancellationToken)
        => ExecuteAsync(Sql.DeleteFinished, cancellationToken, Parameters.TimestampTz(finishedBefore.UtcDateTime), Parameters.Integer(limit));

    /// <summary>Pauses a queue on every node; false when it was paused already.</summary>
    public async Task<bool> PauseQueueAsync(string queue, CancellationToken cancellationToken)
        => await ExecuteAsync(Sql.PauseQueue, cancellationToken, Parameters.Text(queue)).ConfigureAwait(false) == 1;

    /// <summary>Resumes a paused queue; false when it was not paused.</summary>
    public async Task<bool> ResumeQueueAsync(string queue, CancellationToken cancellationToken)
        => await ExecuteAsync(Sql.ResumeQueue, cancellationToken, Parameters.Text(queue)).ConfigureAwait(false) == 1;

    /// <summary>The paused queues, in name order.</summary>
    public async Task<List<string>> GetPausedQueuesAsync(CancellationToken cancellationToken)
    {
        using var command = Command(Sql.PausedQueues);
        return await ReadAllAsync(command, static r => r.GetString(0), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Maps a row of <see cref="Sql.GetJob"/> and <see cref="Sql.ListJobs"/> (their shared column list).</summary>
    private static JobInfo ReadJob(NpgsqlDataReader reader) => new()
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
