using System.Collections.Concurrent;

namespace Queues.Internal;

/// <summary>The jobs this worker process is running (id → attempt), for the heartbeat.</summary>
internal sealed class RunningJobs
{
    private readonly ConcurrentDictionary<long, short> _jobs = new();

    public void Add(long id, short attempt) => _jobs[id] = attempt;

    /// <summary>Forgets this attempt only: a rescued job re-claimed here meanwhile keeps its heartbeat.</summary>
    public void Remove(long id, short attempt) => _jobs.TryRemove(new KeyValuePair<long, short>(id, attempt));

    public (long[] Ids, short[] Attempts) Snapshot()
    {
        var pairs = _jobs.ToArray();
        var ids = new long[pairs.Length];
        var attempts = new short[pairs.Length];
        for (var i = 0; i < pairs.Length; i++)
        {
            (ids[i], attempts[i]) = (pairs[i].Key, pairs[i].Value);
        }

        Array.Sort(ids, attempts); // Lock rows in id order, as the completer does.
        return (ids, attempts);
    }
}
