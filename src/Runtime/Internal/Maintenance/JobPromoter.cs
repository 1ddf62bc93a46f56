using Microsoft.Extensions.Logging;

namespace Queues.Internal;

/// <summary>Makes due scheduled and retryable jobs available, and wakes their queues' workers on this node and (NOTIFY) on the others.</summary>
internal sealed class JobPromoter(JobStore store, Action<string?> wake, ILogger logger)
{
    private const int Batch = 1_000;

    /// <returns>Whether more may be due (a full batch was promoted).</returns>
    public async Task<bool> RunOnceAsync(CancellationToken cancellationToken)
    {
        var queues = await store.PromoteAsync(Batch, cancellationToken).ConfigureAwait(false);
        if (queues.Count == 0)
        {
            return false;
        }

        LogMessages.Promoted(logger, queues.Count);
        foreach (var queue in queues.Distinct(StringComparer.Ordinal))
        {
            wake(queue);

            // Outside any enqueuer's transaction: wakes the other nodes without serializing anyone's commit.
            await store.NotifyAsync(queue, cancellationToken).ConfigureAwait(false);
        }

        return queues.Count == Batch;
    }
}
