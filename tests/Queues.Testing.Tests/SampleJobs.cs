using System.Text.Json.Serialization;

namespace Queues.Testing.Tests;

public sealed record Greeting(string Name, int Times);

public sealed record Chain(int Remaining);

/// <summary>What the handlers did, registered in DI: the handlers below get it through their constructor.</summary>
public sealed class Greeter
{
    public List<string> Greeted { get; } = [];
}

public sealed class SampleJobs(Greeter greeter)
{
    [Job("greet", Queue = "mail")]
    public Task GreetAsync(Greeting payload, CancellationToken cancellationToken)
    {
        lock (greeter.Greeted)
        {
            greeter.Greeted.Add(payload.Name);
        }

        return Task.CompletedTask;
    }

    [Job("fail", MaxAttempts = 2)]
    public static Task FailAsync(Greeting payload) => throw new InvalidOperationException($"cannot greet {payload.Name}");

    [Job("later")]
    public static void Later(JobContext context) => context.Snooze(TimeSpan.FromHours(1));

}

public sealed class ChainJobs(Jobs jobs)
{
    /// <summary>Enqueues the next link in the job's own transaction, so the next one exists only if this one completes.</summary>
    [Job("chain")]
    public async Task ChainAsync(Chain payload, JobContext context, CancellationToken cancellationToken)
    {
        if (payload.Remaining > 0)
        {
            var tx = await context.GetTransactionAsync(cancellationToken);
            await jobs.EnqueueChainAsync(tx, new Chain(payload.Remaining - 1), cancellationToken: cancellationToken);
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Greeting))]
public sealed partial class TestJson : JsonSerializerContext;
