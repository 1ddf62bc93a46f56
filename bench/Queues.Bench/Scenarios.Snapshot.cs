using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Queues.Internal.Telemetry;

namespace Queues.Bench;

internal sealed partial class Scenarios
{
    /// <summary>Jobs (or events) per producer transaction; one transaction every 5 ms at the default 2,000 a second.</summary>
    private const int SnapshotPerTransaction = 10;

    /// <summary>Producer transactions in flight at most: a slow commit (a WAL flush) must not hold back the next one.</summary>
    private const int SnapshotProducers = 16;

    private const int SnapshotConcurrency = 16;
    private const string SnapshotSchema = "bench_snapshot";
    private static readonly TimeSpan SnapshotWarmup = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan SnapshotBaseline = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan SnapshotRecovery = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan SnapshotMinute = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan SnapshotDrain = TimeSpan.FromMinutes(2);

    /// <summary>The data source, for the nested subjects (a primary-constructor parameter is not a member).</summary>
    private NpgsqlDataSource DataSource => dataSource;

    /// <summary>
    /// 5a. Held snapshot (issue 28): <paramref name="rate"/> jobs/s offered, ten per transaction, to a worker at
    /// concurrency 16, through a warm-up (not reported), a baseline minute, a REPEATABLE READ snapshot held by another
    /// session for <paramref name="hold"/>, and three minutes of recovery; then the same load, the same hold and the
    /// same minutes against PgQ on the same server (<see cref="PgQSubject"/>), when PgQ is installed or installable.
    /// Per minute: processed/s (and % of offered), claim (PgQ: batch fetch) p50/p99, CPU per job of this process and of
    /// the server, table and index sizes, dead tuples and the backlog.
    /// </summary>
    /// <remarks>
    /// The two halves run one after the other, not side by side. On two cores they would take CPU from each other, so
    /// each half's throughput and claim times would depend on the other's load; and the server's CPU (its process
    /// tree, see <see cref="CpuMeter"/>) cannot be split between two workloads on one server, so neither could have a
    /// CPU per job. One after the other, each has the whole machine and the same server, settings and load; what differs
    /// is the minutes of the day (this machine's disk varies), which repeated runs show.
    /// </remarks>
    public async Task<BenchResult[]> HeldSnapshotAsync(TimeSpan hold, int rate)
    {
        var plan = new SnapshotPlan(hold, rate);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"snapshot: {rate:N0}/s offered ({SnapshotPerTransaction} per transaction), concurrency {SnapshotConcurrency}; {SnapshotWarmup.TotalSeconds:F0} s warm-up, {SnapshotBaseline.TotalMinutes:F0} min baseline, {hold.TotalSeconds:F0} s held snapshot, {SnapshotRecovery.TotalMinutes:F0} min recovery; Queues, then PgQ"));
        var results = new List<BenchResult>();
        if (Statements)
        {
            await ExecuteAsync("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            await ExecuteAsync("SELECT pg_stat_statements_reset()");
        }

        await using (var queues = new QueuesSubject(this))
        {
            results.Add(await RunSnapshotHalfAsync(queues, plan));
        }

        // The Queues half's bloated table would otherwise be vacuumed (by autovacuum, on the same two cores) while PgQ runs.
        await ExecuteAsync($"DROP SCHEMA IF EXISTS {SnapshotSchema} CASCADE");
        await ExecuteAsync("CHECKPOINT");
        if (!WithoutAnchor && await EnsurePgQAsync())
        {
            try
            {
                await using var pgq = new PgQSubject(this);
                results.Add(await RunSnapshotHalfAsync(pgq, plan));
            }
            catch (PostgresException e)
            {
                // Keep the Queues half's figures: the anchor failing is reported, not a reason to lose them.
                Console.Error.WriteLine($"PgQ half failed: {e.Message}");
                results.Add(new BenchResult("snapshot-pgq", "events/s", 0, null, null, $"failed: {e.Message}", Verified: false));
            }
        }

        return [.. results];
    }

    private async Task<BenchResult> RunSnapshotHalfAsync(SnapshotSubject subject, SnapshotPlan plan)
    {
        var tally = new Tally();
        tally.Reset(plan.Total);
        await subject.StartAsync(tally);
        var meter = await CpuMeter.StartAsync(dataSource);
        var committed = 0L;
        var start = Stopwatch.GetTimestamp();
        long At(TimeSpan offset) => start + (long)(offset.TotalSeconds * Stopwatch.Frequency);

        using var stop = new CancellationTokenSource();
        var producer = Task.Run(async () =>
        {
            using var inFlight = new SemaphoreSlim(SnapshotProducers);
            var sends = new List<Task>();
            for (var sent = 0; sent < plan.Total; sent += SnapshotPerTransaction)
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), start + (long)(sent / (double)plan.Rate * Stopwatch.Frequency));
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, stop.Token);
                }

                await inFlight.WaitAsync(stop.Token);
                var (first, count) = (sent, Math.Min(SnapshotPerTransaction, plan.Total - sent));
                sends.Add(Task.Run(async () =>
                {
                    try
                    {
                        await subject.EnqueueAsync(first, count, Stopwatch.GetTimestamp());
                        Interlocked.Add(ref committed, count);
                    }
                    finally
                    {
                        inFlight.Release();
                    }
                }));
                sends.RemoveAll(static t => t.IsCompletedSuccessfully);
            }

            await Task.WhenAll(sends);
        });

        await using var holder = await dataSource.OpenConnectionAsync();
        NpgsqlTransaction? snapshot = null;
        var minutes = new List<SnapshotMinuteFigures>();
        var cpuFrom = Stopwatch.GetTimestamp();
        var latencies = new List<(long At, double Ms)>();
        foreach (var window in plan.Windows())
        {
            if (window.Phase == "held" && snapshot is null)
            {
                snapshot = await holder.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
                await using var read = new NpgsqlCommand($"SELECT 1 FROM {subject.HoldTable} LIMIT 1", holder, snapshot);
                await read.ExecuteScalarAsync(); // The snapshot is taken by the first statement, not by BEGIN.
            }
            else if (window.Phase != "held" && snapshot is not null)
            {
                await snapshot.CommitAsync();
                await snapshot.DisposeAsync();
                snapshot = null;
            }

            var (from, to) = (At(window.From), At(window.To));
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), to);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            // The CPU interval starts after the previous minute's figures were read, so the size and count queries
            // (slow on a bloated table) are not charged to the jobs; the jobs counted for it are those of the same interval.
            var (process, server) = meter.Elapsed();
            var cpuTo = Stopwatch.GetTimestamp();
            // Counted once the commit has returned, by when a job may already have started: never below zero.
            var enqueued = Interlocked.Read(ref committed);
            while (subject.Latencies.TryDequeue(out var latency))
            {
                latencies.Add(latency);
            }

            var windowMs = latencies.Where(l => l.At >= from && l.At < to).Select(static l => l.Ms).Order().ToArray();
            latencies.RemoveAll(l => l.At < to);
            var (processed, forCpu, runs) = (0, 0, 0L);
            var endToEnd = new List<double>();
            for (var i = 0; i < plan.Total; i++)
            {
                var startedAt = tally.StartedAt[i];
                if (startedAt >= from && startedAt < to)
                {
                    processed++;
                    endToEnd.Add(tally.LatenciesMs[i]);
                }

                if (startedAt >= cpuFrom && startedAt < cpuTo)
                {
                    forCpu++;
                }

                runs += startedAt != 0 ? 1 : 0;
            }

            var readAt = Stopwatch.GetTimestamp();
            var stats = await subject.ReadStatsAsync();
            var figures = new SnapshotMinuteFigures(
                subject.Name, window, plan.Rate, processed / (window.To - window.From).TotalSeconds,
                windowMs.Length == 0 ? 0 : Percentile(windowMs, 0.5), windowMs.Length == 0 ? 0 : Percentile(windowMs, 0.99), windowMs.Length,
                endToEnd.Count == 0 ? 0 : Percentile([.. endToEnd.Order()], 0.99),
                forCpu == 0 ? null : process / forCpu * 1e6, forCpu == 0 || server is null ? null : server / forCpu * 1e6,
                stats, Math.Max(0, enqueued - runs), Stopwatch.GetElapsedTime(readAt).TotalMilliseconds, LoadAverage());
            minutes.Add(figures);
            Console.Error.WriteLine(figures.ToLine(subject.LatencyName));
            if (Statements && subject is QueuesSubject)
            {
                // Which statements the minute's server time went to (--statements): what grows while the snapshot is held.
                await PrintStatementsAsync(figures.Label, Math.Max(forCpu, 1), 6);
                await ExecuteAsync("SELECT pg_stat_statements_reset()");
            }

            meter.Restart();
            cpuFrom = Stopwatch.GetTimestamp();
        }

        await producer;
        var drained = await Task.WhenAny(tally.Finished, Task.Delay(SnapshotDrain)) == tally.Finished;
        await subject.StopAsync();
        var once = tally.Runs.All(static r => r == 1);
        var summary = SnapshotSummary(subject, plan, minutes);
        Console.Error.WriteLine(summary);
        var notes = new StringBuilder(summary);
        if (!drained || !once)
        {
            notes.Append(CultureInfo.InvariantCulture, $" VERIFICATION: {(drained ? "" : "not every job ran within the drain time; ")}{(once ? "" : "a job ran other than exactly once")}.");
        }

        notes.Append(" Per minute: ").AppendJoin(" | ", minutes.Select(m => m.ToLine(subject.LatencyName)));
        var baseline = minutes.Single(static m => m.Window.Phase == "baseline").Processed;
        var lastHeld = minutes.Last(static m => m.Window.Phase == "held").Processed;
        return new BenchResult(subject.Scenario, $"{subject.Unit}/s", lastHeld, $"the same load in the minute before the hold, {subject.Unit}/s", baseline,
            notes.ToString(), drained && once);
    }

    /// <summary>The four done-when lines of issue 28 for one half.</summary>
    private static string SnapshotSummary(SnapshotSubject subject, SnapshotPlan plan, List<SnapshotMinuteFigures> minutes)
    {
        var c = CultureInfo.InvariantCulture;
        var counted = minutes.Where(static m => m.Window.Phase != "warm-up").ToArray();
        var worst = counted.MinBy(static m => m.Processed)!;
        var slowest = counted.MaxBy(static m => m.P99)!;
        var before = counted.Single(static m => m.Window.Phase == "baseline");
        var held = counted.Last(static m => m.Window.Phase == "held");
        var last = counted[^1];
        static string Ratio(double? now, double? then) => now is { } n && then is > 0 ? string.Create(CultureInfo.InvariantCulture, $"{n / then.Value:F2}×") : "unknown";
        static bool Within(double? now, double? then) => now is { } n && then is > 0 && n / then.Value <= 1.25;
        var gone = last.Backlog <= plan.Rate; // At most one second of offered load left (never zero while jobs keep arriving).
        return string.Create(c,
            $"{subject.Name} summary: ≥ 95 % of offered every minute: {(worst.Processed >= 0.95 * plan.Rate ? "yes" : "NO")} (lowest {worst.Processed / plan.Rate:P1}, {worst.Label}); " +
            $"{subject.LatencyName} p99 ≤ 10 ms throughout: {(slowest.P99 <= 10 ? "yes" : "NO")} (highest {slowest.P99:F1} ms, {slowest.Label}); " +
            $"CPU per {subject.Unit[..^1]} in the hold's last minute vs the minute before it: {subject.ProcessName} {Ratio(held.ProcessMicros, before.ProcessMicros)}, server {Ratio(held.ServerMicros, before.ServerMicros)} " +
            $"(target ≤ 1.25×: {(Within(held.ProcessMicros, before.ProcessMicros) && Within(held.ServerMicros, before.ServerMicros) ? "yes" : "NO")}); " +
            $"backlog gone after the hold: {(gone ? "yes" : "NO")} ({last.Backlog:N0} left at the end of the recovery, at most one second of offered load counts as gone).");
    }

    /// <summary>
    /// The machine's one-minute load average: on two cores shared with other work, a minute's figures mean little when
    /// it is far above the two this bench drives (worker or consumer, and the server).
    /// </summary>
    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>The phases of one half, cut into minutes (the hold's last window is shorter when it is not whole minutes).</summary>
    private sealed record SnapshotPlan(TimeSpan Hold, int Rate)
    {
        public TimeSpan Length => SnapshotWarmup + SnapshotBaseline + Hold + SnapshotRecovery;

        public int Total => (int)(Length.TotalSeconds * Rate);

        public IEnumerable<SnapshotWindow> Windows()
        {
            var at = TimeSpan.Zero;
            foreach (var (phase, length) in new[] { ("warm-up", SnapshotWarmup), ("baseline", SnapshotBaseline), ("held", Hold), ("recovery", SnapshotRecovery) })
            {
                var end = at + length;
                for (var minute = 1; at < end; minute++)
                {
                    var to = at + SnapshotMinute < end ? at + SnapshotMinute : end;
                    yield return new SnapshotWindow(phase, minute, at, to);
                    at = to;
                }
            }
        }
    }

    private sealed record SnapshotWindow(string Phase, int Minute, TimeSpan From, TimeSpan To);

    /// <summary>What is read from the server at the end of each minute; Available is null where there is no such row (PgQ).</summary>
    private sealed record SnapshotStats(double TableMb, double IndexMb, long Dead, long? Available, string Extra = "");

    private sealed record SnapshotMinuteFigures(
        string Who, SnapshotWindow Window, int Rate, double Processed, double P50, double P99, int Samples, double EndToEndP99,
        double? ProcessMicros, double? ServerMicros, SnapshotStats Stats, long Backlog, double ReadMs, string Load)
    {
        public string Label => string.Create(CultureInfo.InvariantCulture, $"{Window.Phase} {Window.Minute}");

        public string ToLine(string latencyName)
        {
            var c = CultureInfo.InvariantCulture;
            var cpu = ProcessMicros is { } p ? string.Create(c, $"process {p:F1} µs, server {(ServerMicros is { } s ? s.ToString("F1", c) + " µs" : "unknown")}") : "no jobs";
            var available = Stats.Available is { } a ? string.Create(c, $" (available rows {a:N0})") : "";
            var slowRead = ReadMs > 500 ? string.Create(c, $"; figures read in {ReadMs:F0} ms") : "";
            return string.Create(c,
                $"{Who,-6} {Window.To.TotalMinutes,5:F1} min {Label,-11}: {Processed,7:N0}/s ({Processed / Rate,6:P1}), {latencyName} p50 {P50:F2} p99 {P99:F2} ms ({Samples:N0}), enqueue→start p99 {EndToEndP99:F1} ms, " +
                $"CPU/job {cpu}, tables {Stats.TableMb:F0} MB + indexes {Stats.IndexMb:F0} MB, {Stats.Dead:N0} dead, backlog {Backlog:N0}{available}{Stats.Extra}, load {Load}{slowRead}");
        }
    }

    /// <summary>One system under the held-snapshot load: how to start it, enqueue to it, read its figures and stop it.</summary>
    private abstract class SnapshotSubject : IAsyncDisposable
    {
        public abstract string Name { get; }

        public abstract string Scenario { get; }

        public abstract string Unit { get; }

        public abstract string ProcessName { get; }

        /// <summary>What <see cref="Latencies"/> times: the call that brings work to the consumer.</summary>
        public abstract string LatencyName { get; }

        /// <summary>The table the holding session reads once, so that its snapshot is taken.</summary>
        public abstract string HoldTable { get; }

        /// <summary>When each fetch of work returned (<see cref="Stopwatch.GetTimestamp"/>) and how long it took.</summary>
        public ConcurrentQueue<(long At, double Ms)> Latencies { get; } = new();

        public abstract Task StartAsync(Tally tally);

        /// <summary>Enqueues sequence numbers first … first + count - 1 in one transaction, stamped with <paramref name="at"/>.</summary>
        public abstract Task EnqueueAsync(int first, int count, long at);

        public abstract Task<SnapshotStats> ReadStatsAsync();

        public abstract Task StopAsync();

        public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>The Queues worker (concurrency 16, default prefetch); claim durations from <see cref="WakeTimeline"/>.</summary>
    private sealed class QueuesSubject(Scenarios bench) : SnapshotSubject
    {
        private Jobs? _jobs;
        private IHost? _host;

        public override string Name => "Queues";

        public override string Scenario => "snapshot";

        public override string Unit => "jobs";

        public override string ProcessName => "worker";

        public override string LatencyName => "claim";

        public override string HoldTable => $"{SnapshotSchema}.jobs";

        public override async Task StartAsync(Tally tally)
        {
            _jobs = new Jobs(await bench.FreshSchemaAsync(SnapshotSchema));
            _host = bench.BuildWorker(SnapshotSchema, tally, static o => o.Queues["latency"] = SnapshotConcurrency);
            WakeTimeline.Recorder = (step, _, since) =>
            {
                if (step == WakeStep.ClaimReturned)
                {
                    var now = Stopwatch.GetTimestamp();
                    Latencies.Enqueue((now, Stopwatch.GetElapsedTime(since, now).TotalMilliseconds));
                }
            };
            await _host.StartAsync();
        }

        public override async Task EnqueueAsync(int first, int count, long at)
        {
            await using var connection = await bench.DataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await _jobs!.EnqueueBenchProbeManyAsync(transaction, Enumerable.Range(first, count).Select(i => new Probe(i, at)));
            await transaction.CommitAsync();
        }

        public override async Task<SnapshotStats> ReadStatsAsync()
        {
            await using var command = bench.DataSource.CreateCommand($"""
                SELECT pg_table_size('{SnapshotSchema}.jobs'), pg_indexes_size('{SnapshotSchema}.jobs'),
                       (SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = '{SnapshotSchema}.jobs'::regclass),
                       (SELECT count(*) FROM {SnapshotSchema}.jobs WHERE state = 'available')
                """);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            return new SnapshotStats(reader.GetInt64(0) / 1048576.0, reader.GetInt64(1) / 1048576.0, reader.GetInt64(2), reader.GetInt64(3));
        }

        public override async Task StopAsync()
        {
            await _host!.StopAsync();
            WakeTimeline.Recorder = null;
        }

        public override ValueTask DisposeAsync()
        {
            WakeTimeline.Recorder = null;
            _host?.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
