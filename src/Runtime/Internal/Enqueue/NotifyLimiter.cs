using System.Collections.Concurrent;
using System.Diagnostics;

namespace Queues.Internal;

/// <summary>Lets one NOTIFY per queue through per interval, across all threads of the process.</summary>
internal sealed class NotifyLimiter(TimeSpan interval)
{
    private readonly long _intervalTicks = (long)(interval.TotalSeconds * Stopwatch.Frequency);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _last = new(StringComparer.Ordinal);

    public bool TryAcquire(string queue)
    {
        var box = _last.GetOrAdd(queue, static _ => new StrongBox<long>(long.MinValue / 2));
        var now = Stopwatch.GetTimestamp();
        var last = Volatile.Read(ref box.Value);
        return now - last >= _intervalTicks && Interlocked.CompareExchange(ref box.Value, now, last) == last;
    }

    private sealed class StrongBox<T>(T value)
    {
        public T Value = value;
    }
}
