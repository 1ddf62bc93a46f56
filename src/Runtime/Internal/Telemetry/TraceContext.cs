using System.Diagnostics;

namespace Queues.Internal.Telemetry;

/// <summary>
/// The W3C trace context stored with a job (<c>jobs.trace_context</c>): the <c>traceparent</c>, then, when there is
/// one, a line feed and the <c>tracestate</c> (neither may contain a line feed, so the split is unambiguous).
/// </summary>
internal static class TraceContext
{
    /// <summary>
    /// The context of the current activity (the enqueue span, or the caller's when nobody listens to Queues), or null
    /// when there is none: then nothing is formatted and the column stays NULL.
    /// </summary>
    public static string? Capture()
    {
        var activity = Activity.Current;
        if (activity is null || activity.IdFormat != ActivityIdFormat.W3C)
        {
            return null;
        }

        // Activity.Id is the traceparent, formatted once per activity and cached.
        var state = activity.TraceStateString;
        return string.IsNullOrEmpty(state) ? activity.Id : activity.Id + "\n" + state;
    }

    /// <summary>Reads a stored context; false when there is none or it cannot be parsed (a bad value never fails a job).</summary>
    public static bool TryParse(string? stored, out ActivityContext context)
    {
        context = default;
        if (string.IsNullOrEmpty(stored))
        {
            return false;
        }

        var split = stored.IndexOf('\n', StringComparison.Ordinal);
        return split < 0
            ? ActivityContext.TryParse(stored, null, isRemote: true, out context)
            : ActivityContext.TryParse(stored[..split], stored[(split + 1)..], isRemote: true, out context);
    }
}
