using Npgsql;
using NpgsqlTypes;

namespace Queues.Internal;

internal sealed partial class JobStore
{
    /// <summary>
    /// Inserts one job on <paramref name="connection"/> (in the caller's <paramref name="transaction"/>, or autocommitted
    /// when it is null) with the cheapest statement that serves it: plain, notifying, scheduled or unique. Returns the
    /// new id, or for a unique job whose key is held, the holder's.
    /// </summary>
    public async Task<EnqueueResult> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, NewJob job, ReadOnlyMemory<byte> payload,
        CancellationToken cancellationToken)
    {
        var notify = UseNotifications && job.IsDueNow && _notifyLimiter.TryAcquire(job.Queue);
        var sql = job.UniqueKey is not null ? Sql.InsertUnique : job.IsScheduled ? Sql.InsertScheduled : notify ? Sql.InsertAndNotify : Sql.Insert;

        // $1..$5 for every insert; $6..$8 (run-at, delay, notify) for scheduled and unique ones; $9, $10 (key, states) for unique ones;
        // then the trace context.
        using var command = Command(sql, connection, transaction,
            Parameters.Text(job.Name), Parameters.Text(job.Queue), Parameters.Smallint(job.Priority), Parameters.Smallint(job.MaxAttempts),
            Parameters.Jsonb(payload));
        if (job.IsScheduled || job.UniqueKey is not null)
        {
            Bind(command, [Parameters.TimestampTz(job.RunAt), Parameters.Interval(job.Delay ?? TimeSpan.Zero), Parameters.Boolean(notify)]);
        }

        if (job.UniqueKey is { } key)
        {
            Bind(command, [Parameters.Bytea(key), Parameters.TextArray(job.UniqueStates!), Parameters.NullableText(job.TraceContext)]);
            return await InsertUniqueAsync(command, job.Name, key, cancellationToken).ConfigureAwait(false);
        }

        command.Parameters.Add(Parameters.NullableText(job.TraceContext)); // $6, or $9 when scheduled.

        await PrepareAsync(command, cancellationToken).ConfigureAwait(false);
        var id = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return new EnqueueResult(new JobId((long)id!), IsDuplicate: false);
    }

    /// <summary>
    /// Runs the unique insert; on a conflict, finds the holder with a new statement. The holder can leave the states that
    /// count between the two (it finished), so the pair is retried a few times before giving up.
    /// </summary>
    private async Task<EnqueueResult> InsertUniqueAsync(NpgsqlCommand insert, string jobName, byte[] uniqueKey, CancellationToken cancellationToken)
    {
        using var find = Command(Sql.FindUnique, insert.Connection!, insert.Transaction, Parameters.Bytea(uniqueKey));
        for (var attempt = 1; ; attempt++)
        {
            object? inserted;
            try
            {
                inserted = await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.SerializationFailure)
            {
                throw new UniqueEnqueueConflictException(jobName, exception);
            }

            if (inserted is long id)
            {
                return new EnqueueResult(new JobId(id), IsDuplicate: false);
            }

            if (await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long holder)
            {
                return new EnqueueResult(new JobId(holder), IsDuplicate: true);
            }

            if (attempt == 5)
            {
                throw new InvalidOperationException(
                    "A unique enqueue conflicted five times with a job that was gone when looked up; the transaction's isolation level may hide it (use READ COMMITTED).");
            }
        }
    }

    /// <summary>
    /// Inserts many jobs of one kind in <paramref name="transaction"/> with one binary COPY (no unique key: COPY has no
    /// ON CONFLICT), then one NOTIFY for the queue when due. A run-at or delay is resolved on the transaction's clock,
    /// the one DEFAULT now() would use.
    /// </summary>
    /// <returns>The number of jobs inserted.</returns>
    public async Task<int> CopyAsync(NpgsqlTransaction transaction, NewJob job, IEnumerable<ReadOnlyMemory<byte>> payloads, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        DateTime? runAt = null;
        var state = "available";
        if (job.IsScheduled)
        {
            using var clock = Command(Sql.TransactionNow, connection, transaction);
            var now = (DateTime)(await clock.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            runAt = job.RunAt?.UtcDateTime ?? now + job.Delay!.Value;
            state = runAt > now ? "scheduled" : "available";
        }

        var count = 0;
        var importer = await connection.BeginBinaryImportAsync(runAt is null ? Sql.CopyJobs : Sql.CopyScheduledJobs, cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            foreach (var payload in payloads)
            {
                // The columns of Sql.CopyJobs, then those Sql.CopyScheduledJobs adds.
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(job.Name, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(job.Queue, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(job.Priority, NpgsqlDbType.Smallint, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(job.MaxAttempts, NpgsqlDbType.Smallint, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(payload, NpgsqlDbType.Jsonb, cancellationToken).ConfigureAwait(false);
                await WriteNullableTextAsync(importer, job.TraceContext, cancellationToken).ConfigureAwait(false);
                if (runAt is { } at)
                {
                    await importer.WriteAsync(state, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(at, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
                }

                count++;
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        // Once per statement, after the COPY has ended (the connection is busy until the importer is disposed).
        if (count > 0 && state == "available")
        {
            await NotifyInTransactionAsync(transaction, job.Queue, cancellationToken).ConfigureAwait(false);
        }

        return count;
    }

    /// <summary>
    /// Inserts many unique jobs in one INSERT over unnest arrays, still one round trip, in key order (ids, and so the
    /// claim order among equals, follow the keys, not the call's order); duplicates of existing jobs and within the call
    /// are skipped.
    /// </summary>
    /// <returns>The number of jobs inserted.</returns>
    public async Task<int> InsertUniqueManyAsync(NpgsqlTransaction transaction, NewJob job, ReadOnlyMemory<byte>[] payloads, byte[][] keys,
        CancellationToken cancellationToken)
    {
        int inserted, available;
        try
        {
            using var command = Command(Sql.InsertUniqueMany, transaction.Connection!, transaction,
                Parameters.Text(job.Name), Parameters.Text(job.Queue), Parameters.Smallint(job.Priority), Parameters.Smallint(job.MaxAttempts),
                Parameters.JsonbArray(payloads), Parameters.ByteaArray(keys), Parameters.TextArray(job.UniqueStates!),
                Parameters.TimestampTz(job.RunAt), Parameters.Interval(job.Delay ?? TimeSpan.Zero), Parameters.NullableText(job.TraceContext));
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                inserted = reader.GetInt32(0);
                available = reader.GetInt32(1);
            }
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.SerializationFailure)
        {
            // Under REPEATABLE READ or SERIALIZABLE, a key held by a job committed after the snapshot (see the exception).
            throw new UniqueEnqueueConflictException(job.Name, exception);
        }

        if (available > 0)
        {
            await NotifyInTransactionAsync(transaction, job.Queue, cancellationToken).ConfigureAwait(false);
        }

        return inserted;
    }

    private static ValueTask WriteNullableTextAsync(NpgsqlBinaryImporter importer, string? value, CancellationToken cancellationToken)
        => value is null ? new ValueTask(importer.WriteNullAsync(cancellationToken)) : new ValueTask(importer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken));

    /// <summary>A NOTIFY delivered when <paramref name="transaction"/> commits, when notifications are on and one is due for the queue.</summary>
    private async Task NotifyInTransactionAsync(NpgsqlTransaction transaction, string queue, CancellationToken cancellationToken)
    {
        if (UseNotifications && _notifyLimiter.TryAcquire(queue))
        {
            using var notify = Command(Sql.Notify, transaction.Connection!, transaction, Parameters.Text(queue));
            await notify.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
