using Microsoft.Extensions.Logging;
using Queues.Internal.Telemetry;

namespace Queues.Internal;

/// <summary>
/// One LISTEN connection per worker process: a NOTIFY from an enqueuing transaction wakes the fetch loop of that queue.
/// Only a latency shortcut; fetch loops poll anyway. Reconnects with backoff and wakes every loop after a gap, since
/// notifications sent meanwhile were lost.
/// </summary>
internal sealed class Notifier(JobStore store, Action<string?> wake, ILogger logger, Outage? outage = null)
{
    private readonly Outage _outage = outage ?? new Outage(logger, "The LISTEN connection");
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(30);

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var connection = await store.DataSource.OpenConnectionAsync(stoppingToken).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    connection.Notification += (_, e) =>
                    {
                        WakeTimeline.Record(WakeStep.Notified);
                        wake(e.Payload);
                    };
                    await store.ListenAsync(connection, stoppingToken).ConfigureAwait(false);
                    if (failures > 0)
                    {
                        wake(null);
                    }

                    _outage.Succeeded();
                    failures = 0;
                    while (true)
                    {
                        // A quiet connection is probed now and then, so a half-open one is noticed and replaced.
                        if (!await connection.WaitAsync(KeepAlive, stoppingToken).ConfigureAwait(false))
                        {
                            await store.ProbeAsync(connection, stoppingToken).ConfigureAwait(false);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                var delay = Backoff.Delay(++failures);
                if (_outage.Failed(exception))
                {
                    LogMessages.ListenFailed(logger, exception, (long)delay.TotalMilliseconds);
                }
                await Backoff.WaitAsync(delay, stoppingToken).ConfigureAwait(false);
            }
        }
    }
}
