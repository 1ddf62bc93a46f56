using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Queues.Testing;
using Queues.Tests.Shared;

namespace Queues.WebApi.Tests;

/// <summary>
/// Drives samples/WebApi over HTTP on a PostgreSQL of this test's own, reached through a proxy it can cut. Traces are
/// read from an in-memory exporter added to the sample's own OpenTelemetry pipeline; metrics through a MeterListener.
/// </summary>
public sealed class WebApiTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly LockedCollection _exported = [];
    private readonly ConcurrentDictionary<string, long> _counters = new();
    private TemporaryPostgres _server = null!;
    private TcpProxy _proxy = null!;
    private WebApplicationFactory<Program> _factory = null!;
    private MeterListener _meters = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await TemporaryPostgres.StartAsync(cancellationToken: Ct);
        _proxy = new TcpProxy(_server.Port);
        var connectionString = new Npgsql.NpgsqlConnectionStringBuilder(_server.ConnectionString) { Port = _proxy.Port, Timeout = 3 }.ConnectionString;

        _meters = new MeterListener
        {
            InstrumentPublished = static (instrument, listener) =>
            {
                if (instrument.Meter.Name == QueuesInstrumentation.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, _, _) => _counters.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value));
        _meters.Start();

        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("ConnectionStrings:Queues", connectionString);
            builder.UseSetting("Telemetry:Exporter", "none");
            builder.ConfigureServices(services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(_exported)));
        });
    }

    [Fact]
    public async Task CreatingAUser_ProducesOneTraceWithTheRequestTheEnqueueAndTheJobsRun_AndMovesTheMetrics()
    {
        using var client = _factory.CreateClient();

        var response = await client.PostAsJsonAsync("/users", new CreateUser("ada@example.com"), Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync<CreatedUser>(Ct))!;

        var process = await WaitForAsync(() => Exported().FirstOrDefault(a =>
            a.Kind == ActivityKind.Consumer && a.GetTagItem("messaging.message.id") as string == created.JobId.ToString()));
        var request = Assert.Single(Exported(), static a => a.Kind == ActivityKind.Server && a.DisplayName == "POST /users");
        var enqueue = Assert.Single(Exported(), static a => a.Kind == ActivityKind.Producer);
        Assert.Equal(request.TraceId, enqueue.TraceId);
        Assert.Equal(request.SpanId, enqueue.ParentSpanId);
        Assert.Equal(request.TraceId, process.TraceId);
        Assert.Equal(enqueue.SpanId, process.ParentSpanId);
        Assert.Equal("completed", process.GetTagItem("queues.job.outcome"));

        var user = await client.GetFromJsonAsync<UserView>($"/users/{created.Id}", Ct);
        Assert.NotNull(user!.OnboardedAt);
        await WaitForAsync(() => Counter("queues.job.completed") >= 1 ? true : (bool?)null);
        Assert.True(Counter("queues.job.enqueued") >= 1);
        Assert.True(Counter("queues.job.started") >= 1);
    }

    [Fact]
    public async Task Health_IsUnhealthyWhilePostgresIsUnreachable_AndHealthyWhenItIsBack()
    {
        using var client = _factory.CreateClient();
        await WaitForStatusAsync(client, HttpStatusCode.OK, "Healthy");

        _proxy.Down();
        var down = await WaitForStatusAsync(client, HttpStatusCode.ServiceUnavailable, "Unhealthy");
        Assert.Contains("\"queues.database\":{\"status\":\"Unhealthy\"", down, StringComparison.Ordinal);

        _proxy.Up();
        await WaitForStatusAsync(client, HttpStatusCode.OK, "Healthy");
    }

    private static async Task<string> WaitForStatusAsync(HttpClient client, HttpStatusCode code, string status)
    {
        var last = "";
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            var response = await client.GetAsync("/health", Ct);
            last = await response.Content.ReadAsStringAsync(Ct);
            if (response.StatusCode == code && last.StartsWith($"{{\"status\":\"{status}\"", StringComparison.Ordinal))
            {
                return last;
            }

            await Task.Delay(100, Ct);
        }

        Assert.Fail($"/health did not report {status} within {Timeout}; last: {last}");
        return last;
    }

    private List<Activity> Exported()
    {
        lock (_exported)
        {
            return [.. (IEnumerable<Activity>)_exported];
        }
    }

    private long Counter(string name) => _counters.TryGetValue(name, out var value) ? value : 0;

    private static async Task<T> WaitForAsync<T>(Func<T?> probe)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            if (probe() is { } value)
            {
                return value;
            }

            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(50, Ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        _meters.Dispose();
        await _proxy.DisposeAsync();
        await _server.DisposeAsync();
    }

    /// <summary>The exporter adds from whichever thread stops an activity.</summary>
    private sealed class LockedCollection : System.Collections.ObjectModel.Collection<Activity>
    {
        protected override void InsertItem(int index, Activity item)
        {
            lock (this)
            {
                base.InsertItem(index, item);
            }
        }
    }

    private sealed record UserView(Guid Id, string Email, DateTimeOffset? OnboardedAt);
}
