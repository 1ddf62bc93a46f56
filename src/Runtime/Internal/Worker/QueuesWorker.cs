using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Queues.Internal;

/// <summary>
/// The hosted service: checks (or migrates) the schema, then runs one <see cref="FetchLoop"/> per queue, the shared
/// <see cref="JobExecutor"/> and <see cref="Completer"/>, the <see cref="Heartbeat"/>, the <see cref="MaintenanceLeader"/>
/// and the <see cref="Notifier"/>. A database that does not answer at start does not fail the host: the worker logs,
/// retries with backoff and begins when it answers. Stopping stops claiming, lets running jobs finish within
/// <see cref="QueuesOptions.ShutdownTimeout"/>, then cancels them and puts them back.
/// </summary>
internal sealed class QueuesWorker : IHostedService, IAsyncDisposable
{
    private readonly IServiceProvider _services;
    private readonly JobStore _store;
    private readonly JobRegistry _registry;
    private readonly QueuesOptions _options;
    private readonly ILogger _workerLogger;
    private readonly ILogger _maintenanceLogger;
    private readonly ILogger _notificationsLogger;
    private readonly WorkerLiveness _liveness;
    private readonly CancellationTokenSource _stopClaiming = new();
    private readonly CancellationTokenSource _stopJobs = new();
    private readonly List<FetchLoop> _fetchLoops = [];
    private readonly List<Task> _loops = [];
    private Completer? _completer;
    private Task? _completing;
    private Heartbeat? _heartbeat;
    private readonly Outage _startOutage;
    private Task? _starting;

    public QueuesWorker(IServiceProvider services, JobStore store, JobRegistry registry, IOptions<QueuesOptions> options, ILoggerFactory? loggerFactory = null,
        WorkerLiveness? liveness = null)
    {
        _liveness = liveness ?? new WorkerLiveness();
        _services = services;
        _store = store;
        _registry = registry;
        _options = options.Value;
        loggerFactory ??= NullLoggerFactory.Instance;
        _workerLogger = loggerFactory.CreateLogger(LogMessages.Categories.Worker);
        _maintenanceLogger = loggerFactory.CreateLogger(LogMessages.Categories.Maintenance);
        _notificationsLogger = loggerFactory.CreateLogger(LogMessages.Categories.Notifications);
        _startOutage = NewOutage(_workerLogger, "Starting the worker");
    }

