using Queues;

namespace AotWorker;

/// <summary>The payload of the <c>aotPing</c> job.</summary>
public sealed record Ping(int Sequence, string Message, DateTimeOffset SentAt, List<string> Tags);

/// <summary>Counts the jobs this process ran, and signals when the expected number is reached.</summary>
public sealed class Progress
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _expected = int.MaxValue;
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public Task Done => _done.Task;

    public void Expect(int count)
    {
        _expected = count;
        if (Count >= count)
        {
            _done.TrySetResult();
        }
    }

    public void Increment()
    {
        if (Interlocked.Increment(ref _count) >= _expected)
        {
            _done.TrySetResult();
        }
    }
}

/// <summary>The handler: an instance created per job with its dependency injected by generated code.</summary>
public sealed class PingJobs(Progress progress)
{
    [Job("aotPing", MaxAttempts = 3)]
    public ValueTask PingAsync(Ping ping, JobContext context, CancellationToken cancellationToken)
    {
        if (ping.Message.Length == 0 || ping.Tags.Count == 0)
        {
            throw new InvalidOperationException($"Ping {ping.Sequence} arrived without its message or tags.");
        }

        progress.Increment();
        return ValueTask.CompletedTask;
    }
}
