using System.Collections.Concurrent;

namespace Queues.Internal;

/// <summary>
/// The runs this worker process has dispatched and whose outcome is not written yet: (id, attempt) and the source that
/// cancels the handler. Written only by the <see cref="Completer"/>; read by the heartbeat.
/// </summary>
internal sealed class RunningJobs
{
    private readonly ConcurrentDictionary<long, Entry> _jobs = new();

    public int Count => _jobs.Count;

    public void Add(RunKey run, JobCancellation cancellation) => _jobs[run.Id] = new Entry(run.Attempt, cancellation);

    /// <summary>Forgets this attempt only: a rescued job re-claimed here meanwhile keeps its heartbeat.</summary>
    public void Remove(RunKey run)
    {
        if (_jobs.TryGetValue(run.Id, out var entry) && entry.Attempt == run.Attempt)
        {
            _jobs.TryRemove(new KeyValuePair<long, Entry>(run.Id, entry));
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

    /// <summary>The runs, sorted by id: rows are locked in id order, as the completer does.</summary>
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

    private sealed record Entry(short Attempt, JobCancellation Cancellation);
}
