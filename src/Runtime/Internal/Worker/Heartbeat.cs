using Microsoft.Extensions.Logging;

namespace Queues.Internal;

/// <summary>
/// Every heartbeat interval, one UPDATE marks all runs this worker tracks as alive, and one SELECT finds those an
/// operator cancelled meanwhile, whose handlers' tokens are then fired. It runs until every run's outcome is written,
/// so a slow shutdown is not mistaken for a dead worker.
/// </summary>
internal sealed class Heartbeat(JobStore store, RunningJobs running, TimeSpan interval, ILogger logger, WorkerLiveness.Loop? liveness = null)
{
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var count = 0;
            try
            {
                await Task.Delay(interval, stoppingToken).ConfigureAwait(false);
                var (ids, attempts) = running.Snapshot();
                count = ids.Length;
                if (ids.Length > 0)
                {
                    await store.HeartbeatAsync(ids, attempts, stoppingToken).ConfigureAwait(false);
                    running.Cancel(await store.CancelledAmongAsync(ids, stoppingToken).ConfigureAwait(false));
                }

                failures = 0;
                liveness?.Beat();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                var delay = Backoff.Delay(++failures);
                LogMessages.HeartbeatFailed(logger, exception, count, (long)delay.TotalMilliseconds);
                await Backoff.WaitAsync(delay, stoppingToken).ConfigureAwait(false);
            }
        }
    }
}
