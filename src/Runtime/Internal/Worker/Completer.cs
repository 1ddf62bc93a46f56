using System.Data;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;
using Queues.Internal.Telemetry;

namespace Queues.Internal;

/// <summary>
/// The only writer of a job's outcome and the only owner of the set of running jobs. A run is tracked from the moment it
/// is dispatched until its outcome is written, so the heartbeat keeps it alive all that time, including while a batched
/// completion waits for a database that went away. Completions without a handler transaction are batched: one
/// <c>UPDATE … FROM unnest(ids, attempts)</c> per flush, which skips a row another session holds locked and tries it
/// again later; completions that arrive while a flush runs go into the next, so
/// under load batches grow by themselves while an idle worker still completes a single job at once. Every other outcome
/// is written at once, in the handler's transaction when it has one. Every write is guarded by state and attempt, so a
/// late or duplicate outcome changes nothing.
/// </summary>
internal sealed class Completer
{
    private const int MaxBatch = 5_000;
    /// <summary>Tries of a batch once the worker is stopping (before that, it is retried until it lands).</summary>
    private const int MaxFlushAttempts = 12;
    private const int GatherTarget = 500;

    /// <summary>New completions every batch takes, however many deferred ones it retries.</summary>
    private const int MinNewPerBatch = 100;
    private static readonly TimeSpan GatherDelay = TimeSpan.FromMilliseconds(2);

    /// <summary>How often a completion whose row another session holds locked is tried again while no other completes.</summary>
    private static readonly TimeSpan DeferredRetry = TimeSpan.FromSeconds(1);

    /// <summary>The first retry of an outcome whose row was locked, and every retry at a stop: most such locks are this worker's own heartbeat, held for milliseconds.</summary>
    private static readonly TimeSpan LockedRetryFirst = TimeSpan.FromMilliseconds(20);

    /// <summary>At a stop, how long an outcome waits for its locked row (or the stop has gone on) before it is left for rescue.</summary>
    private static readonly TimeSpan StopLockWait = TimeSpan.FromSeconds(2);

    private const long Warned = -1;

    // Bounded: when completions arrive faster than they are written, a slot that finished a job waits here before it
    // takes the next, so the fetch loop stops claiming. Unbounded, a backlog of tens of thousands of finished jobs built up
    // in front of a slow database (a large table, a slow disk), all of them rows still running that every heartbeat
    // rewrote and locked, which slowed the completions further.
    private readonly Channel<ClaimedJob> _completions = Channel.CreateBounded<ClaimedJob>(
        new BoundedChannelOptions(MaxBatch) { SingleReader = true, AllowSynchronousContinuations = false, FullMode = BoundedChannelFullMode.Wait });
    private readonly JobStore _store;
    private readonly RetryDelays _retryDelays;
    private readonly TimeSpan _rescueAfter;
    private readonly ILogger _logger;
    private readonly Outage _outage;
    private volatile bool _stopping;
    private long _stoppingSince; // Stopwatch timestamp of Stopping(); 0 when closed without it (Queues.Testing's JobRunner).

    public Completer(JobStore store, RetryDelays retryDelays, TimeSpan rescueAfter, ILogger logger, Outage? outage = null)
    {
        _outage = outage ?? new Outage(logger, "Writing job outcomes");
        _store = store;
        _retryDelays = retryDelays;
        _rescueAfter = rescueAfter;
        Running = new RunningJobs(rescueAfter / 2);
        _logger = logger;
    }

    /// <summary>The runs of this process whose outcome is not written yet; the heartbeat reads it.</summary>
    public RunningJobs Running { get; }

    /// <summary>Starts tracking a claimed run: heartbeated from now on, even while it waits for a thread.</summary>
    public void Track(ClaimedJob job) => Running.Add(job.Key);

    /// <summary>Gives a tracked run its handler's cancellation, so a cancel or rescue elsewhere reaches the handler.</summary>
    public void Started(ClaimedJob job, JobCancellation cancellation) => Running.Attach(job.Key, cancellation);

    /// <summary>Stops tracking a run whose outcome will never come (the dispatch itself failed).</summary>
    public void Forget(ClaimedJob job) => Running.Remove(job.Key);

