using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Queues.Bench.Worker;

/// <summary>The worker mode: a Queues worker as an application hosts it. Not compiled into the raw-only build.</summary>
internal static class WorkerMode
{
    public static async Task RunAsync(string connectionString, string schema, int concurrency, int jobs)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(new Progress(jobs));
        builder.Services
            .AddQueues(o =>
            {
                o.ConnectionString = connectionString;
                o.Schema = schema;
                o.Queues["bench"] = concurrency;
            })
            .AddJobs();
        using var host = builder.Build();
        Milestones.Write("built");
        await host.StartAsync();
        Milestones.Write("started");
        await Milestones.WaitForStandardInputToCloseAsync();
        await host.StopAsync();
    }
}

/// <summary>Counts handler runs: "first" at the first, "done" at the expected count.</summary>
public sealed class Progress(int expected)
{
    private int _count;

    public void Ran()
    {
        var count = Interlocked.Increment(ref _count);
        if (count == 1)
        {
            Milestones.Write("first");
        }

        if (count == expected)
        {
            Milestones.Write("done");
        }
    }
}

/// <summary>The payload of the bench's no-op job (bench/Queues.Bench/BenchJobs.cs), which the orchestrator enqueues.</summary>
public sealed record Noop(int Sequence);

public sealed class NoopHandlers(Progress progress)
{
    [Job("bench.noop", Queue = "bench")]
    public void Noop(Noop payload) => progress.Ran();
}
