using Microsoft.Extensions.Logging;
using Npgsql;

namespace Queues.Internal;

/// <summary>
/// Keeps this worker process and its runs alive in the database, on a dedicated thread with a connection of its own and
/// synchronous I/O: handlers that block every thread-pool thread (synchronous I/O, CPU-bound loops, locks) cannot delay
/// it, so a healthy but busy worker is never mistaken for a dead one. Every interval it upserts the node row, marks every
/// tracked run as heartbeated, and finds the runs that are no longer this attempt's (rescued while this process was
/// frozen, or cancelled by an operator), whose handlers' tokens it fires at once; their late outcomes are no-ops. It
/// runs until every run's outcome is written, so a slow shutdown is not mistaken for a dead worker, and removes the node
/// row when it stops.
/// </summary>
internal sealed class Heartbeat : IDisposable
{
    private readonly JobStore _store;
    private readonly RunningJobs _running;
    private readonly string _workerName;
    private readonly string[] _queues;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly WorkerLiveness.Loop? _liveness;
    private readonly ManualResetEventSlim _stop = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstBeat = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Heartbeat(JobStore store, RunningJobs running, string workerName, IEnumerable<string> queues, TimeSpan interval, ILogger logger,
        WorkerLiveness.Loop? liveness = null)
    {
        _liveness = liveness;
        _store = store;
        _running = running;
        _workerName = workerName;
        _queues = [.. queues];
        _interval = interval;
        _logger = logger;
    }

    /// <summary>Starts the thread; the first beat (which registers the node) is sent at once.</summary>
    public void Start() => new Thread(Run) { IsBackground = true, Name = "Queues heartbeat", Priority = ThreadPriority.AboveNormal }.Start();

    /// <summary>Completes after the first beat (done or failed): claims wait for it, so a claimed job's node is already alive.</summary>
    public Task FirstBeat => _firstBeat.Task;

    /// <summary>Stops beating, removes the node row and completes when the thread has ended.</summary>
    public Task StopAsync()
    {
        _stop.Set();
        return _stopped.Task;
    }

    /// <summary>
    /// Tells the thread to stop. The event is not disposed: the thread may still be waiting on it, and a disposed one
    /// would throw on a thread nothing catches (it holds no wait handle, so there is nothing to release).
    /// </summary>
    public void Dispose() => _stop.Set();

    private void Run()
    {
        NpgsqlConnection? connection = null;
        var failures = 0;
        try
        {
            while (!_stop.IsSet)
            {
                var count = 0;
                try
                {
                    connection ??= _store.DataSource.OpenConnection();
                    _store.TouchNode(connection, _workerName, _queues);
                    // Read before the snapshot: a claim that ends in between has tracked its rows by then.
                    var claiming = _running.ClaimsInFlight > 0;
                    var (ids, attempts) = _running.Snapshot();
                    count = ids.Length;
                    if (ids.Length > 0 || claiming)
                    {
                        _store.Heartbeat(connection, ids, attempts, claiming, _workerName, _interval / 4);
                        _running.CancelLost(_store.LostAmong(connection, ids, attempts));
                    }

                    failures = 0;
                }
                catch (Exception exception)
                {
                    connection?.Dispose();
                    connection = null;
                    var delay = Backoff.Delay(++failures);
                    LogMessages.HeartbeatFailed(_logger, exception, count, (long)delay.TotalMilliseconds);
                    if (_stop.Wait(delay < _interval ? delay : _interval))
                    {
                        break;
                    }

                    _firstBeat.TrySetResult();
                    continue;
                }

                _liveness?.Beat();
                _firstBeat.TrySetResult();
                _stop.Wait(_interval);
            }

            try
            {
                connection ??= _store.DataSource.OpenConnection();
                _store.RemoveNode(connection, _workerName);
            }
            catch (Exception)
            {
                // The row goes stale by itself; nothing depends on its removal but the speed of a rescue.
            }
        }
        finally
        {
            connection?.Dispose();
            _firstBeat.TrySetResult();
            _stopped.TrySetResult();
        }
    }
}
