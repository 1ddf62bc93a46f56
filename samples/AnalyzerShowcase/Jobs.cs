using Queues;

namespace AnalyzerShowcase;

/// <summary>The payload of the <c>reindexProduct</c> job.</summary>
public sealed record ReindexProduct(string Sku);

/// <summary>The one job the showcase enqueues.</summary>
public static class SearchJobs
{
    [Job("reindexProduct")]
    public static Task ReindexAsync(ReindexProduct payload, CancellationToken cancellationToken) => Task.CompletedTask;
}
