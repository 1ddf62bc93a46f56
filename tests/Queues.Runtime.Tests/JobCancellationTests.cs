using Queues.Internal;

namespace Queues.Runtime.Tests;

/// <summary>
/// The reason a job's token fired must be readable by whatever the token wakes: a handler's catch runs inline on the
/// thread that cancels, and the executor reads the reason right after.
/// </summary>
public sealed class JobCancellationTests
{
    [Fact]
    public async Task Timeout_IsTheReason_WhenTheTokensFirstCallbackRuns()
    {
        using var cancellation = new JobCancellation(CancellationToken.None, TimeSpan.FromMilliseconds(20));
        cancellation.StartTimer();
        var seen = new TaskCompletionSource<(bool TimedOut, bool Elsewhere, bool Stopped)>();
        cancellation.Token.Register(() => seen.TrySetResult((cancellation.TimedOut, cancellation.CancelledElsewhere, cancellation.Stopped)));

        Assert.Equal((true, false, false), await seen.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    [Fact]
    public void CancelElsewhere_IsTheReason_AndALaterTimeoutDoesNotReplaceIt()
    {
        using var cancellation = new JobCancellation(CancellationToken.None, TimeSpan.FromMilliseconds(1));
        bool? elsewhereSeen = null;
        cancellation.Token.Register(() => elsewhereSeen = cancellation.CancelledElsewhere);

        cancellation.CancelElsewhere();
        cancellation.StartTimer();
        Thread.Sleep(50);

        Assert.True(elsewhereSeen);
        Assert.True(cancellation.CancelledElsewhere);
        Assert.False(cancellation.TimedOut);
    }

    [Fact]
    public void Shutdown_IsTheReason_AndALaterTimeoutDoesNotReplaceIt()
    {
        using var stop = new CancellationTokenSource();
        using var cancellation = new JobCancellation(stop.Token, TimeSpan.FromMilliseconds(1));
        bool? stoppedSeen = null;
        cancellation.Token.Register(() => stoppedSeen = cancellation.Stopped && !cancellation.TimedOut);

        stop.Cancel();
        cancellation.StartTimer();
        Thread.Sleep(50);

        Assert.True(stoppedSeen);
        Assert.False(cancellation.TimedOut);
        Assert.False(cancellation.CancelledElsewhere);
    }

    [Fact]
    public void Timer_StartsOnlyWhenAsked_SoAJobWaitingForAThreadCannotTimeOut()
    {
        using var cancellation = new JobCancellation(CancellationToken.None, TimeSpan.FromMilliseconds(1));
        Thread.Sleep(50);

        Assert.False(cancellation.Token.IsCancellationRequested);
    }

    [Fact]
    public void Dispose_BeforeTheTimerFires_IsQuiet()
    {
        var cancellation = new JobCancellation(CancellationToken.None, TimeSpan.FromMilliseconds(5));
        cancellation.StartTimer();
        cancellation.Dispose();
        Thread.Sleep(50);

        Assert.False(cancellation.TimedOut);
    }
}
