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
}
