using Microsoft.Extensions.Logging;
using System.Diagnostics;
using Npgsql;
using Queues.Internal.Telemetry;

namespace Queues.Internal;

/// <summary>
/// Keeps this worker process and its runs alive in the database, on a dedicated thread with a connection of its own and
/// synchronous I/O: handlers that block every thread-pool thread (synchronous I/O, CPU-bound loops, locks) cannot delay
/// it, so a healthy but busy worker is never mistaken for a dead one. Every interval it upserts the node row (the
/// evidence the rescue goes by), marks every tracked run as heartbeated, finds the runs that are no longer this attempt's
/// (rescued while this process was frozen, or cancelled by an operator), whose handlers' tokens it fires at once (their
/// late outcomes are no-ops), and settles running rows under its name that it does not track. It runs until every run's
/// outcome is written, so a slow shutdown is not mistaken for a dead worker, and removes the node row when it stops.
/// </summary>
/// <remarks>
/// Untracked rows are settled in two beats. A beat reads the running rows under this worker's name that it does not
/// track, noting how many claims had been sent before the read; a row a claim took is tracked by the time that claim
/// ends. At a later beat, once every one of those claims has ended, the rows read then that are still running under the
/// same claim (attempt and claim time) and still untracked are nobody's: a claim whose reply never arrived, or runs of an
/// earlier process under the same name. They are rescued as a dead worker's would be. Not while another live process
/// writes the node row under the same name: rows under the name are then not all this process's to judge.
/// </remarks>
internal sealed class Heartbeat : IDisposable
{
    private readonly JobStore _store;
    private readonly RunningJobs _running;
    private readonly string _workerName;
    private readonly string[] _queues;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _rescueAfter;
    private readonly ILogger _logger;
    private readonly Outage _outage;
    private readonly WorkerLiveness.Loop? _liveness;
    private readonly Guid _instance = Guid.NewGuid();
    private readonly ManualResetEventSlim _stop = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstBeat = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Untracked rows read at an earlier beat, and how many claims had been sent before that read; null when none.</summary>
    private (List<UntrackedRun> Runs, long ClaimsSent)? _untracked;

    /// <summary>Whether the last beat found another live process under this worker's name (logged once per episode).</summary>
    private bool _shared;

    /// <summary>When a beat last found another process under this worker's name (a stopwatch timestamp).</summary>
    private long _sharedSeen;

    /// <summary>How many beats found another process under the name, until one finds none RescueAfter after the last.</summary>
    private int _sharedBeats;

    /// <summary>
    /// Paces the read of untracked rows (<see cref="Pacing"/>): it reads every running row under this worker's name, and
    /// while a snapshot is held every one that ran since it began. Null reads at every beat (the model-based test, whose
    /// reference model does).
    /// </summary>
    private readonly Pacing? _untrackedPacing;

    public Heartbeat(JobStore store, RunningJobs running, string workerName, IEnumerable<string> queues, TimeSpan interval, TimeSpan rescueAfter,
        ILogger logger, WorkerLiveness.Loop? liveness = null, Outage? outage = null, bool paceUntrackedReads = true)
    {
        _untrackedPacing = paceUntrackedReads ? new Pacing() : null;
        _outage = outage ?? new Outage(logger, "The heartbeat");
        _liveness = liveness;
        _store = store;
        _running = running;
        _workerName = workerName;
        _queues = [.. queues];
        _interval = interval;
        _rescueAfter = rescueAfter;
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

    /// <summary>One beat's part in settling untracked rows (see the remarks): rescue what an earlier read found, then read again.</summary>
    private void SettleUntracked(NpgsqlConnection connection, bool shared)
    {
        // The node row tells only whether the last writer before this beat was another process. When a live twin
        // missed a beat (starved, paused) this one wrote last and the row says "not shared", though the twin is alive
        // and its rows look untracked from here: so a name seen shared at two beats stays shared for RescueAfter. Seen
        // once, it is a predecessor's last write (this process restarted under the name), whose rows are settled as
        // before, a beat later.
        var now = Stopwatch.GetTimestamp();
        if (shared)
        {
            (_sharedSeen, _sharedBeats) = (now, _sharedBeats + 1);
        }
        else if (Stopwatch.GetElapsedTime(_sharedSeen, now) >= _rescueAfter)
        {
            _sharedBeats = 0;
        }

        if (shared || _sharedBeats >= 2)
        {
            if (!_shared)
            {
                LogMessages.WorkerNameShared(_logger, _workerName);
            }

            (_shared, _untracked) = (true, null);
            return;
        }

        _shared = false;
        if (_untracked is { } earlier)
        {
            if (!_running.ClaimsEndedUpTo(earlier.ClaimsSent))
            {
                return; // A claim sent before that read is still on its way; its rows may yet be tracked.
            }

            _untracked = null;
            var (ids, _) = _running.Snapshot();
            var tracked = new HashSet<long>(ids);
            var lost = earlier.Runs.FindAll(run => !tracked.Contains(run.Id));
            if (lost.Count > 0 && _store.RescueUntracked(connection, lost, _workerName) is var rescued and > 0)
            {
                QueuesTelemetry.CountRescued(rescued);
                LogMessages.UntrackedRescued(_logger, rescued, _workerName);
            }
        }

        // The count is read after the rows: a claim whose rows the read saw committed before the read, so it was sent
        // (and numbered) before the read returned.
        var started = Stopwatch.GetTimestamp();
        if (_untrackedPacing?.Due(started) == false)
        {
            return;
        }

        var untracked = _store.FindUntracked(connection, _workerName, _running.Ids());
        _untrackedPacing?.Ran(started, Stopwatch.GetTimestamp());
        var claimsSent = _running.ClaimsSent;
        _untracked = untracked.Count > 0 ? (untracked, claimsSent) : null;
    }

    /// <summary>
    /// One beat on <paramref name="connection"/>: the node row, the tracked runs, the lost ones' tokens, the untracked
    /// rows. The thread calls it every interval; the model-based test calls it directly, one beat per step.
    /// </summary>
    internal void Beat(NpgsqlConnection connection)
    {
        var sent = Stopwatch.GetTimestamp();
        var shared = _store.TouchNode(connection, _workerName, _queues, _instance, _rescueAfter);
        var (ids, attempts) = _running.Snapshot();
        if (ids.Length > 0)
        {
            _store.Heartbeat(connection, ids, attempts, _interval / 4);
            _running.CancelLost(_store.LostAmong(connection, ids, attempts));
        }

        SettleUntracked(connection, shared);
        _running.Beaten(sent);
    }

    private void Run()
    {
        NpgsqlConnection? connection = null;
        var failures = 0;
        try
        {
            while (!_stop.IsSet)
            {
                try
                {
                    connection ??= _store.DataSource.OpenConnection();
                    Beat(connection);
                    _outage.Succeeded();
                    failures = 0;
                }
                catch (Exception exception)
                {
                    connection?.Dispose();
                    connection = null;
                    var delay = Backoff.Delay(++failures);
                    if (_outage.Failed(exception))
                    {
                        LogMessages.HeartbeatFailed(_logger, exception, _running.Count, (long)delay.TotalMilliseconds);
                    }
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
                _store.RemoveNode(connection, _workerName, _instance);
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
