using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
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
    private readonly ILogger _logger;

    /// <summary>Administers the schema of <paramref name="client"/>; actions are not logged.</summary>
    /// <param name="client">The client of the schema.</param>
    public QueuesAdmin(QueuesClient client)
        : this(client, NullLoggerFactory.Instance)
    {
    }

    /// <summary>
    /// Administers the schema of <paramref name="client"/>, logging every action (who, what, on which jobs, how many) as
    /// <see cref="QueuesEventId.OperatorAction"/> in category <c>Queues.Admin</c>.
    /// </summary>
    /// <param name="client">The client of the schema.</param>
    /// <param name="loggerFactory">Where the action events go.</param>
    public QueuesAdmin(QueuesClient client, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _store = client.Store;
        _logger = loggerFactory.CreateLogger(LogMessages.Categories.Admin);
    }

    internal QueuesAdmin(JobStore store, ILogger logger) => (_store, _logger) = (store, logger);

    /// <summary>
    /// Who acts through this instance, as the action events and the reasons stored on jobs name them, for example
    /// <c>"alice (dashboard)"</c> or <c>"deploy@ci-runner (queues CLI)"</c>; null for an unnamed caller. See
    /// <see cref="WithActor"/>.
    /// </summary>
    public string? Actor { get; init; }

    /// <summary>
    /// The same administration (schema, logging, <see cref="RescueAfter"/>) acting as <paramref name="actor"/>: what a
    /// dashboard does per request with the signed-in user, so every action is recorded with who did it.
    /// </summary>
    /// <param name="actor">The acting user, as the events and stored reasons should name them.</param>
    /// <returns>A new instance; this one is unchanged.</returns>
    public QueuesAdmin WithActor(string actor)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        return new QueuesAdmin(_store, _logger) { RescueAfter = RescueAfter, Actor = actor };
    }

    /// <summary>Records one action: the event, at Information, with the actor, what, how many and on what.</summary>
    private void Audit(string action, long count, string target)
        => LogMessages.OperatorAction(_logger, _store.Schema, Actor ?? "an unnamed caller", action, target, count);

    /// <summary>A reason to store on a job, naming the actor when there is one: "cancelled (by alice via the dashboard)".</summary>
    private string Named(string reason) => Actor is { } actor ? $"{reason} (by {actor})" : reason;

    /// <summary>Reads one job, or null when no row has that id.</summary>
    /// <param name="id">The job's id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public Task<JobInfo?> GetJobAsync(JobId id, CancellationToken cancellationToken = default) => _store.GetJobAsync(id.Value, RescueAfter, cancellationToken);

    /// <summary>
    /// The rescue threshold the liveness views use: a running job whose heartbeat is older is <see cref="JobInfo.IsStale"/>,
    /// and a node not seen for this long is not <see cref="NodeInfo.IsAlive"/> — the very comparisons the maintenance
    /// leader's rescue makes. From <see cref="QueuesOptions.RescueAfter"/> when resolved from the service provider;
    /// <see cref="QueuesOptions.DefaultRescueAfter"/> otherwise.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public TimeSpan RescueAfter
    {
        get;
        init
        {
            Validate.Positive(value, nameof(RescueAfter));
            field = value;
        }
    } = QueuesOptions.DefaultRescueAfter;

    /// <summary>
    /// Lists jobs matching <paramref name="filter"/> — the same filter the bulk actions take, so a list shows exactly what
    /// an action on it would touch — newest first, one page at a time: pass the returned <see cref="JobPage.NextCursor"/>
    /// as <paramref name="before"/> to get the next page (keyset pagination, stable while jobs are inserted). Reading is
    /// harmless, so an empty filter lists every job.
    /// </summary>
    /// <param name="filter">Which jobs; <c>new JobFilter()</c> or <see cref="JobFilter.All"/> for every job.</param>
    /// <param name="before">The cursor: only jobs older (smaller id) than this; null for the first page.</param>
    /// <param name="limit">The page size, 1 to <see cref="MaxPageSize"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="ArgumentOutOfRangeException">The page size is not between 1 and <see cref="MaxPageSize"/>.</exception>
    public async Task<JobPage> ListJobsAsync(JobFilter filter, JobId? before = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (limit is < 1 or > MaxPageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, $"The page size must be between 1 and {MaxPageSize}; it was {limit}.");
        }

        Validate.FilterText(filter.Queue, "JobFilter.Queue");
        Validate.FilterText(filter.Name, "JobFilter.Name");
        var jobs = await _store.ListJobsAsync(filter, before, limit + 1, RescueAfter, cancellationToken).ConfigureAwait(false);
        JobId? next = null;
        if (jobs.Count > limit)
        {
            jobs.RemoveAt(jobs.Count - 1);
            next = jobs[^1].Id;
        }

        return new JobPage(jobs, next);
    }

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
            var retried = await _store.RetryJobAsync(id.Value, cancellationToken).ConfigureAwait(false);
            Audit("retried", retried ? 1 : 0, $"job {id}");
            return retried;
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
        var cancelled = await _store.CancelJobAsync(id.Value, Named(reason), cancellationToken).ConfigureAwait(false);
        Audit("cancelled", cancelled ? 1 : 0, $"job {id}");
        return cancelled;
    }

    /// <summary>
    /// Deletes completed, cancelled and discarded jobs that finished before <paramref name="finishedBefore"/>, in
    /// batches of <paramref name="batchSize"/> so no statement holds many locks for long.
    /// </summary>
    /// <param name="finishedBefore">The cutoff.</param>
    /// <param name="batchSize">Rows per DELETE, 1 to 100,000.</param>
    /// <param name="cancellationToken">Stops between batches; what was deleted stays deleted.</param>
    /// <returns>The number of jobs deleted.</returns>
    public Task<long> DeleteFinishedJobsAsync(DateTimeOffset finishedBefore, int batchSize = 10_000, CancellationToken cancellationToken = default)
        => DeleteFinishedJobsAsync(finishedBefore, null, batchSize, cancellationToken);

    /// <summary>
    /// Deletes completed, cancelled and discarded jobs that finished before <paramref name="finishedBefore"/>, in
    /// batches of <paramref name="batchSize"/>, telling <paramref name="progress"/> the running total after each batch.
    /// </summary>
    /// <param name="finishedBefore">The cutoff.</param>
    /// <param name="progress">Told the running total after each batch, or null.</param>
    /// <param name="batchSize">Rows per DELETE, 1 to 100,000.</param>
    /// <param name="cancellationToken">Stops between batches; what was deleted stays deleted.</param>
    /// <returns>The number of jobs deleted.</returns>
    public async Task<long> DeleteFinishedJobsAsync(DateTimeOffset finishedBefore, IProgress<long>? progress, int batchSize = 10_000, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batchSize, 100_000);
        long total = 0;
        try
        {
            while (true)
            {
                var deleted = await _store.DeleteFinishedAsync(finishedBefore, batchSize, cancellationToken).ConfigureAwait(false);
                total += deleted;
                progress?.Report(total);
                if (deleted < batchSize)
                {
                    return total;
                }
            }
        }
        finally
        {
            // Also when stopped half-way: what was deleted is recorded, whatever ended the loop.
            Audit("purged", total, string.Create(CultureInfo.InvariantCulture, $"jobs that finished before {finishedBefore:O}"));
        }
    }

    /// <summary>
    /// Pauses <paramref name="queue"/> on every node: workers stop claiming from it (jobs already running finish) and
    /// enqueues go on. Returns false when it was paused already. Refuses a queue it does not know (a typo would
    /// otherwise pause a queue nobody uses and leave the real one running); see
    /// <see cref="PauseQueueAsync(string, bool, CancellationToken)"/>.
    /// </summary>
    /// <param name="queue">The queue.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    /// <exception cref="ArgumentException">The queue is not known.</exception>
    public Task<bool> PauseQueueAsync(string queue, CancellationToken cancellationToken = default) => PauseQueueAsync(queue, false, cancellationToken);

    /// <summary>
    /// Pauses <paramref name="queue"/> on every node, as <see cref="PauseQueueAsync(string, CancellationToken)"/>. A
    /// queue is known when it is paused, a worker node lists it among the queues it serves, or it holds a job that is not
    /// completed (scheduled, available, running, retryable, cancelled or discarded). Anything else is refused unless
    /// <paramref name="force"/> is set, for pausing a queue before its first job or worker arrives.
    /// </summary>
    /// <param name="queue">The queue.</param>
    /// <param name="force">Pause it even when it is not known.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    /// <exception cref="ArgumentException">The queue is not known and <paramref name="force"/> is not set.</exception>
    public async Task<bool> PauseQueueAsync(string queue, bool force, CancellationToken cancellationToken = default)
    {
        Validate.QueueName(queue, nameof(queue));
        if (!force && !await _store.IsQueueKnownAsync(queue, cancellationToken).ConfigureAwait(false))
        {
            throw UnknownQueue(queue, " To pause it before its first job or worker arrives, force the pause.");
        }

        var paused = await _store.PauseQueueAsync(queue, cancellationToken).ConfigureAwait(false);
        Audit(force ? "paused (forced)" : "paused", paused ? 1 : 0, $"queue '{queue}'");
        return paused;
    }

    /// <summary>
    /// Resumes a paused queue on every node and wakes its workers. Returns false when it was not paused; refuses a queue
    /// that is not known either (see <see cref="PauseQueueAsync(string, bool, CancellationToken)"/>), so a typo is
    /// reported rather than answered "was not paused".
    /// </summary>
    /// <param name="queue">The queue.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    /// <exception cref="ArgumentException">The queue is not paused and not known.</exception>
    public async Task<bool> ResumeQueueAsync(string queue, CancellationToken cancellationToken = default)
    {
        Validate.QueueName(queue, nameof(queue));
        var resumed = await _store.ResumeQueueAsync(queue, cancellationToken).ConfigureAwait(false);
        if (resumed)
        {
            Audit("resumed", 1, $"queue '{queue}'");
            await _store.NotifyAsync(queue, cancellationToken).ConfigureAwait(false);
        }
        else if (!await _store.IsQueueKnownAsync(queue, cancellationToken).ConfigureAwait(false))
        {
            throw UnknownQueue(queue, "");
        }

        return resumed;
    }

    /// <summary>Whether <paramref name="queue"/> is known: paused, served by a worker node, or holding a job that is not completed.</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<bool> IsQueueKnownAsync(string queue, CancellationToken cancellationToken = default)
    {
        Validate.QueueName(queue, nameof(queue));
        return await _store.IsQueueKnownAsync(queue, cancellationToken).ConfigureAwait(false);
    }

    private static ArgumentException UnknownQueue(string queue, string hint) => new(
        $"Queue '{queue}' is not known: it is not paused, no worker node serves it and it holds no job that is not completed. Check the name.{hint}",
        nameof(queue));

    /// <summary>Jobs per bulk batch: every statement of a bulk action touches at most this many rows.</summary>
    public const int BulkBatchSize = 1_000;

    /// <summary>
    /// Below this many rows (by the planner's estimate) <see cref="GetFinishedTotalsAsync"/> counts exactly; above, it
    /// estimates, because an exact count reads every finished row.
    /// </summary>
    public const long ExactCountLimit = 200_000;

    /// <summary>
    /// Every queue with unfinished jobs or paused, in name order: jobs per unfinished state, the oldest available
    /// job's run-at, and whether it is paused. Reads only unfinished rows, so it stays fast however many finished jobs
    /// the table keeps. Concurrency is not stored: <c>Count(JobState.Running)</c> is what runs now.
    /// </summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<IReadOnlyList<QueueSummary>> GetQueueSummariesAsync(CancellationToken cancellationToken = default)
        => await _store.GetQueueSummariesAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// How many jobs are completed, cancelled and discarded. Exact on a small table. On a table the planner estimates
    /// at <see cref="ExactCountLimit"/> rows or more, cancelled and discarded jobs are still counted exactly up to
    /// <see cref="ExactCountLimit"/> each (beyond, the count is <see cref="ExactCountLimit"/> and marked
    /// <see cref="JobStateTotal.IsLowerBound"/>), reading only the state index; completed jobs are estimated from
    /// PostgreSQL's statistics (as fresh as the last ANALYZE) and marked <see cref="JobStateTotal.IsEstimate"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<IReadOnlyList<JobStateTotal>> GetFinishedTotalsAsync(CancellationToken cancellationToken = default)
    {
        var rows = await _store.GetEstimatedRowsAsync(cancellationToken).ConfigureAwait(false);
        if (rows < ExactCountLimit)
        {
            return await _store.GetFinishedTotalsAsync(false, cancellationToken).ConfigureAwait(false);
        }

        // A big table: cancelled and discarded, the states an incident is about, are still counted, each up to
        // ExactCountLimit index entries (issue 21: a planner estimate of discarded jobs went *down* while 172k were
        // discarded in a minute); only completed, which no index lists by state, is estimated.
        var estimated = await _store.GetFinishedTotalsAsync(true, cancellationToken).ConfigureAwait(false);
        var counted = await _store.CountStatesCappedAsync(ExactCountLimit, cancellationToken).ConfigureAwait(false);
        return [.. estimated.Where(static t => !Sql.CountedFinalStates.Contains(t.State)), .. counted];
    }

    /// <summary>The available job that has waited longest since its run-at, or null when none is waiting.</summary>
    /// <param name="queue">
    /// Only this queue, or null for all. Faster with a queue: <see cref="GetQueueSummariesAsync"/> tells which queue's
    /// oldest job is the oldest overall.
    /// </param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public Task<WaitingJob?> GetOldestWaitingJobAsync(string? queue = null, CancellationToken cancellationToken = default)
        => _store.GetOldestAvailableAsync(queue, cancellationToken);

    /// <summary>
    /// The worker nodes: every node that recorded itself (each worker does, every heartbeat), any other holding running
    /// jobs, and the maintenance leader, in name order. A node not seen within <see cref="RescueAfter"/> is not
    /// <see cref="NodeInfo.IsAlive"/> (the rescue takes its running jobs); <see cref="NodeInfo.StaleJobs"/> counts its
    /// running jobs whose heartbeat is older than that. No node with <see cref="NodeInfo.IsLeader"/> means no process
    /// holds the maintenance lease: nothing promotes scheduled jobs, rescues or deletes old ones.
    /// </summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<IReadOnlyList<NodeInfo>> GetNodesAsync(CancellationToken cancellationToken = default)
        => await _store.GetNodesAsync(RescueAfter, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The jobs registered with <c>AddQueues().AddJobs()</c> in <paramref name="services"/> (empty when Queues is not
    /// registered there), in name order: what a dashboard lists as periodic jobs. A read-only view.
    /// </summary>
    /// <param name="services">The application's services.</param>
    public static IReadOnlyList<JobDefinition> GetRegisteredJobs(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.GetService(typeof(JobRegistry)) is JobRegistry registry
            ? [.. registry.Jobs.Select(static r => r.Job).OrderBy(static j => j.Name, StringComparer.Ordinal)]
            : [];
    }

    /// <summary>
    /// The periodic jobs among <paramref name="jobs"/> (those with a <see cref="JobDefinition.Cron"/>), in name order,
    /// with their last recorded run and their next schedule time after now.
    /// </summary>
    /// <param name="jobs">The job definitions, for example <see cref="GetRegisteredJobs"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<IReadOnlyList<PeriodicJob>> GetPeriodicJobsAsync(IEnumerable<JobDefinition> jobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var periodic = jobs.Where(static j => j.Schedule is not null).OrderBy(static j => j.Name, StringComparer.Ordinal).ToList();
        if (periodic.Count == 0)
        {
            return [];
        }

        var last = (await _store.GetLastCronRunsAsync([.. periodic.Select(static j => j.Name)], cancellationToken).ConfigureAwait(false))
            .ToDictionary(static r => r.Name, StringComparer.Ordinal);
        var now = DateTime.UtcNow;
        return [.. periodic.Select(j =>
        {
            var run = last.TryGetValue(j.Name, out var r) ? r : default;
            DateTimeOffset? next = j.Schedule!.Next(now) is { } n ? new DateTimeOffset(n, TimeSpan.Zero) : null;
            return new PeriodicJob(j.Name, j.Queue, j.Cron!, run.Name is null ? null : run.ScheduledAt,
                run.JobId is { } id ? new JobId(id) : null, next);
        })];
    }

    /// <summary>
    /// How many jobs <paramref name="action"/> would touch with <paramref name="filter"/> now: the jobs matching it in
    /// the states the action applies to (for a retry, without the unique jobs whose key another job holds). Show it
    /// before asking an operator to confirm a bulk action; jobs that change state in between are acted on as they are
    /// then, and never beyond the filter.
    /// </summary>
    /// <param name="filter">Which jobs, as for the action; an empty filter is refused, pass <see cref="JobFilter.All"/>.</param>
    /// <param name="action">The bulk action to count for.</param>
    /// <param name="cancellationToken">Cancels the count.</param>
    /// <exception cref="ArgumentException">The filter is empty (and not <see cref="JobFilter.All"/>) or holds text no job can have.</exception>
    public async Task<long> CountJobsAsync(JobFilter filter, BulkAction action, CancellationToken cancellationToken = default)
    {
        var states = CheckBulk(filter, action);
        return states is null ? 0 : await _store.CountMatchingAsync(action, filter, states, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// How many completed, cancelled and discarded jobs finished before <paramref name="finishedBefore"/>: what
    /// <see cref="DeleteFinishedJobsAsync(DateTimeOffset, int, CancellationToken)"/> would delete now.
    /// </summary>
    /// <param name="finishedBefore">The cutoff.</param>
    /// <param name="cancellationToken">Cancels the count.</param>
    public Task<long> CountFinishedJobsAsync(DateTimeOffset finishedBefore, CancellationToken cancellationToken = default)
        => _store.CountFinishedAsync(finishedBefore, cancellationToken);

    /// <summary>
    /// Makes every discarded or cancelled job matching <paramref name="filter"/> available again (see
    /// <see cref="RetryJobAsync"/>), in batches of <see cref="BulkBatchSize"/>, newest first. A unique job whose key
    /// another job holds now is skipped.
    /// </summary>
    /// <param name="filter">
    /// Which jobs; states outside discarded and cancelled are ignored. An empty filter is refused: pass
    /// <see cref="JobFilter.All"/> to retry every job.
    /// </param>
    /// <param name="progress">Told the running total after each batch, or null.</param>
    /// <param name="cancellationToken">Stops between batches; what was done stays done.</param>
    /// <returns>The number of jobs retried.</returns>
    /// <exception cref="ArgumentException">The filter is empty (and not <see cref="JobFilter.All"/>) or holds text no job can have.</exception>
    public async Task<long> RetryJobsAsync(JobFilter filter, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var queues = new HashSet<string>(StringComparer.Ordinal);
        var total = await ActAsync(BulkAction.Retry, filter, null, progress, queues, cancellationToken).ConfigureAwait(false);
        foreach (var queue in queues)
        {
            await _store.NotifyAsync(queue, cancellationToken).ConfigureAwait(false);
        }

        return total;
    }

    /// <summary>
    /// Cancels every unfinished job matching <paramref name="filter"/> (see <see cref="CancelJobAsync"/>), in batches
    /// of <see cref="BulkBatchSize"/>, newest first.
    /// </summary>
    /// <param name="filter">
    /// Which jobs; finished states are ignored. An empty filter is refused: pass <see cref="JobFilter.All"/> to cancel
    /// every job.
    /// </param>
    /// <param name="reason">Recorded on each row.</param>
    /// <param name="progress">Told the running total after each batch, or null.</param>
    /// <param name="cancellationToken">Stops between batches; what was done stays done.</param>
    /// <returns>The number of jobs cancelled.</returns>
    /// <exception cref="ArgumentException">The filter is empty (and not <see cref="JobFilter.All"/>) or holds text no job can have.</exception>
    public Task<long> CancelJobsAsync(JobFilter filter, string reason = "cancelled by an administrator", IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return ActAsync(BulkAction.Cancel, filter, Named(reason), progress, null, cancellationToken);
    }

    /// <summary>
    /// Deletes every job matching <paramref name="filter"/> that is not running (cancel a running job first), in
    /// batches of <see cref="BulkBatchSize"/>, newest first. The rows and their history are gone.
    /// </summary>
    /// <param name="filter">
    /// Which jobs; the running state is ignored. An empty filter is refused: pass <see cref="JobFilter.All"/> to delete
    /// every job.
    /// </param>
    /// <param name="progress">Told the running total after each batch, or null.</param>
    /// <param name="cancellationToken">Stops between batches; what was deleted stays deleted.</param>
    /// <returns>The number of jobs deleted.</returns>
    /// <exception cref="ArgumentException">The filter is empty (and not <see cref="JobFilter.All"/>) or holds text no job can have.</exception>
    public Task<long> DeleteJobsAsync(JobFilter filter, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
        => ActAsync(BulkAction.Delete, filter, null, progress, null, cancellationToken);

    /// <summary>The states each bulk action applies to; a filter's states are intersected with these.</summary>
    private static JobState[] ApplicableStates(BulkAction action) => action switch
    {
        BulkAction.Retry => [JobState.Discarded, JobState.Cancelled],
        BulkAction.Cancel => [JobState.Scheduled, JobState.Available, JobState.Running, JobState.Retryable],
        BulkAction.Delete => [JobState.Scheduled, JobState.Available, JobState.Retryable, JobState.Completed, JobState.Cancelled, JobState.Discarded],
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Use BulkAction.Retry, Cancel or Delete."),
    };

    /// <summary>
    /// Checks a bulk action's filter and returns the states (as stored text) it acts on, or null when it can match
    /// nothing. An empty filter is refused: it matched every job in the schema where a caller had dropped a filter
    /// field on its way (issue 21), so acting on everything must be asked for with <see cref="JobFilter.All"/>.
    /// </summary>
    private static string[]? CheckBulk(JobFilter filter, BulkAction action)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var applicable = ApplicableStates(action);
        if (filter.IsEmpty && !filter.MatchesAll)
        {
            throw new ArgumentException(
                "The filter is empty, so it would match every job in the schema. Set at least one filter, or pass JobFilter.All to act on every job deliberately.",
                nameof(filter));
        }

        if (filter.Queue is not null)
        {
            Validate.QueueName(filter.Queue, "JobFilter.Queue");
        }

        Validate.FilterText(filter.Name, "JobFilter.Name");
        if (filter.Ids is { Count: > MaxPageSize })
        {
            throw new ArgumentOutOfRangeException(nameof(filter), filter.Ids.Count, $"JobFilter.Ids may hold at most {MaxPageSize} ids; it held {filter.Ids.Count}.");
        }

        var states = filter.States is { Count: > 0 } wanted ? applicable.Where(wanted.Contains).ToArray() : applicable;
        return states.Length == 0 || filter.Ids is { Count: 0 } ? null : [.. states.Select(JobStates.ToText)];
    }

    private async Task<long> ActAsync(BulkAction action, JobFilter filter, string? reason, IProgress<long>? progress,
        HashSet<string>? queues, CancellationToken cancellationToken)
    {
        var texts = CheckBulk(filter, action);
        if (texts is null)
        {
            return 0;
        }

        long total = 0;
        long? cursor = null;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (count, lowest, touched) = await _store.ActOnBatchAsync(action, filter, texts, cursor, BulkBatchSize, reason, cancellationToken).ConfigureAwait(false);
                if (count == 0)
                {
                    return total;
                }

                total += count;
                cursor = lowest;
                if (touched is not null)
                {
                    queues?.UnionWith(touched);
                }

                progress?.Report(total);
            }
        }
        finally
        {
            // Also when stopped half-way (the client went away, the token fired): the count is what was done.
            Audit(action switch { BulkAction.Retry => "retried", BulkAction.Cancel => "cancelled", _ => "deleted" }, total, Describe(filter));
        }
    }

    /// <summary>
    /// The most failed jobs per state <see cref="GetFailureGroupsAsync"/> reads: 100,000. A window holding more (a burst
    /// of failures over hours) is reported from its newest failures, with <see cref="FailureGroups.IsTruncated"/> set.
    /// </summary>
    public const int MaxFailureRows = 100_000;

    /// <summary>
    /// Failures grouped by reason over a window, for an incident: the discarded jobs that finished in it and the
    /// retryable jobs whose last failure is in it, one <see cref="FailureGroup"/> per queue, job name, error kind, error
    /// type and normalised message (the first line, with numbers and ids replaced by <c>#</c>, cut to 120 characters),
    /// most frequent first. The counts are exact (counted, not estimated) unless the window holds more than
    /// <see cref="MaxFailureRows"/> failures of a state, which bounds the cost. Reads the finished-time index for
    /// discarded jobs and the state index for retryable ones, never the completed history.
    /// </summary>
    /// <param name="from">The start of the window, for example 15 minutes ago.</param>
    /// <param name="to">The end of the window (exclusive); null for now.</param>
    /// <param name="queue">Only this queue; null for all.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="ArgumentException">The window ends before it starts, or the queue holds text no job can have.</exception>
    public async Task<FailureGroups> GetFailureGroupsAsync(DateTimeOffset from, DateTimeOffset? to = null, string? queue = null, CancellationToken cancellationToken = default)
    {
        var end = to ?? DateTimeOffset.UtcNow;
        if (end < from)
        {
            throw new ArgumentException($"The window ends ({end:O}) before it starts ({from:O}).", nameof(to));
        }

        Validate.FilterText(queue, nameof(queue));
        return await _store.GetFailureGroupsAsync(from, end, queue, MaxFailureRows, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The schema version this build of Queues migrates to.</summary>
    public static int LatestSchemaVersion => Migrations.LatestVersion;

    /// <summary>The schema's applied migration version; 0 when it was never migrated.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    public Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken = default) => _store.GetSchemaVersionAsync(cancellationToken);

    /// <summary>
    /// The SQL that migrates the schema from <paramref name="fromVersion"/> to <see cref="LatestSchemaVersion"/> in one
    /// transaction, with the same bookkeeping <see cref="QueuesClient.MigrateAsync"/> does, for a DBA to review and run.
    /// </summary>
    /// <param name="fromVersion">The version the schema is at, 0 for a new one.</param>
    public string GetMigrationScript(int fromVersion)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fromVersion);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fromVersion, LatestSchemaVersion);
        return _store.MigrationScript(fromVersion);
    }

    /// <summary>
    /// Undoes migrations, newest first, until the schema is at <paramref name="targetVersion"/>, in one transaction (all
    /// or nothing). Data the undone migrations added is lost: rolling back past version 1 drops the jobs table.
    /// </summary>
    /// <param name="targetVersion">The version to end at, 0 to remove everything.</param>
    /// <param name="cancellationToken">Cancels the rollback; nothing is undone then.</param>
    /// <returns>The number of migrations undone (0 when the schema is at or below the target).</returns>
    public async Task<int> RollbackSchemaAsync(int targetVersion, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(targetVersion);
        var undone = await _store.RollbackAsync(targetVersion, cancellationToken).ConfigureAwait(false);
        Audit("rolled back", undone, string.Create(CultureInfo.InvariantCulture, $"the schema to version {targetVersion} (migrations undone)"));
        return undone;
    }

    /// <summary>A filter as the action event shows it: <c>queue='payments' states=discarded finished&gt;=…</c>, or <c>every job</c>.</summary>
    private static string Describe(JobFilter filter)
    {
        if (filter.MatchesAll)
        {
            return "every job (JobFilter.All)";
        }

        var parts = new List<string>();
        void Add(string name, object? value)
        {
            if (value is not null)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{name}{value}"));
            }
        }

        Add("queue=", filter.Queue is { } q ? $"'{q}'" : null);
        Add("name=", filter.Name is { } n ? $"'{n}'" : null);
        Add("states=", filter.States is { Count: > 0 } s ? string.Join(",", s.Select(JobStates.ToText)) : null);
        Add("created>=", filter.CreatedFrom?.ToString("O", CultureInfo.InvariantCulture));
        Add("created<", filter.CreatedBefore?.ToString("O", CultureInfo.InvariantCulture));
        Add("finished>=", filter.FinishedFrom?.ToString("O", CultureInfo.InvariantCulture));
        Add("finished<", filter.FinishedBefore?.ToString("O", CultureInfo.InvariantCulture));
        Add("ids=", filter.Ids is { } ids ? string.Join(",", ids.Take(20).Select(static i => i.Value)) + (ids.Count > 20 ? $",... ({ids.Count})" : "") : null);
        return string.Join(" ", parts);
    }

    /// <summary>The queues paused now, in name order.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<IReadOnlyList<string>> GetPausedQueuesAsync(CancellationToken cancellationToken = default)
        => await _store.GetPausedQueuesAsync(cancellationToken).ConfigureAwait(false);
}

