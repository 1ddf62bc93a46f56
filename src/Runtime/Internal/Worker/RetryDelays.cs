using Microsoft.Extensions.Logging;

namespace Queues.Internal;

/// <summary>
/// The delay before a failed attempt's retry: the job's own <see cref="JobDefinition.RetryDelay"/>, else the worker's
/// <see cref="QueuesOptions.RetryDelay"/> (also for a job this worker has no handler for). A delegate that throws falls
/// back to <see cref="RetryPolicy.Exponential(int)"/>, so a bug in it cannot stop a failure from being recorded.
/// </summary>
internal sealed class RetryDelays(JobRegistry registry, Func<int, TimeSpan> fallback, ILogger logger)
{
    public TimeSpan For(string jobName, int attempt)
    {
        var job = registry.TryGet(jobName, out var registration) ? registration.Job : null;
        try
        {
            var delay = (job?.RetryDelay ?? fallback)(attempt);
            return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
        }
        catch (Exception exception)
        {
            LogMessages.RetryDelayFailed(logger, exception, jobName, job?.RetryDelay is null ? "QueuesOptions.RetryDelay" : $"the RetryDelay of job '{jobName}'");
            return RetryPolicy.Exponential(attempt);
        }
    }
}
