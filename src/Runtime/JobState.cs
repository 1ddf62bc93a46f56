using System.Text.Json;
using System.Text.Json.Serialization;

namespace Queues;

/// <summary>
/// Where a job is in its lifecycle. Stored as lowercase text in the <c>state</c> column, and written the same way in
/// JSON (<c>"completed"</c>), through <see cref="JobStateJsonConverter"/>.
/// </summary>
[JsonConverter(typeof(JobStateJsonConverter))]
public enum JobState
{
    /// <summary>Waiting for its run-at time.</summary>
    Scheduled,

    /// <summary>Ready to be claimed.</summary>
    Available,

    /// <summary>Claimed by a worker and running.</summary>
    Running,

    /// <summary>Failed an attempt and waits for its next one.</summary>
    Retryable,

    /// <summary>Finished successfully.</summary>
    Completed,

    /// <summary>Cancelled before it finished.</summary>
    Cancelled,

    /// <summary>Given up on: attempts exhausted, unreadable payload or unknown job name. Kept with its errors.</summary>
    Discarded,
}

/// <summary>What a <see cref="JobState"/> means for the job's lifecycle.</summary>
public static class JobStateExtensions
{
    /// <summary>
    /// Whether <paramref name="state"/> is final — completed, cancelled or discarded: the job will not run again unless an
    /// operator retries it. Every other state is unfinished.
    /// </summary>
    /// <param name="state">The state.</param>
    /// <returns>True for a final state.</returns>
    public static bool IsFinished(this JobState state) => Internal.JobStates.IsFinished(state);
}

/// <summary>
/// Writes a <see cref="JobState"/> as its stored name (<c>"completed"</c>) and reads any casing of it. Named by
/// <see cref="JsonConverterAttribute"/> on the type, so it needs no reflection and is safe under native AOT.
/// </summary>
public sealed class JobStateJsonConverter : JsonConverter<JobState>
{
    /// <inheritdoc />
    public override JobState Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => reader.TokenType == JsonTokenType.String && Internal.JobStates.TryParse(reader.GetString()!, out var state)
            ? state
            : throw new JsonException("A job state is one of \"scheduled\", \"available\", \"running\", \"retryable\", \"completed\", \"cancelled\" or \"discarded\".");

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, JobState value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(Internal.JobStates.ToText(value));
    }
}
