namespace Queues.Internal;

/// <summary>
/// The job states as data: their stored names and which of them are finished. Every list of states in SQL, C# and the
/// dashboard is built from these, so a new state is added here (and to <see cref="JobState"/>) once.
/// </summary>
internal static class JobStates
{
    /// <summary>The states of a job that has not finished: it may still run.</summary>
    public static readonly JobState[] Unfinished = [JobState.Scheduled, JobState.Available, JobState.Running, JobState.Retryable];

    /// <summary>The final states: only an operator (retry) takes a job out of one.</summary>
    public static readonly JobState[] Finished = [JobState.Completed, JobState.Cancelled, JobState.Discarded];

    /// <summary>The states an operator's retry takes a job out of.</summary>
    public static readonly JobState[] Retriable = [JobState.Discarded, JobState.Cancelled];

    public static bool IsFinished(JobState state) => Array.IndexOf(Finished, state) >= 0;

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

    /// <summary>Parses a stored name in any casing, for input that did not come from the table (JSON).</summary>
    public static bool TryParse(string text, out JobState state)
    {
        foreach (var candidate in Unfinished.Concat(Finished))
        {
            if (string.Equals(ToText(candidate), text, StringComparison.OrdinalIgnoreCase))
            {
                state = candidate;
                return true;
            }
        }

        state = default;
        return false;
    }

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

    /// <summary>A SQL list of state literals for <c>IN</c>: <c>('scheduled', 'available')</c>.</summary>
    public static string SqlList(IEnumerable<JobState> states) => $"({string.Join(", ", states.Select(static s => $"'{ToText(s)}'"))})";
}
