using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Queues.Internal;

namespace Queues.Testing;

/// <summary>
/// Runs jobs in this process, now, one at a time, through the same path the worker uses: the dispatch table the
/// generated <c>AddJobs()</c> filled, a DI scope per job, the job's transaction, and the guarded outcome writes
/// (retry with backoff, discard, snooze, cancel). No hosted service, no polling, no waiting: a test enqueues, calls
/// <see cref="DrainAsync"/> or <see cref="RunAsync"/>, and asserts on the returned <see cref="JobRun"/>s.
/// </summary>
/// <remarks>
/// Build the service provider with <c>services.AddQueues(schema.Configure).AddJobs()</c> and do not start its hosts
/// (or set <see cref="QueuesOptions.ProcessJobs"/> to false), so no worker competes for the jobs.
/// </remarks>
public sealed class JobRunner
{
    /// <summary>The most jobs one <see cref="DrainAsync"/> runs before it gives up (jobs that enqueue themselves forever).</summary>
    public const int MaxJobsPerDrain = 10_000;

    private readonly JobStore _store;
    private readonly JobExecutor _executor;
    private readonly Completer _completer;
    private readonly string _makeDue;
    private readonly string _outcome;

    /// <summary>Creates a runner over the jobs and handlers registered in <paramref name="services"/>.</summary>
    /// <param name="services">A provider built from <c>services.AddQueues(...).AddJobs()</c>.</param>
    /// <exception cref="InvalidOperationException"><c>AddQueues</c> was not called on the provider's services.</exception>
    public JobRunner(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var registry = services.GetService<JobRegistry>()
            ?? throw new InvalidOperationException("The service provider has no Queues services: build it from services.AddQueues(...).AddJobs().");
        var options = services.GetRequiredService<IOptions<QueuesOptions>>().Value;
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger("Queues.Testing.JobRunner") ?? NullLogger.Instance;
        var retryDelays = new RetryDelays(registry, options.RetryDelay, logger);
        _store = services.GetRequiredService<JobStore>();
        _executor = new JobExecutor(services, registry, _store.DataSource, retryDelays, WorkerName, logger);
        _completer = new Completer(_store, retryDelays, options.RescueAfter, logger);

        // Closed from the start: every completion is written at once, alone, instead of joining a background batch.
        _completer.Close();
        var jobs = $"\"{_store.Schema}\".jobs";
        _makeDue = $"UPDATE {jobs} SET state = 'available', run_at = now() WHERE id = $1 AND state IN ('scheduled', 'retryable')";
        _outcome = $"""
            SELECT state::text, errors -> -1 ->> 'message',
                   EXISTS (SELECT 1 FROM "{_store.Schema}".paused_queues AS p WHERE p.queue = j.queue)
            FROM {jobs} AS j WHERE id = $1
            """;
    }

    /// <summary>The worker name stored on the jobs this runner claims.</summary>
    public static string WorkerName => "Queues.Testing.JobRunner";

    /// <summary>
    /// Runs every available job (of <paramref name="queue"/>, when given) in claim order — priority, run-at, id —
    /// including jobs the handlers enqueue meanwhile, until none is left. Jobs not due yet (scheduled, snoozed, waiting
    /// for a retry) are not run; run one of those with <see cref="RunAsync"/>.
    /// </summary>
    /// <param name="queue">A queue, or null for every queue.</param>
    /// <param name="cancellationToken">Stops draining; the running job's token fires and the job is put back.</param>
    /// <returns>What happened to each job, in the order they ran.</returns>
    /// <exception cref="InvalidOperationException">More than <see cref="MaxJobsPerDrain"/> jobs ran.</exception>
    public async Task<IReadOnlyList<JobRun>> DrainAsync(string? queue = null, CancellationToken cancellationToken = default)
    {
        var runs = new List<JobRun>();
        while (await NextAvailableAsync(queue, cancellationToken).ConfigureAwait(false) is { } id)
        {
            if (runs.Count == MaxJobsPerDrain)
            {
                throw new InvalidOperationException($"Drained {MaxJobsPerDrain} jobs and more are available: do the handlers enqueue jobs forever?");
            }

            if (await ClaimAndRunAsync(id, cancellationToken).ConfigureAwait(false) is { } run)
            {
                runs.Add(run);
            }
        }

        return runs;
    }

