using Npgsql;
using Queues.Internal;

namespace Queues;

/// <summary>
/// Inspects and operates on the jobs of one schema: list, count, retry, cancel and clean up. For operators, a CLI or a
/// dashboard; nothing here is needed to run jobs.
/// </summary>
public sealed class QueuesAdmin
{
    /// <summary>The most rows <see cref="ListJobsAsync"/> returns per page: 1000.</summary>
    public const int MaxPageSize = 1_000;

    private readonly JobStore _store;

    /// <summary>Administers the schema of <paramref name="client"/>.</summary>
    /// <param name="client">The client of the schema.</param>
    public QueuesAdmin(QueuesClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        _store = client.Store;
    }

    internal QueuesAdmin(JobStore store) => _store = store;

    /// <summary>Reads one job, or null when no row has that id.</summary>
    /// <param name="id">The job's id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public Task<JobInfo?> GetJobAsync(JobId id, CancellationToken cancellationToken = default) => _store.GetJobAsync(id.Value, cancellationToken);

    /// <summary>
    /// Lists jobs matching <paramref name="query"/>, newest first, one page at a time: pass the returned
    /// <see cref="JobPage.NextCursor"/> as <see cref="JobQuery.Before"/> to get the next page (keyset pagination, stable
    /// while jobs are inserted).
    /// </summary>
    /// <param name="query">Filters and page size.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="ArgumentOutOfRangeException">The page size is not between 1 and <see cref="MaxPageSize"/>.</exception>
    public async Task<JobPage> ListJobsAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit is < 1 or > MaxPageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query.Limit, $"JobQuery.Limit must be between 1 and {MaxPageSize}; it was {query.Limit}.");
        }

        var jobs = await _store.ListJobsAsync(query, query.Limit + 1, cancellationToken).ConfigureAwait(false);
        JobId? next = null;
        if (jobs.Count > query.Limit)
        {
            jobs.RemoveAt(jobs.Count - 1);
            next = jobs[^1].Id;
        }

        return new JobPage(jobs, next);
    }

    /// <summary>How many jobs each queue holds in each state (states with no jobs are left out).</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<IReadOnlyList<JobCount>> CountJobsAsync(CancellationToken cancellationToken = default)
        => await _store.CountJobsAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// How many jobs reached a final state (completed, cancelled, discarded) in each <paramref name="bucket"/> from
    /// <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive). Buckets with none are left out.
    /// </summary>
    /// <param name="bucket">The width of a bucket, for example one minute.</param>
    /// <param name="from">The start of the first bucket.</param>
    /// <param name="to">The end of the range.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<IReadOnlyList<JobTimeCount>> CountFinishedOverTimeAsync(
        TimeSpan bucket, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        Validate.Positive(bucket, nameof(bucket));
        return await _store.CountFinishedOverTimeAsync(bucket, from, to, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Makes a discarded or cancelled job available again, keeping its error history; a job that used up its attempts
    /// gets one more. Returns false when the job does not exist or is in another state.
    /// </summary>
    /// <param name="id">The job.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    /// <exception cref="InvalidOperationException">
    /// The job is unique and another job now holds its key; the message names that job. Nothing changed.
    /// </exception>
    public async Task<bool> RetryJobAsync(JobId id, CancellationToken cancellationToken = default)
    {
        try
        {
            return await _store.RetryJobAsync(id.Value, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            var holder = await _store.FindUniqueHolderAsync(id.Value, cancellationToken).ConfigureAwait(false);
            throw new InvalidOperationException(
                holder is { } h
                    ? $"Job {id} cannot be retried: it is unique and job {h.Id} ({h.State}) now holds its key. Cancel that job first or leave this one finished."
                    : $"Job {id} cannot be retried: it is unique and another job held its key at the time.",
                exception);
        }
    }

    /// <summary>
    /// Cancels a job that has not finished: it will not run (again). A job that is running right now is marked
    /// cancelled at once; its worker fires the handler's cancellation token within a heartbeat interval and ignores its
    /// outcome. Returns false when the job does not exist or has already finished.
    /// </summary>
    /// <param name="id">The job.</param>
    /// <param name="reason">Recorded on the row.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    public async Task<bool> CancelJobAsync(JobId id, string reason = "cancelled by an administrator", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return await _store.CancelJobAsync(id.Value, reason, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes completed, cancelled and discarded jobs that finished before <paramref name="finishedBefore"/>, in
    /// batches of <paramref name="batchSize"/> so no statement holds many locks for long.
    /// </summary>
    /// <param name="finishedBefore">The cutoff.</param>
    /// <param name="batchSize">Rows per DELETE, 1 to 100,000.</param>
    /// <param name="cancellationToken">Stops between batches; what was deleted stays deleted.</param>
    /// <returns>The number of jobs deleted.</returns>
    public async Task<long> DeleteFinishedJobsAsync(DateTimeOffset finishedBefore, int batchSize = 10_000, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batchSize, 100_000);
        long total = 0;
        while (true)
        {
            var deleted = await _store.DeleteFinishedAsync(finishedBefore, batchSize, cancellationToken).ConfigureAwait(false);
            total += deleted;
            if (deleted < batchSize)
            {
                return total;
            }
        }
    }

    /// <summary>
    /// Pauses <paramref name="queue"/> on every node: workers stop claiming from it (jobs already running finish) and
    /// enqueues go on. Returns false when it was paused already.
    /// </summary>
    /// <param name="queue">The queue.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    public async Task<bool> PauseQueueAsync(string queue, CancellationToken cancellationToken = default)
    {
        Validate.QueueName(queue, nameof(queue));
        return await _store.PauseQueueAsync(queue, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Resumes a paused queue on every node and wakes its workers. Returns false when it was not paused.</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    public async Task<bool> ResumeQueueAsync(string queue, CancellationToken cancellationToken = default)
    {
        Validate.QueueName(queue, nameof(queue));
        var resumed = await _store.ResumeQueueAsync(queue, cancellationToken).ConfigureAwait(false);
        if (resumed)
        {
            await _store.NotifyAsync(queue, cancellationToken).ConfigureAwait(false);
        }

        return resumed;
    }

    /// <summary>The queues paused now, in name order.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<IReadOnlyList<string>> GetPausedQueuesAsync(CancellationToken cancellationToken = default)
        => await _store.GetPausedQueuesAsync(cancellationToken).ConfigureAwait(false);
}

/// <summary>Filters for <see cref="QueuesAdmin.ListJobsAsync"/>; every filter is optional.</summary>
public sealed class JobQuery
{
    /// <summary>Only jobs in this queue.</summary>
    public string? Queue { get; init; }

    /// <summary>Only jobs with this name.</summary>
    public string? Name { get; init; }

    /// <summary>Only jobs in one of these states.</summary>
    public IReadOnlyList<JobState>? States { get; init; }

    /// <summary>Only jobs created at or after this instant.</summary>
    public DateTimeOffset? CreatedFrom { get; init; }

    /// <summary>Only jobs created before this instant.</summary>
    public DateTimeOffset? CreatedBefore { get; init; }

    /// <summary>The cursor: only jobs with a smaller id (older) than this; the previous page's <see cref="JobPage.NextCursor"/>.</summary>
    public JobId? Before { get; init; }

    /// <summary>The page size, 1 to <see cref="QueuesAdmin.MaxPageSize"/>. Defaults to 100.</summary>
    public int Limit { get; init; } = 100;
}

/// <summary>One page of jobs, newest first.</summary>
/// <param name="Jobs">The jobs.</param>
/// <param name="NextCursor">Pass as <see cref="JobQuery.Before"/> for the next page; null on the last page.</param>
public sealed record JobPage(IReadOnlyList<JobInfo> Jobs, JobId? NextCursor);

/// <summary>The number of jobs in one queue and state.</summary>
/// <param name="Queue">The queue.</param>
/// <param name="State">The state.</param>
/// <param name="Count">How many.</param>
public sealed record JobCount(string Queue, JobState State, long Count);

/// <summary>The number of jobs that reached a final state in one time bucket.</summary>
/// <param name="BucketStart">The start of the bucket.</param>
/// <param name="State">The final state.</param>
/// <param name="Count">How many.</param>
public sealed record JobTimeCount(DateTimeOffset BucketStart, JobState State, long Count);