/// <summary>One page of jobs, newest first.</summary>
/// <param name="Jobs">The jobs.</param>
/// <param name="NextCursor">Pass as <c>before</c> to <see cref="QueuesAdmin.ListJobsAsync"/> for the next page; null on the last page.</param>
public sealed record JobPage(IReadOnlyList<JobInfo> Jobs, JobId? NextCursor);

/// <summary>The number of jobs that reached a final state in one time bucket.</summary>
/// <param name="BucketStart">The start of the bucket.</param>
/// <param name="State">The final state.</param>
/// <param name="Count">How many.</param>
public sealed record JobTimeCount(DateTimeOffset BucketStart, JobState State, long Count);

/// <summary>The bulk actions of <see cref="QueuesAdmin"/>, for <see cref="QueuesAdmin.CountJobsAsync(JobFilter, BulkAction, CancellationToken)"/>.</summary>
public enum BulkAction
{
    /// <summary><see cref="QueuesAdmin.RetryJobsAsync"/>: discarded and cancelled jobs.</summary>
    Retry,

    /// <summary><see cref="QueuesAdmin.CancelJobsAsync"/>: scheduled, available, running and retryable jobs.</summary>
    Cancel,

    /// <summary><see cref="QueuesAdmin.DeleteJobsAsync"/>: every job that is not running.</summary>
    Delete,
}

