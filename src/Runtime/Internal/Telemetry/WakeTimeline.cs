namespace Queues.Internal.Telemetry;

/// <summary>A step of the path from a NOTIFY to a handler's start, as <see cref="WakeTimeline"/> records it.</summary>
internal enum WakeStep
{
    /// <summary>The LISTEN connection raised a notification (detail: 0).</summary>
    Notified,

    /// <summary>A fetch loop sends its claim statement (detail: the rows it asks for).</summary>
    ClaimSent,

    /// <summary>The claim statement returned (detail: the rows claimed; since: when it was sent).</summary>
    ClaimReturned,

    /// <summary>A slot task began running on the thread pool (detail: 0).</summary>
    SlotStarted,
}

/// <summary>
/// Where the time between an enqueue and its handler's start goes: the benchmark (bench/Queues.Bench, through
/// InternalsVisibleTo) sets <see cref="Recorder"/> to timestamp each <see cref="WakeStep"/>. Unset, as in every
/// application, it costs one static read per step.
/// </summary>
internal static class WakeTimeline
{
    /// <summary>
    /// Called on the thread that reached the step, with the step, its detail and, for a step that ends an interval, the
    /// <see cref="System.Diagnostics.Stopwatch"/> timestamp of its start (0 otherwise).
    /// </summary>
    public static Action<WakeStep, int, long>? Recorder { get; set; }

    public static void Record(WakeStep step, int detail = 0, long since = 0) => Recorder?.Invoke(step, detail, since);
}
