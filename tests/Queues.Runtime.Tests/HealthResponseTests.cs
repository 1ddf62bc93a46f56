using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Queues.Runtime.Tests;

/// <summary>QueuesHealthResponse: every check by name and status, and counts that add up.</summary>
public sealed class HealthResponseTests
{
    [Fact]
    public async Task Writes_every_check_with_its_status_and_counts_per_status()
    {
        var report = new HealthReport(
            new Dictionary<string, HealthReportEntry>
            {
                [QueuesHealthChecks.Database] = new(HealthStatus.Unhealthy, "PostgreSQL did not answer", TimeSpan.FromMilliseconds(3.14),
                    new InvalidOperationException("connection refused"), null, [QueuesHealthChecks.Tag]),
                [QueuesHealthChecks.Snapshots] = new(HealthStatus.Degraded, "a snapshot is 6 min old", TimeSpan.FromMilliseconds(1), null,
                    new Dictionary<string, object> { ["pid"] = 4242, ["ageSeconds"] = 360.5, ["user"] = "app", ["idle"] = true }, [QueuesHealthChecks.Tag, "ready"]),
                [QueuesHealthChecks.Schema] = new(HealthStatus.Healthy, null, TimeSpan.Zero, null, null),
            },
            TimeSpan.FromMilliseconds(12.34));
        using var stream = new MemoryStream();

        await QueuesHealthResponse.WriteAsync(stream, report, TestContext.Current.CancellationToken);

        using var json = JsonDocument.Parse(stream.ToArray());
        var root = json.RootElement;
        Assert.Equal("Unhealthy", root.GetProperty("status").GetString());
        Assert.Equal(12.3, root.GetProperty("totalDurationMs").GetDouble());
        Assert.Equal("""{"healthy":1,"degraded":1,"unhealthy":1}""", root.GetProperty("counts").GetRawText());
        var entries = root.GetProperty("entries");
        Assert.Equal([QueuesHealthChecks.Database, QueuesHealthChecks.Snapshots, QueuesHealthChecks.Schema], entries.EnumerateObject().Select(static p => p.Name));

        var database = entries.GetProperty(QueuesHealthChecks.Database);
        Assert.Equal("Unhealthy", database.GetProperty("status").GetString());
        Assert.Equal("PostgreSQL did not answer", database.GetProperty("description").GetString());
        Assert.Equal("connection refused", database.GetProperty("error").GetString());
        Assert.Equal(3.1, database.GetProperty("durationMs").GetDouble());
        Assert.False(database.TryGetProperty("data", out _));

        var snapshots = entries.GetProperty(QueuesHealthChecks.Snapshots);
        Assert.Equal("""{"pid":4242,"ageSeconds":360.5,"user":"app","idle":true}""", snapshots.GetProperty("data").GetRawText());
        Assert.Equal("""["queues","ready"]""", snapshots.GetProperty("tags").GetRawText());
        Assert.False(snapshots.TryGetProperty("error", out _));

        var schema = entries.GetProperty(QueuesHealthChecks.Schema);
        Assert.Equal("Healthy", schema.GetProperty("status").GetString());
        Assert.False(schema.TryGetProperty("description", out _));
    }
}
