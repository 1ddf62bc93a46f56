using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Queues.Bench;

internal sealed partial class Scenarios
{
    private const int SnapshotRate = 1_000;
    private static readonly TimeSpan SnapshotBaseline = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan SnapshotRecovery = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SnapshotSample = TimeSpan.FromSeconds(10);

    /// <summary>
    /// 5a. Bloat: steady processing at a fixed rate (1,000 jobs/s, concurrency 16) while another session holds a
    /// REPEATABLE READ snapshot open for <paramref name="hold"/>, so vacuum cannot remove what claims and completions
    /// leave dead. Reports, per 10 s window, throughput, the p99 from enqueue to handler start, the dead tuples of the
    /// jobs table and its size with indexes; then how it recovers once the snapshot ends.
    /// </summary>
    public async Task<BenchResult> HeldSnapshotAsync(TimeSpan hold)
    {
        var client = await FreshSchemaAsync("bench_snapshot");
        var jobs = new Jobs(client);
        var total = (int)((SnapshotBaseline + hold + SnapshotRecovery).TotalSeconds * SnapshotRate);
        var tally = new Tally();
        tally.Reset(total);
        using var host = BuildWorker("bench_snapshot", tally, static o => o.Queues["latency"] = 16);
        var claims = new System.Collections.Concurrent.ConcurrentQueue<(long At, double Ms)>();
        Queues.Internal.Telemetry.WakeTimeline.Recorder = (step, _, since) =>
        {
            if (step == Queues.Internal.Telemetry.WakeStep.ClaimReturned)
            {
                var now = Stopwatch.GetTimestamp();
                claims.Enqueue((now, Stopwatch.GetElapsedTime(since, now).TotalMilliseconds));
            }
        };
        await host.StartAsync();

        var start = Stopwatch.GetTimestamp();
        var samples = new List<string>();
        var baseline = 0.0;
        var endOfHold = 0.0;
        var p99Baseline = 0.0;
        var p99EndOfHold = 0.0;
        var producer = Task.Run(async () =>
        {
            const int perCall = SnapshotRate / 20;
            for (var sent = 0; sent < total; sent += perCall)
            {
                var due = start + (long)(sent / (double)SnapshotRate * Stopwatch.Frequency);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                var at = Stopwatch.GetTimestamp();
                await using var connection = await dataSource.OpenConnectionAsync();
                await using var transaction = await connection.BeginTransactionAsync();
                await jobs.EnqueueBenchProbeManyAsync(transaction, Enumerable.Range(sent, Math.Min(perCall, total - sent)).Select(i => new Probe(i, at)));
                await transaction.CommitAsync();
            }
        });

        await using var holder = await dataSource.OpenConnectionAsync();
        Npgsql.NpgsqlTransaction? snapshot = null;
        var holdStarts = SnapshotBaseline;
        var holdEnds = SnapshotBaseline + hold;
        for (var window = SnapshotSample; window <= SnapshotBaseline + hold + SnapshotRecovery; window += SnapshotSample)
        {
            var windowStart = start + (long)((window - SnapshotSample).TotalSeconds * Stopwatch.Frequency);
            if (snapshot is null && window - SnapshotSample >= holdStarts && window - SnapshotSample < holdEnds)
            {
                snapshot = await holder.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
                await using var read = new Npgsql.NpgsqlCommand("SELECT count(*) FROM bench_snapshot.jobs", holder, snapshot);
                await read.ExecuteScalarAsync(); // Takes the snapshot now.
            }
            else if (snapshot is not null && window - SnapshotSample >= holdEnds)
            {
                await snapshot.CommitAsync();
                await snapshot.DisposeAsync();
                snapshot = null;
            }

            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), start + (long)(window.TotalSeconds * Stopwatch.Frequency));
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            var windowEnd = start + (long)(window.TotalSeconds * Stopwatch.Frequency);
            var started = Enumerable.Range(0, total).Where(i => tally.StartedAt[i] >= windowStart && tally.StartedAt[i] < windowEnd).ToArray();
            var rate = started.Length / SnapshotSample.TotalSeconds;
            var p99 = started.Length == 0 ? 0 : started.Select(i => tally.LatenciesMs[i]).Order().ElementAt(Math.Max(0, (int)Math.Ceiling(0.99 * started.Length) - 1));
            var dead = await ScalarAsync<long>("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'bench_snapshot.jobs'::regclass");
            var table = await ScalarAsync<long>("SELECT pg_table_size('bench_snapshot.jobs')") / (1024.0 * 1024.0);
            var indexes = await ScalarAsync<long>("SELECT pg_indexes_size('bench_snapshot.jobs')") / (1024.0 * 1024.0);
            var claimMs = claims.Where(c => c.At >= windowStart && c.At < windowEnd).Select(static c => c.Ms).Order().ToArray();
            var (claimP50, claimP99) = claimMs.Length == 0 ? (0, 0) : (Percentile(claimMs, 0.5), Percentile(claimMs, 0.99));
            var phase = window <= holdStarts ? "before" : window <= holdEnds ? "held" : "after";
            var sample = string.Create(CultureInfo.InvariantCulture,
                $"{window.TotalSeconds:F0}s {phase}: {rate:N0}/s p99 {p99:F1} ms, claim p50 {claimP50:F2} p99 {claimP99:F2} ms ({claimMs.Length} claims), {dead:N0} dead, table {table:F0} MB + indexes {indexes:F0} MB");
            samples.Add(sample);
            Console.Error.WriteLine(sample);
            if (window == holdStarts)
            {
                (baseline, p99Baseline) = (rate, p99);
            }

            if (window == holdEnds)
            {
                (endOfHold, p99EndOfHold) = (rate, p99);
            }
        }

        await producer;
        await tally.Finished.WaitAsync(TimeSpan.FromMinutes(5));
        await host.StopAsync();
        Queues.Internal.Telemetry.WakeTimeline.Recorder = null;
        Check(tally.Runs.All(static r => r == 1), "snapshot: every job ran exactly once");
        var notes = new StringBuilder(FormattableString.Invariant(
            $"{SnapshotRate:N0} jobs/s offered, concurrency 16, a REPEATABLE READ snapshot held for {hold.TotalSeconds:F0} s; p99 enqueue→start {p99Baseline:F1} ms before, {p99EndOfHold:F1} ms at the end of the hold; per 10 s: "));
        notes.AppendJoin(" | ", samples);
        return new BenchResult("snapshot", "jobs/s", endOfHold, "the same workload before the snapshot, jobs/s", baseline, notes.ToString());
    }
}