/// <summary>
/// Which jobs a list or a bulk action applies to; the filters combine with AND. A list takes any filter; a bulk action
/// refuses an empty one, and acts on every job only when given <see cref="All"/>.
/// </summary>
public sealed class JobFilter
{
    /// <summary>
    /// Every job in the schema (within the states the action applies to): the one way to ask a bulk action for
    /// everything, so a filter that lost its fields on the way is refused rather than taken for "all".
    /// </summary>
    public static JobFilter All { get; } = new() { MatchesAll = true };

    /// <summary>Only jobs in this queue.</summary>
    public string? Queue { get; init; }

    /// <summary>Only jobs with this name.</summary>
    public string? Name { get; init; }

    /// <summary>Only jobs in one of these states (further limited to the states the action applies to).</summary>
    public IReadOnlyList<JobState>? States { get; init; }

    /// <summary>Only jobs created at or after this instant.</summary>
    public DateTimeOffset? CreatedFrom { get; init; }

    /// <summary>Only jobs created before this instant.</summary>
    public DateTimeOffset? CreatedBefore { get; init; }

    /// <summary>Only these jobs (at most <see cref="QueuesAdmin.MaxPageSize"/>): a selection.</summary>
    public IReadOnlyList<JobId>? Ids { get; init; }

    /// <summary>Only jobs that reached a final state (completed, cancelled, discarded) at or after this instant.</summary>
    public DateTimeOffset? FinishedFrom { get; init; }

