using Npgsql;

namespace Queues.Internal;

internal sealed partial class JobStore
{
    /// <summary>
    /// Makes the claims committed so far durable (claims commit asynchronously): a job claimed ahead must not start after
    /// a server crash that lost its claim, or the job would run again at the same attempt.
    /// </summary>
    /// <param name="connection">The claim's connection.</param>
    /// <param name="claimedId">A row the claim took, rewritten so that the commit writes WAL and therefore flushes it.</param>
    public async Task FlushClaimsAsync(NpgsqlConnection connection, long claimedId)
    {
        using var command = Command(Sql.FlushClaims, connection, null, Parameters.Bigint(claimedId));
        await command.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Claims up to <paramref name="limit"/> due jobs of <paramref name="queue"/> for <paramref name="worker"/> in one
    /// statement, on a connection the fetch loop holds open between claims, walking the claim index over the ranges of
    /// <paramref name="walk"/> (see <see cref="ClaimWalk"/>). Not cancellable by design: a claim cancelled after
    /// PostgreSQL ran it would leave its rows running unseen.
    /// </summary>
    public async Task<List<ClaimedJob>> ClaimAsync(NpgsqlConnection connection, string queue, int limit, string worker,
        (short[] Priorities, DateTime[] RunAts, int[] Ends) walk)
    {
        using var command = Command(Sql.Claim, connection, null, Parameters.Text(queue), Parameters.Integer(limit), Parameters.Text(worker),
            Parameters.SmallintArray(walk.Priorities), Parameters.TimestampTzArray(walk.RunAts), Parameters.IntegerArray(walk.Ends));
        await PrepareAsync(command, CancellationToken.None).ConfigureAwait(false);
        var jobs = await ReadAllAsync(command, ReadClaimed, CancellationToken.None, limit).ConfigureAwait(false);
        jobs.Sort(s_claimOrder); // An UPDATE returns its rows in no defined order; the buffer starts them in this one.
        return jobs;
    }

    /// <summary>Claim order: priority, then run-at, then id (the claim index's).</summary>
    private static readonly Comparison<ClaimedJob> s_claimOrder = static (a, b) =>
        a.Priority != b.Priority ? a.Priority.CompareTo(b.Priority)
        : Nullable.Compare(a.RunAt, b.RunAt) is var byRunAt and not 0 ? byRunAt
        : a.Id.CompareTo(b.Id);

    /// <summary>
    /// Completes a batch of runs in one guarded UPDATE that never waits for a row lock. Returns the ids of the runs it
    /// skipped because another session holds their row locked (still running at their attempt): empty almost always.
    /// </summary>
    public async Task<List<long>> CompleteManyAsync(long[] ids, short[] attempts)
    {
        var connection = await DataSource.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        using var command = Command(Sql.CompleteMany, connection, null, Parameters.BigintArray(ids), Parameters.SmallintArray(attempts));
        await PrepareAsync(command, CancellationToken.None).ConfigureAwait(false);
        return await ReadAllAsync(command, static reader => reader.GetInt64(0), CancellationToken.None, 0).ConfigureAwait(false);
    }

    /// <summary>
    /// Completes one run, durably, in the handler's <paramref name="transaction"/> (or alone when null); false when the
    /// guard did not match.
    /// </summary>
    public async Task<bool> CompleteAsync(RunKey run, NpgsqlTransaction? transaction)
    {
        using var command = Command(transaction is null ? Sql.CompleteAlone : Sql.Complete, transaction, Parameters.Bigint(run.Id), Parameters.Smallint(run.Attempt));
        return await FinishAsync(command, CancellationToken.None).ConfigureAwait(false) == 1;
    }

    /// <summary>Puts a snoozed run back as scheduled after <paramref name="delay"/>, its attempt not counted; false when the guard did not match.</summary>
    public async Task<bool> SnoozeAsync(RunKey run, TimeSpan delay, NpgsqlTransaction? transaction)
    {
        using var command = Command(transaction is null ? Sql.SnoozeAlone : Sql.Snooze, transaction, Parameters.Bigint(run.Id), Parameters.Smallint(run.Attempt), Parameters.Interval(delay));
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

    /// <summary>
    /// The row's state when it already holds <paramref name="run"/>'s failure of <paramref name="kind"/> (a write that
    /// committed though its reply was lost); null when it does not.
    /// </summary>
    public async Task<string?> FailureRecordedAsync(RunKey run, string kind)
    {
        using var command = Command(Sql.FailureRecorded, Parameters.Bigint(run.Id), Parameters.Smallint(run.Attempt), Parameters.Text(kind));
        return await command.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false) as string;
    }

    /// <summary>Discards a run with <paramref name="error"/>; false when the guard did not match.</summary>
    public async Task<bool> DiscardAsync(RunKey run, ErrorRecord error, NpgsqlTransaction? transaction)
    {
        using var command = ErrorCommand(transaction is null ? Sql.DiscardAlone : Sql.Discard, run, error, transaction);
        return await FinishAsync(command, CancellationToken.None).ConfigureAwait(false) == 1;
    }

    /// <summary>Cancels a run at its handler's request; false when the guard did not match.</summary>
    public async Task<bool> CancelAsync(RunKey run, ErrorRecord error, NpgsqlTransaction? transaction)
    {
        using var command = ErrorCommand(transaction is null ? Sql.CancelAlone : Sql.Cancel, run, error, transaction);
        return await FinishAsync(command, CancellationToken.None).ConfigureAwait(false) == 1;
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

    /// <summary>
    /// Records this worker process as alive (with the queues it serves) on the heartbeat's own connection. Synchronous
    /// on purpose: the heartbeat runs on a dedicated thread, so handlers that block every thread-pool thread cannot
    /// delay it. Returns whether another process (another <paramref name="instance"/>) wrote the row under this name
    /// within <paramref name="sharedWithin"/>.
    /// </summary>
    public bool TouchNode(NpgsqlConnection connection, string name, string[] queues, Guid instance, TimeSpan sharedWithin)
    {
        using var command = Command(Sql.TouchNode, connection, null, Parameters.Text(name), Parameters.TextArray(queues), Parameters.Uuid(instance),
            Parameters.Interval(sharedWithin));
        return command.ExecuteScalar() is true;
    }

    /// <summary>
    /// Marks these runs as alive, those whose heartbeat is older than <paramref name="olderThan"/> (see <see cref="Sql.Heartbeat"/>).
    /// Synchronous, as <see cref="TouchNode"/>.
    /// </summary>
    public void Heartbeat(NpgsqlConnection connection, long[] ids, short[] attempts, TimeSpan olderThan)
    {
        using var command = Command(Sql.Heartbeat, connection, null, Parameters.BigintArray(ids), Parameters.SmallintArray(attempts),
            Parameters.Interval(olderThan));
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Running rows under <paramref name="worker"/>'s name that are not among <paramref name="tracked"/> (see
    /// <see cref="Sql.FindUntracked"/>). Synchronous, as <see cref="TouchNode"/>.
    /// </summary>
    public List<UntrackedRun> FindUntracked(NpgsqlConnection connection, string worker, long[] tracked)
    {
        using var command = Command(Sql.FindUntracked, connection, null, Parameters.Text(worker), Parameters.BigintArray(tracked));
        using var reader = command.ExecuteReader();
        var runs = new List<UntrackedRun>();
        while (reader.Read())
        {
            runs.Add(new UntrackedRun(reader.GetInt64(0), reader.GetInt16(1), reader.GetFieldValue<DateTime>(2)));
        }

        return runs;
    }

    /// <summary>
    /// Rescues these runs, found untracked a heartbeat ago, if each is still the same claim's under <paramref name="worker"/>
    /// (see <see cref="Sql.RescueUntracked"/>); returns how many. Synchronous, as <see cref="TouchNode"/>.
    /// </summary>
    public int RescueUntracked(NpgsqlConnection connection, IReadOnlyList<UntrackedRun> runs, string worker)
    {
        var (ids, attempts, claimedAt) = (new long[runs.Count], new short[runs.Count], new DateTime[runs.Count]);
        for (var i = 0; i < runs.Count; i++)
        {
            (ids[i], attempts[i], claimedAt[i]) = (runs[i].Id, runs[i].Attempt, runs[i].AttemptedAt);
        }

        using var command = Command(Sql.RescueUntracked, connection, null, Parameters.BigintArray(ids), Parameters.SmallintArray(attempts),
            Parameters.TimestampTzArray(claimedAt), Parameters.Text(worker));
        return (int)command.ExecuteScalar()!;
    }

    /// <summary>Which of these runs are no longer running at that attempt (rescued, cancelled or finished elsewhere). Synchronous, as <see cref="TouchNode"/>.</summary>
    public List<long> LostAmong(NpgsqlConnection connection, long[] ids, short[] attempts)
    {
        using var command = Command(Sql.LostAmong, connection, null, Parameters.BigintArray(ids), Parameters.SmallintArray(attempts));
        using var reader = command.ExecuteReader();
        var lost = new List<long>();
        while (reader.Read())
        {
            lost.Add(reader.GetInt64(0));
        }

        return lost;
    }

    /// <summary>Removes this worker's node row: it stopped, so its jobs (if any were left) need not wait for it.</summary>
    public void RemoveNode(NpgsqlConnection connection, string name, Guid instance)
    {
        using var command = Command(Sql.RemoveNode, connection, null, Parameters.Text(name), Parameters.Uuid(instance));
        command.ExecuteNonQuery();
    }

    /// <summary>The queues that have due, claimable work now (see <see cref="Sql.QueuesWithWork"/>).</summary>
    public async Task<List<string>> QueuesWithWorkAsync(CancellationToken cancellationToken)
    {
        using var command = Command(Sql.QueuesWithWork);
        return await ReadAllAsync(command, static r => r.GetString(0), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The id of the next claimable job of <paramref name="queue"/> (of every queue when null) in claim order, or null.</summary>
    public async Task<long?> NextAvailableAsync(string? queue, CancellationToken cancellationToken)
    {
        using var command = Command(Sql.NextAvailable, Parameters.NullableText(queue));
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as long?;
    }

    /// <summary>Claims one available job by id (see <see cref="ClaimAsync"/>); null when it is no longer available.</summary>
    public async Task<ClaimedJob?> ClaimByIdAsync(long id, string worker)
    {
        using var command = Command(Sql.ClaimById, Parameters.Bigint(id), Parameters.Text(worker));
        var rows = await ReadAllAsync(command, ReadClaimed, CancellationToken.None).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>Discards an available job that cannot be claimed, with <paramref name="reason"/>; false when it is no longer available.</summary>
    public async Task<bool> DiscardPoisonAsync(long id, string reason, CancellationToken cancellationToken)
        => await FinishAsync(Sql.DiscardPoison, cancellationToken, Parameters.Bigint(id), Parameters.UserText(reason, ErrorRecord.MaxMessageLength))
            .ConfigureAwait(false) == 1;

    /// <summary>Maps a row of <see cref="Sql.Claim"/> and <see cref="Sql.ClaimById"/> (their shared RETURNING list).</summary>
    private static ClaimedJob ReadClaimed(NpgsqlDataReader r)
        => new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetFieldValue<byte[]>(3), r.GetInt16(4), r.GetInt16(5), r.GetFieldValue<DateTimeOffset>(6),
            r.GetFieldValue<DateTimeOffset>(7), r.GetFieldValue<DateTimeOffset>(8), r.IsDBNull(9) ? null : r.GetString(9), r.GetInt16(10));

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
