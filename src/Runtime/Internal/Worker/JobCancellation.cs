namespace Queues.Internal;

/// <summary>
/// The one cancellation source of a running job, fired by a shutdown, the job's timeout, or the job being cancelled or rescued elsewhere, and
/// able to tell them apart afterwards. One source and at most one registration per job: the linked sources, delay
/// tasks and WhenAny this replaces cost more than a short handler.
/// </summary>
internal sealed class JobCancellation : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly CancellationToken _stopJobs;
    private CancellationTokenRegistration _stopRegistration;
    private CancellationTokenRegistration _timeoutRegistration;
    private volatile bool _cancelledElsewhere;
    private volatile bool _timedOut;

    public JobCancellation(CancellationToken stopJobs, TimeSpan? timeout)
    {
        _stopJobs = stopJobs;
        if (timeout is { } after)
        {
            // Whatever fires the token first is its reason: neither an operator nor a shutdown means the timer did.
            _timeoutRegistration = _source.Token.UnsafeRegister(static state =>
            {
                var self = (JobCancellation)state!;
                self._timedOut = !self._cancelledElsewhere && !self._stopJobs.IsCancellationRequested;
            }, this);
            _source.CancelAfter(after);
        }

        _stopRegistration = stopJobs.UnsafeRegister(static state => ((JobCancellation)state!).TryCancel(), this);
    }

    /// <summary>The handler's token.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>The token fired because the job's timeout elapsed (not a shutdown or an operator).</summary>
    public bool TimedOut => _timedOut;

    /// <summary>The token fired because the run is no longer this process's: an operator cancelled it, or it was rescued while this process was frozen.</summary>
    public bool CancelledElsewhere => _cancelledElsewhere;

    /// <summary>The token fired because the worker is stopping.</summary>
    public bool Stopped => _stopJobs.IsCancellationRequested;

    public void CancelElsewhere()
    {
        _cancelledElsewhere = true;
        TryCancel();
    }

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
        _timeoutRegistration.Dispose();
        _source.Dispose();
    }

    private void TryCancel()
    {
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
