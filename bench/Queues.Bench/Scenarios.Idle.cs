using System.Diagnostics;
using System.Globalization;

namespace Queues.Bench;

internal sealed partial class Scenarios
{
    private static readonly TimeSpan IdleSettle = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan IdleSample = TimeSpan.FromSeconds(20);

    /// <summary>
    /// 7. What one idle worker costs the database and its host, by the number of queues it serves (1, 100, 10,000: a
    /// queue per tenant is a common design): transactions per second it drives on PostgreSQL (pg_stat_database's
    /// commits over the sample, the bench's own reads subtracted) and the CPU of this process (the worker is all it runs
    /// meanwhile), after it has settled. The raw figure is the server's idle rate with no worker.
    /// </summary>
    public async Task<List<BenchResult>> IdleAsync()
    {
        var results = new List<BenchResult>();
        var (rawTps, _) = await IdleSampleAsync();
        foreach (var queueCount in new[] { 1, 100, 10_000 })
        {
            var schema = "bench_idle";
            await FreshSchemaAsync(schema);
            using var host = BuildWorker(schema, new Tally(), o =>
            {
                for (var i = 0; i < queueCount; i++)
                {
                    o.Queues[string.Create(CultureInfo.InvariantCulture, $"tenant-{i}")] = 1;
                }
            });
            await host.StartAsync();
            await Task.Delay(IdleSettle);
            var (tps, cpu) = await IdleSampleAsync();
            await host.StopAsync();
            results.Add(new BenchResult(string.Create(CultureInfo.InvariantCulture, $"idle-{queueCount}"), "tx/s", tps, "server idle tx/s", rawTps,
                string.Create(CultureInfo.InvariantCulture, $"one idle worker serving {queueCount} queues: {tps:F1} transactions/s on PostgreSQL, {cpu:P1} of one core")));
        }

        return results;
    }

    /// <summary>Commits per second on this database over <see cref="IdleSample"/>, and this process's CPU share of one core.</summary>
    private async Task<(double Tps, double Cpu)> IdleSampleAsync()
    {
        const string commits = "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()";
        var process = Process.GetCurrentProcess();
        var (before, cpuBefore, started) = (await ScalarAsync<long>(commits), process.TotalProcessorTime, Stopwatch.GetTimestamp());
        await Task.Delay(IdleSample);
        var after = await ScalarAsync<long>(commits);
        process.Refresh();
        var elapsed = Stopwatch.GetElapsedTime(started);

        // pg_stat_database is updated by each backend at most every 500 ms (PGSTAT_MIN_INTERVAL) and read from a snapshot:
        // the two reads themselves are two commits.
        return ((after - before - 2) / elapsed.TotalSeconds, (process.TotalProcessorTime - cpuBefore) / elapsed);
    }
}