    /// <summary>The outage log of one loop, with the configured summary interval.</summary>
    private Outage NewOutage(ILogger logger, string loop) => new(logger, loop, _options.OutageSummaryInterval);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var (_, unknownKey) in _options.UnknownKeys())
        {
            LogMessages.UnknownConfigurationKey(_workerLogger, unknownKey, $"{_options.SectionPath}:{nameof(QueuesOptions.FailOnUnknownKeys)}");
        }

        if (!_options.ProcessJobs)
        {
            return;
        }

        string? problem;
        try
        {
            problem = await PrepareSchemaAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsUnavailable(exception) && !cancellationToken.IsCancellationRequested)
        {
            if (_startOutage.Failed(exception))
            {
                LogMessages.WaitingForDatabase(_workerLogger, exception, _options.WorkerName, (long)Backoff.Delay(1).TotalMilliseconds);
            }

            _liveness.Waiting();
            _starting = StartWhenReadyAsync(_stopClaiming.Token);
            return;
        }

        // A schema that answers but is too old is a missing deployment step: fail the start and say how to fix it.
        if (problem is not null)
        {
            throw new InvalidOperationException(problem);
        }

        StartLoops();
    }

    /// <summary>Migrates when asked, then checks the schema is at the version this build needs.</summary>
    /// <returns>Null when the schema is ready; otherwise what is wrong and how to fix it.</returns>
    private async Task<string?> PrepareSchemaAsync(CancellationToken cancellationToken)
    {
        if (_options.MigrateOnStart)
        {
            var applied = await _store.MigrateAsync(cancellationToken).ConfigureAwait(false);
            LogMessages.Migrated(_workerLogger, applied, _store.Schema);
        }

        var version = await _store.GetSchemaVersionAsync(cancellationToken).ConfigureAwait(false);
        return version < Migrations.LatestVersion
            ? $"Queues schema '{_store.Schema}' is at migration {version} but this worker needs {Migrations.LatestVersion}. " +
              "Run QueuesClient.MigrateAsync() from your deployment, or set QueuesOptions.MigrateOnStart = true."
            : null;
    }

    /// <summary>The database is down, restarting or refusing connections for now: worth waiting for, not a reason to fail.</summary>
    private static bool IsUnavailable(Exception exception)
        => exception is NpgsqlException { IsTransient: true } or TimeoutException
            || (exception is PostgresException postgres && postgres.SqlState.StartsWith("08", StringComparison.Ordinal));

    /// <summary>After a start that found the database unavailable: retries until the schema is ready, then starts.</summary>
    private async Task StartWhenReadyAsync(CancellationToken stoppingToken)
    {
        for (var failures = 1; ; failures++)
        {
            var delay = Backoff.Delay(failures);
            await Backoff.WaitAsync(delay, stoppingToken).ConfigureAwait(false);
            if (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                if (await PrepareSchemaAsync(stoppingToken).ConfigureAwait(false) is { } problem)
                {
                    // Found only after an outage, with the host long started: wait for the deployment to migrate.
                    LogMessages.SchemaOutdated(_workerLogger, problem, (long)Backoff.Delay(failures + 1).TotalMilliseconds);
                    continue;
                }

                _startOutage.Succeeded();
                StartLoops();
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                if (_startOutage.Failed(exception))
                {
                    LogMessages.WaitingForDatabase(_workerLogger, exception, _options.WorkerName, (long)Backoff.Delay(failures + 1).TotalMilliseconds);
                }
            }
        }
    }

    private void StartLoops()
    {
        var queues = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var registration in _registry.Jobs)
        {
            queues[registration.Job.Queue] = QueuesOptions.DefaultConcurrency;
        }

        foreach (var (queue, concurrency) in _options.Queues)
        {
            queues[queue] = concurrency;
        }

        LogMessages.WorkerStarting(_workerLogger, _options.WorkerName, _store.Schema, string.Join(", ", queues.Keys), _registry.Jobs.Count);
        _liveness.Running(queues.Keys);
        var retryDelays = new RetryDelays(_registry, _options.RetryDelay, _workerLogger);
        var executor = new JobExecutor(_services, _registry, _store.DataSource, retryDelays, _options.WorkerName, _workerLogger);
        _completer = new Completer(_store, retryDelays, _options.RescueAfter, _workerLogger, NewOutage(_workerLogger, "Writing job outcomes"));
        _completing = _completer.RunAsync();
        var running = _completer.Running;

        // The heartbeat registers this node before the first claim and goes on until every job has finished and its
        // outcome is written, so a slow shutdown is not mistaken for a dead worker.
        _heartbeat = new Heartbeat(_store, running, _options.WorkerName, queues.Keys, _options.HeartbeatInterval, _options.RescueAfter, _workerLogger,
            _liveness.Register("heartbeat", _options.HeartbeatInterval), NewOutage(_workerLogger, "The heartbeat"));
        _heartbeat.Start();
        foreach (var (queue, concurrency) in queues)
        {
            var loop = new FetchLoop(queue, concurrency, _options.Prefetch, _options.PollInterval, _options.WorkerName, _store, executor, _completer, _workerLogger,
                _liveness.Register("claim:" + queue, _options.PollInterval), NewOutage(_workerLogger, $"Claiming jobs of queue {queue}"));
            _fetchLoops.Add(loop);
            _loops.Add(loop.RunAsync(_heartbeat.FirstBeat, _stopClaiming.Token, _stopJobs.Token));
        }

        _loops.Add(new WorkPoller(_store, _fetchLoops, _options.PollInterval, _workerLogger, _liveness.Register("poll", _options.PollInterval),
                NewOutage(_workerLogger, "The poll for due jobs"))
            .RunAsync(_heartbeat.FirstBeat, _stopClaiming.Token));

        _loops.Add(new MaintenanceLeader(_store, _options.WorkerName, MaintenanceLeader.Timings.From(_options), _registry, running.Ids, Wake, _maintenanceLogger, new LeaderWatch(_store, _options.WorkerName, _options.PollInterval, _liveness,
                _liveness.Register("maintenance", _options.PollInterval < TimeSpan.FromSeconds(1) ? _options.PollInterval : TimeSpan.FromSeconds(1)),
                _maintenanceLogger, NewOutage(_maintenanceLogger, $"Watching the queues of schema {_store.Schema} (gauges, unserved queues)"), queues.Keys),
                NewOutage(_maintenanceLogger, $"Maintenance of schema {_store.Schema}")).RunAsync(_stopClaiming.Token));

        if (_store.UseNotifications)
        {
            _loops.Add(new Notifier(_store, Wake, _notificationsLogger, NewOutage(_notificationsLogger, "The LISTEN connection")).RunAsync(_stopClaiming.Token));
        }
    }

    /// <summary>Wakes the fetch loop of <paramref name="queue"/>, or every loop when it is null.</summary>
    private void Wake(string? queue)
    {
        foreach (var loop in _fetchLoops)
        {
            if (queue is null || loop.Queue == queue)
            {
                loop.Wake();
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_starting is not null)
        {
            await _stopClaiming.CancelAsync().ConfigureAwait(false);
            await _starting.ConfigureAwait(false);
        }

        if (_loops.Count == 0)
        {
            return;
        }

        await _stopClaiming.CancelAsync().ConfigureAwait(false);
        _completer!.Stopping();
        _liveness.Stopped();
        var all = Task.WhenAll(_loops);
        try
        {
            using (var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                grace.CancelAfter(_options.ShutdownTimeout);
                await all.WaitAsync(grace.Token).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
            }

            // Whatever still runs is cancelled; the executor reports it released and the completer puts it back.
            await _stopJobs.CancelAsync().ConfigureAwait(false);
            await all.ConfigureAwait(false);
        }
        finally
        {
            _loops.Clear();

            // Every handler has finished: write the completions still waiting, then stop heartbeating.
            _completer.Close();
            await _completing!.ConfigureAwait(false);
            await _heartbeat!.StopAsync().ConfigureAwait(false);
        }

        LogMessages.WorkerStopped(_workerLogger, _options.WorkerName);
    }

    public ValueTask DisposeAsync()
    {
        _stopClaiming.Dispose();
        _stopJobs.Dispose();
        _heartbeat?.Dispose();
        return ValueTask.CompletedTask;
    }
}

