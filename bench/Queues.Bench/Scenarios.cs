using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Queues;

namespace Queues.Bench;

/// <summary>The benchmark scenarios and the raw PostgreSQL measurements they are compared with.</summary>
internal sealed partial class Scenarios(NpgsqlDataSource dataSource, string connectionString)
{
    private const int Clients = 8;
    private const int BulkJobs = 100_000;
    private const int ProcessingJobs = 100_000;
    private const int ProcessingConcurrency = 500;
    private const int LatencyJobs = 1_000;
    private const int LatencyWarmup = 200;
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LatencySpacing = TimeSpan.FromMilliseconds(10);

    /// <summary>The latency scenarios' queue concurrency (--latency-concurrency N); null: the default.</summary>
    public int? LatencyConcurrency { get; init; }

    /// <summary>Skip the snapshot scenario's PgQ half (--no-anchor): a trial of Queues alone, half the time.</summary>
    public bool WithoutAnchor { get; init; }

    /// <summary>Print the worker's statements after each processing drain (--statements; needs pg_stat_statements loaded).</summary>
    public bool Statements { get; init; }

    /// <summary>The worker's <see cref="QueuesOptions.Prefetch"/> in the processing scenarios (--prefetch N); null: the default.</summary>
    public int? Prefetch { get; init; }

