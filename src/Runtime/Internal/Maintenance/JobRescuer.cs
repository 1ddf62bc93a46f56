using Microsoft.Extensions.Logging;
using Queues.Internal.Telemetry;

namespace Queues.Internal;

/// <summary>
/// Retries (or discards, out of attempts) running jobs whose runner is gone: their worker's node not seen for
/// <c>rescueAfter</c>, and the job not heartbeated for as long. Never a job of a live node: a row's heartbeat alone is no
/// evidence (another session may hold the row locked, so the heartbeat skips it). Rows a live worker claimed and does
/// not track (a claim whose reply was lost) are that worker's to settle: its <see cref="Heartbeat"/> does. Never a job
/// this process runs itself. The rescue reads every running row, and while a snapshot is held every row that ran since it
/// began: it is paced (<see cref="Pacing"/>), so a long hold slows rescues down instead of taking the server's time.
/// </summary>
internal sealed class JobRescuer(JobStore store, TimeSpan rescueAfter, Func<long[]> runningHere, ILogger logger)
{
    private readonly Pacing _pacing = new();

    public Task RunOnceAsync(CancellationToken cancellationToken) => _pacing.RunAsync(RescueAsync, cancellationToken);

    private async Task RescueAsync(CancellationToken cancellationToken)
    {
        var rescued = await store.RescueAsync(rescueAfter, runningHere(), cancellationToken).ConfigureAwait(false);
        QueuesTelemetry.CountRescued(rescued);
        if (rescued > 0)
        {
            LogMessages.Rescued(logger, rescued, (long)rescueAfter.TotalMilliseconds);
        }
    }
}
