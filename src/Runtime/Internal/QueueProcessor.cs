using System.Data;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Queues.Internal;

/// <summary>
/// Runs one queue: claims as many due jobs as it has free slots in one statement, runs each in its own DI scope and
/// records the outcome. Completions go to the shared <see cref="Completer"/> (batched); the rarer outcomes are written
/// at once. Every outcome UPDATE is guarded by state and attempt, so a late or duplicate one changes nothing.
/// </summary>
internal sealed class QueueProcessor
{
    /// <summary>After a wake-up or a claim that found work, poll this often for <see cref="HotWindow"/>.</summary>
    private static readonly TimeSpan HotPollInterval = TimeSpan.FromMilliseconds(5);

    private static readonly TimeSpan HotWindow = TimeSpan.FromMilliseconds(250);

    /// <summary>With fewer than half the slots free, wait this long for more to free up before claiming a small batch.</summary>
    private static readonly TimeSpan ClaimCooldown = TimeSpan.FromMilliseconds(5);

    /// <summary>A handler that ignores its cancelled token this long after its timeout is abandoned.</summary>
    private static readonly TimeSpan AbandonAfter = TimeSpan.FromSeconds(5);

    private const int MaxMessageLength = 2_000;
    private const int MaxTraceLength = 8_000;

    private readonly string _queue;
    private readonly int _concurrency;
    private readonly IServiceProvider _services;
    private readonly QueuesClient _client;
    private readonly JobRegistry _registry;
    private readonly QueuesOptions _options;
    private readonly Completer _completer;
    private readonly RunningJobs _runningJobs;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private int _running;
    private long _hotUntil;

    public QueueProcessor(string queue, int concurrency, IServiceProvider services, QueuesClient client, JobRegistry registry,
        QueuesOptions options, Completer completer, RunningJobs runningJobs, ILogger logger)
    {
        _queue = queue;
        _concurrency = concurrency;
        _services = services;
        _client = client;
        _registry = registry;
        _options = options;
        _completer = completer;
        _runningJobs = runningJobs;
        _logger = logger;
    }

    public string Queue => _queue;

