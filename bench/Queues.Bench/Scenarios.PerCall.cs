using System.Diagnostics;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace Queues.Bench;

internal sealed partial class Scenarios
{
    /// <summary>
    /// 1b. Fire-and-forget: one job per call without a caller transaction (one autocommitted statement on a pooled
    /// connection) from 8 callers, against a prepared single-row INSERT autocommitted the same way by 8 clients.
    /// </summary>
    public async Task<BenchResult> FireAndForgetAsync()
    {
        var client = await FreshSchemaAsync("bench_ff");
        var jobs = new Jobs(client);
        await RawTableAsync("bench_ff_raw", "bench_ff");
        Func<Task> enqueue = async () => await jobs.EnqueueBenchNoopAsync(new Noop(1));
        Func<Task> insert = async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var command = new NpgsqlCommand(
                "INSERT INTO bench_ff_raw.jobs (name, queue, priority, max_attempts, payload) VALUES ($1, $2, $3, $4, $5) RETURNING id", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "bench.noop" });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "bench" });
            command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = 0 });
            command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = 20 });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = """{"sequence":1}""", NpgsqlDbType = NpgsqlDbType.Jsonb });
            await command.PrepareAsync();
            await command.ExecuteScalarAsync();
        };

        double queues = 0, raw = 0;
        for (var round = 0; round < 2; round++)
        {
            raw += await CountPerSecondAsync(insert) / 2;
            queues += await CountPerSecondAsync(enqueue) / 2;
        }

        return new BenchResult("single-ff", "jobs/s", queues, "autocommitted prepared INSERT/s, 8 clients", raw,
            $"{Clients} callers, fire-and-forget EnqueueBenchNoopAsync(payload), mean of 2 alternating rounds of {Window.TotalSeconds:F0} s");
    }

    /// <summary>
    /// 2b. Bulk enqueue per call: calls of <paramref name="size"/> jobs, each in its own transaction on a pooled connection
    /// (open, begin, enqueue many, commit), one caller, against a raw binary COPY of as many rows done the same way.
    /// </summary>
    public async Task<BenchResult> BulkPerCallAsync(int size)
    {
        var schema = "bench_calls" + size.ToString(CultureInfo.InvariantCulture);
        var client = await FreshSchemaAsync(schema);
        var jobs = new Jobs(client);
        await RawTableAsync(schema + "_raw", schema);
        var payloads = Enumerable.Range(0, size).Select(static i => new Noop(i)).ToArray();
        var texts = payloads.Select(static p => $$"""{"sequence":{{p.Sequence}}}""").ToArray();
        var calls = size >= 100_000 ? 1 : Math.Max(20, 20_000 / size);

        async Task<double> TimeAsync(Func<Task> call)
        {
            await call(); // Warm-up: first use of the statements and connection.
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < calls; i++)
            {
                await call();
            }

            return watch.Elapsed.TotalMilliseconds / calls;
        }

        var queuesMs = await TimeAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await jobs.EnqueueBenchNoopManyAsync(transaction, payloads);
            await transaction.CommitAsync();
        });
        var rawMs = await TimeAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var importer = await connection.BeginBinaryImportAsync(
                $"COPY {schema}_raw.jobs (name, queue, priority, max_attempts, payload) FROM STDIN (FORMAT BINARY)"))
            {
                foreach (var text in texts)
                {
                    await importer.StartRowAsync();
                    await importer.WriteAsync("bench.noop", NpgsqlDbType.Text);
                    await importer.WriteAsync("bench", NpgsqlDbType.Text);
                    await importer.WriteAsync((short)0, NpgsqlDbType.Smallint);
                    await importer.WriteAsync((short)20, NpgsqlDbType.Smallint);
                    await importer.WriteAsync(text, NpgsqlDbType.Jsonb);
                }

                await importer.CompleteAsync();
            }

            await transaction.CommitAsync();
        });

        return new BenchResult($"bulk-{size}", "jobs/s", size / (queuesMs / 1_000), $"raw binary COPY of {size:N0} rows per transaction, rows/s",
            size / (rawMs / 1_000),
            FormattableString.Invariant($"calls of {size:N0} jobs, each its own transaction on a pooled connection, one caller, mean of {calls} calls: {queuesMs:F2} ms per call vs {rawMs:F2} ms raw ({queuesMs / rawMs:F2}×)"));
    }

    /// <summary>
    /// 5b. History: the processing drain (concurrency 500) on a jobs table that already holds 5,000,000 finished jobs (a
    /// busy queue under the default one-day retention), against the same drain on an empty table in the same run.
    /// </summary>
    public async Task<BenchResult> ProcessingWithHistoryAsync()
    {
        const int history = 5_000_000;
        await FreshSchemaAsync("bench_empty");
        var (empty, _, _, _) = await DrainNoopsAsync("bench_empty", ProcessingConcurrency);

        await FreshSchemaAsync("bench_history");
        var fill = Stopwatch.StartNew();
        await ExecuteUnboundedAsync($"""
            INSERT INTO bench_history.jobs (name, queue, state, payload, attempt, attempted_at, finalized_at, created_at, run_at)
            SELECT 'bench.history', 'bench', CASE WHEN i % 50 = 0 THEN 'discarded' ELSE 'completed' END, jsonb_build_object('sequence', i), 1,
                   now() - interval '1 hour', now() - (i % 3600) * interval '1 second', now() - interval '1 hour', now() - interval '1 hour'
            FROM generate_series(1, {history}) AS i
            """);
        await ExecuteUnboundedAsync("VACUUM ANALYZE bench_history.jobs");
        var filled = fill.Elapsed;
        var (withHistory, _, _, _) = await DrainNoopsAsync("bench_history", ProcessingConcurrency);
        var size = await ScalarAsync<string>("SELECT pg_size_pretty(pg_total_relation_size('bench_history.jobs'))");
        return new BenchResult("history-5m", "jobs/s", withHistory, "the same drain on an empty jobs table, jobs/s", empty,
            FormattableString.Invariant($"100,000 no-op jobs at concurrency {ProcessingConcurrency} with {history:N0} finished jobs kept in the table ({size} with indexes, filled in {filled.TotalSeconds:F0} s); ratio = with history / empty"));
    }

    /// <summary>A statement that may run for minutes (filling millions of rows): no command timeout.</summary>
    private async Task ExecuteUnboundedAsync(string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync();
    }
}
