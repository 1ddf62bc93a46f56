using Npgsql;

namespace Queues.Internal;

internal sealed partial class JobStore
{
    /// <summary>
    /// Claims up to <paramref name="limit"/> due jobs of <paramref name="queue"/> for <paramref name="worker"/> in one
    /// statement. Not cancellable by design: a claim cancelled after PostgreSQL ran it would leave its rows running unseen.
    /// </summary>
    public async Task<List<ClaimedJob>> ClaimAsync(string queue, int limit, string worker)
    {
        var connection = await DataSource.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = Command(Sql.Claim, connection, null, Parameters.Text(queue), Parameters.Integer(limit), Parameters.Text(worker));
        await PrepareAsync(command, CancellationToken.None).ConfigureAwait(false);
        return await ReadAllAsync(command, static r => new ClaimedJob(
            r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetFieldValue<byte[]>(3), r.GetInt16(4), r.GetInt16(5), r.GetFieldValue<DateTimeOffset>(6),
            r.GetFieldValue<DateTimeOffset>(7), r.GetFieldValue<DateTimeOffset>(8), r.IsDBNull(9) ? null : r.GetString(9)),
            CancellationToken.None, limit).ConfigureAwait(false);
    }

    /// <summary>Completes a batch of runs in one guarded UPDATE; <paramref name="ids"/> sorted, so rows are locked in id order.</summary>
    public async Task CompleteManyAsync(long[] ids, short[] attempts)
    {
        var connection = await DataSource.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = Command(Sql.CompleteMany, connection, null, Parameters.BigintArray(ids), Parameters.SmallintArray(attempts));
        await PrepareAsync(command, CancellationToken.None).ConfigureAwait(false);
        await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Completes one run, durably, in the handler's <paramref name="transaction"/> (or alone when null); false when the
    /// guard did not match.
    /// </summary>
    public async Task<bool> CompleteAsync(RunKey run, NpgsqlTransaction? transaction)
    {
        using var command = Command(Sql.Complete, transaction, Parameters.Bigint(run.Id), Parameters.Smallint(run.Attempt));
        return await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false) == 1;
    }

    /// <summary>Puts a snoozed run back as scheduled after <paramref name="delay"/>, its attempt not counted; false when the guard did not match.</summary>
    public async Task<bool> SnoozeAsync(RunKey run, TimeSpan delay, NpgsqlTransaction? transaction)
    {
        using var command = Command(Sql.Snooze, transaction, Parameters.Bigint(run.Id), Parameters.Smallint(run.Attempt), Parameters.Interval(delay));
        return await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false) == 1;
    }

    /// <summary>
    /// Records a failed attempt: retryable after <paramref name="retryDelay"/>, or discarded when out of attempts.
    /// Returns the new state, or null when the guard did not match (the run was cancelled, rescued or finished meanwhile).
    /// </summary>
    public async Task<string?> FailAsync(RunKey run, ErrorRecord error, TimeSpan retryDelay)
    {
        using var command = ErrorCommand(Sql.Fail, run, error, null);
        command.Parameters.Add(Parameters.Interval(retryDelay < TimeSpan.Zero ? TimeSpan.Zero : retryDelay));
        return await command.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false) as string;
    }

    /// <summary>Discards a run with <paramref name="error"/>; false when the guard did not match.</summary>
    public async Task<bool> DiscardAsync(RunKey run, ErrorRecord error, NpgsqlTransaction? transaction)
    {
        using var command = ErrorCommand(Sql.Discard, run, error, transaction);
        return await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false) == 1;
    }

    /// <summary>Cancels a run at its handler's request; false when the guard did not match.</summary>
    public async Task<bool> CancelAsync(RunKey run, ErrorRecord error, NpgsqlTransaction? transaction)
    {
        using var command = ErrorCommand(Sql.Cancel, run, error, transaction);
        return await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false) == 1;
    }

    /// <summary>Puts a run stopped by shutdown back as available, its attempt not counted; false when the guard did not match.</summary>
    public async Task<bool> ReleaseAsync(RunKey run)
    {
        using var command = Command(Sql.Release, Parameters.Bigint(run.Id), Parameters.Smallint(run.Attempt));
        return await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false) == 1;
    }

    /// <summary>$1 id, $2 attempt, then the error record's $3 kind, $4 type, $5 message, $6 trace (made storable and bounded).</summary>
    private NpgsqlCommand ErrorCommand(string sql, RunKey run, ErrorRecord error, NpgsqlTransaction? transaction)
        => Command(sql, transaction, Parameters.Bigint(run.Id), Parameters.Smallint(run.Attempt), Parameters.Text(error.Kind),
            Parameters.UserText(error.Type, ErrorRecord.MaxTypeLength), Parameters.UserText(error.Message, ErrorRecord.MaxMessageLength),
            Parameters.UserText(error.Trace, ErrorRecord.MaxTraceLength));

    /// <summary>Marks these runs as alive; <paramref name="ids"/> sorted (see <see cref="Sql.Heartbeat"/>).</summary>
    public Task HeartbeatAsync(long[] ids, short[] attempts, CancellationToken cancellationToken)
        => ExecuteAsync(Sql.Heartbeat, cancellationToken, Parameters.BigintArray(ids), Parameters.SmallintArray(attempts));

    /// <summary>Which of <paramref name="ids"/> an operator cancelled.</summary>
    public async Task<List<long>> CancelledAmongAsync(long[] ids, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.CancelledAmong, Parameters.BigintArray(ids));
        return await ReadAllAsync(command, static r => r.GetInt64(0), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Subscribes <paramref name="connection"/> to this schema's NOTIFY channel.</summary>
    public async Task ListenAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.Listen, connection, null);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A round trip on <paramref name="connection"/>, so a half-open one is noticed.</summary>
    public async Task ProbeAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.Probe, connection, null);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
