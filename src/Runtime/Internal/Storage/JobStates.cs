namespace Queues.Internal;

internal static class JobStates
{
    public static JobState Parse(string state) => state switch
    {
        "scheduled" => JobState.Scheduled,
        "available" => JobState.Available,
        "running" => JobState.Running,
        "retryable" => JobState.Retryable,
        "completed" => JobState.Completed,
        "cancelled" => JobState.Cancelled,
        "discarded" => JobState.Discarded,
        _ => throw new InvalidOperationException($"Unknown job state '{state}' in the jobs table."),
    };

    public static string ToText(JobState state) => state switch
    {
        JobState.Scheduled => "scheduled",
        JobState.Available => "available",
        JobState.Running => "running",
        JobState.Retryable => "retryable",
        JobState.Completed => "completed",
        JobState.Cancelled => "cancelled",
        JobState.Discarded => "discarded",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown job state."),
    };
}
