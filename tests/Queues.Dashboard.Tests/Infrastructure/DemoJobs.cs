namespace Queues.Dashboard.Tests.Infrastructure;

/// <summary>Jobs registered without the generator: plain definitions and handlers.</summary>
public sealed class DemoJobs
{
    public static readonly JobDefinition Ok = new("demo.ok", "default");

    /// <summary>Fails (one attempt, then discarded) until <see cref="Healthy"/> is set: the job an operator retries.</summary>
    public static readonly JobDefinition Flaky = new("demo.flaky", "payments", maxAttempts: 1);

    /// <summary>Runs until the test ends: a job seen in the running state.</summary>
    public static readonly JobDefinition Blocking = new("demo.blocking", "slow");

    /// <summary>Fails and waits an hour for its next attempt: a job seen in the retryable state.</summary>
    public static readonly JobDefinition Retrying = new("demo.retrying", "default", maxAttempts: 5) { RetryDelay = static _ => TimeSpan.FromHours(1) };

    public static readonly JobDefinition Nightly = new("demo.nightly", "default") { Cron = "0 3 * * *" };

    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public volatile bool Healthy;

    public void Release() => _release.TrySetResult();

    public void Register(QueuesBuilder builder)
    {
        builder.AddJob(Ok, static (_, _, _, _) => ValueTask.CompletedTask);
        builder.AddJob(Flaky, (_, _, _, _) => Healthy
            ? ValueTask.CompletedTask
            : throw new InvalidOperationException("The payment provider answered 503 Service Unavailable."));
        builder.AddJob(Blocking, async (_, _, _, ct) => await _release.Task.WaitAsync(ct));
        builder.AddJob(Retrying, static (_, _, _, _) => throw new TimeoutException("The mail server did not answer within 30 s."));
        builder.AddJob(Nightly, static (_, _, _, _) => ValueTask.CompletedTask);
    }
}
