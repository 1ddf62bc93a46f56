using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Queues.Internal;

/// <summary>
/// Runs one queue: claims as many due jobs as it has free slots in one statement, runs each in its own DI scope and
/// records the outcome with an UPDATE guarded by state and attempt, so a late or duplicate outcome changes nothing.
/// </summary>
internal sealed class QueueProcessor
{
    private readonly string _queue;
    private readonly int _concurrency;
    private readonly IServiceProvider _services;
    private readonly QueuesClient _client;
    private readonly JobRegistry _registry;
    private readonly QueuesOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private int _running;

    public QueueProcessor(string queue, int concurrency, IServiceProvider services, QueuesClient client, JobRegistry registry, QueuesOptions options, ILogger logger)
    {
        _queue = queue;
        _concurrency = concurrency;
        _services = services;
        _client = client;
        _registry = registry;
        _options = options;
        _logger = logger;
    }

    /// <summary>Wakes the claim loop early: a slot was freed or jobs became available.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another caller woke it first.
            }
        }
    }

    public async Task RunAsync(CancellationToken stopClaiming, CancellationToken stopJobs)
    {
        await Task.Yield();
        var failures = 0;
        while (!stopClaiming.IsCancellationRequested)
        {
            try
            {
                var free = _concurrency - Volatile.Read(ref _running);
                var claimed = 0;
                if (free > 0)
                {
                    var jobs = await ClaimAsync(free, stopClaiming).ConfigureAwait(false);
                    claimed = jobs.Count;
                    foreach (var job in jobs)
                    {
                        Interlocked.Increment(ref _running);
                        var task = Task.Run(() => ExecuteAsync(job, stopJobs), CancellationToken.None);
                        _inFlight.TryAdd(task, 0);
                        _ = task.ContinueWith(static (t, state) => ((ConcurrentDictionary<Task, byte>)state!).TryRemove(t, out _),
                            _inFlight, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    }
                }

                failures = 0;
                if (claimed == 0 || claimed < free)
                {
                    // Queue drained or every slot busy: wait for a finished job, a promotion or the poll interval.
                    await _wake.WaitAsync(_options.PollInterval, stopClaiming).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stopClaiming.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                var delay = Backoff.Delay(++failures);
                LogMessages.LoopError(_logger, exception, $"claim {_queue}", (long)delay.TotalMilliseconds);
                await Backoff.WaitAsync(delay, stopClaiming).ConfigureAwait(false);
            }
        }

        await Task.WhenAll(_inFlight.Keys).ConfigureAwait(false);
    }

    private async Task<List<ClaimedJob>> ClaimAsync(int limit, CancellationToken cancellationToken)
    {
        using var command = _client.DataSource.CreateCommand(_client.Sql.Claim);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _queue });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _options.WorkerName });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var jobs = new List<ClaimedJob>(limit);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            jobs.Add(new ClaimedJob(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetInt16(4), reader.GetInt16(5), reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return jobs;
    }

    private async Task ExecuteAsync(ClaimedJob job, CancellationToken stopJobs)
    {
        try
        {
            if (!_registry.TryGet(job.Name, out var registration))
            {
                LogMessages.UnknownJob(_logger, job.Id, job.Queue, job.Name);
                await RecordAsync(_client.Sql.Discard, job, "unknown_job", null,
                    $"No handler is registered for job name '{job.Name}' (queue '{job.Queue}') in worker {_options.WorkerName}.", null).ConfigureAwait(false);
                return;
            }

            var context = new JobContext(new JobId(job.Id), job.Name, job.Queue, job.Attempt, job.MaxAttempts, job.CreatedAt);
            try
            {
                var scope = _services.CreateAsyncScope();
                await using (scope.ConfigureAwait(false))
                {
                    await registration.Handler(scope.ServiceProvider, Encoding.UTF8.GetBytes(job.Payload), context, stopJobs).ConfigureAwait(false);
                }
            }
            catch (JobPayloadException exception)
            {
                LogMessages.BadPayload(_logger, job.Id, job.Name, exception.Message);
                await RecordAsync(_client.Sql.Discard, job, "payload", exception.GetType().FullName, exception.Message, null).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (stopJobs.IsCancellationRequested)
            {
                using var release = _client.DataSource.CreateCommand(_client.Sql.Release);
                release.Parameters.Add(new NpgsqlParameter<long> { TypedValue = job.Id });
                release.Parameters.Add(new NpgsqlParameter<short> { TypedValue = job.Attempt });
                await release.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                LogMessages.JobReleased(_logger, job.Id, job.Name);
                return;
            }
            catch (Exception exception)
            {
                var state = await RecordAsync(_client.Sql.Fail, job, "exception", exception.GetType().FullName, exception.Message,
                    exception.StackTrace, _options.RetryDelay(job.Attempt)).ConfigureAwait(false);
                LogMessages.JobFailed(_logger, exception, job.Id, job.Name, job.Attempt, job.MaxAttempts, state ?? "unchanged");
                return;
            }

            using var complete = _client.DataSource.CreateCommand(_client.Sql.Complete);
            complete.Parameters.Add(new NpgsqlParameter<long> { TypedValue = job.Id });
            complete.Parameters.Add(new NpgsqlParameter<short> { TypedValue = job.Attempt });
            await complete.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            LogMessages.JobCompleted(_logger, job.Id, job.Name, job.Attempt);
        }
        catch (Exception exception)
        {
            // The outcome could not be written (the database went away). The row stays running until it is rescued.
            LogMessages.LoopError(_logger, exception, $"record outcome of job {job.Id}", 0);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
            Wake();
        }
    }

    /// <summary>Appends an error to the job and moves it on with <paramref name="sql"/>; returns the new state if the guard matched.</summary>
    private async Task<string?> RecordAsync(string sql, ClaimedJob job, string kind, string? type, string message, string? trace, TimeSpan? retryDelay = null)
    {
        using var command = _client.DataSource.CreateCommand(sql);
        var parameters = command.Parameters;
        parameters.Add(new NpgsqlParameter<long> { TypedValue = job.Id });
        parameters.Add(new NpgsqlParameter<short> { TypedValue = job.Attempt });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = kind });
        parameters.Add(type is null ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text } : new NpgsqlParameter<string> { TypedValue = type });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = message });
        parameters.Add(trace is null ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text } : new NpgsqlParameter<string> { TypedValue = trace });
        if (retryDelay is { } delay)
        {
            parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = delay < TimeSpan.Zero ? TimeSpan.Zero : delay, NpgsqlDbType = NpgsqlDbType.Interval });
        }

        return await command.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false) as string;
    }

    private sealed record ClaimedJob(long Id, string Name, string Queue, string Payload, short Attempt, short MaxAttempts, DateTimeOffset CreatedAt);
}
