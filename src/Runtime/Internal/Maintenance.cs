using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Queues.Internal;

/// <summary>
/// Leader-only upkeep of a schema. Every worker competes for a lease row (UNLOGGED table); the holder renews it each
/// tick, and when it dies the lease expires and any worker takes over. The leader makes due scheduled and retryable
/// jobs available (and wakes workers on every node with a NOTIFY), rescues jobs whose worker stopped heartbeating, and
/// deletes finished jobs past their retention in bounded batches.
/// </summary>
internal sealed class Maintenance
{
    private static readonly TimeSpan MinLease = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxLease = TimeSpan.FromSeconds(10);

    private const int Batch = 1_000;
    private static readonly TimeSpan MaxTick = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RetentionEvery = TimeSpan.FromSeconds(10);

    private readonly QueuesClient _client;
    private readonly QueuesOptions _options;
    private readonly Action<string?> _wake;
    private readonly ILogger _logger;
    private bool _leader;
    private DateTime _nextRetention = DateTime.MinValue;

    private readonly JobRegistry _registry;
    private readonly Dictionary<string, DateTime> _cronNext = new(StringComparer.Ordinal);

    public Maintenance(QueuesClient client, QueuesOptions options, JobRegistry registry, Action<string?> wake, ILogger logger)
    {
        _registry = registry;
        _client = client;
        _options = options;
        _wake = wake;
        _logger = logger;

        // A dead leader stops rescues until its lease runs out, so the lease scales with RescueAfter: a third of it,
        // 1 to 10 seconds (10 s with the defaults). The leader renews it at least four times per lease.
        var third = options.RescueAfter / 3;
        LeaseDuration = third < MinLease ? MinLease : third > MaxLease ? MaxLease : third;
    }

