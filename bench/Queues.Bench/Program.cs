// The Queues benchmark (not a test): dotnet run -c Release --project bench/Queues.Bench -- [all|single|single-ff|bulk|bulk-calls|processing|processing16|history|snapshot|latency|latency-tx|dashboard|startup|idle] [--hold-seconds N] [--rate R] [--prefetch N] [--fast] [--listen] [--statements] [--latency-concurrency N] [--no-anchor]
// --statements loads pg_stat_statements on the bench's server and prints, after each processing drain, the statements
// the worker sent with their calls, rows and server time per call: where the server's time per job goes.
// --listen attaches an ActivityListener that records every Queues span and a MeterListener on every Queues instrument,
// as an OpenTelemetry SDK would: the cost of instrumentation when someone listens (without it, nobody does).
// ("dashboard" and "history" fill 5 million rows, "idle" samples an idle worker for two minutes, "snapshot" holds a snapshot for 30 minutes, for Queues and then PgQ, and "startup" publishes a
// native AOT worker: they run only when named, not under "all".)
// Starts its own durable throwaway PostgreSQL (or uses QUEUES_BENCH_DB), measures each scenario and, in the same run on
// the same server, the raw PostgreSQL limit it is compared with. Prints one JSON line per scenario, then a table.
using System.Globalization;
using Npgsql;
using Queues.Bench;
using Queues.Testing;

var scenarios = args.Where(static a => !a.StartsWith("--", StringComparison.Ordinal) && !int.TryParse(a, CultureInfo.InvariantCulture, out _))
    .DefaultIfEmpty("all").ToArray();
var known = new[] { "all", "single", "single-ff", "bulk", "bulk-calls", "processing", "processing16", "history", "snapshot", "latency", "latency-tx", "dashboard", "startup", "idle" };
if (scenarios.Except(known).FirstOrDefault() is { } unknown)
{
    Console.Error.WriteLine($"Unknown scenario '{unknown}'. Use one or more of: {string.Join(", ", known)}.");
    return 2;
}

bool Wants(string name) => scenarios.Contains("all") || scenarios.Contains(name);

using var listeners = args.Contains("--listen") ? new Listeners() : null;

var connectionString = Environment.GetEnvironmentVariable("QUEUES_BENCH_DB");
TemporaryPostgres? server = null;
if (string.IsNullOrWhiteSpace(connectionString))
{
    // Durable unless --fast: fsync and synchronous commit on, as a production server runs.
    server = await TemporaryPostgres.StartAsync(new TemporaryPostgresOptions
    {
        Durable = !args.Contains("--fast"),
        Settings = args.Contains("--statements")
            ? new Dictionary<string, string> { ["shared_buffers"] = "512MB", ["max_wal_size"] = "4GB", ["shared_preload_libraries"] = "pg_stat_statements", ["pg_stat_statements.track"] = "all" }
            : new Dictionary<string, string> { ["shared_buffers"] = "512MB", ["max_wal_size"] = "4GB" },
    });
    connectionString = server.ConnectionString;
}