    /// <summary>
    /// Runs one job now: an available one, or a scheduled or retryable one (made due first). One attempt, written as the
    /// worker would write it.
    /// </summary>
    /// <param name="id">The job, e.g. the id an enqueue returned.</param>
    /// <param name="cancellationToken">Fires the handler's token; the job is put back.</param>
    /// <returns>What happened.</returns>
    /// <exception cref="JobAssertionException">The job does not exist, is running or finished, or its queue is paused.</exception>
    public async Task<JobRun> RunAsync(JobId id, CancellationToken cancellationToken = default)
    {
        await using (var command = _store.DataSource.CreateCommand(_makeDue))
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id.Value });
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return await ClaimAndRunAsync(id.Value, cancellationToken).ConfigureAwait(false)
            ?? throw new JobAssertionException($"Job {id.Value} cannot run: {await WhyNotClaimableAsync(id.Value).ConfigureAwait(false)}.");
    }

    private async Task<string> WhyNotClaimableAsync(long id) => await ReadOutcomeAsync(id).ConfigureAwait(false) switch
    {
        null => "it does not exist",
        { State: JobState.Available, Paused: true } => "its queue is paused (a worker would not claim it; resume the queue first)",
        { State: var state } => $"it is {state.ToString().ToLowerInvariant()}",
    };

    private async Task<JobRun?> ClaimAndRunAsync(long id, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var job = await _store.ClaimByIdAsync(id, WorkerName).ConfigureAwait(false);
        if (job is null)
        {
            return null;
        }

        _completer.Track(job);
        JobResult result;
        using (var cancellation = new JobCancellation(cancellationToken, _executor.TimeoutOf(job)))
        {
            _completer.Started(job, cancellation);
            result = await _executor.ExecuteAsync(job, cancellation).ConfigureAwait(false);
        }

        await _completer.RecordAsync(job, result).ConfigureAwait(false);
        var (state, error, _) = await ReadOutcomeAsync(job.Id).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Job {job.Id} ('{job.Name}') disappeared while it ran.");
        return new JobRun(new JobId(job.Id), job.Name, job.Queue, job.Attempt, state,
            result.Kind is JobResultKind.Completed or JobResultKind.Released ? null : result.Error?.Message ?? error, result.Exception);
    }

    /// <summary>The next job a worker would claim (the worker's own claim rule: available, due, queue not paused).</summary>
    private Task<long?> NextAvailableAsync(string? queue, CancellationToken cancellationToken) => _store.NextAvailableAsync(queue, cancellationToken);

    private async Task<(JobState State, string? Error, bool Paused)?> ReadOutcomeAsync(long id)
    {
        await using var command = _store.DataSource.CreateCommand(_outcome);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync(CancellationToken.None).ConfigureAwait(false);
        return await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false)
            ? (JobStates.Parse(reader.GetString(0)), await reader.IsDBNullAsync(1).ConfigureAwait(false) ? null : reader.GetString(1), reader.GetBoolean(2))
            : null;
    }
}

/// <summary>One run of one job by <see cref="JobRunner"/>: which job, and the state it was left in.</summary>
/// <param name="Id">The job's id.</param>
/// <param name="Name">The job name.</param>
/// <param name="Queue">The queue.</param>
/// <param name="Attempt">The attempt this run was (1 for the first).</param>
/// <param name="State">
/// The job's state after the run: <see cref="JobState.Completed"/>; <see cref="JobState.Retryable"/> after a failure
/// with attempts left (or <see cref="JobState.Discarded"/> without); <see cref="JobState.Scheduled"/> after a snooze;
/// <see cref="JobState.Cancelled"/>; <see cref="JobState.Available"/> when the run was stopped by cancellation.
/// </param>
/// <param name="Error">The error recorded for this run (failure, discard or cancel reason); null when it completed.</param>
/// <param name="Exception">What the handler threw, if it threw; for the test's own assertions and output.</param>
public sealed record JobRun(JobId Id, string Name, string Queue, int Attempt, JobState State, string? Error, Exception? Exception)
{
    /// <summary>Asserts the job completed; otherwise throws with its state and error.</summary>
    /// <returns>This run.</returns>
    /// <exception cref="JobAssertionException">The job did not complete.</exception>
    public JobRun AssertCompleted()
        => State == JobState.Completed ? this : throw new JobAssertionException(
            $"Expected job {Id.Value} ('{Name}') to complete, but it is {State.ToString().ToLowerInvariant()}: {Error}", Exception);
}