    /// <summary>
    /// Records <paramref name="result"/>: a plain completion joins the next batch (and stays tracked until written);
    /// anything else is written now. Never throws: an outcome that cannot be written leaves the row running, to be
    /// rescued like a crashed worker's.
    /// </summary>
    public async Task RecordAsync(ClaimedJob job, JobResult result)
    {
        var batched = false;
        try
        {
            if (result.Transaction is { } transaction)
            {
                await FinishInTransactionAsync(job, result, transaction).ConfigureAwait(false);
            }
            else if (result.Kind == JobResultKind.Completed)
            {
                while (!(batched = _completions.Writer.TryWrite(job)) && await _completions.Writer.WaitToWriteAsync().ConfigureAwait(false))
                {
                    // Full: wait for the batch being written (the job stays tracked and heartbeated meanwhile).
                }

                if (!batched)
                {
                    // Closed for shutdown: write it alone, once.
                    GiveUpLocked(await FlushAsync([job]).ConfigureAwait(false));
                }
            }
            else
            {
                await WriteUntilWrittenAsync(job, result).ConfigureAwait(false);
            }
        }
        catch (PostgresException exception) when (exception.SqlState.StartsWith("22", StringComparison.Ordinal) && result.Kind != JobResultKind.Completed)
        {
            // A data error (text PostgreSQL cannot store, a value out of range): record a failure it can store rather than
            // leave the row running, to be rescued and run again only to end the same way.
            LogMessages.OutcomeStoredAsFailure(_logger, exception, job.Id, job.Name, job.Attempt);
            await StoreAsFailureAsync(job, result, exception).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            LogMessages.OutcomeNotWritten(_logger, exception, job.Id, job.Name, job.Attempt, (long)_rescueAfter.TotalMilliseconds);
        }
        finally
        {
            if (!batched)
            {
                Running.Remove(job.Key);
            }
        }
    }

    private async Task StoreAsFailureAsync(ClaimedJob job, JobResult result, PostgresException problem)
    {
        try
        {
            var error = new ErrorRecord(ErrorKinds.Exception, problem.GetType().FullName,
                $"The outcome '{result.Kind}' of this attempt could not be stored ({problem.SqlState}: {problem.MessageText}); it is recorded as a failure instead.", null);
            await WriteUntilWrittenAsync(job, JobResult.Failed(error, _retryDelays.For(job.Name, job.Attempt))).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            LogMessages.OutcomeNotWritten(_logger, exception, job.Id, job.Name, job.Attempt, (long)_rescueAfter.TotalMilliseconds);
        }
    }

