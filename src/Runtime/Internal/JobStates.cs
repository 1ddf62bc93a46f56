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
}
