namespace Queues.Internal;

/// <summary>
/// The one cancellation source of a running job, fired by a shutdown, the job's timeout, or the job being cancelled or rescued elsewhere, and
/// able to tell them apart afterwards: the first of them is the reason, recorded before the token fires. One source, one
/// registration and, for a job with a timeout, one timer per job: the linked sources, delay tasks and WhenAny this
/// replaces cost more than a short handler.
/// </summary>
internal sealed class JobCancellation : IDisposable
{
    private const int Running = 0, TimeoutReason = 1, ElsewhereReason = 2, StopReason = 3;

    private readonly CancellationTokenSource _source = new();
    private readonly CancellationToken _stopJobs;
    private readonly TimeSpan? _timeout;
    private CancellationTokenRegistration _stopRegistration;
    private Timer? _timer;
    private int _reason;

    /// <param name="stopJobs">Fires when the worker stops.</param>
    /// <param name="timeout">The job's timeout, counted from <see cref="StartTimer"/>, not from here: a job that waits for a thread is not timed yet.</param>
    public JobCancellation(CancellationToken stopJobs, TimeSpan? timeout)
    {
        _stopJobs = stopJobs;
        _timeout = timeout;
        _stopRegistration = stopJobs.UnsafeRegister(static state => ((JobCancellation)state!).Fire(StopReason), this);
    }

    /// <summary>The handler's token.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>The token fired because the job's timeout elapsed (not a shutdown or an operator).</summary>
    public bool TimedOut => Volatile.Read(ref _reason) == TimeoutReason;

    /// <summary>The token fired because the run is no longer this process's: an operator cancelled it, or it was rescued while this process was frozen.</summary>
    public bool CancelledElsewhere => Volatile.Read(ref _reason) == ElsewhereReason;

    /// <summary>The worker is stopping.</summary>
    public bool Stopped => _stopJobs.IsCancellationRequested;

    /// <summary>Starts the job's timeout, if it has one; called once, as its handler starts.</summary>
    public void StartTimer()
    {
        if (_timeout is { } after && _timer is null)
        {
            _timer = new Timer(static state => ((JobCancellation)state!).Fire(TimeoutReason), this, after, Timeout.InfiniteTimeSpan);
        }
    }

    public void CancelElsewhere() => Fire(ElsewhereReason);

    /// <summary>
    /// Waits for <paramref name="run"/>; returns false if the token fired and the handler then ignored it for
    /// <paramref name="abandonAfter"/>. Only called for a handler that did not finish synchronously.
    /// </summary>
    public async Task<bool> WaitOrAbandonAsync(Task run, TimeSpan abandonAfter)
    {
        var abandon = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (_source.Token.UnsafeRegister(static state =>
        {
            var (signal, after) = ((TaskCompletionSource, TimeSpan))state!;
            _ = Task.Delay(after).ContinueWith(static (_, s) => ((TaskCompletionSource)s!).TrySetResult(), signal, CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }, (abandon, abandonAfter)))
        {
            return await Task.WhenAny(run, abandon.Task).ConfigureAwait(false) == run;
        }
    }

    public void Dispose()
    {
        _stopRegistration.Dispose();
        _timer?.Dispose();
        _source.Dispose();
    }

    /// <summary>
    /// Records why the token fires, then fires it. The first reason wins and is written before any callback of the token
    /// runs: a handler's catch and the executor after it run inline on this thread and must read it. A timeout that
    /// elapses once a shutdown has begun is the shutdown's.
    /// </summary>
    private void Fire(int reason)
    {
        if (reason == TimeoutReason && _stopJobs.IsCancellationRequested)
        {
            reason = StopReason;
        }

        if (Interlocked.CompareExchange(ref _reason, reason, Running) != Running)
        {
            return;
        }

        try
        {
            _source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The job finished meanwhile.
        }
    }
}
