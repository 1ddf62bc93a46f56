using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Queues.Internal;

/// <summary>
/// What one background loop logs while its statements fail (the database is down, restarting or cut off): the first
/// failure in full (the caller's own event, with its exception), then at most one <see cref="QueuesEventId.OutageContinues"/>
/// line per <see cref="SummaryInterval"/> (no stack trace), then one <see cref="QueuesEventId.OutageEnded"/> line with how
/// long it lasted once a statement succeeds again. A 60-second outage is then three to five lines per loop, not hundreds of
/// stack traces. One instance per loop; thread-safe (the completer's concurrent writes share one), and
/// <see cref="Succeeded"/> costs one volatile read while nothing is failing.
/// </summary>
/// <param name="logger">The loop's logger: the summary and recovery lines keep its category.</param>
/// <param name="loop">What the loop does, as a sentence subject: "the heartbeat", "claiming jobs of queue email".</param>
/// <param name="summaryInterval">At most one summary line per this; <see cref="DefaultSummaryInterval"/> when null.</param>
internal sealed class Outage(ILogger logger, string loop, TimeSpan? summaryInterval = null)
{
    /// <summary>The default for <see cref="SummaryInterval"/>.</summary>
    public static readonly TimeSpan DefaultSummaryInterval = TimeSpan.FromSeconds(30);

    private readonly object _gate = new();
    private volatile bool _failing;
    private int _failures;
    private long _since;        // Stopwatch timestamp of the first failure.
    private long _lastSummary;  // Stopwatch timestamp of the first failure or the last summary line.

    /// <summary>At most one summary line per this while the failures last.</summary>
    public TimeSpan SummaryInterval { get; } = summaryInterval ?? DefaultSummaryInterval;

    /// <summary>Whether the loop is failing now (its last statement failed).</summary>
    public bool IsFailing => _failing;

    /// <summary>
    /// Records a failure. The first of an outage returns true: the caller logs it with its own event and the exception.
    /// Later ones return false, and log a summary themselves when one is due.
    /// </summary>
    /// <param name="exception">What failed.</param>
    /// <returns>True when this failure starts an outage and the caller should log it in full.</returns>
    public bool Failed(Exception exception)
    {
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            if (_failures++ == 0)
            {
                _since = _lastSummary = now;
                _failing = true;
                return true;
            }

            if (Stopwatch.GetElapsedTime(_lastSummary, now) >= SummaryInterval)
            {
                _lastSummary = now;
                LogMessages.OutageContinues(logger, loop, (long)Stopwatch.GetElapsedTime(_since, now).TotalMilliseconds, _failures, Describe(exception));
            }

            return false;
        }
    }

    /// <summary>Records a success: after failures, logs once that the loop works again and how long it did not.</summary>
    public void Succeeded()
    {
        if (!_failing)
        {
            return;
        }

        lock (_gate)
        {
            if (_failures == 0)
            {
                return;
            }

            LogMessages.OutageEnded(logger, loop, (long)Stopwatch.GetElapsedTime(_since).TotalMilliseconds, _failures);
            _failures = 0;
            _failing = false;
        }
    }

    /// <summary>One line for an exception: its type and message, and its inner exception's (a socket error under an NpgsqlException).</summary>
    private static string Describe(Exception exception)
        => exception.InnerException is { } inner
            ? $"{exception.GetType().Name}: {exception.Message} ({inner.GetType().Name}: {inner.Message})"
            : $"{exception.GetType().Name}: {exception.Message}";
}