    /// <summary>Only jobs that reached a final state before this instant.</summary>
    public DateTimeOffset? FinishedBefore { get; init; }

    /// <summary>True only for <see cref="All"/>.</summary>
    internal bool MatchesAll { get; private init; }

    /// <summary>No filter is set: on its own this would match every job.</summary>
    internal bool IsEmpty => Queue is null && Name is null && States is not { Count: > 0 } && CreatedFrom is null && CreatedBefore is null && Ids is null
        && FinishedFrom is null && FinishedBefore is null;
}

/// <summary>One queue's unfinished jobs.</summary>
public sealed class QueueSummary
{
    internal QueueSummary(string queue, IReadOnlyDictionary<JobState, long> counts, DateTimeOffset? oldestAvailableRunAt, bool isPaused)
        => (Queue, Counts, OldestAvailableRunAt, IsPaused) = (queue, counts, oldestAvailableRunAt, isPaused);

    /// <summary>The queue.</summary>
    public string Queue { get; }

    /// <summary>
    /// Jobs per unfinished state (scheduled, available, running, retryable; a state with none is there with 0). A map
    /// rather than a field per state, so a state added later is one more key.
    /// </summary>
    public IReadOnlyDictionary<JobState, long> Counts { get; }

    /// <summary>The run-at of the available job waiting longest; null when none is.</summary>
    public DateTimeOffset? OldestAvailableRunAt { get; }

