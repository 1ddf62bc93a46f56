using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Queues;

/// <summary>
/// Writes a <see cref="HealthReport"/> as JSON — the overall status, how many checks are in each status, and every
/// check by name with its status, description, duration, tags, data and error message — so a failing health endpoint
/// says which check failed and why. Written with <see cref="Utf8JsonWriter"/>: no reflection, safe under native AOT.
/// In ASP.NET Core:
/// <code>
/// app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = (context, report) =>
/// {
///     context.Response.ContentType = QueuesHealthResponse.ContentType;
///     return QueuesHealthResponse.WriteAsync(context.Response.Body, report, context.RequestAborted);
/// } });
/// </code>
/// </summary>
public static class QueuesHealthResponse
{
    /// <summary>The content type of the response: <c>application/json; charset=utf-8</c>.</summary>
    public const string ContentType = "application/json; charset=utf-8";

    /// <summary>
    /// Writes <paramref name="report"/> to <paramref name="stream"/>:
    /// <c>{"status":"Unhealthy","totalDurationMs":12.5,"counts":{"healthy":6,"degraded":0,"unhealthy":1},
    /// "entries":{"queues.database":{"status":"Unhealthy","description":"…","durationMs":3.1,"tags":["queues"],"error":"…"},…}}</c>.
    /// Entries keep the report's order; an entry's <c>error</c> is its exception's message (no stack trace) and appears
    /// only when there is one; <c>data</c> only when the check returned some (numbers and booleans as such, anything
    /// else as invariant text).
    /// </summary>
    /// <param name="stream">The response body.</param>
    /// <param name="report">The health report.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the JSON is written and flushed.</returns>
    public static async Task WriteAsync(Stream stream, HealthReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(report);
        var writer = new Utf8JsonWriter(stream);
        await using (writer.ConfigureAwait(false))
        {
            Write(writer, report);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static void Write(Utf8JsonWriter writer, HealthReport report)
    {
        writer.WriteStartObject();
        writer.WriteString("status", report.Status.ToString());
        writer.WriteNumber("totalDurationMs", Math.Round(report.TotalDuration.TotalMilliseconds, 1));
        writer.WriteStartObject("counts");
        foreach (var status in (ReadOnlySpan<HealthStatus>)[HealthStatus.Healthy, HealthStatus.Degraded, HealthStatus.Unhealthy])
        {
            var count = 0;
            foreach (var entry in report.Entries.Values)
            {
                count += entry.Status == status ? 1 : 0;
            }

            writer.WriteNumber(status switch { HealthStatus.Healthy => "healthy", HealthStatus.Degraded => "degraded", _ => "unhealthy" }, count);
        }

        writer.WriteEndObject();
        writer.WriteStartObject("entries");
        foreach (var (name, entry) in report.Entries)
        {
            writer.WriteStartObject(name);
            writer.WriteString("status", entry.Status.ToString());
            if (entry.Description is not null)
            {
                writer.WriteString("description", entry.Description);
            }

            writer.WriteNumber("durationMs", Math.Round(entry.Duration.TotalMilliseconds, 1));
            writer.WriteStartArray("tags");
            foreach (var tag in entry.Tags)
            {
                writer.WriteStringValue(tag);
            }

            writer.WriteEndArray();
            if (entry.Exception is not null)
            {
                writer.WriteString("error", entry.Exception.Message);
            }

            if (entry.Data.Count > 0)
            {
                writer.WriteStartObject("data");
                foreach (var (key, value) in entry.Data)
                {
                    WriteValue(writer, key, value);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, string key, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNull(key);
                break;
            case bool flag:
                writer.WriteBoolean(key, flag);
                break;
            case int or long or short or byte or uint or ushort or sbyte:
                writer.WriteNumber(key, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case double or float or decimal:
                writer.WriteNumber(key, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            case TimeSpan span:
                writer.WriteString(key, span.ToString("c", CultureInfo.InvariantCulture));
                break;
            case DateTimeOffset or DateTime:
                writer.WriteString(key, ((IFormattable)value).ToString("O", CultureInfo.InvariantCulture));
                break;
            default:
                writer.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}
