using Microsoft.Extensions.Logging;

namespace Queues.Internal;

/// <summary>
/// Enqueues every periodic job whose schedule time has come. A new leader starts one lease back, so a tick missed while
/// leadership changed hands is caught up; the cron_runs row makes each schedule time enqueue once across all nodes.
/// </summary>
internal sealed class CronEnqueuer(JobStore store, JobRegistry registry, TimeSpan catchUp, ILogger logger)
{
    private static readonly ReadOnlyMemory<byte> EmptyPayload = "{}"u8.ToArray();
    private readonly Dictionary<string, DateTime> _next = new(StringComparer.Ordinal);

    /// <summary>Forgets the next times: leadership changed, so start again from one lease back.</summary>
    public void Reset() => _next.Clear();

    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        foreach (var registration in registry.Jobs)
        {
            if (registration.Job.Schedule is not { } schedule)
            {
                continue;
            }

            if (!_next.TryGetValue(registration.Job.Name, out var next))
            {
                next = schedule.Next(now - catchUp) ?? DateTime.MaxValue;
            }

            while (next <= now)
            {
                await EnqueueAsync(registration.Job, next, cancellationToken).ConfigureAwait(false);
                next = schedule.Next(next) ?? DateTime.MaxValue;
            }

            _next[registration.Job.Name] = next;
        }
    }

    private async Task EnqueueAsync(JobDefinition job, DateTime scheduledAt, CancellationToken cancellationToken)
    {
        var connection = await store.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                if (!await store.ClaimCronRunAsync(transaction, job.Name, scheduledAt, cancellationToken).ConfigureAwait(false))
                {
                    return; // Enqueued already, by this node or a previous leader.
                }

                var (id, duplicate) = await store.InsertAsync(connection, transaction, NewJobs.Create(job, EmptyPayload.Span, null), EmptyPayload, cancellationToken)
                    .ConfigureAwait(false);
                await store.RecordCronRunAsync(transaction, job.Name, scheduledAt, id.Value, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                if (duplicate)
                {
                    LogMessages.CronSkippedAsDuplicate(logger, job.Name, scheduledAt, id.Value);
                }
                else
                {
                    LogMessages.CronEnqueued(logger, job.Name, scheduledAt, id.Value);
                }
            }
        }
    }
}
