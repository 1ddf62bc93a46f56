namespace Queues.Internal;

/// <summary>
/// The job states as data: their stored names and which of them are finished. Every list of states in SQL, C# and the
/// dashboard is built from these, so a new state is added here (and to <see cref="JobState"/>) once.
/// </summary>
internal static class JobStates
{
    /// <summary>Every state, in lifecycle order.</summary>
    public static readonly JobState[] All =
        [JobState.Scheduled, JobState.Available, JobState.Running, JobState.Retryable, JobState.Completed, JobState.Cancelled, JobState.Discarded];

    /// <summary>The states of a job that has not finished: it may still run.</summary>
    public static readonly JobState[] Unfinished = [JobState.Scheduled, JobState.Available, JobState.Running, JobState.Retryable];

    /// <summary>The final states: only an operator (retry) takes a job out of one.</summary>
    public static readonly JobState[] Finished = [JobState.Completed, JobState.Cancelled, JobState.Discarded];

    /// <summary>The states an operator's retry takes a job out of.</summary>
    public static readonly JobState[] Retriable = [JobState.Discarded, JobState.Cancelled];

    public static bool IsFinished(JobState state) => Array.IndexOf(Finished, state) >= 0;

    public static JobState Parse(string state) => TryParse(state, out var parsed)
        ? parsed
        : throw new InvalidOperationException($"Unknown job state '{state}' in the jobs table.");

    public static bool TryParse(string? text, out JobState state)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(ToText(candidate), text, StringComparison.Ordinal))
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

    /// <summary>"scheduled, available, running or retryable": for messages.</summary>
    public static string Describe(IReadOnlyList<JobState> states, string conjunction = "or")
    {
        var names = states.Select(ToText).ToArray();
        return names.Length == 1 ? names[0] : $"{string.Join(", ", names[..^1])} {conjunction} {names[^1]}";
    }
}
