using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Queues.Internal;

/// <summary>
/// The worker's one poll for due work across all its queues: every poll interval a single statement names the queues
/// with due jobs (<see cref="JobStore.QueuesWithWorkAsync"/>) and their idle <see cref="FetchLoop"/>s are woken. An idle
/// loop does not poll on its own, so an idle worker costs one statement a poll interval whether it serves one queue or
/// ten thousand, and holds no connection for them. NOTIFY only makes a wake-up sooner; this poll is what makes it
/// certain (poll-only mode, a rate-limited NOTIFY, a promotion or rescue by another node's leader). Only idle loops need
/// it (a busy loop claims on its own), so no statement is sent while none is idle. The statement reads the claim index from
/// its head, which costs more with every dead row a held snapshot keeps (see <see cref="ClaimWalk"/>): like a claim's
/// walk from the head, it comes at most every <see cref="Pacing.Share"/> times its own last duration.
/// </summary>
internal sealed class WorkPoller(JobStore store, IReadOnlyList<FetchLoop> loops, TimeSpan interval, ILogger logger, WorkerLiveness.Loop? liveness = null,
    Outage? outage = null)
{
    private readonly Outage _outage = outage ?? new Outage(logger, "The poll for due jobs");
    private readonly Dictionary<string, FetchLoop> _byQueue = loops.ToDictionary(static l => l.Queue, StringComparer.Ordinal);

    /// <summary>Polls until <paramref name="stopClaiming"/>; never throws (a failed poll is retried with backoff).</summary>
    /// <param name="ready">Polls start once this completes (the node is registered).</param>
    /// <param name="stopClaiming">Stops polling.</param>
    public async Task RunAsync(Task ready, CancellationToken stopClaiming)
    {
        await Task.Yield();
        await ready.WaitAsync(stopClaiming).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
        var failures = 0;
        while (!stopClaiming.IsCancellationRequested)
        {
            TimeSpan delay;
            try
            {
                var sent = Stopwatch.GetTimestamp();
                if (loops.Any(static l => l.Idle))
                {
                    foreach (var queue in await store.QueuesWithWorkAsync(stopClaiming).ConfigureAwait(false))
                    {
                        if (_byQueue.TryGetValue(queue, out var loop))
                        {
                            loop.Wake();
                        }
                    }
                }

                foreach (var loop in loops)
                {
                    loop.Polled();
                }

                liveness?.Beat();
                _outage.Succeeded();
                failures = 0;
                var took = Stopwatch.GetElapsedTime(sent);
                delay = took * Pacing.Share > interval ? took * Pacing.Share : interval;
            }
            catch (OperationCanceledException) when (stopClaiming.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                delay = Backoff.Delay(++failures);
                if (_outage.Failed(exception))
                {
                    LogMessages.PollFailed(logger, exception, (long)delay.TotalMilliseconds);
                }
            }

            await Backoff.WaitAsync(delay, stopClaiming).ConfigureAwait(false);
        }
    }
}
