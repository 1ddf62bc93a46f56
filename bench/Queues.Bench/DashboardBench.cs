using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Queues.Dashboard;

namespace Queues.Bench;

/// <summary>
/// The dashboard on a big table: 5,000,000 finished jobs (completed, cancelled, discarded, finished over the last day)
/// and 100,000 waiting ones, served by Kestrel on loopback. Reports each page's server time (median and p95 of 30
/// requests after 5 warm-ups); the target is every page under 100 ms. Then adds the indexes proposed for migration 0007
/// and measures again, so the report shows what they buy.
/// </summary>
internal sealed class DashboardBench(NpgsqlDataSource dataSource, string connectionString)
{
    private const string Schema = "bench_dashboard";
    private const int Finished = 5_000_000;
    private const int Waiting = 100_000;
    private static readonly TimeSpan Target = TimeSpan.FromMilliseconds(100);

    public async Task<List<BenchResult>> RunAsync()
    {
        await FillAsync();
        var results = new List<BenchResult>();
        results.AddRange(await MeasurePagesAsync("dash"));
        Console.Error.WriteLine("dashboard: adding the indexes proposed for 0007 and measuring again");
        await ExecuteAsync($"""
            CREATE INDEX jobs_finalized_idx ON "{Schema}".jobs (finalized_at, state) WHERE finalized_at IS NOT NULL;
            CREATE INDEX jobs_available_queue_idx ON "{Schema}".jobs (queue, run_at) WHERE state = 'available';
            """);
        await ExecuteAsync($"VACUUM ANALYZE \"{Schema}\".jobs");
        results.AddRange(await MeasurePagesAsync("dash+idx"));
        return results;
    }

    private async Task FillAsync()
    {
        var watch = Stopwatch.StartNew();
        await ExecuteAsync($"DROP SCHEMA IF EXISTS \"{Schema}\" CASCADE");
        await new QueuesClient(dataSource, Schema).MigrateAsync();

        // Finished over the last 24 hours: 93 % completed, 2 % cancelled, 5 % discarded with an error, in four queues.
        await ExecuteAsync($"""
            INSERT INTO "{Schema}".jobs (name, queue, state, attempt, max_attempts, payload, run_at, created_at, attempted_at, finalized_at, errors)
            SELECT 'bench.job' || (g % 20), (ARRAY['default', 'email', 'payments', 'reports'])[1 + g % 4],
                   CASE WHEN g % 100 < 93 THEN 'completed' WHEN g % 100 < 95 THEN 'cancelled' ELSE 'discarded' END,
                   1, 3, jsonb_build_object('n', g), t, t, t, t + interval '20 ms',
                   CASE WHEN g % 100 >= 95 THEN jsonb_build_array(jsonb_build_object('attempt', 1, 'at', t, 'kind', 'exception', 'message', 'boom')) ELSE '[]' END
            FROM generate_series(1, {Finished}) AS g
            CROSS JOIN LATERAL (SELECT now() - interval '24 hours' + (g * interval '24 hours' / {Finished})) AS x(t)
            """);
        await ExecuteAsync($"""
            INSERT INTO "{Schema}".jobs (name, queue, payload, run_at, created_at)
            SELECT 'bench.job' || (g % 20), (ARRAY['default', 'email', 'payments', 'reports'])[1 + g % 4], jsonb_build_object('n', g),
                   now() - interval '1 hour' + g * interval '1 hour' / {Waiting}, now() - interval '1 hour'
            FROM generate_series(1, {Waiting}) AS g
            """);
        await ExecuteAsync($"""
            WITH r AS (SELECT id FROM "{Schema}".jobs WHERE state = 'available' ORDER BY id LIMIT 200)
            UPDATE "{Schema}".jobs AS j SET state = 'running', attempt = 1, attempted_at = now(), heartbeat_at = now(), attempted_by = 'bench-node-' || (j.id % 4)
            FROM r WHERE j.id = r.id
            """);
        await ExecuteAsync($"INSERT INTO \"{Schema}\".leader VALUES ('maintenance', 'bench-node-0', now() + interval '1 hour')");
        await ExecuteAsync($"VACUUM ANALYZE \"{Schema}\".jobs");
        Console.Error.WriteLine($"dashboard: filled {Finished:N0} finished and {Waiting:N0} waiting jobs in {watch.Elapsed.TotalSeconds:F0} s");
    }

    private async Task<List<BenchResult>> MeasurePagesAsync(string prefix)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddAntiforgery();
        builder.Services.AddQueues(o =>
        {
            o.ConnectionString = connectionString;
            o.Schema = Schema;
            o.ProcessJobs = false;
        });
        await using var app = builder.Build();
        app.MapQueuesDashboard("/queues");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };

        long someJob;
        await using (var command = dataSource.CreateCommand($"SELECT max(id) FROM \"{Schema}\".jobs WHERE state = 'discarded'"))
        {
            someJob = (long)(await command.ExecuteScalarAsync())!;
        }

        var from = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-2).ToString("O", CultureInfo.InvariantCulture));
        var pages = new (string Name, string Path)[]
        {
            ("page", "/queues/"),
            ("overview", "/queues/api/overview"),
            ("queues", "/queues/api/queues"),
            ("jobs", "/queues/api/jobs?limit=50"),
            ("jobs:discarded", "/queues/api/jobs?state=discarded&limit=50"),
            ("jobs:queue+state", "/queues/api/jobs?queue=payments&state=completed&limit=50"),
            ("jobs:name", "/queues/api/jobs?name=bench.job7&limit=50"),
            ("jobs:since-2h", $"/queues/api/jobs?from={from}&limit=50"),
            ("jobs:page-100", "/queues/api/jobs?limit=50&before=" + (someJob - 5_000).ToString(CultureInfo.InvariantCulture)),
            ("job", "/queues/api/jobs/" + someJob.ToString(CultureInfo.InvariantCulture)),
            ("cron", "/queues/api/cron"),
        };
        var results = new List<BenchResult>();
        foreach (var (name, path) in pages)
        {
            var times = new List<double>();
            var first = 0.0;
            for (var i = 0; i < 35; i++)
            {
                var watch = Stopwatch.StartNew();
                using var response = await http.GetAsync(path);
                await response.Content.ReadAsByteArrayAsync();
                watch.Stop();
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}");
                }

                if (i == 0)
                {
                    first = watch.Elapsed.TotalMilliseconds;
                }

                if (i >= 5)
                {
                    times.Add(watch.Elapsed.TotalMilliseconds);
                }
            }

            times.Sort();
            var p50 = times[times.Count / 2];
            var p95 = times[(int)(times.Count * 0.95)];
            results.Add(new BenchResult($"{prefix}:{name}", "ms p50", p50, null, null,
                string.Create(CultureInfo.InvariantCulture, $"p95 {p95:F1} ms, first request {first:F0} ms, target < {Target.TotalMilliseconds} ms"), p50 < Target.TotalMilliseconds));
        }

        await app.StopAsync();
        return results;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync();
    }
}
