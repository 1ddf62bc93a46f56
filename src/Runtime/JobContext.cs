namespace Queues;

/// <summary>What a handler knows about the job it runs. Add a parameter of this type to a handler to receive it.</summary>
public sealed class JobContext
{
    internal JobContext(JobId id, string name, string queue, int attempt, int maxAttempts, DateTimeOffset createdAt)
    {
        Id = id;
        Name = name;
        Queue = queue;
        Attempt = attempt;
        MaxAttempts = maxAttempts;
        CreatedAt = createdAt;
    }

    /// <summary>The job's identity.</summary>
    public JobId Id { get; }

    /// <summary>The durable job name.</summary>
    public string Name { get; }

    /// <summary>The queue the job was claimed from.</summary>
    public string Queue { get; }

    /// <summary>This attempt's number, starting at 1.</summary>
    public int Attempt { get; }

    /// <summary>The number of attempts after which a failing job is discarded.</summary>
    public int MaxAttempts { get; }

    /// <summary>When the job was inserted.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>What the handler asked for with <see cref="Snooze"/>, <see cref="Cancel"/> or <see cref="Discard"/>; null to complete.</summary>
    internal JobOutcome? RequestedOutcome { get; private set; }

    /// <summary>
    /// Runs the job again after <paramref name="delay"/> without using up an attempt: it goes back to
    /// <see cref="JobState.Scheduled"/>. Takes effect when the handler returns normally; if it throws, the failure wins.
    /// </summary>
    /// <param name="delay">How long to wait; zero or more.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    public void Snooze(TimeSpan delay)
    {
        if (delay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(delay), delay, "A snooze delay must not be negative.");
        }

        RequestedOutcome = new JobOutcome(JobOutcomeKind.Snooze, delay, null);
    }

    /// <summary>
    /// Finalizes the job as <see cref="JobState.Cancelled"/> with <paramref name="reason"/> recorded: it will not run
    /// again. Takes effect when the handler returns normally.
    /// </summary>
    /// <param name="reason">Why, recorded on the row.</param>
    public void Cancel(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        RequestedOutcome = new JobOutcome(JobOutcomeKind.Cancel, TimeSpan.Zero, reason);
    }

    /// <summary>
    /// Fails the job without retrying: it is <see cref="JobState.Discarded"/> now, whatever attempts remain, with
    /// <paramref name="reason"/> recorded. Takes effect when the handler returns normally.
    /// </summary>
    /// <param name="reason">Why, recorded on the row.</param>
    public void Discard(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        RequestedOutcome = new JobOutcome(JobOutcomeKind.Discard, TimeSpan.Zero, reason);
    }
}

internal enum JobOutcomeKind
{
    Snooze,
    Cancel,
    Discard,
}

internal sealed record JobOutcome(JobOutcomeKind Kind, TimeSpan Delay, string? Reason);
