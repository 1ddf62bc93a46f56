using System.Text.Json;
using Npgsql;

namespace Queues.Internal;

internal sealed partial class JobStore
{
    /// <summary>One job, or null when no row has that id; running with a heartbeat older than <paramref name="staleAfter"/> is stale.</summary>
    public async Task<JobInfo?> GetJobAsync(long id, TimeSpan staleAfter, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.GetJob, Parameters.Bigint(id), Parameters.Interval(staleAfter));
        var rows = await ReadAllAsync(command, ReadJob, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>Jobs matching <paramref name="filter"/> older than <paramref name="before"/>, newest first, at most <paramref name="limit"/> rows.</summary>
    public async Task<List<JobInfo>> ListJobsAsync(JobFilter filter, JobId? before, int limit, TimeSpan staleAfter, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.ListJobs,
            Parameters.NullableText(filter.Queue),
            Parameters.NullableText(filter.Name),
            Parameters.TextArray(filter.States is { Count: > 0 } states ? states.Select(JobStates.ToText).ToArray() : null),
            Parameters.TimestampTz(filter.CreatedFrom),
            Parameters.TimestampTz(filter.CreatedBefore),
            Parameters.Bigint(before?.Value),
            Parameters.Integer(limit),
            Parameters.NullableBigintArray(filter.Ids?.Select(static id => id.Value).ToArray()),
            Parameters.Interval(staleAfter),
            Parameters.TimestampTz(filter.FinishedFrom),
            Parameters.TimestampTz(filter.FinishedBefore));
        return await ReadAllAsync(command, ReadJob, cancellationToken, Math.Min(limit, 128)).ConfigureAwait(false);
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
        => await FinishAsync(Sql.CancelJob, cancellationToken, Parameters.Bigint(id), Parameters.UserText(reason, ErrorRecord.MaxMessageLength))
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

    /// <summary>Whether <paramref name="queue"/> is known; see <see cref="Sql.QueueKnown"/>.</summary>
    public async Task<bool> IsQueueKnownAsync(string queue, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.QueueKnown, Parameters.Text(queue));
        return (await ReadAllAsync(command, static r => r.GetBoolean(0), cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary>The paused queues, in name order.</summary>
    public async Task<List<string>> GetPausedQueuesAsync(CancellationToken cancellationToken)
    {
        using var command = Command(Sql.PausedQueues);
        return await ReadAllAsync(command, static r => r.GetString(0), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Unfinished jobs per queue, with paused queues; see <see cref="Sql.QueueSummaries"/>.</summary>
    public async Task<List<QueueSummary>> GetQueueSummariesAsync(CancellationToken cancellationToken)
    {
        using var command = Command(Sql.QueueSummaries);
        return await ReadAllAsync(command, static r =>
        {
            var (states, counts) = (r.GetFieldValue<string[]>(1), r.GetFieldValue<long[]>(2));
            var byState = JobStates.Unfinished.ToDictionary(static s => s, static _ => 0L);
            for (var i = 0; i < states.Length; i++)
            {
                byState[JobStates.Parse(states[i])] = counts[i];
            }

            return new QueueSummary(r.GetString(0), byState, r.IsDBNull(3) ? null : r.GetFieldValue<DateTimeOffset>(3), r.GetBoolean(4));
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The planner's row estimate of the jobs table; -1 before it was first analyzed.</summary>
    public async Task<long> GetEstimatedRowsAsync(CancellationToken cancellationToken)
    {
        using var command = Command(Sql.EstimatedRows);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long rows ? rows : -1;
    }

    /// <summary>Jobs in each of <see cref="Sql.CountedFinalStates"/>, counted exactly up to <paramref name="limit"/> (a count of <paramref name="limit"/> is a lower bound).</summary>
    public async Task<List<JobStateTotal>> CountStatesCappedAsync(long limit, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.CountStatesCapped, new NpgsqlParameter<long> { TypedValue = limit });
        return await ReadAllAsync(command, r =>
        {
            var count = r.GetInt64(1);
            return new JobStateTotal(JobStates.Parse(r.GetString(0)), count, false, count >= limit);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Finished jobs per state: exact, or estimated from statistics when <paramref name="estimate"/>.</summary>
    public async Task<List<JobStateTotal>> GetFinishedTotalsAsync(bool estimate, CancellationToken cancellationToken)
    {
        using var command = estimate ? Command(Sql.EstimatedFinishedByState, Parameters.Text(Schema)) : Command(Sql.CountFinishedByState);
        return await ReadAllAsync(command, r => new JobStateTotal(JobStates.Parse(r.GetString(0)), r.GetInt64(1), estimate, false), cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>The available job waiting longest, or null.</summary>
    public async Task<WaitingJob?> GetOldestAvailableAsync(string? queue, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.OldestAvailable, Parameters.NullableText(queue));
        var rows = await ReadAllAsync(command, static r => new WaitingJob(new JobId(r.GetInt64(0)), r.GetString(1), r.GetString(2), r.GetFieldValue<DateTimeOffset>(3)),
            cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>The nodes seen alive; see <see cref="Sql.Nodes"/>.</summary>
    public async Task<List<NodeInfo>> GetNodesAsync(TimeSpan rescueAfter, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.Nodes, Parameters.Interval(rescueAfter));
        return await ReadAllAsync(command, static r => new NodeInfo(
            r.GetString(0), r.GetInt64(1), r.IsDBNull(2) ? null : r.GetFieldValue<DateTimeOffset>(2), r.GetBoolean(3),
            r.IsDBNull(4) ? null : r.GetFieldValue<DateTimeOffset>(4), r.GetBoolean(5), r.GetInt64(6)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The last recorded run (schedule time, job id) of each named periodic job that has one.</summary>
    public async Task<List<(string Name, DateTimeOffset ScheduledAt, long? JobId)>> GetLastCronRunsAsync(string[] names, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.LastCronRuns, Parameters.TextArray(names));
        return await ReadAllAsync(command, static r => (r.GetString(0), r.GetFieldValue<DateTimeOffset>(1), r.IsDBNull(2) ? (long?)null : r.GetInt64(2)),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Acts on one batch of jobs matching <paramref name="filter"/> in <paramref name="states"/> with ids below
    /// <paramref name="before"/>; returns how many, the lowest id (the next cursor) and, for a retry, the queues touched.
    /// </summary>
    public async Task<(int Count, long? LowestId, string[]? Queues)> ActOnBatchAsync(
        BulkAction action, JobFilter filter, string[] states, long? before, int limit, string? reason, CancellationToken cancellationToken)
    {
        var sql = action switch
        {
            BulkAction.Retry => Sql.RetryMatching,
            BulkAction.Cancel => Sql.CancelMatching,
            _ => Sql.DeleteMatching,
        };
        using var command = Command(sql, [.. FilterParameters(filter, states, before), Parameters.Integer(limit)]);
        if (action == BulkAction.Cancel)
        {
            // $11, the reason, exists only in the cancel statement.
            command.Parameters.Add(Parameters.UserText(reason ?? "cancelled by an administrator", ErrorRecord.MaxMessageLength));
        }

        var rows = await ReadAllAsync(command, static r => (r.GetInt32(0), r.IsDBNull(1) ? (long?)null : r.GetInt64(1), r.IsDBNull(2) ? null : r.GetFieldValue<string[]>(2)),
            cancellationToken).ConfigureAwait(false);
        return rows[0];
    }

    /// <summary>How many jobs <paramref name="action"/> would take with <paramref name="filter"/> in <paramref name="states"/> now.</summary>
    public async Task<long> CountMatchingAsync(BulkAction action, JobFilter filter, string[] states, CancellationToken cancellationToken)
    {
        using var command = Command(action == BulkAction.Retry ? Sql.CountRetryMatching : Sql.CountMatching, FilterParameters(filter, states, null));
        return (await ReadAllAsync(command, static r => r.GetInt64(0), cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary>Finished jobs that finished before <paramref name="finishedBefore"/>: what <see cref="DeleteFinishedAsync"/> would take.</summary>
    public async Task<long> CountFinishedAsync(DateTimeOffset finishedBefore, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.CountFinishedBefore, Parameters.TimestampTz(finishedBefore.UtcDateTime));
        return (await ReadAllAsync(command, static r => r.GetInt64(0), cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary>
    /// Failures in [<paramref name="from"/>, <paramref name="to"/>) grouped by reason (see <see cref="Sql.FailureGroups"/>),
    /// reading at most <paramref name="maxRows"/> discarded and as many retryable jobs.
    /// </summary>
    public async Task<FailureGroups> GetFailureGroupsAsync(DateTimeOffset from, DateTimeOffset to, string? queue, int maxRows, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.FailureGroups, Parameters.TimestampTz(from.UtcDateTime), Parameters.TimestampTz(to.UtcDateTime),
            Parameters.NullableText(queue), Parameters.Integer(maxRows));
        long discarded = 0, retryable = 0;
        var groups = await ReadAllAsync(command, r =>
        {
            (discarded, retryable) = (r.GetInt64(9), r.GetInt64(10));
            return new FailureGroup(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4),
                r.GetInt64(5), r.GetInt64(6), r.GetFieldValue<DateTimeOffset>(7), r.GetFieldValue<DateTimeOffset>(8));
        }, cancellationToken).ConfigureAwait(false);
        return new FailureGroups(from, to, groups, discarded >= maxRows || retryable >= maxRows);
    }

    /// <summary>$1 to $9 of the bulk statements (<c>Sql.MatchingFilter</c>): the filter, the states and the keyset cursor.</summary>
    private static NpgsqlParameter[] FilterParameters(JobFilter filter, string[] states, long? before) =>
    [
        Parameters.NullableText(filter.Queue),
        Parameters.NullableText(filter.Name),
        Parameters.TextArray(states),
        Parameters.TimestampTz(filter.CreatedFrom),
        Parameters.TimestampTz(filter.CreatedBefore),
        filter.Ids is { } ids
            ? Parameters.BigintArray([.. ids.Select(static i => i.Value)])
            : new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bigint },
        Parameters.Bigint(before),
        Parameters.TimestampTz(filter.FinishedFrom),
        Parameters.TimestampTz(filter.FinishedBefore),
    ];

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
        HeartbeatAt = reader.IsDBNull(13) ? null : reader.GetFieldValue<DateTimeOffset>(13),
        AttemptedBy = reader.IsDBNull(14) ? null : reader.GetString(14),
        IsStale = reader.GetBoolean(15),
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