    /// <summary>How long a lease lasts without renewal: a dead leader is replaced within this.</summary>
    public TimeSpan LeaseDuration { get; }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var tick = _options.PollInterval < MaxTick ? _options.PollInterval : MaxTick;
        if (tick > LeaseDuration / 4)
        {
            tick = LeaseDuration / 4;
        }

        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await HoldLeaseAsync(stoppingToken).ConfigureAwait(false))
                {
                    var promoted = await PromoteAsync(stoppingToken).ConfigureAwait(false);
                    await RescueAsync(stoppingToken).ConfigureAwait(false);
                    await RetainAsync(stoppingToken).ConfigureAwait(false);
                    await ScheduleCronAsync(stoppingToken).ConfigureAwait(false);
                    failures = 0;
                    if (promoted == Batch)
                    {
                        continue; // More are due.
                    }
                }

                await Task.Delay(tick, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                var delay = Backoff.Delay(++failures);
                LogMessages.LoopError(_logger, exception, "maintenance", (long)delay.TotalMilliseconds);
                await Backoff.WaitAsync(delay, stoppingToken).ConfigureAwait(false);
            }
        }

        if (_leader)
        {
            // Hand over at once instead of letting the lease run out.
            try
            {
                using var release = _client.DataSource.CreateCommand(_client.Sql.ReleaseLease);
                release.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _options.WorkerName });
                await release.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                LogMessages.LoopError(_logger, exception, "release the maintenance lease (it expires by itself)", 0);
            }
        }
    }

    private async Task<bool> HoldLeaseAsync(CancellationToken cancellationToken)
    {
        using var command = _client.DataSource.CreateCommand(_client.Sql.AcquireLease);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _options.WorkerName });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = LeaseDuration, NpgsqlDbType = NpgsqlDbType.Interval });
        var leader = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
        if (leader != _leader)
        {
            if (leader)
            {
                LogMessages.LeadershipGained(_logger, _options.WorkerName, _client.Schema);
            }
            else
            {
                LogMessages.LeadershipLost(_logger, _options.WorkerName, _client.Schema);
            }

            _leader = leader;
            _cronNext.Clear();
        }

        return leader;
    }

    private async Task<int> PromoteAsync(CancellationToken cancellationToken)
    {
        using var command = _client.DataSource.CreateCommand(_client.Sql.Promote);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Batch });
        var queues = new HashSet<string>(StringComparer.Ordinal);
        var promoted = 0;
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                promoted++;
                queues.Add(reader.GetString(0));
            }
        }

        if (promoted == 0)
        {
            return 0;
        }

        LogMessages.Promoted(_logger, promoted);
        foreach (var queue in queues)
        {
            _wake(queue);
            if (_client.NotifyWorkers)
            {
                // Outside any enqueuer's transaction: wakes the other nodes without serializing anyone's commit.
                using var notify = _client.DataSource.CreateCommand(_client.Sql.Notify);
                notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
                await notify.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return promoted;
    }

    private async Task RescueAsync(CancellationToken cancellationToken)
    {
        using var rescue = _client.DataSource.CreateCommand(_client.Sql.Rescue);
        rescue.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = _options.RescueAfter, NpgsqlDbType = NpgsqlDbType.Interval });
        var rescued = await rescue.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (rescued > 0)
        {
            LogMessages.Rescued(_logger, rescued, (long)_options.RescueAfter.TotalMilliseconds);
        }
    }

    /// <summary>
    /// Enqueues every periodic job whose schedule time has come. A new leader starts one lease back, so a tick missed
    /// while leadership changed hands is caught up; the cron_runs row makes each schedule time enqueue once.
    /// </summary>
    private async Task ScheduleCronAsync(CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        foreach (var registration in _registry.Jobs)
        {
            if (registration.Job.Schedule is not { } schedule)
            {
                continue;
            }

            if (!_cronNext.TryGetValue(registration.Job.Name, out var next))
            {
                next = schedule.Next(now - LeaseDuration) ?? DateTime.MaxValue;
            }

            while (next <= now)
            {
                await EnqueueCronAsync(registration.Job, next, cancellationToken).ConfigureAwait(false);
                next = schedule.Next(next) ?? DateTime.MaxValue;
            }

            _cronNext[registration.Job.Name] = next;
        }
    }

    private async Task EnqueueCronAsync(JobDefinition job, DateTime scheduledAt, CancellationToken cancellationToken)
    {
        var connection = await _client.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                using var claim = new NpgsqlCommand(_client.Sql.ClaimCronRun, connection, transaction);
                claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = job.Name });
                claim.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = scheduledAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                if (await claim.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
                {
                    return; // Enqueued already, by this node or a previous leader.
                }

                var (id, duplicate) = await _client.EnqueueAsync(transaction, job, EmptyPayload, cancellationToken: cancellationToken).ConfigureAwait(false);
                using var record = new NpgsqlCommand(_client.Sql.RecordCronRun, connection, transaction);
                record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = job.Name });
                record.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = scheduledAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                record.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id.Value });
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                if (duplicate)
                {
                    LogMessages.CronSkippedAsDuplicate(_logger, job.Name, scheduledAt, id.Value);
                }
                else
                {
                    LogMessages.CronEnqueued(_logger, job.Name, scheduledAt, id.Value);
                }
            }
        }
    }

    private static readonly ReadOnlyMemory<byte> EmptyPayload = "{}"u8.ToArray();

    private async Task RetainAsync(CancellationToken cancellationToken)
    {
        if (DateTime.UtcNow < _nextRetention)
        {
            return;
        }

        _nextRetention = DateTime.UtcNow + RetentionEvery;
        var forever = TimeSpan.FromDays(365_000);
        using var command = _client.DataSource.CreateCommand(_client.Sql.Retain);
        command.Parameters.Add(new NpgsqlParameter<TimeSpan>
        {
            TypedValue = _options.RetainCompletedFor > TimeSpan.Zero ? _options.RetainCompletedFor : forever,
            NpgsqlDbType = NpgsqlDbType.Interval,
        });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan>
        {
            TypedValue = _options.RetainDiscardedFor > TimeSpan.Zero ? _options.RetainDiscardedFor : forever,
            NpgsqlDbType = NpgsqlDbType.Interval,
        });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Batch });
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        using (var cron = _client.DataSource.CreateCommand(_client.Sql.RetainCronRuns))
        {
            await cron.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (deleted > 0)
        {
            LogMessages.Retained(_logger, deleted);
            if (deleted == Batch)
            {
                _nextRetention = DateTime.MinValue; // More to delete: next tick.
            }
        }
    }
}
