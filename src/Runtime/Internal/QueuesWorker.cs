using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Queues.Internal;

/// <summary>
/// The hosted service: one <see cref="QueueProcessor"/> per queue plus the loop that makes due scheduled and retryable
/// jobs available. Stopping stops claiming, lets running jobs finish within <see cref="QueuesOptions.ShutdownTimeout"/>,
/// then cancels them and puts them back.
/// </summary>
internal sealed class QueuesWorker : IHostedService, IAsyncDisposable
{
    private readonly IServiceProvider _services;
    private readonly QueuesClient _client;
    private readonly JobRegistry _registry;
    private readonly QueuesOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopClaiming = new();
    private readonly CancellationTokenSource _stopJobs = new();
    private readonly List<QueueProcessor> _processors = [];
    private readonly List<Task> _loops = [];
    private Completer? _completer;
    private readonly RunningJobs _runningJobs = new();
    private readonly CancellationTokenSource _stopHeartbeat = new();
    private Task? _heartbeating;
    private Task? _completing;

    public QueuesWorker(IServiceProvider services, QueuesClient client, JobRegistry registry, IOptions<QueuesOptions> options, ILoggerFactory? loggerFactory = null)
    {
        _services = services;
        _client = client;
        _registry = registry;
        _options = options.Value;
        _logger = (ILogger?)loggerFactory?.CreateLogger("Queues.Worker") ?? NullLogger.Instance;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.ProcessJobs)
        {
            return;
        }

        _options.Validate();
        if (_options.MigrateOnStart)
        {
            var applied = await _client.MigrateAsync(cancellationToken).ConfigureAwait(false);
            LogMessages.Migrated(_logger, applied, _client.Schema);
        }

        var version = await Migrator.GetVersionAsync(_client.DataSource, _client.Sql, cancellationToken).ConfigureAwait(false);
        if (version < Migrator.LatestVersion)
        {
            throw new InvalidOperationException(
                $"Queues schema '{_client.Schema}' is at migration {version} but this worker needs {Migrator.LatestVersion}. " +
                "Run QueuesClient.MigrateAsync() from your deployment, or set QueuesOptions.MigrateOnStart = true.");
        }

        var queues = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var registration in _registry.Jobs)
        {
            queues[registration.Job.Queue] = QueuesOptions.DefaultConcurrency;
        }

        foreach (var (queue, concurrency) in _options.Queues)
        {
            queues[queue] = concurrency;
        }

        LogMessages.WorkerStarting(_logger, _options.WorkerName, _client.Schema, string.Join(", ", queues.Keys), _registry.Jobs.Count);
        _completer = new Completer(_client, _runningJobs, _logger);
        _completing = _completer.RunAsync();
        foreach (var (queue, concurrency) in queues)
        {
            var processor = new QueueProcessor(queue, concurrency, _services, _client, _registry, _options, _completer, _runningJobs, _logger);
            _processors.Add(processor);
            _loops.Add(processor.RunAsync(_stopClaiming.Token, _stopJobs.Token));
        }

        _loops.Add(new Maintenance(_client, _options, _registry, Wake, _logger).RunAsync(_stopClaiming.Token));
        // Heartbeats go on until every job has finished and its completion is written, so a slow shutdown is not
        // mistaken for a dead worker.
        _heartbeating = HeartbeatLoopAsync(_stopHeartbeat.Token);
        if (_options.UseNotifications)
        {
            _loops.Add(new Notifier(_client, Wake, _logger).RunAsync(_stopClaiming.Token));
        }
    }

    /// <summary>Wakes the processor of <paramref name="queue"/>, or every processor when it is null.</summary>
    private void Wake(string? queue)
    {
        foreach (var processor in _processors)
        {
            if (queue is null || processor.Queue == queue)
            {
                processor.Wake();
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_loops.Count == 0)
        {
            return;
        }

        await _stopClaiming.CancelAsync().ConfigureAwait(false);
        var all = Task.WhenAll(_loops);
        using (var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            grace.CancelAfter(_options.ShutdownTimeout);
            await all.WaitAsync(grace.Token).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }

        // Whatever still runs is cancelled; its processor puts the job back as available.
        await _stopJobs.CancelAsync().ConfigureAwait(false);
        await all.ConfigureAwait(false);
        _loops.Clear();

        // Every handler has finished: write the completions still waiting.
        _completer!.Close();
        await _completing!.ConfigureAwait(false);
        await _stopHeartbeat.CancelAsync().ConfigureAwait(false);
        await _heartbeating!.ConfigureAwait(false);
        LogMessages.WorkerStopped(_logger, _options.WorkerName);
    }

    public ValueTask DisposeAsync()
    {
        _stopClaiming.Dispose();
        _stopJobs.Dispose();
        _stopHeartbeat.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Every heartbeat interval, one UPDATE marks all jobs this worker runs as alive, and one SELECT finds those an
    /// operator cancelled meanwhile, whose handlers' tokens are then fired.
    /// </summary>
    private async Task HeartbeatLoopAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.HeartbeatInterval, stoppingToken).ConfigureAwait(false);
                var (ids, attempts) = _runningJobs.Snapshot();
                if (ids.Length > 0)
                {
                    using var heartbeat = _client.DataSource.CreateCommand(_client.Sql.Heartbeat);
                    heartbeat.Parameters.Add(new Npgsql.NpgsqlParameter<long[]> { TypedValue = ids });
                    heartbeat.Parameters.Add(new Npgsql.NpgsqlParameter<short[]> { TypedValue = attempts });
                    await heartbeat.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);

                    // Jobs an operator cancelled while they run here: fire their handlers' tokens.
                    using var cancelled = _client.DataSource.CreateCommand(_client.Sql.CancelledAmong);
                    cancelled.Parameters.Add(new Npgsql.NpgsqlParameter<long[]> { TypedValue = ids });
                    var cancelledIds = new List<long>();
                    var reader = await cancelled.ExecuteReaderAsync(stoppingToken).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        while (await reader.ReadAsync(stoppingToken).ConfigureAwait(false))
                        {
                            cancelledIds.Add(reader.GetInt64(0));
                        }
                    }

                    _runningJobs.Cancel(cancelledIds);
                }

                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                var delay = Backoff.Delay(++failures);
                LogMessages.LoopError(_logger, exception, "heartbeat", (long)delay.TotalMilliseconds);
                await Backoff.WaitAsync(delay, stoppingToken).ConfigureAwait(false);
            }
        }
    }
}
