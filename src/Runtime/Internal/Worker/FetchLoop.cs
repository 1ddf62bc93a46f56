using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using Queues.Internal.Telemetry;

namespace Queues.Internal;

/// <summary>
/// Runs one queue's intake: claims due jobs in one statement for its free slots plus a bounded prefetch buffer, so a
/// queue with few slots still claims in batches. The buffer is sized to the jobs: enough to keep every slot busy through
/// a few claim round trips at the measured job duration, at most <see cref="QueuesOptions.Prefetch"/> — fast jobs are
/// claimed hundreds at a time, slow ones are hardly claimed ahead at all (so they do not wait behind this worker's busy
/// slots while another worker is idle). Each slot is a task that runs buffered jobs one after another through the
/// <see cref="JobExecutor"/>, whose result goes to the <see cref="Completer"/>. Buffered jobs are tracked (heartbeated)
/// from their claim, start their timeout only when they start, and are released without using an attempt when the
/// worker stops. After a wake-up or a claim that found work the loop polls fast for a while (a NOTIFY may have been
/// rate-limited away); otherwise every poll interval.
/// </summary>
internal sealed class FetchLoop
{
    /// <summary>After a wake-up or a claim that found work, poll this often for <see cref="HotWindow"/>.</summary>
    private static readonly TimeSpan HotPollInterval = TimeSpan.FromMilliseconds(5);

    private static readonly TimeSpan HotWindow = TimeSpan.FromMilliseconds(250);

    /// <summary>With fewer than half the slots free, wait this long for more to free up before claiming a small batch.</summary>
    private static readonly TimeSpan ClaimCooldown = TimeSpan.FromMilliseconds(5);

    /// <summary>How often a slot held back by a stale heartbeat looks again.</summary>
    private static readonly TimeSpan StartsHeldPoll = TimeSpan.FromMilliseconds(20);

    /// <summary>The most rows one claim statement takes.</summary>
    private const int MaxClaim = 1_000;

    /// <summary>The buffer covers this many claim round trips of every slot's work (see <see cref="BufferTarget"/>).</summary>
    private const double RunwayClaims = 4;

    /// <summary>Weight of the newest measurement in the running averages of claim time and job time.</summary>
    private const double Smoothing = 0.3;

    private readonly string _queue;
    private readonly int _concurrency;
    private readonly TimeSpan _pollInterval;
    private readonly string _workerName;
    private readonly JobStore _store;
    private readonly JobExecutor _executor;
    private readonly Completer _completer;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>Where each claim starts its walk of the claim index (so dead rows behind it cost nothing).</summary>
    private readonly ClaimWalk _walk = new();

    /// <summary>Logs a run of failed claims as one first failure, summaries and one recovery line.</summary>
    private readonly Outage _outage;

    /// <summary>Claimed jobs waiting for a slot: at most <c>prefetch</c> beyond the slots, tracked and heartbeated.</summary>
    private readonly ConcurrentQueue<ClaimedJob> _buffer = new();
    private readonly int _prefetch;
    private readonly WorkerLiveness.Loop? _liveness;
    private int _running;
    private long _hotUntil;
    private volatile bool _idle = true; // Until the first wake-up: the worker's poll at start finds it idle.

    /// <summary>
    /// The claim connection, held while the queue is busy or hot and returned to the pool when the loop goes idle: a
    /// connection returned to the pool is reset at its next use (Npgsql prepends seven reset statements to it), which
    /// measured 0.14 ms of each claim's 0.7 ms round trip.
    /// </summary>
    private NpgsqlConnection? _connection;

    /// <summary>How many jobs the buffer may hold now (<see cref="BufferTarget"/>); slots read it to ask for a refill.</summary>
    private int _target;

    // Job time, summed by the slots: ticks from dispatch to outcome handed over, and jobs done. Read by the loop only.
    private long _busyTicks;
    private long _jobsDone;
    private long _seenBusyTicks;
    private long _seenJobsDone;
    private double _jobTicks;
    private double _claimTicks;
    private long _claims;

