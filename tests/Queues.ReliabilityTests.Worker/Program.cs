// A Queues worker process for the reliability suite:
//   QUEUES_CONNECTION_STRING=... dotnet Queues.ReliabilityTests.Worker.dll <schema> <worker-name>
// Runs the rel.* handlers of ReliabilityJobs.cs until SIGTERM (a graceful stop: exit code 0 once every job it held has
// finished or been put back) or SIGKILL. Settings come from the environment so the tests can shorten the intervals:
//   QUEUES_HEARTBEAT_MS (200), QUEUES_RESCUE_MS (1500), QUEUES_SHUTDOWN_MS (5000), QUEUES_POLL_MS (100),
//   QUEUES_CONCURRENCY (20), QUEUES_PREFETCH (the runtime's default), QUEUES_NOTIFICATIONS (true),
//   QUEUES_PARENT_PID (exit when that process is gone), QUEUES_TENANT_QUEUES (0: also serve queues tenant-0 … tenant-{n-1},
//   one slot each, as an application with a queue per tenant does).
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Queues;
using Queues.ReliabilityTests;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: Queues.ReliabilityTests.Worker <schema> <worker-name>   (connection string in QUEUES_CONNECTION_STRING)");
    return 2;
}

var (schema, name) = (args[0], args[1]);
var connectionString = Environment.GetEnvironmentVariable("QUEUES_CONNECTION_STRING");
if (string.IsNullOrWhiteSpace(connectionString))
{
    Console.Error.WriteLine("QUEUES_CONNECTION_STRING is not set.");
    return 2;
}

var shutdownTimeout = Milliseconds("QUEUES_SHUTDOWN_MS", 5_000);
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, Args = [] });
builder.Logging.AddSimpleConsole(static o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss.fff ";
    o.UseUtcTimestamp = true;
});
builder.Logging.SetMinimumLevel(LogLevel.Information);
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout + TimeSpan.FromSeconds(15));

// The application's own data source, which Queues uses too; the application name lets the tests find its backends.
var dataSource = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = "rel-worker " + name };
builder.Services.AddSingleton(NpgsqlDataSource.Create(dataSource.ConnectionString));
builder.Services.AddSingleton(new WorkerIdentity(schema, name));
builder.Services.AddSingleton<RunLog>();
builder.Services
    .AddQueues(o =>
    {
        o.Schema = schema;
        o.WorkerName = name;
        o.HeartbeatInterval = Milliseconds("QUEUES_HEARTBEAT_MS", 200);
        o.RescueAfter = Milliseconds("QUEUES_RESCUE_MS", 1_500);
        o.ShutdownTimeout = shutdownTimeout;
        o.PollInterval = Milliseconds("QUEUES_POLL_MS", 100);
        o.UseNotifications = !string.Equals(Environment.GetEnvironmentVariable("QUEUES_NOTIFICATIONS"), "false", StringComparison.OrdinalIgnoreCase);
        o.Queues[JobDefinition.DefaultQueue] = int.Parse(Environment.GetEnvironmentVariable("QUEUES_CONCURRENCY") ?? "20", CultureInfo.InvariantCulture);
        var tenants = int.Parse(Environment.GetEnvironmentVariable("QUEUES_TENANT_QUEUES") ?? "0", CultureInfo.InvariantCulture);
        for (var i = 0; i < tenants; i++)
        {
            o.Queues[string.Create(CultureInfo.InvariantCulture, $"tenant-{i}")] = 1;
        }

        o.Prefetch = int.Parse(Environment.GetEnvironmentVariable("QUEUES_PREFETCH") ?? QueuesOptions.DefaultPrefetch.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    })
    .AddJobs();

using var host = builder.Build();
await host.StartAsync();
Console.WriteLine($"worker {name} ready, pid {Environment.ProcessId}");
WatchParent(host.Services.GetRequiredService<IHostApplicationLifetime>());
await host.WaitForShutdownAsync();
Console.WriteLine($"worker {name} stopped cleanly");
return 0;

static TimeSpan Milliseconds(string variable, int fallback)
    => TimeSpan.FromMilliseconds(int.Parse(Environment.GetEnvironmentVariable(variable) ?? fallback.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));

// A worker whose test process died (a crashed or cancelled run) would otherwise retry its connection forever.
static void WatchParent(IHostApplicationLifetime lifetime)
{
    if (!int.TryParse(Environment.GetEnvironmentVariable("QUEUES_PARENT_PID"), NumberStyles.None, CultureInfo.InvariantCulture, out var parent)
        || !Directory.Exists("/proc/self"))
    {
        return;
    }

    _ = Task.Run(async () =>
    {
        while (Directory.Exists($"/proc/{parent}"))
        {
            await Task.Delay(1_000);
        }

        Console.Error.WriteLine($"parent process {parent} is gone: stopping");
        lifetime.StopApplication();
    });
}
