using System.Collections.Concurrent;

namespace Queues.IntegrationTests.Infrastructure;

/// <summary>What the test handlers saw, in order; tests await <see cref="WaitForAsync"/> instead of sleeping.</summary>
public sealed class Recorder
{
    private readonly ConcurrentQueue<Run> _runs = new();
    private readonly List<(Func<IReadOnlyCollection<Run>, bool> Condition, TaskCompletionSource Signal)> _waiters = [];

    private readonly ConcurrentDictionary<string, int[]> _gauges = new();

    public IReadOnlyCollection<Run> Runs => _runs;

    /// <summary>The most handlers of <paramref name="key"/> seen running at once.</summary>
    public int MaxConcurrent(string key) => _gauges.TryGetValue(key, out var gauge) ? Volatile.Read(ref gauge[1]) : 0;

    /// <summary>Counts a handler as running until the result is disposed.</summary>
    public IDisposable Enter(string key)
    {
        var gauge = _gauges.GetOrAdd(key, static _ => new int[2]);
        var now = Interlocked.Increment(ref gauge[0]);
        int max;
        while (now > (max = Volatile.Read(ref gauge[1])) && Interlocked.CompareExchange(ref gauge[1], now, max) != max)
        {
        }

        return new Exit(gauge);
    }

    private sealed class Exit(int[] gauge) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref gauge[0]);
    }

    public void Record(JobContext context, object? payload)
    {
        _runs.Enqueue(new Run(context.Id, context.Name, context.Attempt, payload));
        lock (_waiters)
        {
            foreach (var (condition, signal) in _waiters)
            {
                if (condition(_runs))
                {
                    signal.TrySetResult();
                }
            }
        }
    }

    public Task WaitForAsync(Func<IReadOnlyCollection<Run>, bool> condition, TimeSpan? timeout = null)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            _waiters.Add((condition, signal));
            if (condition(_runs))
            {
                signal.TrySetResult();
            }
        }

        return signal.Task.WaitAsync(timeout ?? Eventually.DefaultTimeout, TestContext.Current.CancellationToken);
    }

    public Task WaitForRunsAsync(int count, TimeSpan? timeout = null) => WaitForAsync(runs => runs.Count >= count, timeout);

    public sealed record Run(JobId JobId, string Name, int Attempt, object? Payload);
}
