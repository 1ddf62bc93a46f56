namespace Queues;

/// <summary>
/// A job's stored payload cannot be turned into its payload type. The worker discards such a job at once (retrying cannot
/// help) and records this message on the row.
/// </summary>
public sealed class JobPayloadException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="jobName">The job whose payload is bad.</param>
    /// <param name="message">What is wrong, naming the member where known.</param>
    /// <param name="innerException">The reader's own exception, if any.</param>
    public JobPayloadException(string jobName, string message, Exception? innerException = null)
        : base($"The payload of job '{jobName}' cannot be read: {message}", innerException)
        => JobName = jobName;

    /// <summary>The job whose payload is bad.</summary>
    public string JobName { get; }
}
