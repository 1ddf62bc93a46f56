using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Queues.Internal.Telemetry;

namespace Queues.Bench;

internal sealed partial class Scenarios
{
    /// <summary>
    /// 4. 1,000 jobs enqueued one at a time 10 ms apart to an idle worker at the default concurrency: from the start of the
    /// enqueue call to the handler's start, fire-and-forget (<paramref name="fireAndForget"/>) or in a transaction of the
    /// caller's. 200 jobs at the same pace go first and are not counted: in a fresh process the JIT's tier-1 recompilation
    /// and the first collections would otherwise land in the tail. Every job's path is broken into hops with the engine's
    /// <see cref="WakeTimeline"/>: enqueue start → notification received → claim sent → claim returned → slot started
    /// on the thread pool → handler start; a job found by a poll rather than its notification is counted apart, and so
    /// is every job during whose path a garbage collection ran.
    /// </summary>
    public async Task<BenchResult> LatencyAsync(bool fireAndForget)
    {
        const int Total = LatencyWarmup + LatencyJobs;
        var schema = fireAndForget ? "bench_latency" : "bench_latency_tx";
        var client = await FreshSchemaAsync(schema);
        var jobs = new Jobs(client);
        var raw = await RawLatencyAsync(schema, fireAndForget);
        var tally = new Tally();
        tally.Reset(Total);
        var timeline = new Timeline(Total * 64);
        using var host = BuildWorker(schema, tally, o =>
        {
            if (LatencyConcurrency is { } concurrency)
            {
                o.Queues["latency"] = concurrency;
            }
        });
        await host.StartAsync();
        await Task.Delay(500); // Idle: the worker has polled once and waits for a NOTIFY.

        var enqueuedAt = new long[Total];
        var committedAt = new long[Total];
        var gcBefore = new int[Total];
        var pauseBefore = GC.GetTotalPauseDuration();
        WakeTimeline.Recorder = timeline.Record;
        try
        {
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < Total; i++)
            {
                await PaceAsync(start, i);

                gcBefore[i] = GC.CollectionCount(0);
                enqueuedAt[i] = Stopwatch.GetTimestamp();
                if (fireAndForget)
                {
                    await jobs.EnqueueBenchProbeAsync(new Probe(i, enqueuedAt[i]));
                }
                else
                {
                    await using var connection = await dataSource.OpenConnectionAsync();
                    await using var transaction = await connection.BeginTransactionAsync();
                    await jobs.EnqueueBenchProbeAsync(transaction, new Probe(i, enqueuedAt[i]));
                    await transaction.CommitAsync();
                }

                committedAt[i] = Stopwatch.GetTimestamp();
            }

            await tally.Finished.WaitAsync(TimeSpan.FromMinutes(2));
        }
        finally
        {
            WakeTimeline.Recorder = null;
        }

        var pause = GC.GetTotalPauseDuration() - pauseBefore;
        await host.StopAsync();
        Check(tally.Runs.All(static r => r == 1), "latency: every probe ran exactly once");

        var paths = Enumerable.Range(LatencyWarmup, LatencyJobs)
            .Select(i => timeline.PathOf(enqueuedAt[i], committedAt[i], tally.StartedAt[i], tally.GcAtStart[i] != gcBefore[i]))
            .ToArray();
        var report = LatencyReport(paths, pause);
        Console.Error.WriteLine($"latency{(fireAndForget ? "" : "-tx")} breakdown:");
        Console.Error.WriteLine(report);

