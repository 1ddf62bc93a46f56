using System.Collections.Concurrent;
using System.Diagnostics;

namespace Queues.Internal;

/// <summary>
/// The runs this worker process has dispatched and whose outcome is not written yet: (id, attempt) and the source that
/// cancels the handler. Written only by the <see cref="Completer"/>; read by the heartbeat and the rescuer (which never
/// rescues a job its own process runs).
/// </summary>
internal sealed class RunningJobs(TimeSpan startWithin)
{
    private readonly ConcurrentDictionary<long, Entry> _jobs = new();

    /// <summary>Claims sent so far, numbered from 1; and those of them not ended yet.</summary>
    private long _claimsSent;
    private readonly ConcurrentDictionary<long, byte> _claimsInFlight = new();

    /// <summary>When a heartbeat last reached the database (a <see cref="Stopwatch"/> timestamp taken as it was sent).</summary>
    private long _lastBeat = Stopwatch.GetTimestamp();

    public int Count => _jobs.Count;

    /// <summary>How many claims have been sent so far (see <see cref="ClaimsEndedUpTo"/>).</summary>
    public long ClaimsSent => Interlocked.Read(ref _claimsSent);

    /// <summary>A claim is about to be sent: returns its number, to pass to <see cref="EndClaim"/> once its rows are tracked (or it failed).</summary>
    public long BeginClaim()
    {
        var claim = Interlocked.Increment(ref _claimsSent);
        _claimsInFlight[claim] = 0;
        return claim;
    }

    public void EndClaim(long claim) => _claimsInFlight.TryRemove(claim, out _);

    /// <summary>
    /// Whether every claim numbered up to <paramref name="claim"/> has ended: a row one of them took is tracked by now,
    /// unless its reply never arrived.
    /// </summary>
    public bool ClaimsEndedUpTo(long claim)
    {
        foreach (var inFlight in _claimsInFlight.Keys)
        {
            if (inFlight <= claim)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A heartbeat sent at <paramref name="sent"/> (a <see cref="Stopwatch"/> timestamp) reached the database.</summary>
    public void Beaten(long sent) => Volatile.Write(ref _lastBeat, Math.Max(sent, Volatile.Read(ref _lastBeat)));

    /// <summary>
    /// Whether a heartbeat reached the database within the start window (half of RescueAfter): until one has, no job
    /// starts, since the rescue may have taken this process's claims while it could not heartbeat.
    /// </summary>
    public bool HeartbeatFresh => SinceLastBeat < startWithin;

    /// <summary>Time since the last heartbeat that reached the database was sent.</summary>
    public TimeSpan SinceLastBeat => Stopwatch.GetElapsedTime(Volatile.Read(ref _lastBeat));

    /// <summary>Tracks a run from its claim on, before it is dispatched: heartbeated (and never rescued by this process) while it waits.</summary>
    public void Add(RunKey run) => _jobs[run.Id] = new Entry(run.Attempt);

    /// <summary>Gives a tracked run its handler's cancellation; fired at once if the run was lost while it waited.</summary>
    public void Attach(RunKey run, JobCancellation cancellation)
    {
        if (_jobs.TryGetValue(run.Id, out var entry) && entry.Attempt == run.Attempt)
        {
            entry.Attach(cancellation);
        }
    }

    /// <summary>Forgets this attempt only: a rescued job re-claimed here meanwhile keeps its heartbeat.</summary>
    public void Remove(RunKey run)
    {
        if (_jobs.TryGetValue(run.Id, out var entry) && entry.Attempt == run.Attempt)
        {
            _jobs.TryRemove(new KeyValuePair<long, Entry>(run.Id, entry));
        }
    }

    /// <summary>Fires the tokens of these runs, which are no longer this process's to finish (cancelled or rescued elsewhere).</summary>
    public void CancelLost(IEnumerable<long> ids)
    {
        foreach (var id in ids)
        {
            if (_jobs.TryGetValue(id, out var entry))
            {
                entry.Lose();
            }
        }
    }

    /// <summary>The ids of the runs tracked now.</summary>
    public long[] Ids() => [.. _jobs.Keys];

    /// <summary>The runs, sorted by id (the heartbeat that reads them skips locked rows, so the order is for stable plans, not deadlocks).</summary>
    public (long[] Ids, short[] Attempts) Snapshot()
    {
        var pairs = _jobs.ToArray();
        var ids = new long[pairs.Length];
        var attempts = new short[pairs.Length];
        for (var i = 0; i < pairs.Length; i++)
        {
            (ids[i], attempts[i]) = (pairs[i].Key, pairs[i].Value.Attempt);
        }

        Array.Sort(ids, attempts);
        return (ids, attempts);
    }

    private sealed class Entry(short attempt)
    {
        private readonly object _lock = new();
        private JobCancellation? _cancellation;
        private bool _lost;

        public short Attempt { get; } = attempt;

        public void Attach(JobCancellation cancellation)
        {
            lock (_lock)
            {
                _cancellation = cancellation;
                if (!_lost)
                {
                    return;
                }
            }

            cancellation.CancelElsewhere();
        }

        public void Lose()
        {
            JobCancellation? cancellation;
            lock (_lock)
            {
                _lost = true;
                cancellation = _cancellation;
            }

            cancellation?.CancelElsewhere();
        }
    }
}