    /// <summary>
    /// <see cref="WriteAsync"/> outside any transaction, retried with backoff while the database is unavailable (the run
    /// stays tracked and heartbeated meanwhile), for as long as the worker runs; once it is stopping, a few tries.
    /// </summary>
    private async Task WriteUntilWrittenAsync(ClaimedJob job, JobResult result)
    {
        var (failures, lockedTries, lockedSince, warned) = (0, 0, 0L, false);
        while (true)
        {
            try
            {
                await WriteAsync(job, result, null).ConfigureAwait(false);
                _outage.Succeeded();
                return;
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.LockNotAvailable)
            {
                // Another session holds the row locked: this worker's heartbeat for a moment (it runs until the stop ends),
                // or an operator's open edit for as long as it stays open. Try again soon, then every DeferredRetry while
                // the worker runs, and warn once it has lasted that long. Stopping, try every LockedRetryFirst until the
                // lock has lasted StopLockWait or the stop has, then give up: the row stays running and is rescued.
                lockedSince = lockedTries++ == 0 ? Stopwatch.GetTimestamp() : lockedSince;
                if (_stopping && lockedTries >= 2
                    && (Stopwatch.GetElapsedTime(lockedSince) >= StopLockWait || (_stoppingSince != 0 && Stopwatch.GetElapsedTime(_stoppingSince) >= StopLockWait)))
                {
                    LogMessages.CompletionLeftLocked(_logger, 1, job.Id.ToString(CultureInfo.InvariantCulture));
                    return;
                }

                if (!warned && Stopwatch.GetElapsedTime(lockedSince) >= DeferredRetry)
                {
                    LogMessages.CompletionDeferred(_logger, job.Id, job.Name, job.Attempt, (long)DeferredRetry.TotalMilliseconds);
                    warned = true;
                }

                await Task.Delay(lockedTries == 1 || _stopping ? LockedRetryFirst : DeferredRetry).ConfigureAwait(false);
            }
            catch (NpgsqlException exception) when (exception.IsTransient && (failures < MaxFlushAttempts || !_stopping))
            {
                var delay = Backoff.Delay(++failures);
                if (_outage.Failed(exception))
                {
                    LogMessages.OutcomeWriteFailed(_logger, exception, job.Id, job.Name, job.Attempt, (long)delay.TotalMilliseconds);
                }

                await Task.Delay(delay).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes a result's outcome with its guarded statement, in <paramref name="transaction"/> when given; logs it.</summary>
    /// <returns>Whether the guard matched (the run was still this attempt's to finish).</returns>
    private async Task<bool> WriteAsync(ClaimedJob job, JobResult result, NpgsqlTransaction? transaction)
    {
        switch (result.Kind)
        {
            case JobResultKind.Completed:
                return QueuesTelemetry.Counted(job, result, await _store.CompleteAsync(job.Key, transaction).ConfigureAwait(false));
            case JobResultKind.Failed:
                var state = await _store.FailAsync(job.Key, result.Error!, result.Delay).ConfigureAwait(false);
                QueuesTelemetry.CountOutcome(job, result, state);
                var described = state ?? await DescribeUnwrittenFailureAsync(job, result.Error!).ConfigureAwait(false);
                if (result.Error!.Kind == ErrorKinds.UnknownJob)
                {
                    LogMessages.UnknownJob(_logger, job.Id, job.Queue, job.Name, job.Attempt, job.MaxAttempts, described);
                }
                else
                {
                    LogMessages.JobFailed(_logger, result.Exception, job.Id, job.Name, job.Attempt, job.MaxAttempts, described);
                }

                return state is not null;
            // Logged once written: a write retried (its row locked, the database away) does not log the outcome again.
            case JobResultKind.Snoozed:
                var snoozed = await _store.SnoozeAsync(job.Key, result.Delay, transaction).ConfigureAwait(false);
                LogMessages.JobSnoozed(_logger, job.Id, job.Name, (long)result.Delay.TotalMilliseconds, job.Attempt);
                return snoozed;
            case JobResultKind.Cancelled:
                var cancelled = await _store.CancelAsync(job.Key, result.Error!, transaction).ConfigureAwait(false);
                LogMessages.JobCancelled(_logger, job.Id, job.Name, job.Attempt, result.Error!.Message);
                return cancelled;
            case JobResultKind.Discarded:
                var discarded = await _store.DiscardAsync(job.Key, result.Error!, transaction).ConfigureAwait(false);
                if (result.Error!.Kind == ErrorKinds.Payload)
                {
                    LogMessages.BadPayload(_logger, job.Id, job.Name, result.Error.Message);
                }
                else
                {
                    LogMessages.JobDiscarded(_logger, job.Id, job.Name, job.Attempt, result.Error.Message);
                }

                return QueuesTelemetry.Counted(job, result, discarded);
            case JobResultKind.Released:
                var released = await _store.ReleaseAsync(job.Key).ConfigureAwait(false);
                LogMessages.JobReleased(_logger, job.Id, job.Name);
                return released;
            case JobResultKind.CancelledElsewhere:
                LogMessages.JobCancelledWhileRunning(_logger, job.Id, job.Name);
                return false;
            default:
                throw new ArgumentOutOfRangeException(nameof(result), result.Kind, "Unknown job result.");
        }
    }

    /// <summary>
    /// What a failure write whose guard did not match found, for the log: the row may already hold this very failure (an
    /// earlier try committed and only its reply was lost, so the retry found the row no longer running) — then it is
    /// "already recorded" and its state is named — or the run was cancelled or rescued meanwhile and nothing changed.
    /// </summary>
    private async Task<string> DescribeUnwrittenFailureAsync(ClaimedJob job, ErrorRecord error)
    {
        try
        {
            return await _store.FailureRecordedAsync(job.Key, error.Kind).ConfigureAwait(false) is { } state
                ? $"{state} (already recorded: an earlier try of this write committed, only its reply was lost)"
                : "unchanged: the row was no longer running at this attempt (it was cancelled or rescued)";
        }
        catch (NpgsqlException)
        {
            // Only the log line depends on it: never let it turn a settled write into a retried one.
            return "unchanged or already recorded: the row was no longer running at this attempt (an earlier try's commit went through, or it was cancelled or rescued)";
        }
    }

    /// <summary>
    /// Records the outcome in the transaction the handler did its work in and commits both; rolls back when the guard
    /// finds the job no longer running at this attempt. When the handler committed or rolled back the transaction itself,
    /// the outcome is recorded the usual way. When the work could not be committed (the handler disposed the transaction
    /// or closed its connection, swallowed an error that aborted it, a deferred constraint failed at commit, the
    /// connection broke), the attempt fails with that reason and is retried.
    /// </summary>
    private async Task FinishInTransactionAsync(ClaimedJob job, JobResult result, HandlerTransaction handlerTransaction)
    {
        var transaction = handlerTransaction.Transaction!;
        NpgsqlConnection? connection = null;
        Exception problem;
        try
        {
            // Throws ObjectDisposedException when the handler disposed the transaction, which rolled it back.
            connection = transaction.Connection;
            if (!await WriteAsync(job, result, transaction).ConfigureAwait(false))
            {
                LogMessages.TransactionRolledBack(_logger, job.Id, job.Name, job.Attempt);
                await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                if (result.Kind == JobResultKind.Completed)
                {
                    LogMessages.JobCompleted(_logger, job.Id, job.Name, job.Attempt);
                }
            }

            await EndQuietlyAsync(handlerTransaction, job).ConfigureAwait(false);
            return;
        }
        catch (InvalidOperationException) when (connection is { FullState: ConnectionState.Open })
        {
            // Npgsql cannot be asked whether a transaction ended: a command on one that did fails before anything is
            // sent, with InvalidOperationException, while its connection stays open and idle.
            LogMessages.TransactionEndedByHandler(_logger, job.Id, job.Name);
            await EndQuietlyAsync(handlerTransaction, job).ConfigureAwait(false);
            await WriteUntilWrittenAsync(job, result).ConfigureAwait(false);
            return;
        }
        catch (Exception exception)
        {
            problem = exception is InvalidOperationException
                ? new InvalidOperationException(
                    $"Job {job.Id} ('{job.Name}'): its JobContext transaction was disposed, or its connection closed or left busy, before the worker could commit it, so the handler's work was rolled back. Leave the transaction to the worker.",
                    exception)
                : exception;
        }

        await EndQuietlyAsync(handlerTransaction, job).ConfigureAwait(false);

        // If a commit did reach the server before the error, the job is finished and this guarded write changes nothing.
        var failure = JobResult.Failed(ErrorRecord.From(ErrorKinds.Exception, problem), _retryDelays.For(job.Name, job.Attempt)) with { Exception = problem };
        await WriteUntilWrittenAsync(job, failure).ConfigureAwait(false);
    }

    private async Task EndQuietlyAsync(HandlerTransaction transaction, ClaimedJob job)
    {
        try
        {
            await transaction.EndAsync().ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            LogMessages.TransactionEndFailed(_logger, exception, job.Id, job.Name);
        }
    }

    /// <summary>No more completions will be batched: <see cref="RunAsync"/> flushes what it has and returns.</summary>
    public void Close()
    {
        _stopping = true;
        _completions.Writer.TryComplete();
    }

    /// <summary>
    /// The worker is stopping: from now on an outcome that cannot be written is given up after a few tries (the row is
    /// rescued later) instead of retried until it lands, so a stop during an outage ends.
    /// </summary>
    public void Stopping()
    {
        _stoppingSince = Stopwatch.GetTimestamp();
        _stopping = true;
    }

    /// <summary>
    /// Writes batched completions until <see cref="Close"/>. A completion whose row another session holds locked is kept
    /// (running and heartbeated) and tried again with every batch, and alone every <see cref="DeferredRetry"/> while the
    /// worker is idle, until the lock goes; the others never wait for it. At the stop it gets one more try.
    /// </summary>
    public async Task RunAsync()
    {
        try
        {
            await RunBatchesAsync().ConfigureAwait(false);
        }
        finally
        {
            // Should the loop ever end early, slots waiting for room write their completions alone instead of hanging.
            _completions.Writer.TryComplete();
        }
    }

    private async Task RunBatchesAsync()
    {
        var reader = _completions.Reader;
        var batch = new List<ClaimedJob>(256);
        var deferred = new List<ClaimedJob>();
        var skippedSince = new Dictionary<long, long>(); // Deferred runs: when first skipped, or Warned.
        while (await WaitForWorkAsync(reader, deferred.Count > 0).ConfigureAwait(false))
        {
            // Under load, let a few more completions arrive: one UPDATE of a hundred rows costs PostgreSQL far less
            // than a hundred UPDATEs of one. An idle worker pays 2 ms before its completion is written.
            if (reader.CanCount && reader.Count < GatherTarget)
            {
                await Task.Delay(GatherDelay).ConfigureAwait(false);
            }

            var retried = deferred.Count;
            batch.AddRange(deferred);
            deferred.Clear();
            // Deferred ones count toward the batch (the channel's bound then bounds the finished jobs not yet written),
            // but a batch always takes a few new ones, so thousands of locked rows cannot stop the channel draining.
            while ((batch.Count < MaxBatch || batch.Count - retried < MinNewPerBatch) && reader.TryRead(out var job))
            {
                batch.Add(job);
            }

            var locked = await FlushAsync(batch).ConfigureAwait(false);
            for (var i = 0; i < batch.Count; i++)
            {
                var job = batch[i];
                if (locked?.Contains(job.Id) == true)
                {
                    // This worker's own heartbeat locks rows for a moment too: only a row still locked a second later
                    // is worth a warning, once.
                    deferred.Add(job);
                    var since = skippedSince.TryGetValue(job.Id, out var first) ? first : skippedSince[job.Id] = Stopwatch.GetTimestamp();
                    if (since != Warned && Stopwatch.GetElapsedTime(since) >= DeferredRetry)
                    {
                        skippedSince[job.Id] = Warned;
                        LogMessages.CompletionDeferred(_logger, job.Id, job.Name, job.Attempt, (long)DeferredRetry.TotalMilliseconds);
                    }
                }
                else
                {
                    if (i < retried)
                    {
                        skippedSince.Remove(job.Id);
                    }

                    Running.Remove(job.Key);
                }
            }

            batch.Clear();
        }

        if (deferred.Count > 0)
        {
            var locked = await FlushAsync(deferred).ConfigureAwait(false);
            GiveUpLocked(locked);
            foreach (var job in deferred)
            {
                Running.Remove(job.Key);
            }
        }
    }

    /// <summary>Waits for completions; with completions deferred by a lock, at most <see cref="DeferredRetry"/>. False once closed and drained.</summary>
    private static async ValueTask<bool> WaitForWorkAsync(ChannelReader<ClaimedJob> reader, bool retryDeferred)
    {
        if (!retryDeferred)
        {
            return await reader.WaitToReadAsync().ConfigureAwait(false);
        }

        using var retry = new CancellationTokenSource(DeferredRetry);
        try
        {
            return await reader.WaitToReadAsync(retry.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return true; // Time to try the deferred ones again.
        }
    }

    /// <summary>The worker stops with these completions still locked out: their rows stay running and are rescued.</summary>
    private void GiveUpLocked(HashSet<long>? locked)
    {
        if (locked is not null)
        {
            LogMessages.CompletionLeftLocked(_logger, locked.Count, string.Join(", ", locked.Order()));
        }
    }

    /// <summary>
    /// Completes <paramref name="jobs"/> in one statement, retrying with backoff for as long as the worker runs (the jobs
    /// stay tracked and heartbeated meanwhile); once the worker is stopping, gives up after a few tries, leaving them
    /// running to be rescued like a crashed worker's.
    /// </summary>
    /// <returns>The ids of the runs left out because another session holds their row locked, or null when there are none.</returns>
    private async Task<HashSet<long>?> FlushAsync(IReadOnlyList<ClaimedJob> jobs)
    {
        var ids = new long[jobs.Count];
        var attempts = new short[jobs.Count];
        for (var i = 0; i < jobs.Count; i++)
        {
            (ids[i], attempts[i]) = (jobs[i].Id, jobs[i].Attempt);
        }

        HashSet<long>? locked = null;
        for (var failures = 0; ; failures++)
        {
            try
            {
                var skipped = await _store.CompleteManyAsync(ids, attempts).ConfigureAwait(false);
                locked = skipped.Count == 0 ? null : [.. skipped];
                _outage.Succeeded();
                break;
            }
            catch (Exception exception) when (failures < MaxFlushAttempts || !_stopping)
            {
                var delay = Backoff.Delay(failures + 1);
                if (_outage.Failed(exception))
                {
                    LogMessages.CompletionFailed(_logger, exception, ids.Length, (long)delay.TotalMilliseconds);
                }

                await Task.Delay(delay).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                // Given up: the rows stay running and are rescued like a crashed worker's; the handlers ran once.
                LogMessages.CompletionGivenUp(_logger, exception, ids.Length, failures + 1);
                return null;
            }
        }

        var written = locked is null ? jobs : [.. jobs.Where(job => !locked.Contains(job.Id))];
        QueuesTelemetry.CountCompleted(written);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            foreach (var job in written)
            {
                LogMessages.JobCompleted(_logger, job.Id, job.Name, job.Attempt);
            }
        }

        return locked;
    }
}
