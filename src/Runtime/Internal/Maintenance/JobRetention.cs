using Microsoft.Extensions.Logging;

namespace Queues.Internal;

/// <summary>
/// Deletes finished jobs past their retention in bounded batches, every <see cref="Every"/> (or at once while a full
/// batch was deleted). A retention of zero or less keeps jobs forever.
/// </summary>
internal sealed class JobRetention(JobStore store, TimeSpan retainCompletedFor, TimeSpan retainDiscardedFor, ILogger logger)
{
    private const int Batch = 1_000;
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Forever = TimeSpan.FromDays(365_000);
    private DateTime _next = DateTime.MinValue;

    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        if (DateTime.UtcNow < _next)
        {
            return;
        }

        _next = DateTime.UtcNow + Every;
        var deleted = await store.RetainAsync(OrForever(retainCompletedFor), OrForever(retainDiscardedFor), Batch, cancellationToken).ConfigureAwait(false);
        await store.RetainCronRunsAsync(cancellationToken).ConfigureAwait(false);
        if (deleted > 0)
        {
            LogMessages.Retained(logger, deleted);
            if (deleted == Batch)
            {
                _next = DateTime.MinValue; // More to delete: next tick.
            }
        }
    }

    private static TimeSpan OrForever(TimeSpan retention) => retention > TimeSpan.Zero ? retention : Forever;
}
