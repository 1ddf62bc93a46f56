using Npgsql;

namespace Queues.Internal;

internal sealed partial class JobStore
{
    /// <summary>Takes or renews the maintenance lease for <paramref name="holder"/>; true when it holds it now.</summary>
    public async Task<bool> AcquireLeaseAsync(string holder, TimeSpan duration, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.AcquireLease, Parameters.Text(holder), Parameters.Interval(duration));
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    /// <summary>Gives the lease up at once, if <paramref name="holder"/> holds it.</summary>
    public Task ReleaseLeaseAsync(string holder, CancellationToken cancellationToken)
        => ExecuteAsync(Sql.ReleaseLease, cancellationToken, Parameters.Text(holder));

    /// <summary>Makes up to <paramref name="limit"/> due scheduled and retryable jobs available; returns the queue of each.</summary>
    public async Task<List<string>> PromoteAsync(int limit, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.Promote, Parameters.Integer(limit));
        return await ReadAllAsync(command, static r => r.GetString(0), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Retries (or discards, when out of attempts) running jobs whose runner is gone (see <see cref="Sql.Rescue"/>),
    /// never one of <paramref name="runningHere"/>; returns how many.
    /// </summary>
    public Task<int> RescueAsync(TimeSpan rescueAfter, long[] runningHere, CancellationToken cancellationToken)
        => FinishAsync(Sql.Rescue, cancellationToken, Parameters.Interval(rescueAfter), Parameters.BigintArray(runningHere));

    /// <summary>Deletes up to <paramref name="limit"/> finished jobs past their retention; returns how many.</summary>
    public Task<int> RetainAsync(TimeSpan completedFor, TimeSpan discardedFor, int limit, CancellationToken cancellationToken)
        => ExecuteAsync(Sql.Retain, cancellationToken, Parameters.Interval(completedFor), Parameters.Interval(discardedFor), Parameters.Integer(limit));

    /// <summary>Forgets periodic runs older than a week.</summary>
    public Task RetainCronRunsAsync(CancellationToken cancellationToken) => ExecuteAsync(Sql.RetainCronRuns, cancellationToken);

    /// <summary>Claims one schedule time of a periodic job in <paramref name="transaction"/>; false when it was enqueued already.</summary>
    public async Task<bool> ClaimCronRunAsync(NpgsqlTransaction transaction, string name, DateTime scheduledAt, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.ClaimCronRun, transaction, Parameters.Text(name), Parameters.TimestampTz(scheduledAt));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>Records which job a claimed schedule time enqueued.</summary>
    public async Task RecordCronRunAsync(NpgsqlTransaction transaction, string name, DateTime scheduledAt, long jobId, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.RecordCronRun, transaction, Parameters.Text(name), Parameters.TimestampTz(scheduledAt), Parameters.Bigint(jobId));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