var results = new List<BenchResult>();
try
{
    await using var dataSource = new NpgsqlDataSourceBuilder(
        new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 100 }.ConnectionString).Build();
    var prefetchArg = Array.IndexOf(args, "--prefetch");
    var bench = new Scenarios(dataSource, connectionString)
    {
        WithoutAnchor = args.Contains("--no-anchor"),
        Prefetch = prefetchArg >= 0 && prefetchArg + 1 < args.Length ? int.Parse(args[prefetchArg + 1], CultureInfo.InvariantCulture) : null,
        Statements = args.Contains("--statements"),
        LatencyConcurrency = Array.IndexOf(args, "--latency-concurrency") is var lc and >= 0 && lc + 1 < args.Length
            ? int.Parse(args[lc + 1], CultureInfo.InvariantCulture)
            : null,
    };
    Console.Error.WriteLine($"PostgreSQL {await bench.ServerVersionAsync()}, {Environment.ProcessorCount} cores, durable={!args.Contains("--fast") || server is null}");

    if (Wants("single"))
    {
        results.Add(await bench.SingleEnqueueAsync());
    }

    if (Wants("single-ff"))
    {
        results.Add(await bench.FireAndForgetAsync());
    }

    if (Wants("bulk"))
    {
        results.Add(await bench.BulkEnqueueAsync());
    }

    if (Wants("bulk-calls"))
    {
        foreach (var size in new[] { 10, 100, 1_000, 100_000 })
        {
            results.Add(await bench.BulkPerCallAsync(size));
        }
    }

    if (Wants("processing"))
    {
        results.Add(await bench.ProcessingAsync());
    }

    if (Wants("processing16"))
    {
        results.Add(await bench.ProcessingAsync(16));
    }

    if (scenarios.Contains("history"))
    {
        results.Add(await bench.ProcessingWithHistoryAsync());
    }

    if (scenarios.Contains("idle"))
    {
        results.AddRange(await bench.IdleAsync());
    }

    if (scenarios.Contains("startup"))
    {
        results.AddRange(await bench.StartupAsync());
    }

    if (scenarios.Contains("snapshot"))
    {
        // --hold-seconds N: how long the old snapshot is held (default 1800, the 30 minutes of issue 28);
        // --rate R: jobs (and PgQ events) offered a second (default 2,000).
        var holdArg = Array.IndexOf(args, "--hold-seconds");
        var hold = holdArg >= 0 && holdArg + 1 < args.Length ? int.Parse(args[holdArg + 1], CultureInfo.InvariantCulture) : 1_800;
        var rateArg = Array.IndexOf(args, "--rate");
        var rate = rateArg >= 0 && rateArg + 1 < args.Length ? int.Parse(args[rateArg + 1], CultureInfo.InvariantCulture) : 2_000;
        results.AddRange(await bench.HeldSnapshotAsync(TimeSpan.FromSeconds(hold), rate));
    }

    if (Wants("latency"))
    {
        results.Add(await bench.LatencyAsync(fireAndForget: true));
    }

    if (Wants("latency-tx"))
    {
        results.Add(await bench.LatencyAsync(fireAndForget: false));
    }

    if (scenarios.Contains("dashboard"))
    {
        results.AddRange(await new DashboardBench(dataSource, connectionString).RunAsync());
    }
}
finally
{
    if (server is not null)
    {
        await server.DisposeAsync();
    }
}

foreach (var result in results)
{
    Console.WriteLine(result.ToJson());
}

Console.WriteLine();
Console.WriteLine($"{"scenario",-12} {"Queues",14} {"raw PostgreSQL",16} {"ratio",7}  measure");
foreach (var result in results)
{
    Console.WriteLine(result.ToRow());
}

return results.All(static r => r.Verified) ? 0 : 1;

internal sealed record BenchResult(string Scenario, string Unit, double Value, string? RawMeasure, double? Raw, string Notes, bool Verified = true)
{
    public double? Ratio => Raw is > 0 ? Value / Raw : null;

    public string ToJson()
    {
        var c = CultureInfo.InvariantCulture;
        var raw = Raw is { } r ? string.Create(c, $"{r:F1}") : "null";
        var ratio = Ratio is { } q ? string.Create(c, $"{q:F3}") : "null";
        return string.Create(c, $$"""{"scenario":"{{Scenario}}","value":{{Value:F1}},"unit":"{{Unit}}","raw":{{raw}},"raw_measure":"{{RawMeasure}}","ratio":{{ratio}},"verified":{{(Verified ? "true" : "false")}},"notes":"{{Notes}}"}""");
    }

    public string ToRow()
    {
        var c = CultureInfo.InvariantCulture;
        var raw = Raw is { } r ? string.Create(c, $"{r,16:N0}") : new string(' ', 16);
        var ratio = Ratio is { } q ? string.Create(c, $"{q,6:P0}") : "      ";
        return string.Create(c, $"{Scenario,-12} {Value,14:N1} {raw} {ratio}  {Unit}; {Notes}{(Verified ? "" : " [NOT VERIFIED]")}");
    }
}

/// <summary>An ActivityListener recording all Queues spans and a MeterListener aggregating all Queues measurements.</summary>
internal sealed class Listeners : IDisposable
{
    private readonly System.Diagnostics.ActivityListener _activities;
    private readonly System.Diagnostics.Metrics.MeterListener _meters;
    private long _spans;
    private double _sum;

    public Listeners()
    {
        _activities = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = static source => source.Name == Queues.QueuesInstrumentation.ActivitySourceName,
            Sample = static (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _ => Interlocked.Increment(ref _spans),
        };
        System.Diagnostics.ActivitySource.AddActivityListener(_activities);
        _meters = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = static (instrument, listener) =>
            {
                if (instrument.Meter.Name == Queues.QueuesInstrumentation.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meters.SetMeasurementEventCallback<long>((_, value, _, _) => Add(value));
        _meters.SetMeasurementEventCallback<double>((_, value, _, _) => Add(value));
        _meters.Start();
        Console.Error.WriteLine("Listening to the Queues ActivitySource and Meter (--listen).");
    }

    private void Add(double value)
    {
        lock (_activities)
        {
            _sum += value;
        }
    }

    public void Dispose()
    {
        Console.Error.WriteLine($"--listen: {_spans} spans recorded.");
        _activities.Dispose();
        _meters.Dispose();
    }
}
