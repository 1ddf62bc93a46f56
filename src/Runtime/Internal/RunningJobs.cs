using System.Collections.Concurrent;

namespace Queues.Internal;

/// <summary>
/// The jobs this worker process is running: id → attempt, and the source that cancels the handler when an operator
/// cancels the job. Read by the heartbeat.
/// </summary>
internal sealed class RunningJobs
{
    private readonly ConcurrentDictionary<long, Entry> _jobs = new();

    public void Add(long id, short attempt, JobCancellation cancellation) => _jobs[id] = new Entry(attempt, cancellation);

    /// <summary>Forgets this attempt only: a rescued job re-claimed here meanwhile keeps its heartbeat.</summary>
    public void Remove(long id, short attempt)
    {
        if (_jobs.TryGetValue(id, out var entry) && entry.Attempt == attempt)
        {
            _jobs.TryRemove(new KeyValuePair<long, Entry>(id, entry));
        }
    }

    /// <summary>Fires the cancellation token of each of these running jobs.</summary>
    public void Cancel(IEnumerable<long> ids)
    {
        foreach (var id in ids)
        {
            if (_jobs.TryGetValue(id, out var entry))
            {
                entry.Cancellation.CancelByOperator();
            }
        }
    }

    public (long[] Ids, short[] Attempts) Snapshot()
    {
        var pairs = _jobs.ToArray();
        var ids = new long[pairs.Length];
        var attempts = new short[pairs.Length];
        for (var i = 0; i < pairs.Length; i++)
        {
            (ids[i], attempts[i]) = (pairs[i].Key, pairs[i].Value.Attempt);
        }

        Array.Sort(ids, attempts); // Lock rows in id order, as the completer does.
        return (ids, attempts);
    }

    private sealed record Entry(short Attempt, JobCancellation Cancellation);
}