    public FetchLoop(string queue, int concurrency, int prefetch, TimeSpan pollInterval, string workerName, JobStore store, JobExecutor executor,
        Completer completer, ILogger logger, WorkerLiveness.Loop? liveness = null, Outage? outage = null)
    {
        _outage = outage ?? new Outage(logger, $"Claiming jobs of queue {queue}");
        _prefetch = prefetch;
        _target = Math.Min(prefetch, concurrency);
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

    /// <summary>Whether the loop waits for a wake-up (a NOTIFY or the worker's poll) without polling on its own.</summary>
    public bool Idle => _idle;

    /// <summary>
    /// The worker's poll across queues succeeded: an idle loop (which does not reach the database itself) counts as alive.
    /// </summary>
    public void Polled()
    {
        if (_idle)
        {
            _liveness?.Beat();
        }
    }

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
    /// <param name="ready">Claims start once this completes (the node is registered).</param>
    /// <param name="stopClaiming">Stops claiming.</param>
    /// <param name="stopJobs">Cancels the running handlers (shutdown past its grace period).</param>
    public async Task RunAsync(Task ready, CancellationToken stopClaiming, CancellationToken stopJobs)
    {
        await Task.Yield();
        await ready.WaitAsync(stopClaiming).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
        var failures = 0;
        var lastClaim = Stopwatch.GetTimestamp();
        var idle = true; // Until the worker's poll (at once) or a NOTIFY says this queue has work.
        while (!stopClaiming.IsCancellationRequested)
        {
            try
            {
                if (idle)
                {
                    // Idle: no poll of its own (the WorkPoller polls every queue in one statement) and no connection held.
                    _idle = true;
                    try
                    {
                        await _wake.WaitAsync(Timeout.InfiniteTimeSpan, stopClaiming).ConfigureAwait(false);
                    }
                    finally
                    {
                        _idle = false;
                    }

                    idle = false;
                }

                if (failures == 0)
                {
                    _liveness?.Beat(); // The last claim reached the database (or none was needed).
                }

                // Slots and prefetch buffer together: claim when at least half of that room is free; when the buffer
                // is sized for fast jobs, as soon as it is down to half (what is left covers the claim's round trips,
                // so the slots never wait for it); otherwise a little later for less. A buffer holding a full round
                // of jobs needs no hurry.
                StartBuffered(stopClaiming, stopJobs);
                var target = BufferTarget();
                var capacity = _concurrency + target;
                var buffered = _buffer.Count;
                var free = capacity - Volatile.Read(ref _running) - buffered;
                var worthClaiming = free > 0
                    && (free * 2 >= capacity
                        || (target >= _concurrency && buffered * 2 <= target)
                        || (buffered < _concurrency && Stopwatch.GetElapsedTime(lastClaim) >= ClaimCooldown));
                if (!worthClaiming)
                {
                    await _wake.WaitAsync(free > 0 && buffered < _concurrency ? ClaimCooldown : _pollInterval, stopClaiming).ConfigureAwait(false);
                    continue;
                }

                List<ClaimedJob> jobs;
                var claim = _completer.Running.BeginClaim();
                try
                {
                    WakeTimeline.Record(WakeStep.ClaimSent, Math.Min(free, MaxClaim));
                    var sent = Stopwatch.GetTimestamp();
                    _connection ??= await _store.DataSource.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
                    var slots = _concurrency - Volatile.Read(ref _running) - buffered;
                    var walked = Stopwatch.GetTimestamp();
                    jobs = await _store.ClaimAsync(_connection, _queue, Math.Min(free, MaxClaim), _workerName, _walk.Next(walked)).ConfigureAwait(false);
                    _walk.Claimed(jobs, walked, Stopwatch.GetTimestamp());
                    if (jobs.Count > Math.Max(slots, 0))
                    {
                        // Some will wait in the buffer. Claims commit asynchronously: a server crash could lose this one
                        // while they wait, and the rows would go back to be claimed again at the same attempt. Make it
                        // durable first (one WAL flush per claim that buffers, none for an idle queue's claims).
                        await _store.FlushClaimsAsync(_connection, jobs[^1].Id).ConfigureAwait(false);
                    }

                    // Claim time as the buffer sees it: the round trip, and the flush when it buffers.
                    if (_claims++ > 0)
                    {
                        _claimTicks = Average(_claimTicks, Stopwatch.GetTimestamp() - sent); // The first also prepared the statement.
                    }

                    WakeTimeline.Record(WakeStep.ClaimReturned, jobs.Count, sent);
                    foreach (var job in jobs)
                    {
                        // Tracked (so heartbeated) from the claim on, whether it starts now or waits in the buffer.
                        _completer.Track(job);
                        _buffer.Enqueue(job);
                    }
                }
                finally
                {
                    _completer.Running.EndClaim(claim);
                }

                StartBuffered(stopClaiming, stopJobs);

                lastClaim = Stopwatch.GetTimestamp();
                failures = 0;
                _outage.Succeeded();

                if (jobs.Count > 0)
                {
                    Volatile.Write(ref _hotUntil, lastClaim + (long)(HotWindow.TotalSeconds * Stopwatch.Frequency));
                    if (jobs.Count == Math.Min(free, MaxClaim))
                    {
                        continue; // There may be more; claim again as room frees up.
                    }
                }

                if (Stopwatch.GetTimestamp() >= Volatile.Read(ref _hotUntil) && Volatile.Read(ref _running) == 0 && _buffer.IsEmpty)
                {
                    await ReleaseConnectionAsync().ConfigureAwait(false); // Idle: give the connection back to the pool.
                    idle = true;
                    continue;
                }

                await _wake.WaitAsync(Stopwatch.GetTimestamp() < Volatile.Read(ref _hotUntil) ? HotPollInterval : _pollInterval, stopClaiming)
                    .ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopClaiming.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                await ReleaseConnectionAsync().ConfigureAwait(false); // It may be broken: the next claim opens another.

                // A claim that fails the same way twice, not because the server is unavailable, may be failing on one
                // row: claim one at a time to find it and discard it, so one bad row cannot stall its whole queue.
                if (exception is PostgresException { IsTransient: false } && failures > 0
                    && await TryIsolatePoisonAsync(_concurrency - Volatile.Read(ref _running), stopClaiming, stopJobs).ConfigureAwait(false))
                {
                    failures = 0;
                    continue;
                }

                var delay = Backoff.Delay(++failures);
                if (_outage.Failed(exception))
                {
                    LogMessages.ClaimFailed(_logger, exception, _queue, (long)delay.TotalMilliseconds);
                }
                await Backoff.WaitAsync(delay, stopClaiming).ConfigureAwait(false);
            }
        }

        await ReleaseConnectionAsync().ConfigureAwait(false);
        await ReleaseBufferedAsync().ConfigureAwait(false);

        while (Volatile.Read(ref _running) > 0)
        {
            await _wake.WaitAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// How many jobs to hold claimed ahead of the slots: the jobs every slot gets through in <see cref="RunwayClaims"/>
    /// claim round trips at the measured job time (so the slots never run dry while a claim is on its way), at most the
    /// configured prefetch. Until a job has finished, one round of the slots.
    /// </summary>
    private int BufferTarget()
    {
        var done = Interlocked.Read(ref _jobsDone);
        if (done > _seenJobsDone)
        {
            var busy = Interlocked.Read(ref _busyTicks);
            _jobTicks = Average(_jobTicks, (busy - _seenBusyTicks) / (double)(done - _seenJobsDone));
            (_seenBusyTicks, _seenJobsDone) = (busy, done);
        }

        var target = _jobTicks > 0 && _claimTicks > 0
            ? (int)Math.Min(_prefetch, Math.Ceiling(RunwayClaims * _claimTicks * _concurrency / Math.Max(_jobTicks, 1)))
            : Math.Min(_prefetch, _concurrency);
        Volatile.Write(ref _target, target);
        return target;
    }

    private static double Average(double average, double sample) => average == 0 ? sample : average + (Smoothing * (sample - average));

    /// <summary>Returns the claim connection to the pool (a broken one is discarded there); never throws.</summary>
    private async ValueTask ReleaseConnectionAsync()
    {
        if (_connection is { } connection)
        {
            _connection = null;
            try
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Closing a broken connection can fail; the pool drops it either way.
            }
        }
    }

    /// <summary>Jobs claimed ahead that never started go back, their attempt not counted (the completer never throws).</summary>
    private async Task ReleaseBufferedAsync()
    {
        while (_buffer.TryDequeue(out var unstarted))
        {
            await _completer.RecordAsync(unstarted, JobResult.Released).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// An error a row's own values or a trigger on it can cause (data exception, integrity violation, an exception a
    /// PL/pgSQL trigger raised): worth discarding the row for. Anything else (a timeout, a permission, a dropped
    /// connection) would discard healthy jobs one after another, so it only backs off.
    /// </summary>
    private static bool IsRowProblem(PostgresException exception)
        => !exception.IsTransient && (exception.SqlState.StartsWith("22", StringComparison.Ordinal)
            || exception.SqlState.StartsWith("23", StringComparison.Ordinal) || exception.SqlState.StartsWith("P0", StringComparison.Ordinal));

    /// <summary><see cref="IsolatePoisonAsync"/>, which never throws: a failure of its own is just another failed claim.</summary>
    private async Task<bool> TryIsolatePoisonAsync(int limit, CancellationToken stopClaiming, CancellationToken stopJobs)
    {
        try
        {
            return await IsolatePoisonAsync(limit, stopClaiming, stopJobs).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            LogMessages.ClaimFailed(_logger, exception, _queue, 0);
            return false;
        }
    }

    /// <summary>
    /// Claims up to <paramref name="limit"/> jobs one at a time in claim order, dispatching each; the first that cannot be
    /// claimed even alone is discarded with the database's reason. Returns whether one was discarded.
    /// </summary>
    private async Task<bool> IsolatePoisonAsync(int limit, CancellationToken stopClaiming, CancellationToken stopJobs)
    {
        for (var i = 0; i < Math.Max(limit, 1); i++)
        {
            if (await _store.NextAvailableAsync(_queue, CancellationToken.None).ConfigureAwait(false) is not { } id)
            {
                return false;
            }

            var claim = _completer.Running.BeginClaim();
            try
            {
                if (await _store.ClaimByIdAsync(id, _workerName).ConfigureAwait(false) is { } job)
                {
                    _completer.Track(job);
                    _buffer.Enqueue(job);
                    StartBuffered(stopClaiming, stopJobs);
                }
            }
            catch (PostgresException exception) when (IsRowProblem(exception))
            {
                var reason = $"Job {id} could not be claimed ({exception.SqlState}: {exception.MessageText}); it was discarded so queue '{_queue}' keeps moving. Fix the row and retry it.";
                if (await _store.DiscardPoisonAsync(id, reason, CancellationToken.None).ConfigureAwait(false))
                {
                    LogMessages.PoisonJobDiscarded(_logger, id, _queue, exception.SqlState, exception.MessageText);
                }

                return true;
            }
            finally
            {
                _completer.Running.EndClaim(claim);
            }
        }

        return false;
    }

    /// <summary>Starts buffered jobs on free slots, each slot a task that goes on with the next buffered job when its job ends.</summary>
    private void StartBuffered(CancellationToken stopClaiming, CancellationToken stopJobs)
    {
        while (!_buffer.IsEmpty && Volatile.Read(ref _running) < _concurrency)
        {
            Interlocked.Increment(ref _running);
            ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Loop.RunSlotAsync(state.StopClaiming, state.StopJobs),
                (Loop: this, StopClaiming: stopClaiming, StopJobs: stopJobs), preferLocal: false);
        }
    }

    /// <summary>
    /// One slot: runs buffered jobs one after another until the buffer is empty (or the worker stops claiming: what is
    /// left is released), without a hop through the fetch loop between two jobs.
    /// </summary>
    private async Task RunSlotAsync(CancellationToken stopClaiming, CancellationToken stopJobs)
    {
        WakeTimeline.Record(WakeStep.SlotStarted);
        try
        {
            while (!stopClaiming.IsCancellationRequested && !_buffer.IsEmpty && await HeartbeatFreshAsync(stopClaiming).ConfigureAwait(false)
                && _buffer.TryDequeue(out var job))
            {
                await DispatchAsync(job, stopJobs).ConfigureAwait(false);
                if (_buffer.Count * 2 < Volatile.Read(ref _target))
                {
                    Wake(jobsAvailable: false); // The buffer runs low: let the fetch loop refill it.
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _running);
            Wake(jobsAvailable: false);
        }
    }

    /// <summary>
    /// Waits, before a job starts, until a heartbeat has reached the database within half of RescueAfter: a process that
    /// could not heartbeat for that long (frozen, starved, cut off from the database) may have had its claimed jobs
    /// rescued, run and finished elsewhere, so it starts none until a heartbeat has found out which are still its own
    /// (those that are not are cancelled before they start). Returns false when the worker stops claiming meanwhile.
    /// Normally one timestamp read.
    /// </summary>
    private async ValueTask<bool> HeartbeatFreshAsync(CancellationToken stopClaiming)
    {
        var running = _completer.Running;
        if (running.HeartbeatFresh)
        {
            return true;
        }

        LogMessages.StartsHeld(_logger, _queue, (long)running.SinceLastBeat.TotalMilliseconds, _buffer.Count);
        while (!running.HeartbeatFresh)
        {
            await Backoff.WaitAsync(StartsHeldPoll, stopClaiming).ConfigureAwait(false);
            if (stopClaiming.IsCancellationRequested)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Runs one job and hands its result to the completer. An abandoned handler frees its slot here while it runs on.</summary>
    private async Task DispatchAsync(ClaimedJob job, CancellationToken stopJobs)
    {
        try
        {
            using var cancellation = new JobCancellation(stopJobs, _executor.TimeoutOf(job));
            _completer.Started(job, cancellation);
            var (activity, started) = (QueuesTelemetry.StartProcess(job), Stopwatch.GetTimestamp());
            var result = await _executor.ExecuteAsync(job, cancellation).ConfigureAwait(false);
            await _completer.RecordAsync(job, result).ConfigureAwait(false);
            Interlocked.Add(ref _busyTicks, Stopwatch.GetTimestamp() - started);
            Interlocked.Increment(ref _jobsDone);
            QueuesTelemetry.EndProcess(activity, job, result, started);
        }
        catch (Exception exception)
        {
            // The executor and completer catch everything a handler or the database throws; this is a bug of ours.
            // The row stays running and is rescued.
            LogMessages.OutcomeNotWritten(_logger, exception, job.Id, job.Name, job.Attempt, 0);
            _completer.Forget(job);
        }
    }
}
