using Microsoft.Extensions.Logging;
using Queues.Internal.Telemetry;

namespace Queues.Internal;

/// <summary>Retries (or discards, out of attempts) running jobs whose worker stopped heartbeating for <c>rescueAfter</c>.</summary>
internal sealed class JobRescuer(JobStore store, TimeSpan rescueAfter, ILogger logger)
{
    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var rescued = await store.RescueAsync(rescueAfter, cancellationToken).ConfigureAwait(false);
        QueuesTelemetry.CountRescued(rescued);
        if (rescued > 0)
        {
            LogMessages.Rescued(logger, rescued, (long)rescueAfter.TotalMilliseconds);
        }
    }
}