    /// <summary>Whether workers skip the queue.</summary>
    public bool IsPaused { get; }

    /// <summary>The queue's jobs in <paramref name="state"/>: 0 for a finished state (summaries count unfinished jobs only).</summary>
    /// <param name="state">The state.</param>
    /// <returns>How many.</returns>
    public long Count(JobState state) => Counts.TryGetValue(state, out var count) ? count : 0;
}

/// <summary>The number of jobs in one state, across queues.</summary>
/// <param name="State">The state.</param>
/// <param name="Count">How many.</param>
/// <param name="IsEstimate">True when estimated from PostgreSQL's statistics rather than counted.</param>
/// <param name="IsLowerBound">True when counting stopped at <see cref="QueuesAdmin.ExactCountLimit"/>: there are at least <paramref name="Count"/>.</param>
public sealed record JobStateTotal(JobState State, long Count, bool IsEstimate, bool IsLowerBound);

/// <summary>An available job and how long it has waited.</summary>
/// <param name="Id">The job.</param>
/// <param name="Name">Its name.</param>
/// <param name="Queue">Its queue.</param>
/// <param name="RunAt">Since when it could run.</param>
public sealed record WaitingJob(JobId Id, string Name, string Queue, DateTimeOffset RunAt);

/// <summary>A worker node.</summary>
/// <param name="Name">The node's name (<see cref="QueuesOptions.WorkerName"/>, as stored on the jobs it claims).</param>
/// <param name="RunningJobs">Jobs it runs now.</param>
/// <param name="LastHeartbeat">When it last recorded itself alive (every heartbeat); null when it never did and is known only by its running jobs or the lease.</param>
/// <param name="IsLeader">Whether it holds the maintenance lease.</param>
/// <param name="LeaseExpiresAt">When its lease runs out unless renewed; null when it is not the leader.</param>
/// <param name="IsAlive">Seen within <see cref="QueuesAdmin.RescueAfter"/>; a node that is not has its running jobs rescued.</param>
/// <param name="StaleJobs">Its running jobs whose heartbeat is older than <see cref="QueuesAdmin.RescueAfter"/>.</param>
public sealed record NodeInfo(string Name, long RunningJobs, DateTimeOffset? LastHeartbeat, bool IsLeader, DateTimeOffset? LeaseExpiresAt, bool IsAlive, long StaleJobs);

