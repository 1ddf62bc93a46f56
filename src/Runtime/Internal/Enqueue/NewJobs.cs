namespace Queues.Internal;

/// <summary>
/// Turns a job's definition, payload and per-call options into the row to insert: options override the definition's
/// queue, priority and attempts (validated here, before anything is sent, so a bad value never aborts the caller's
/// transaction), and a unique job gets its key and the states that hold it.
/// </summary>
internal static class NewJobs
{
    /// <summary>The row of one enqueue.</summary>
    public static NewJob Create(JobDefinition job, ReadOnlySpan<byte> payload, EnqueueOptions? options)
    {
        var row = CreateBatch(job, options);
        StorablePayload.Check(job, payload);
        var key = UniqueKeys.Compute(job, payload, options);
        return key is null ? row : row with { UniqueKey = key };
    }

    /// <summary>
    /// The row shared by every job of a bulk enqueue: no key yet (it is per payload, see <see cref="UniqueKeys"/>), but the
    /// states that hold one when the job is unique.
    /// </summary>
    public static NewJob CreateBatch(JobDefinition job, EnqueueOptions? options)
    {
        var queue = job.Queue;
        var priority = job.Priority;
        var maxAttempts = job.MaxAttempts;
        if (options is not null)
        {
            if (options.Queue is not null)
            {
                Validate.QueueName(options.Queue, "EnqueueOptions.Queue");
                queue = options.Queue;
            }

            maxAttempts = options.MaxAttempts ?? maxAttempts;
            Validate.MaxAttempts(maxAttempts, "EnqueueOptions.MaxAttempts");
            priority = options.Priority ?? priority;
            Validate.RunAt(options.RunAt, options.Delay);
        }

        var states = UniqueKeys.Applies(job, options) ? UniqueKeys.States(job, options) : null;
        return new NewJob(job.Name, queue, priority, (short)maxAttempts, options?.RunAt, options?.Delay, null, states);
    }
}
