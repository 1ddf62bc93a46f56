using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Queues.Internal.Telemetry;

namespace Queues.Internal;

/// <summary>
/// Runs one queue's intake: claims as many due jobs as it has free slots in one statement and dispatches each to the
/// <see cref="JobExecutor"/>, whose result goes to the <see cref="Completer"/>. After a wake-up or a claim that found
/// work it polls fast for a while (a NOTIFY may have been rate-limited away); otherwise every poll interval.
/// </summary>
internal sealed class FetchLoop
{
    /// <summary>After a wake-up or a claim that found work, poll this often for <see cref="HotWindow"/>.</summary>
    private static readonly TimeSpan HotPollInterval = TimeSpan.FromMilliseconds(5);

    private static readonly TimeSpan HotWindow = TimeSpan.FromMilliseconds(250);

    /// <summary>With fewer than half the slots free, wait this long for more to free up before claiming a small batch.</summary>
    private static readonly TimeSpan ClaimCooldown = TimeSpan.FromMilliseconds(5);

    private readonly string _queue;
    private readonly int _concurrency;
    private readonly TimeSpan _pollInterval;
    private readonly string _workerName;
    private readonly JobStore _store;
    private readonly JobExecutor _executor;
    private readonly Completer _completer;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly WorkerLiveness.Loop? _liveness;
    private int _running;
    private long _hotUntil;

    public FetchLoop(string queue, int concurrency, TimeSpan pollInterval, string workerName, JobStore store, JobExecutor executor, Completer completer,
        ILogger logger, WorkerLiveness.Loop? liveness = null)
    {
        _liveness = liveness;
        _queue = queue;
        _concurrency = concurrency;
        _pollInterval = pollInterval;
        _workerName = workerName;
        _store = store;
        _executor = executor;
        _completer = completer;
        _logger = logger;
    }

    public string Queue => _queue;

    /// <summary>Wakes the loop: jobs may be available (a NOTIFY, a promotion) or a slot was freed.</summary>
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

    /// <summary>Claims until <paramref name="stopClaiming"/>, then waits for every dispatched job to finish.</summary>
    /// <param name="stopClaiming">Stops claiming.</param>
    /// <param name="stopJobs">Cancels the running handlers (shutdown past its grace period).</param>
    public async Task RunAsync(CancellationToken stopClaiming, CancellationToken stopJobs)
    {
        await Task.Yield();
        var failures = 0;
        var lastClaim = Stopwatch.GetTimestamp();
        while (!stopClaiming.IsCancellationRequested)
        {
            try
            {
                if (failures == 0)
                {
                    _liveness?.Beat(); // The last claim reached the database (or none was needed).
                }

                var free = _concurrency - Volatile.Read(ref _running);
                var worthClaiming = free > 0 && (free * 2 >= _concurrency || Stopwatch.GetElapsedTime(lastClaim) >= ClaimCooldown);
                if (!worthClaiming)
                {
                    await _wake.WaitAsync(free > 0 ? ClaimCooldown : _pollInterval, stopClaiming).ConfigureAwait(false);
                    continue;
                }

                var jobs = await _store.ClaimAsync(_queue, free, _workerName).ConfigureAwait(false);
                lastClaim = Stopwatch.GetTimestamp();
                failures = 0;
                foreach (var job in jobs)
                {
                    // _running counts the job until DispatchAsync's finally; the drain below waits for it to reach 0.
                    Interlocked.Increment(ref _running);
                    ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Loop.DispatchAsync(state.Job, state.StopJobs),
                        (Loop: this, Job: job, StopJobs: stopJobs), preferLocal: false);
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
                await _wake.WaitAsync(hot ? HotPollInterval : _pollInterval, stopClaiming).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopClaiming.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                var delay = Backoff.Delay(++failures);
                LogMessages.ClaimFailed(_logger, exception, _queue, (long)delay.TotalMilliseconds);
                await Backoff.WaitAsync(delay, stopClaiming).ConfigureAwait(false);
            }
        }

        // Drain: every job claimed has finished (its outcome recorded or handed to the completer's batch).
        while (Volatile.Read(ref _running) > 0)
        {
            await _wake.WaitAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Runs one job and hands its result to the completer. An abandoned handler frees its slot here while it runs on.</summary>
    private async Task DispatchAsync(ClaimedJob job, CancellationToken stopJobs)
    {
        try
        {
            using var cancellation = new JobCancellation(stopJobs, _executor.TimeoutOf(job));
            _completer.Track(job, cancellation);
            var (activity, started) = (QueuesTelemetry.StartProcess(job), Stopwatch.GetTimestamp());
            var result = await _executor.ExecuteAsync(job, cancellation).ConfigureAwait(false);
            await _completer.RecordAsync(job, result).ConfigureAwait(false);
            QueuesTelemetry.EndProcess(activity, job, result, started);
        }
        catch (Exception exception)
        {
            // The executor and completer catch everything a handler or the database throws; this is a bug of ours.
            // The row stays running and is rescued.
            LogMessages.OutcomeNotWritten(_logger, exception, job.Id, job.Name, job.Attempt, 0);
            _completer.Forget(job);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
            Wake(jobsAvailable: false);
        }
    }
}