    /// <summary>Wakes the claim loop: jobs may be available (a NOTIFY, a promotion) or a slot was freed.</summary>
    public void Wake(bool jobsAvailable = true)
    {
        if (jobsAvailable)
        {
            Volatile.Write(ref _hotUntil, Stopwatch.GetTimestamp() + (long)(HotWindow.TotalSeconds * Stopwatch.Frequency));
        }

        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another caller woke it first.
            }
        }
    }

    public async Task RunAsync(CancellationToken stopClaiming, CancellationToken stopJobs)
    {
        await Task.Yield();
        var failures = 0;
        var lastClaim = Stopwatch.GetTimestamp();
        while (!stopClaiming.IsCancellationRequested)
        {
            try
            {
                var free = _concurrency - Volatile.Read(ref _running);
                var worthClaiming = free > 0 && (free * 2 >= _concurrency || Stopwatch.GetElapsedTime(lastClaim) >= ClaimCooldown);
                if (!worthClaiming)
                {
                    await _wake.WaitAsync(free > 0 ? ClaimCooldown : _options.PollInterval, stopClaiming).ConfigureAwait(false);
                    continue;
                }

                // Not cancellable: a claim cancelled after PostgreSQL ran it would leave its rows running unseen.
                var jobs = await ClaimAsync(free, CancellationToken.None).ConfigureAwait(false);
                lastClaim = Stopwatch.GetTimestamp();
                failures = 0;
                foreach (var job in jobs)
                {
                    // _running counts the job until ExecuteAsync's finally; the drain below waits for it to reach 0.
                    Interlocked.Increment(ref _running);
                    ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Processor.ExecuteAsync(state.Job, state.StopJobs),
                        (Processor: this, Job: job, StopJobs: stopJobs), preferLocal: false);
                }

                if (jobs.Count > 0)
                {
                    Volatile.Write(ref _hotUntil, lastClaim + (long)(HotWindow.TotalSeconds * Stopwatch.Frequency));
                    if (jobs.Count == free)
                    {
                        continue; // There may be more; claim again as slots free up.
                    }
                }

                var hot = Stopwatch.GetTimestamp() < Volatile.Read(ref _hotUntil);
                await _wake.WaitAsync(hot ? HotPollInterval : _options.PollInterval, stopClaiming).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopClaiming.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                var delay = Backoff.Delay(++failures);
                LogMessages.LoopError(_logger, exception, $"claim {_queue}", (long)delay.TotalMilliseconds);
                await Backoff.WaitAsync(delay, stopClaiming).ConfigureAwait(false);
            }
        }

        // Drain: every job claimed has finished (its outcome recorded or handed to the completer).
        while (Volatile.Read(ref _running) > 0)
        {
            await _wake.WaitAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task<List<ClaimedJob>> ClaimAsync(int limit, CancellationToken cancellationToken)
    {
        var connection = await _client.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = new NpgsqlCommand(_client.Sql.Claim, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _queue });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _options.WorkerName });
        if (_client.PrepareStatements)
        {
            await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
        }

        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var jobs = new List<ClaimedJob>(limit);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            jobs.Add(new ClaimedJob(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<byte[]>(3),
                reader.GetInt16(4), reader.GetInt16(5), reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return jobs;
    }

    private async Task ExecuteAsync(ClaimedJob job, CancellationToken stopJobs)
    {
        JobContext? context = null;
        var handedToCompleter = false;
        var abandoned = false;
        try
        {
            if (!_registry.TryGet(job.Name, out var registration))
            {
                // A failed attempt, not a discard: during a rolling deploy an older worker claims jobs only newer workers
                // serve, and a retry reaches one of those. A name nobody serves is discarded once its attempts run out.
                var outcome = await RecordAsync(_client.Sql.Fail, job, "unknown_job", null,
                    $"No handler is registered for job name '{job.Name}' (queue '{job.Queue}') in worker {_options.WorkerName}; it is retried in case another worker serves it.",
                    null, RetryDelay(null, job.Attempt)).ConfigureAwait(false);
                LogMessages.UnknownJob(_logger, job.Id, job.Queue, job.Name, job.Attempt, job.MaxAttempts, outcome ?? "unchanged");
                return;
            }

            context = new JobContext(new JobId(job.Id), job.Name, job.Queue, job.Attempt, job.MaxAttempts, job.CreatedAt, _client.DataSource);
            var timeout = registration.Job.Timeout;
            using var cancellation = new JobCancellation(stopJobs, timeout);
            _runningJobs.Add(job.Id, job.Attempt, cancellation);

            Exception? failure = null;
            try
            {
                var run = RunHandlerAsync(registration, job, context, cancellation.Token);
                if (!run.IsCompleted && !await cancellation.WaitOrAbandonAsync(run, AbandonAfter).ConfigureAwait(false))
                {
                    // The handler ignored its cancelled token for AbandonAfter. Its slot is freed; it may still be running,
                    // even on its transaction's connection, so that transaction is ended only once the handler returns.
                    context.EndTransactionAfter(run);
                    abandoned = true;
                    LogMessages.HandlerAbandoned(_logger, job.Id, job.Name, (long)AbandonAfter.TotalMilliseconds);
                    throw cancellation.TimedOut
                        ? new TimeoutException($"Job '{job.Name}' ran past its timeout of {timeout} and ignored cancellation; its attempt was abandoned.")
                        : new OperationCanceledException(cancellation.Token);
                }

                await run.ConfigureAwait(false);
            }
            catch (JobPayloadException exception)
            {
                LogMessages.BadPayload(_logger, job.Id, job.Name, exception.Message);
                await RecordAsync(_client.Sql.Discard, job, "payload", exception.GetType().FullName, exception.Message, null).ConfigureAwait(false);
                return;
            }
            catch (Exception exception) when (cancellation.TimedOut)
            {
                failure = exception as TimeoutException
                    ?? new TimeoutException($"Job '{job.Name}' exceeded its timeout of {timeout} and was cancelled.", exception);
            }
            catch (Exception) when (cancellation.OperatorCancelled)
            {
                // Cancelled by an operator while running: the row says so already; nothing to write.
                LogMessages.JobCancelledWhileRunning(_logger, job.Id, job.Name);
                return;
            }
            catch (Exception) when (stopJobs.IsCancellationRequested)
            {
                // Stopped by shutdown, however the handler reported it: back to available, the attempt not counted.
                using var release = _client.DataSource.CreateCommand(_client.Sql.Release);
                release.Parameters.Add(new NpgsqlParameter<long> { TypedValue = job.Id });
                release.Parameters.Add(new NpgsqlParameter<short> { TypedValue = job.Attempt });
                await release.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                LogMessages.JobReleased(_logger, job.Id, job.Name);
                return;
            }
            catch (Exception exception)
            {
                failure = exception;
            }

            if (failure is not null)
            {
                var state = await RecordAsync(_client.Sql.Fail, job, failure is TimeoutException ? "timeout" : "exception",
                    failure.GetType().FullName, failure.Message, failure.StackTrace, RetryDelay(registration.Job, job.Attempt)).ConfigureAwait(false);
                LogMessages.JobFailed(_logger, failure, job.Id, job.Name, job.Attempt, job.MaxAttempts,
                    state ?? "unchanged: the row was no longer running at this attempt (cancelled or rescued meanwhile)");
                return;
            }

            if (context.Transaction is { } transaction && await FinishInTransactionAsync(job, context, transaction, registration.Job).ConfigureAwait(false))
            {
                return;
            }

            if (context.RequestedOutcome is null)
            {
                // The completer forgets the job once its completion is written; until then it is heartbeated.
                _completer.Complete(job.Id, job.Attempt);
                handedToCompleter = true;
            }
            else
            {
                using var command = OutcomeCommand(job, context.RequestedOutcome, null);
                await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception exception)
        {
            // The outcome could not be written (the database went away). The row stays running until it is rescued.
            LogMessages.OutcomeNotWritten(_logger, exception, job.Id, job.Name, job.Attempt, (long)_options.RescueAfter.TotalMilliseconds);
        }
        finally
        {
            if (context is not null && !abandoned)
            {
                try
                {
                    await context.EndTransactionAsync().ConfigureAwait(false);
                }
                catch (Exception exception)
                {
                    LogMessages.LoopError(_logger, exception, $"rollback of job {job.Id}'s transaction", 0);
                }
            }

            if (!handedToCompleter)
            {
                _runningJobs.Remove(job.Id, job.Attempt);
            }

            Interlocked.Decrement(ref _running);
            Wake(jobsAvailable: false);
        }
    }

    private async Task RunHandlerAsync(JobRegistry.Registration registration, ClaimedJob job, JobContext context, CancellationToken cancellationToken)
    {
        var scope = _services.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            try
            {
                await registration.Handler(scope.ServiceProvider, job.Payload, context, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // The handler's own work must not outlive its failure: roll it back before the failure is recorded.
                await context.EndTransactionAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>
    /// Records the handler's outcome in the transaction it did its work in and commits both; rolls back when the guard
    /// finds the job no longer running at this attempt. Returns false when the handler committed or rolled back the
    /// transaction itself, so the outcome is recorded the usual way. When the work could not be committed (the handler
    /// disposed the transaction or closed its connection, swallowed an error that aborted it, a deferred constraint
    /// failed at commit, the connection broke), the attempt fails with that reason and is retried.
    /// </summary>
    private async Task<bool> FinishInTransactionAsync(ClaimedJob job, JobContext context, NpgsqlTransaction transaction, JobDefinition definition)
    {
        NpgsqlConnection? connection = null;
        Exception problem;
        try
        {
            // Throws ObjectDisposedException when the handler disposed the transaction, which rolled it back.
            connection = transaction.Connection;
            using var command = OutcomeCommand(job, context.RequestedOutcome, transaction);
            if (await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false) == 0)
            {
                LogMessages.TransactionRolledBack(_logger, job.Id, job.Name, job.Attempt);
                await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
                return true;
            }

            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (InvalidOperationException) when (connection is { FullState: ConnectionState.Open })
        {
            // Npgsql cannot be asked whether a transaction ended: a command on one that did fails before anything is
            // sent, with InvalidOperationException, while its connection stays open and idle.
            LogMessages.TransactionEndedByHandler(_logger, job.Id, job.Name);
            await context.EndTransactionAsync().ConfigureAwait(false);
            return false;
        }
        catch (Exception exception)
        {
            problem = exception is InvalidOperationException
                ? new InvalidOperationException(
                    $"Job {job.Id} ('{job.Name}'): its JobContext transaction was disposed, or its connection closed or left busy, before the worker could commit it, so the handler's work was rolled back. Leave the transaction to the worker.",
                    exception)
                : exception;
        }

        try
        {
            await context.EndTransactionAsync().ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            LogMessages.LoopError(_logger, exception, $"rollback of job {job.Id}'s transaction", 0);
        }

        // If a commit did reach the server before the error, the job is completed and this guarded write changes nothing.
        var state = await RecordAsync(_client.Sql.Fail, job, "exception", problem.GetType().FullName, problem.Message, problem.StackTrace,
            RetryDelay(definition, job.Attempt)).ConfigureAwait(false);
        LogMessages.JobFailed(_logger, problem, job.Id, job.Name, job.Attempt, job.MaxAttempts,
            state ?? "unchanged: the row was no longer running at this attempt (its commit went through, or it was cancelled or rescued)");
        return true;
    }

    /// <summary>
    /// The guarded UPDATE recording a handler's outcome: completion (only ever in the handler's transaction; otherwise
    /// the completer batches it), snooze, cancel or discard. On <paramref name="transaction"/> when given; creating it
    /// throws if that transaction has ended.
    /// </summary>
    private NpgsqlCommand OutcomeCommand(ClaimedJob job, JobOutcome? outcome, NpgsqlTransaction? transaction)
    {
        switch (outcome)
        {
            case { Kind: JobOutcomeKind.Cancel }:
                return RecordCommand(_client.Sql.Cancel, job, "cancelled", null, outcome.Reason!, null, null, transaction);
            case { Kind: JobOutcomeKind.Discard }:
                return RecordCommand(_client.Sql.Discard, job, "discarded", null, outcome.Reason!, null, null, transaction);
        }

        var command = Command(outcome is null ? _client.Sql.Complete : _client.Sql.Snooze, transaction);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = job.Id });
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = job.Attempt });
        if (outcome is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = outcome.Delay, NpgsqlDbType = NpgsqlDbType.Interval });
        }

        return command;
    }

    /// <summary>A command on <paramref name="transaction"/>, or on a pooled connection of its own.</summary>
    private NpgsqlCommand Command(string sql, NpgsqlTransaction? transaction)
        => transaction is null ? _client.DataSource.CreateCommand(sql) : new NpgsqlCommand(sql, transaction.Connection, transaction);

    /// <summary>
    /// The job's retry delay, or the global one (also for a job this worker has no registration for); a delegate that
    /// throws falls back to the default policy.
    /// </summary>
    private TimeSpan RetryDelay(JobDefinition? job, int attempt)
    {
        try
        {
            return (job?.RetryDelay ?? _options.RetryDelay)(attempt);
        }
        catch (Exception exception)
        {
            LogMessages.LoopError(_logger, exception, job is null ? "QueuesOptions.RetryDelay (using the default policy)" : $"retry delay of job '{job.Name}' (using the default policy)", 0);
            return RetryPolicy.Exponential(attempt);
        }
    }

    /// <summary>Appends an error to the job and moves it on with <paramref name="sql"/>; returns the new state if the guard matched.</summary>
    private async Task<string?> RecordAsync(string sql, ClaimedJob job, string kind, string? type, string message, string? trace, TimeSpan? retryDelay = null)
    {
        using var command = RecordCommand(sql, job, kind, type, message, trace, retryDelay, null);
        return await command.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false) as string;
    }

    private NpgsqlCommand RecordCommand(string sql, ClaimedJob job, string kind, string? type, string message, string? trace, TimeSpan? retryDelay,
        NpgsqlTransaction? transaction)
    {
        var command = Command(sql, transaction);
        var parameters = command.Parameters;
        parameters.Add(new NpgsqlParameter<long> { TypedValue = job.Id });
        parameters.Add(new NpgsqlParameter<short> { TypedValue = job.Attempt });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = kind });
        parameters.Add(Text(type, int.MaxValue));
        parameters.Add(Text(message, MaxMessageLength));
        parameters.Add(Text(trace, MaxTraceLength));
        if (retryDelay is { } delay)
        {
            parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = delay < TimeSpan.Zero ? TimeSpan.Zero : delay, NpgsqlDbType = NpgsqlDbType.Interval });
        }

        return command;
    }

    /// <summary>A text parameter, null as SQL NULL, cut to <paramref name="maxLength"/> characters with a marker.</summary>
    private static NpgsqlParameter Text(string? value, int maxLength)
    {
        if (value is null)
        {
            return new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
        }

        if (value.Length > maxLength)
        {
            value = string.Concat(value.AsSpan(0, maxLength), $"… ({value.Length - maxLength} more characters)");
        }

        return new NpgsqlParameter<string> { TypedValue = value };
    }

    private sealed record ClaimedJob(long Id, string Name, string Queue, byte[] Payload, short Attempt, short MaxAttempts, DateTimeOffset CreatedAt);
}
