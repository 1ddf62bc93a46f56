namespace Queues.Internal;

/// <summary>Delays between retries of a failing worker loop (a lost connection, a restarting server).</summary>
internal static class Backoff
{
    public static TimeSpan Delay(int failures)
        => TimeSpan.FromMilliseconds(Math.Min(100 * Math.Pow(2, Math.Min(failures, 10)), 5_000));

    /// <summary>Waits, returning early (without throwing) when <paramref name="cancellationToken"/> fires.</summary>
    public static Task WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
        => Task.Delay(delay, cancellationToken).ContinueWith(static _ => { }, TaskScheduler.Default);
}
