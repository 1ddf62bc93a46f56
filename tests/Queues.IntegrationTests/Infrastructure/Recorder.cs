using System.Collections.Concurrent;

namespace Queues.IntegrationTests.Infrastructure;

/// <summary>What the test handlers saw, in order; tests await <see cref="WaitForAsync"/> instead of sleeping.</summary>
public sealed class Recorder
{
    private readonly ConcurrentQueue<Run> _runs = new();
    private readonly List<(Func<IReadOnlyCollection<Run>, bool> Condition, TaskCompletionSource Signal)> _waiters = [];

    public IReadOnlyCollection<Run> Runs => _runs;

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