        var total = paths.Select(static p => p.Total).Order().ToArray();
        Console.Error.WriteLine(FormattableString.Invariant($"  raw path (INSERT + pg_notify {(fireAndForget ? "autocommitted" : "in BEGIN/COMMIT")} → LISTEN → claim returned): p50 {Percentile(raw, 0.5):F2}, p95 {Percentile(raw, 0.95):F2}, p99 {Percentile(raw, 0.99):F2}, max {raw[^1]:F2} ms"));
        return new BenchResult(fireAndForget ? "latency" : "latency-tx", "ms p50", Percentile(total, 0.50), "raw insert+notify → listen → claim, ms p50", Percentile(raw, 0.50),
            FormattableString.Invariant($"p95 {Percentile(total, 0.95):F2} ms, p99 {Percentile(total, 0.99):F2} ms, max {total[^1]:F2} ms (raw path p95 {Percentile(raw, 0.95):F2} ms, p99 {Percentile(raw, 0.99):F2} ms, max {raw[^1]:F2} ms); {LatencyJobs:N0} jobs {LatencySpacing.TotalMilliseconds} ms apart after {LatencyWarmup} uncounted, {(LatencyConcurrency is { } c ? $"concurrency {c}" : "default concurrency")}, {(fireAndForget ? "fire-and-forget enqueue" : "enqueue in the caller's transaction")}, from the start of the enqueue call to the handler's start; {report.Replace(Environment.NewLine, "; ", StringComparison.Ordinal).Replace("\"", "'", StringComparison.Ordinal)}"));
    }

    /// <summary>
    /// The raw limit of the same path, measured in the same run at the same pace: a prepared INSERT with pg_notify in one
    /// statement (autocommitted, or between BEGIN and COMMIT), one connection LISTENing that on each notification runs a
    /// prepared claim of one row (the engine's claim statement shape) on a second connection; from the start of the
    /// insert to the claim's return. No DI, no handler, no completion: the least any PostgreSQL queue can take.
    /// </summary>
    private async Task<double[]> RawLatencyAsync(string like, bool autocommit)
    {
        var schema = like + "_raw";
        await RawTableAsync(schema, like);
        const int Total = LatencyWarmup + LatencyJobs;
        var claimedAt = new long[Total];
        var enqueuedAt = new long[Total];
        var claimedCount = 0;
        var claimTimes = new System.Collections.Concurrent.ConcurrentBag<double>();
        var allClaimed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();

        await using var listener = await dataSource.OpenConnectionAsync();
        await using var claimer = await dataSource.OpenConnectionAsync();
        await using var claim = new NpgsqlCommand($"""
            WITH next AS MATERIALIZED (
                SELECT id FROM {schema}.jobs WHERE state = 'available' AND queue = 'latency' AND run_at <= now()
                ORDER BY priority, run_at, id LIMIT 10 FOR UPDATE SKIP LOCKED)
            UPDATE {schema}.jobs AS j SET state = 'running', attempt = j.attempt + 1, attempted_at = now(), heartbeat_at = now()
            FROM next CROSS JOIN (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
            WHERE j.id = next.id
            RETURNING (j.payload ->> 'sequence')::int
            """, claimer);
        await claim.PrepareAsync();
        var claimLoop = Task.Run(async () =>
        {
            var pending = 0;
            listener.Notification += (_, _) => Interlocked.Increment(ref pending);
            await using (var listen = new NpgsqlCommand($"LISTEN {schema}_latency", listener))
            {
                await listen.ExecuteNonQueryAsync();
            }

            while (!stop.IsCancellationRequested)
            {
                if (Interlocked.Exchange(ref pending, 0) == 0)
                {
                    await listener.WaitAsync(stop.Token);
                    continue;
                }

                var sent = Stopwatch.GetTimestamp();
                await using var reader = await claim.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    claimTimes.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                    claimedAt[reader.GetInt32(0)] = Stopwatch.GetTimestamp();
                    if (Interlocked.Increment(ref claimedCount) == Total)
                    {
                        allClaimed.TrySetResult();
                    }
                }
            }
        });
        await Task.Delay(200);

        var insertSql = $"""
            WITH inserted AS (
                INSERT INTO {schema}.jobs (name, queue, priority, max_attempts, payload) VALUES ('bench.probe', 'latency', 0, 20, $1) RETURNING queue)
            SELECT pg_notify('{schema}_latency', queue) FROM inserted
            """;
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < Total; i++)
        {
            await PaceAsync(start, i);

            enqueuedAt[i] = Stopwatch.GetTimestamp();
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var transaction = autocommit ? null : await connection.BeginTransactionAsync();
            await using var insert = new NpgsqlCommand(insertSql, connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = string.Create(CultureInfo.InvariantCulture, $$"""{"sequence":{{i}}}"""), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Jsonb });
            await insert.PrepareAsync();
            await insert.ExecuteNonQueryAsync();
            if (transaction is not null)
            {
                await transaction.CommitAsync();
            }
        }

        await allClaimed.Task.WaitAsync(TimeSpan.FromMinutes(1));
        await stop.CancelAsync();
        await claimLoop.ContinueWith(static _ => { }, TaskScheduler.Default);
        var claims = claimTimes.Order().ToArray();
        Console.Error.WriteLine(FormattableString.Invariant($"  raw claim statement alone (sent → first row read): p50 {Percentile(claims, 0.5):F2}, p99 {Percentile(claims, 0.99):F2} ms"));
        return Enumerable.Range(LatencyWarmup, LatencyJobs).Select(i => Stopwatch.GetElapsedTime(enqueuedAt[i], claimedAt[i]).TotalMilliseconds).Order().ToArray();
    }

    /// <summary>Waits until probe <paramref name="i"/> is due: <see cref="LatencySpacing"/> apart from <paramref name="start"/>.</summary>
    private static async Task PaceAsync(long start, int i)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), start + (long)(i * LatencySpacing.TotalSeconds * Stopwatch.Frequency));
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1))];

    private static string LatencyReport(JobPath[] paths, TimeSpan gcPause)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"  {"hop",-44} {"p50",7} {"p95",7} {"p99",7} {"max",7}  (ms, {paths.Length} jobs)");
        void Row(string name, IEnumerable<double> values)
        {
            var sorted = values.Where(double.IsFinite).Order().ToArray();
            if (sorted.Length > 0)
            {
                text.AppendLine(c, $"  {name,-44} {Percentile(sorted, 0.5),7:F2} {Percentile(sorted, 0.95),7:F2} {Percentile(sorted, 0.99),7:F2} {sorted[^1],7:F2}  n={sorted.Length}");
            }
        }

        var notified = paths.Where(static p => p.ByNotification).ToArray();
        Row("total: enqueue start → handler start", paths.Select(static p => p.Total));
        Row("enqueue call (statement + commit)", paths.Select(static p => p.Enqueue));
        Row("enqueue start → notification received", notified.Select(static p => p.ToNotified));
        Row("commit returned → notification received", notified.Select(static p => p.ToNotified - p.Enqueue));
        Row("notification → claim sent (loop wake-up)", notified.Select(static p => p.NotifiedToClaim));
        Row("enqueue start → claim sent (found by a poll)", paths.Where(static p => !p.ByNotification).Select(static p => p.ToClaim));
        Row("claim sent → claim returned", paths.Select(static p => p.Claim));
        Row("claim returned → slot started (thread pool)", paths.Select(static p => p.Dispatch));
        Row("slot started → handler start (executor)", paths.Select(static p => p.Execute));
        var slowest = paths.OrderByDescending(static p => p.Total).Take(Math.Max(1, paths.Length / 100)).ToArray();
        text.AppendLine(c, $"  found by notification {notified.Length}, by a poll {paths.Length - notified.Length}; gen0+ collections during {paths.Count(static p => p.Collected)} paths, total GC pause {gcPause.TotalMilliseconds:F1} ms");
        text.Append(c, $"  slowest 1 % ({slowest.Length}): total/enqueue/to-claim/claim/dispatch/execute ms, GC: ");
        text.AppendJoin(" | ", slowest.Select(p => string.Create(c, $"{p.Total:F1}/{p.Enqueue:F1}/{p.ToClaim:F1}/{p.Claim:F1}/{p.Dispatch:F1}/{p.Execute:F1}{(p.Collected ? " gc" : "")}")));
        return text.ToString();
    }

    /// <summary>One job's path, in milliseconds from the start of its enqueue call.</summary>
    private readonly record struct JobPath(double Total, double Enqueue, double ToNotified, double ToClaim, double Claim, double Dispatch, double Execute, bool ByNotification, bool Collected)
    {
        public double NotifiedToClaim => ToClaim - ToNotified;
    }

    /// <summary>Every <see cref="WakeStep"/> the engine reached, timestamped, in order.</summary>
    private sealed class Timeline(int capacity)
    {
        private readonly (WakeStep Step, int Detail, long At)[] _events = new (WakeStep, int, long)[capacity];
        private int _count;
        private (WakeStep Step, int Detail, long At)[]? _sorted;

        public void Record(WakeStep step, int detail, long since)
        {
            var at = Stopwatch.GetTimestamp();
            var index = Interlocked.Increment(ref _count) - 1;
            if (index < _events.Length)
            {
                _events[index] = (step, detail, at);
            }
        }

        /// <summary>
        /// The steps of the job enqueued at <paramref name="enqueued"/> that started at <paramref name="started"/>: its
        /// slot is the last one started before the handler, its claim the last one that returned rows before that, its
        /// notification the first one after the enqueue started (when that came before the claim was sent).
        /// </summary>
        public JobPath PathOf(long enqueued, long committed, long started, bool collected)
        {
            var events = _sorted ??= _events.AsSpan(0, Math.Min(Volatile.Read(ref _count), _events.Length)).ToArray().OrderBy(static e => e.At).ToArray();
            long slot = 0, returned = 0, sent = 0, notified = 0;
            for (var i = events.Length - 1; i >= 0; i--)
            {
                var (step, detail, at) = events[i];
                if (at > started || at < enqueued)
                {
                    continue;
                }

                if (slot == 0 && step == WakeStep.SlotStarted)
                {
                    slot = at;
                }
                else if (slot != 0 && returned == 0 && step == WakeStep.ClaimReturned && detail > 0)
                {
                    returned = at;
                }
                else if (returned != 0 && sent == 0 && step == WakeStep.ClaimSent)
                {
                    sent = at;
                }
            }

            foreach (var (step, _, at) in events)
            {
                if (step == WakeStep.Notified && at >= enqueued && at <= started)
                {
                    notified = at;
                    break;
                }
            }

            double Ms(long from, long to) => from == 0 || to == 0 ? double.NaN : Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
            var byNotification = notified != 0 && sent != 0 && notified <= sent;
            return new JobPath(Ms(enqueued, started), Ms(enqueued, committed), Ms(enqueued, notified), Ms(enqueued, sent), Ms(sent, returned), Ms(returned, slot),
                Ms(slot, started), byNotification, collected);
        }
    }
}
