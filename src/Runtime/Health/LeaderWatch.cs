using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Queues.Internal.Telemetry;

namespace Queues.Internal;

/// <summary>
/// Runs each maintenance tick beside the <see cref="MaintenanceLeader"/>: marks the maintenance loop alive and, on the
/// leader only, refreshes the queue gauges (at most every <see cref="QueueStats.RefreshInterval"/>, and only while a
/// listener observes them) and looks for queues holding due jobs that no live worker serves (logged once when a queue
/// becomes unserved, as <see cref="QueuesEventId.UnservedQueue"/>).
/// </summary>
internal sealed class LeaderWatch
{
    private readonly JobStore _store;
    private readonly string _workerName;
    private readonly WorkerLiveness _liveness;
    private readonly WorkerLiveness.Loop _loop;
    private readonly ILogger _logger;
    private readonly Outage _outage;
    private readonly string[] _served;
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private DateTime _nextStats;
    private DateTime _nextUnserved;
    private bool _published;

    // Both reads count rows (and walk the dead ones a held snapshot keeps): paced as well as spaced.
    private readonly Pacing _statsPacing = new();
    private readonly Pacing _unservedPacing = new();

    public LeaderWatch(JobStore store, string workerName, TimeSpan pollInterval, WorkerLiveness liveness, WorkerLiveness.Loop loop, ILogger logger,
        Outage? outage = null, IEnumerable<string>? served = null)
    {
        _served = [.. served ?? []];
        _outage = outage ?? new Outage(logger, $"Watching the queues of schema {store.Schema} (gauges, unserved queues)");
        _store = store;
        _workerName = workerName;
        _liveness = liveness;
        _loop = loop;
        _logger = logger;

        // A served queue's due job is claimed within a poll interval or two; ten of them (5 s to a minute) without a
        // claim, with no job of the queue running, means nobody serves it.
        var unservedAfter = pollInterval * 10;
        UnservedAfter = unservedAfter < TimeSpan.FromSeconds(5) ? TimeSpan.FromSeconds(5) : unservedAfter > TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : unservedAfter;
    }

    /// <summary>How long due jobs wait unclaimed before their queue counts as unserved; also how often the leader looks.</summary>
    public TimeSpan UnservedAfter { get; }

    public async Task RunOnceAsync(bool leader, CancellationToken cancellationToken)
    {
        _loop.Beat();
        if (!leader)
        {
            Stop();
            return;
        }

        try
        {
            await ObserveAsync(cancellationToken).ConfigureAwait(false);
            _outage.Succeeded();
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Gauges and the unserved-queue warning are extras: their failure must not hold up promotion and rescue.
            if (_outage.Failed(exception))
            {
                LogMessages.MaintenanceFailed(_logger, exception, _store.Schema, (long)UnservedAfter.TotalMilliseconds);
            }
        }
    }

    private async Task ObserveAsync(CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        if (QueuesTelemetry.GaugesObserved && now >= _nextStats && _statsPacing.Due(Stopwatch.GetTimestamp()))
        {
            _nextStats = now + QueueStats.RefreshInterval;
            var started = Stopwatch.GetTimestamp();
            QueueStats.Publish(_store.Schema, _workerName, await _store.QueueStatsAsync(cancellationToken).ConfigureAwait(false), _served);
            _statsPacing.Ran(started, Stopwatch.GetTimestamp());
            _published = true;
        }

        if (now >= _nextUnserved && _unservedPacing.Due(Stopwatch.GetTimestamp()))
        {
            _nextUnserved = now + UnservedAfter;
            var started = Stopwatch.GetTimestamp();
            var unserved = await _store.UnservedQueuesAsync(_liveness.Queues, UnservedAfter, cancellationToken).ConfigureAwait(false);
            _unservedPacing.Ran(started, Stopwatch.GetTimestamp());
            foreach (var queue in unserved)
            {
                if (_reported.Add(queue.Queue))
                {
                    LogMessages.UnservedQueue(_logger, queue.Queue, queue.Count, (long)queue.OldestSeconds, _store.Schema);
                }
            }

            _reported.RemoveWhere(q => !unserved.Exists(u => u.Queue == q));
        }
    }

    /// <summary>No longer the leader (or stopping): stop reporting this schema's gauges from here.</summary>
    public void Stop()
    {
        if (_published)
        {
            QueueStats.Remove(_store.Schema, _workerName);
            _published = false;
            _nextStats = default;
        }

        _reported.Clear();
    }
}
