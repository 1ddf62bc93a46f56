using Microsoft.Extensions.Logging;
using Queues.Internal.Telemetry;

namespace Queues.Internal;

/// <summary>
/// Retries (or discards, out of attempts) running jobs whose runner is gone: not heartbeated for <c>rescueAfter</c> and
/// their worker's node not seen for as long. Never a job this process runs itself.
/// </summary>
internal sealed class JobRescuer(JobStore store, TimeSpan rescueAfter, Func<long[]> runningHere, ILogger logger)
{
    /// <summary>
    /// A job unheartbeated for twice <c>rescueAfter</c> is rescued even though its worker still shows as alive. A live
    /// worker heartbeats every run it tracks, and every row it claimed while a claim's rows are not tracked yet, from a
    /// thread that handlers cannot starve, and retries an outcome until it lands; so such a row is one the worker never
    /// learned it had (a claim whose answer was lost with its connection), and nobody else will finish it.
    /// </summary>
    private readonly TimeSpan _orphanAfter = rescueAfter * 2;

    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var rescued = await store.RescueAsync(rescueAfter, runningHere(), _orphanAfter, cancellationToken).ConfigureAwait(false);
        QueuesTelemetry.CountRescued(rescued);
        if (rescued > 0)
        {
            LogMessages.Rescued(logger, rescued, (long)rescueAfter.TotalMilliseconds);
        }
    }
}
