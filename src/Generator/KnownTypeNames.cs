namespace Queues.Generator;

/// <summary>Runtime types the generator knows by metadata name only; it never references the runtime assembly.</summary>
internal static class KnownTypeNames
{
    public const string JobAttribute = "Queues.JobAttribute";
    public const string JobContext = "Queues.JobContext";
    public const string JsonPropertyNameAttribute = "System.Text.Json.Serialization.JsonPropertyNameAttribute";
    public const string JsonIgnoreAttribute = "System.Text.Json.Serialization.JsonIgnoreAttribute";
    public const string CancellationToken = "System.Threading.CancellationToken";
    public const string Task = "System.Threading.Tasks.Task";
    public const string ValueTask = "System.Threading.Tasks.ValueTask";
    public const string Uri = "System.Uri";
    public const string Guid = "System.Guid";
    public const string DateTimeOffset = "System.DateTimeOffset";
    public const string DateOnly = "System.DateOnly";
    public const string TimeOnly = "System.TimeOnly";
    public const string TimeSpan = "System.TimeSpan";
    public const string IAsyncDisposable = "System.IAsyncDisposable";
}