    public async Task<string> ServerVersionAsync()
    {
        await using var command = dataSource.CreateCommand("SHOW server_version");
        return (string)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>1. One job per transaction from 8 concurrent callers, against single-row INSERT commits from 8 clients.</summary>
    public async Task<BenchResult> SingleEnqueueAsync()
    {
        var client = await FreshSchemaAsync("bench_single");
        var jobs = new Jobs(client);
        await RawTableAsync("bench_single_raw", "bench_single");
        Func<Task> enqueue = async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await jobs.EnqueueBenchNoopAsync(transaction, new Noop(1));
            await transaction.CommitAsync();
        };
        Func<Task> insert = async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using var command = new NpgsqlCommand(
                "INSERT INTO bench_single_raw.jobs (name, queue, priority, max_attempts, payload) VALUES ($1, $2, $3, $4, $5)", connection, transaction);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "bench.noop" });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "bench" });
            command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = 0 });
            command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = 20 });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = """{"sequence":1}""", NpgsqlDbType = NpgsqlDbType.Jsonb });
            await command.PrepareAsync();
            await command.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        };

        // Alternate the two, twice, so warm-up, table growth and background checkpoints hit both alike.
        double queues = 0, raw = 0;
        for (var round = 0; round < 2; round++)
        {
            raw += await CountPerSecondAsync(insert) / 2;
            queues += await CountPerSecondAsync(enqueue) / 2;
        }

        return new BenchResult("single", "jobs/s", queues, "single-row INSERT commits/s, 8 clients", raw,
            $"{Clients} callers, one job per transaction, mean of 2 alternating rounds of {Window.TotalSeconds:F0} s after {Warmup.TotalSeconds:F0} s warm-up");
    }

    /// <summary>2. 100,000 jobs through the bulk method in one transaction, against multi-row INSERTs of 1,000 rows.</summary>
    public async Task<BenchResult> BulkEnqueueAsync()
    {
        var client = await FreshSchemaAsync("bench_bulk");
        var jobs = new Jobs(client);
        var payloads = Enumerable.Range(0, BulkJobs).Select(static i => new Noop(i)).ToArray();
        var watch = Stopwatch.StartNew();
        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var inserted = await jobs.EnqueueBenchNoopManyAsync(transaction, payloads);
            await transaction.CommitAsync();
            Check(inserted == BulkJobs, $"bulk inserted {inserted}");
        }

        var queues = BulkJobs / watch.Elapsed.TotalSeconds;

        await RawTableAsync("bench_bulk_raw", "bench_bulk");
        const int rowsPerStatement = 1_000;
        var sql = new StringBuilder("INSERT INTO bench_bulk_raw.jobs (name, queue, priority, max_attempts, payload) VALUES ");
        for (var i = 1; i <= rowsPerStatement; i++)
        {
            sql.Append(i == 1 ? "" : ", ").Append("('bench.noop', 'bench', 0, 20, $").Append(i).Append("::jsonb)");
        }

        var texts = Enumerable.Range(0, BulkJobs).Select(static i => $$"""{"sequence":{{i}}}""").ToArray();
        watch.Restart();
        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            for (var start = 0; start < BulkJobs; start += rowsPerStatement)
            {
                await using var command = new NpgsqlCommand(sql.ToString(), connection, transaction);
                for (var i = 0; i < rowsPerStatement; i++)
                {
                    command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = texts[start + i] });
                }

                await command.ExecuteNonQueryAsync();
            }

            await transaction.CommitAsync();
        }

        var raw = BulkJobs / watch.Elapsed.TotalSeconds;
        return new BenchResult("bulk", "jobs/s", queues, "multi-row INSERT rows/s (1,000 rows per statement)", raw,
            $"{BulkJobs:N0} jobs via EnqueueBenchNoopManyAsync in one transaction, serialization included");
    }

    /// <summary>
    /// 3. 100,000 pre-inserted no-op jobs drained by one worker process at <paramref name="concurrency"/> (with the default
    /// prefetch), against claim-100 + complete-100 in plain SQL.
    /// </summary>
    public async Task<BenchResult> ProcessingAsync(int concurrency = ProcessingConcurrency)
    {
        var schema = concurrency == ProcessingConcurrency ? "bench_processing" : $"bench_processing{concurrency}";
        await FreshSchemaAsync(schema);
        var queues = await DrainNoopsAsync(schema, concurrency);

        var claim = $"""
            WITH next AS MATERIALIZED (
                SELECT id FROM {schema}_raw.jobs
                WHERE state = 'available' AND queue = 'bench' AND run_at <= now()
                ORDER BY priority, run_at, id LIMIT 100 FOR UPDATE SKIP LOCKED)
            UPDATE {schema}_raw.jobs AS j SET state = 'running', attempt = j.attempt + 1, attempted_at = now()
            FROM next WHERE j.id = next.id
            RETURNING j.id, j.attempt, j.payload::text
            """;
        var complete = $"""
            UPDATE {schema}_raw.jobs AS j SET state = 'completed', finalized_at = now()
            FROM unnest($1::bigint[], $2::smallint[]) AS c(id, attempt)
            WHERE j.id = c.id AND j.state = 'running' AND j.attempt = c.attempt
            """;
        var raw = await BestRawClaimCompleteAsync(schema, claim, complete, synchronousCommit: true);
        var rawAsync = await BestRawClaimCompleteAsync(schema, claim, complete, synchronousCommit: false);
        return new BenchResult(concurrency == ProcessingConcurrency ? "processing" : $"processing{concurrency}", "jobs/s", queues.Rate,
            "claim-100 tx + complete-100 tx rows/s, best of 1/4/8/16 parallel clients", raw.Rate,
            FormattableString.Invariant($"{ProcessingJobs:N0} no-op jobs, one worker, queue concurrency {concurrency} (prefetch {Prefetch ?? QueuesOptions.DefaultPrefetch}), completed jobs kept, every handler ran exactly once; from the first handler start to the last completion written ({queues.WithStartup:N0} jobs/s counting the host's start, {queues.StartupMs:N0} ms to the first handler); {queues.Cpu}; raw: {raw.Detail}; Queues claims and completes with asynchronous commit: like for like, raw with synchronous_commit=off does {rawAsync.Rate:N0} rows/s, ratio {queues.Rate / rawAsync.Rate:P0} ({rawAsync.Detail})"));
    }

    /// <summary>
    /// The raw claim + complete limit: <see cref="ProcessingJobs"/> rows drained by 1, 4, 8 and 16 parallel clients in
    /// turn (each on a fresh copy of the rows, like <c>pgbench -c N</c>), every statement prepared. Returns the best rate,
    /// with each client count's rate and CPU per row of the best.
    /// </summary>
    private async Task<(double Rate, string Detail)> BestRawClaimCompleteAsync(string schema, string claim, string complete, bool synchronousCommit)
    {
        await RawTableAsync(schema + "_raw", schema);
        var rates = new List<string>();
        var (best, bestCpu) = (0.0, "");
        foreach (var clients in new[] { 1, 4, 8, 16 })
        {
            await ExecuteAsync($"TRUNCATE {schema}_raw.jobs");
            await ExecuteAsync($"""
                INSERT INTO {schema}_raw.jobs (name, queue, payload)
                SELECT 'bench.noop', 'bench', jsonb_build_object('sequence', i) FROM generate_series(1, {ProcessingJobs}) AS i
                """);
            await ExecuteAsync($"VACUUM ANALYZE {schema}_raw.jobs");
            var cpu = await CpuMeter.StartAsync(dataSource);
            var rate = await RawClaimCompleteAsync(claim, complete, synchronousCommit, clients);
            rates.Add(FormattableString.Invariant($"{clients}: {rate:N0}"));
            if (rate > best)
            {
                (best, bestCpu) = (rate, cpu.PerJob("clients", ProcessingJobs));
            }
        }

        return (best, FormattableString.Invariant($"rows/s by clients {string.Join(", ", rates)}; best's {bestCpu}"));
    }

    /// <summary>
    /// Inserts <see cref="ProcessingJobs"/> no-op jobs into <paramref name="schema"/> (already migrated) and drains them
    /// with one worker at <paramref name="concurrency"/>: the rate from the first handler start to the last completion
    /// written, the same counting the host's start, and the start-up time. Checks every job ran exactly once.
    /// </summary>
    private async Task<(double Rate, double WithStartup, double StartupMs, string Cpu)> DrainNoopsAsync(string schema, int concurrency)
    {
        await InsertNoopsAsync(new QueuesClient(dataSource, schema), ProcessingJobs);
        var tally = new Tally();
        tally.Reset(ProcessingJobs);
        using var host = BuildWorker(schema, tally, o =>
        {
            o.Queues["bench"] = concurrency;
            o.Prefetch = Prefetch ?? o.Prefetch;
        });

        // Drain rate: from the first handler start until the last completion is written (the stop writes it); the
        // host's start-up (DI, LISTEN, first claim) is reported apart.
        if (Statements)
        {
            await ExecuteAsync("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            await ExecuteAsync("SELECT pg_stat_statements_reset()");
        }

        var cpu = await CpuMeter.StartAsync(dataSource);
        var startedAt = Stopwatch.GetTimestamp();
        await host.StartAsync();
        await tally.Finished.WaitAsync(TimeSpan.FromMinutes(10));
        await host.StopAsync(); // Writes the last completions.
        var stoppedAt = Stopwatch.GetTimestamp();
        var cpuPerJob = cpu.PerJob("worker (start to stop)", ProcessingJobs);
        if (Statements)
        {
            await PrintStatementsAsync(schema, ProcessingJobs);
        }
        var rate = ProcessingJobs / Stopwatch.GetElapsedTime(tally.FirstRunAt, stoppedAt).TotalSeconds;
        var withStartup = ProcessingJobs / Stopwatch.GetElapsedTime(startedAt, stoppedAt).TotalSeconds;
        var startup = Stopwatch.GetElapsedTime(startedAt, tally.FirstRunAt).TotalMilliseconds;

        var completed = await ScalarAsync<long>($"SELECT count(*) FROM {schema}.jobs WHERE name = 'bench.noop' AND state = 'completed' AND attempt = 1");
        var exactlyOnce = tally.Runs.All(static r => r == 1);
        Check(exactlyOnce && completed == ProcessingJobs, $"{schema}: exactly once = {exactlyOnce}, completed rows = {completed}");
        return (rate, withStartup, startup, cpuPerJob);
    }

    /// <summary>The statements run since the last reset, by total server time: calls, rows, µs per call and per job.</summary>
    private async Task PrintStatementsAsync(string label, long jobs, int top = 10)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT calls, rows, total_exec_time, regexp_replace(left(query, 110), '\s+', ' ', 'g')
            FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC LIMIT {top}
            """);
        await using var reader = await command.ExecuteReaderAsync();
        Console.Error.WriteLine($"{label}: statements by server time (µs per job over {jobs:N0} jobs)");
        while (await reader.ReadAsync())
        {
            var (calls, rows, ms) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetDouble(2));
            Console.Error.WriteLine(FormattableString.Invariant(
                $"  {ms * 1000 / jobs,7:F1} µs/job {calls,8:N0} calls {rows,9:N0} rows {ms * 1000 / Math.Max(calls, 1),8:F0} µs/call  {reader.GetString(3)}"));
        }
    }

    private async Task<double> RawClaimCompleteAsync(string claim, string complete, bool synchronousCommit, int clients = 1)
    {
        var done = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using (var set = new NpgsqlCommand($"SET synchronous_commit = {(synchronousCommit ? "on" : "off")}", connection))
            {
                await set.ExecuteNonQueryAsync();
            }

            await using var claimCommand = new NpgsqlCommand(claim, connection);
            await claimCommand.PrepareAsync();
            await using var completeCommand = new NpgsqlCommand(complete, connection);
            var ids = new NpgsqlParameter<long[]>();
            var attempts = new NpgsqlParameter<short[]>();
            completeCommand.Parameters.Add(ids);
            completeCommand.Parameters.Add(attempts);
            var idList = new List<long>(100);
            var attemptList = new List<short>(100);
            while (true)
            {
                idList.Clear();
                attemptList.Clear();
                await using (var reader = await claimCommand.ExecuteReaderAsync())
                {
                    while (await reader.ReadAsync())
                    {
                        idList.Add(reader.GetInt64(0));
                        attemptList.Add(reader.GetInt16(1));
                        _ = reader.GetString(2);
                    }
                }

                if (idList.Count == 0)
                {
                    break;
                }

                ids.TypedValue = idList.ToArray();
                attempts.TypedValue = attemptList.ToArray();
                if (!completeCommand.IsPrepared)
                {
                    await completeCommand.PrepareAsync();
                }

                Interlocked.Add(ref done, await completeCommand.ExecuteNonQueryAsync());
            }

            await using var reset = new NpgsqlCommand("RESET synchronous_commit", connection);
            await reset.ExecuteNonQueryAsync();
        })));

        Check(done == ProcessingJobs, $"raw processing completed {done}");
        return done / watch.Elapsed.TotalSeconds;
    }

    private IHost BuildWorker(string schema, Tally tally, Action<QueuesOptions> configure)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(tally);
        builder.Services.AddQueues(o =>
        {
            o.ConnectionString = connectionString;
            o.Schema = schema;
            configure(o);
        }).AddJobs();
        return builder.Build();
    }

    private async Task<QueuesClient> FreshSchemaAsync(string schema)
    {
        await ExecuteAsync($"DROP SCHEMA IF EXISTS {schema} CASCADE");
        var client = new QueuesClient(dataSource, schema);
        await client.MigrateAsync();
        return client;
    }

    /// <summary>A plain table equivalent to the jobs table: same columns, defaults, constraints and indexes.</summary>
    private async Task RawTableAsync(string schema, string like)
    {
        await ExecuteAsync($"DROP SCHEMA IF EXISTS {schema} CASCADE");
        await ExecuteAsync($"CREATE SCHEMA {schema}");
        await ExecuteAsync($"CREATE TABLE {schema}.jobs (LIKE {like}.jobs INCLUDING ALL)");
    }

    private async Task InsertNoopsAsync(QueuesClient client, int count)
    {
        var jobs = new Jobs(client);
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await jobs.EnqueueBenchNoopManyAsync(transaction, Enumerable.Range(0, count).Select(static i => new Noop(i)));
        await transaction.CommitAsync();
        await ExecuteAsync($"VACUUM ANALYZE {client.Schema}.jobs");
    }

    /// <summary>Runs <paramref name="operation"/> in a loop on 8 clients; returns completions per second inside the measured window.</summary>
    private static async Task<double> CountPerSecondAsync(Func<Task> operation)
    {
        var begin = Stopwatch.GetTimestamp() + (long)(Warmup.TotalSeconds * Stopwatch.Frequency);
        var end = begin + (long)(Window.TotalSeconds * Stopwatch.Frequency);
        var counted = 0L;
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                await operation();
                var now = Stopwatch.GetTimestamp();
                if (now >= end)
                {
                    return;
                }

                if (now >= begin)
                {
                    Interlocked.Increment(ref counted);
                }
            }
        })));
        return counted / Window.TotalSeconds;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"Benchmark verification failed: {what}.");
        }
    }
}
