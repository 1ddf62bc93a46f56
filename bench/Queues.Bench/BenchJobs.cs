using System.Diagnostics;
using Queues;

namespace Queues.Bench;

/// <summary>A no-op job: records that its sequence number ran.</summary>
public sealed record Noop(int Sequence);

/// <summary>A job that records how long after its enqueue started it began running.</summary>
public sealed record Probe(int Sequence, long EnqueuedAt);

/// <summary>What the handlers saw; one instance per scenario.</summary>
public sealed class Tally
{
    private int[] _runs = [];
    private double[] _latencies = [];
    private long[] _startedAt = [];
    private int[] _gcAtStart = [];
    private int _done;
    private long _firstRunAt;
    private int _expected;
    private TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Finished => _finished.Task;

    public int[] Runs => _runs;

    /// <summary>When the first handler ran (<see cref="Stopwatch.GetTimestamp"/>), 0 before.</summary>
    public long FirstRunAt => Interlocked.Read(ref _firstRunAt);

    public double[] LatenciesMs => _latencies;

    /// <summary>When each handler started (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public long[] StartedAt => _startedAt;

    /// <summary>How many gen0 collections had run when each handler started.</summary>
    public int[] GcAtStart => _gcAtStart;

    public void Reset(int expected)
    {
        _runs = new int[expected];
        _latencies = new double[expected];
        _startedAt = new long[expected];
        _gcAtStart = new int[expected];
        _done = 0;
        _firstRunAt = 0;
        _expected = expected;
        _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Ran(int sequence)
    {
        if (Interlocked.Read(ref _firstRunAt) == 0)
        {
            Interlocked.CompareExchange(ref _firstRunAt, Stopwatch.GetTimestamp(), 0);
        }

        Interlocked.Increment(ref _runs[sequence]);
        if (Interlocked.Increment(ref _done) == _expected)
        {
            _finished.TrySetResult();
        }
    }

    public void Started(int sequence, long enqueuedAt)
    {
        var now = Stopwatch.GetTimestamp();
        _startedAt[sequence] = now;
        _gcAtStart[sequence] = GC.CollectionCount(0);
        _latencies[sequence] = Stopwatch.GetElapsedTime(enqueuedAt, now).TotalMilliseconds;
        Ran(sequence);
    }
}

public sealed class BenchHandlers(Tally tally)
{
    [Job("bench.noop", Queue = "bench")]
    public void Noop(Noop payload) => tally.Ran(payload.Sequence);

    [Job("bench.probe", Queue = "latency")]
    public void Probe(Probe payload) => tally.Started(payload.Sequence, payload.EnqueuedAt);
}
