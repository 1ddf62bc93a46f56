using System.Collections.Concurrent;
using System.Diagnostics;

namespace Queues.Internal;

/// <summary>What this process's worker is doing, for the worker health check.</summary>
internal enum WorkerStatus
{
    /// <summary>The hosted service has not started (or does not process jobs).</summary>
    NotStarted,

    /// <summary>Started, but the database did not answer or the schema is not ready yet: no loop runs.</summary>
    WaitingForDatabase,

    /// <summary>Its loops run.</summary>
    Running,

    /// <summary>Stopped or stopping.</summary>
    Stopped,
}

/// <summary>
/// A small record of this process's worker loops, which they update as they go and the worker health check reads:
/// when each loop (one claim loop per queue, the heartbeat, the maintenance loop) last finished an iteration that
/// reached the database, and how often it should. A loop that crashed or hangs stops beating; one that keeps failing
/// (the database is gone) does too, since only successful iterations beat. One per registration of Queues.
/// </summary>
internal sealed class WorkerLiveness
{
    private readonly ConcurrentDictionary<string, Loop> _loops = new(StringComparer.Ordinal);
    private volatile WorkerStatus _status;
    private volatile string[] _queues = [];

    public WorkerStatus Status => _status;

    /// <summary>The queues this process's worker serves (claims from); empty until it runs.</summary>
    public string[] Queues => _queues;

    public IReadOnlyCollection<Loop> Loops => (IReadOnlyCollection<Loop>)_loops.Values;

    public void Waiting() => _status = WorkerStatus.WaitingForDatabase;

    public void Running(IEnumerable<string> queues)
    {
        _queues = [.. queues];
        _status = WorkerStatus.Running;
    }

    public void Stopped() => _status = WorkerStatus.Stopped;

    /// <summary>Adds a loop that should beat at least every <paramref name="interval"/>; it counts as alive from now.</summary>
    public Loop Register(string name, TimeSpan interval) => _loops[name] = new Loop(name, interval);

    /// <summary>One loop: its name, its expected interval and its last beat.</summary>
    public sealed class Loop(string name, TimeSpan interval)
    {
        private long _last = Stopwatch.GetTimestamp();

        public string Name { get; } = name;

        public TimeSpan Interval { get; } = interval;

        /// <summary>Time since the last successful iteration.</summary>
        public TimeSpan SinceLastBeat => Stopwatch.GetElapsedTime(Volatile.Read(ref _last));

        /// <summary>Marks an iteration that reached the database. A timestamp write: cheap enough for every claim.</summary>
        public void Beat() => Volatile.Write(ref _last, Stopwatch.GetTimestamp());
    }
}