/// <summary>Failures over a window, grouped by reason; see <see cref="QueuesAdmin.GetFailureGroupsAsync"/>.</summary>
/// <param name="From">The start of the window.</param>
/// <param name="To">The end of the window (exclusive).</param>
/// <param name="Groups">One per reason, most frequent first.</param>
/// <param name="IsTruncated">
/// The window held more than <see cref="QueuesAdmin.MaxFailureRows"/> discarded or retryable jobs: the groups count the
/// newest that many (of each state), not all.
/// </param>
public sealed record FailureGroups(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<FailureGroup> Groups, bool IsTruncated);

/// <summary>The failures that share one reason.</summary>
/// <param name="Queue">The jobs' queue.</param>
/// <param name="Name">The jobs' name.</param>
/// <param name="Kind">The last error's kind (<see cref="ErrorKinds"/>).</param>
/// <param name="Type">The last error's exception type, when there was one.</param>
/// <param name="Message">The last error's message, normalised: first line, numbers and ids as <c>#</c>, at most 120 characters.</param>
/// <param name="Discarded">How many discarded jobs finished with this reason in the window.</param>
/// <param name="Retryable">How many retryable jobs last failed with this reason in the window.</param>
/// <param name="FirstSeen">The earliest of these failures in the window.</param>
/// <param name="LastSeen">The latest.</param>
public sealed record FailureGroup(string Queue, string Name, string Kind, string? Type, string Message, long Discarded, long Retryable,
    DateTimeOffset FirstSeen, DateTimeOffset LastSeen);

/// <summary>A periodic job and its runs.</summary>
/// <param name="Name">The job name.</param>
/// <param name="Queue">Its queue.</param>
/// <param name="Cron">Its schedule (five fields, UTC).</param>
/// <param name="LastRun">The latest schedule time recorded as enqueued; null when none is.</param>
/// <param name="LastJobId">The job enqueued for it, when known.</param>
/// <param name="NextRun">The next schedule time after now; null when there is none within five years.</param>
public sealed record PeriodicJob(string Name, string Queue, string Cron, DateTimeOffset? LastRun, JobId? LastJobId, DateTimeOffset? NextRun);
