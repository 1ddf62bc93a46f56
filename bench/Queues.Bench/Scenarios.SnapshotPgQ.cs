using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using Queues.Testing;

namespace Queues.Bench;

internal sealed partial class Scenarios
{
    private const string PgQQueue = "bench";
    private const string PgQConsumer = "bench";

    /// <summary>How often the ticker runs, as pgqd's ticker would if its period were this short.</summary>
    private static readonly TimeSpan PgQTickerPeriod = TimeSpan.FromMilliseconds(50);

    /// <summary>How often the maintenance pgqd does (rotation steps 1 and 2, retry events, vacuum) runs.</summary>
    private static readonly TimeSpan PgQMaintenancePeriod = TimeSpan.FromSeconds(5);

    /// <summary>The consumer's sleep when there is no new batch (pgq consumers sleep their loop_delay, by default 1 s).</summary>
    private static readonly TimeSpan PgQIdleDelay = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Whether the server can <c>CREATE EXTENSION pgq</c>; when its files are missing and this process is root,
    /// installs Debian's <c>postgresql-N-pgq3</c> first. Otherwise says why the PgQ half is skipped.
    /// </summary>
    private async Task<bool> EnsurePgQAsync()
    {
        if (await ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgq')"))
        {
            return true;
        }

        var major = await ScalarAsync<int>("SELECT current_setting('server_version_num')::int / 10000");
        var package = string.Create(CultureInfo.InvariantCulture, $"postgresql-{major}-pgq3");
        var binDirectory = TemporaryPostgres.FindBinDirectory();
        var shareDirectory = binDirectory is null ? null : (await RunAsync(Path.Combine(binDirectory, "pg_config"), ["--sharedir"])).Output.Trim();
        var control = Path.Combine(string.IsNullOrEmpty(shareDirectory) ? $"/usr/share/postgresql/{major}" : shareDirectory, "extension", "pgq.control");
        if (!File.Exists(control))
        {
            if (!Environment.IsPrivilegedProcess)
            {
                Console.Error.WriteLine($"PgQ half skipped: {control} is missing and this process is not root to install it. Install it with `sudo apt-get install -y {package}` and run again.");
                return false;
            }

            Console.Error.WriteLine($"PgQ: {control} is missing; apt-get install -y {package} …");
            var (exit, output) = await RunAsync("apt-get", ["install", "-y", package], ("DEBIAN_FRONTEND", "noninteractive"));
            if (exit != 0 || !File.Exists(control))
            {
                var tail = string.Join(Environment.NewLine, output.Split('\n').TakeLast(15));
                Console.Error.WriteLine($"PgQ half skipped: apt-get install -y {package} exited with {exit}:{Environment.NewLine}{tail}");
                return false;
            }
        }

        if (await ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgq')"))
        {
            return true;
        }

        Console.Error.WriteLine($"PgQ half skipped: {control} exists, but the server does not offer the extension (is QUEUES_BENCH_DB a server elsewhere?).");
        return false;
    }

    private static async Task<(int Exit, string Output)> RunAsync(string file, string[] arguments, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await output + await errors);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }

    /// <summary>
    /// PgQ driven as pgqd and a consumer would drive it: a ticker (<c>pgq.ticker()</c> every 50 ms), the maintenance
    /// pgqd runs (what <c>pgq.maint_operations()</c> lists: rotation steps 1 and 2 in separate transactions, retry
    /// events, vacuum of PgQ's own tables) every 5 s, and one consumer looping over <c>next_batch</c>,
    /// <c>get_batch_events</c> and <c>finish_batch</c> that treats each event as a no-op job. The rotation period is
    /// 10 s rather than the default 2 hours, so the event tables rotate many times within even a short hold.
    /// </summary>
    /// <remarks>
    /// The ticker, maintenance and consumer run in this process, so its CPU per event includes them and the producer
    /// (as the worker's includes the producer in the Queues half); pgqd would be a separate C process.
    /// </remarks>
    private sealed partial class PgQSubject(Scenarios bench) : SnapshotSubject
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _loops = [];
        private int _rotations;

        public override string Name => "PgQ";

        public override string Scenario => "snapshot-pgq";

        public override string Unit => "events";

        public override string ProcessName => "consumer";

        public override string LatencyName => "batch fetch";

        public override string HoldTable => "pgq.queue";

        public override async Task StartAsync(Tally tally)
        {
            await bench.ExecuteAsync("DROP EXTENSION IF EXISTS pgq CASCADE");
            await bench.ExecuteAsync("CREATE EXTENSION pgq");
            await bench.ExecuteAsync($"SELECT pgq.create_queue('{PgQQueue}')");

            // Rotate every 10 s instead of every 2 hours; tick after 100 ms or 500 events, whichever comes first, so a
            // batch holds about as many events as the ticker period brings.
            await bench.ExecuteAsync($"SELECT pgq.set_queue_config('{PgQQueue}', 'rotation_period', '10 seconds')");
            await bench.ExecuteAsync($"SELECT pgq.set_queue_config('{PgQQueue}', 'ticker_max_lag', '100 milliseconds')");
            await bench.ExecuteAsync($"SELECT pgq.set_queue_config('{PgQQueue}', 'ticker_max_count', '500')");
            await bench.ExecuteAsync($"SELECT pgq.register_consumer('{PgQQueue}', '{PgQConsumer}')");
            _loops.Add(Task.Run(() => TickerAsync(_stop.Token)));
            _loops.Add(Task.Run(() => MaintenanceAsync(_stop.Token)));
            _loops.Add(Task.Run(() => ConsumerAsync(tally, _stop.Token)));
        }

        public override async Task EnqueueAsync(int first, int count, long at)
        {
            await using var connection = await bench.DataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using var command = new NpgsqlCommand(
                $"SELECT pgq.insert_event('{PgQQueue}', 'probe', s::text, $2, NULL, NULL, NULL) FROM generate_series($1, $1 + $3 - 1) AS s", connection, transaction);
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = first });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = at.ToString(CultureInfo.InvariantCulture) });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count });
            await command.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        }

        public override async Task<SnapshotStats> ReadStatsAsync()
        {
            await using var command = bench.DataSource.CreateCommand("""
                SELECT coalesce(sum(pg_table_size(c.oid)), 0)::int8, coalesce(sum(pg_indexes_size(c.oid)), 0)::int8,
                       (SELECT coalesce(sum(n_dead_tup), 0)::int8 FROM pg_stat_user_tables WHERE schemaname = 'pgq'),
                       (SELECT coalesce(sum(n_dead_tup), 0)::int8 FROM pg_stat_user_tables WHERE schemaname = 'pgq' AND relname LIKE 'event\_%')
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'pgq' AND c.relkind = 'r' AND c.relname LIKE 'event\_%'
                """);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            var rotations = Interlocked.Exchange(ref _rotations, 0);
            return new SnapshotStats(reader.GetInt64(0) / 1048576.0, reader.GetInt64(1) / 1048576.0, reader.GetInt64(2), null,
                string.Create(CultureInfo.InvariantCulture, $" (in pgq.event_*: {reader.GetInt64(3):N0}), {rotations} rotations"));
        }

        public override async Task StopAsync()
        {
            await _stop.CancelAsync();
            foreach (var loop in _loops)
            {
                try
                {
                    await loop;
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        public override async ValueTask DisposeAsync()
        {
            await StopAsync();
            _stop.Dispose();
        }

        private async Task TickerAsync(CancellationToken cancellationToken)
        {
            await using var connection = await bench.DataSource.OpenConnectionAsync(cancellationToken);
            await using var tick = new NpgsqlCommand("SELECT pgq.ticker()", connection);
            using var timer = new PeriodicTimer(PgQTickerPeriod);
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await tick.ExecuteScalarAsync(cancellationToken);
            }
        }

        /// <summary>What pgqd's maintenance does: run each operation <c>pgq.maint_operations()</c> returns, each in its own transaction.</summary>
        private async Task MaintenanceAsync(CancellationToken cancellationToken)
        {
            await using var connection = await bench.DataSource.OpenConnectionAsync(cancellationToken);
            using var timer = new PeriodicTimer(PgQMaintenancePeriod);
            var table = -1;
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var operations = new List<(string Function, string? Argument)>();
                await using (var list = new NpgsqlCommand("SELECT func_name, func_arg FROM pgq.maint_operations()", connection))
                await using (var reader = await list.ExecuteReaderAsync(cancellationToken))
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        operations.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
                    }
                }

                foreach (var (function, argument) in operations)
                {
                    // The names come from PgQ's own tables; refuse anything that is not a plain (qualified) identifier.
                    if (!Identifier().IsMatch(function) || (argument is not null && function.Equals("vacuum", StringComparison.OrdinalIgnoreCase) && !Identifier().IsMatch(argument)))
                    {
                        Console.Error.WriteLine($"PgQ: skipped an unexpected maintenance operation {function}({argument}).");
                        continue;
                    }

                    await using var run = function.Equals("vacuum", StringComparison.OrdinalIgnoreCase)
                        ? new NpgsqlCommand($"VACUUM {argument}", connection)
                        : new NpgsqlCommand(argument is null ? $"SELECT {function}()" : $"SELECT {function}($1)", connection);
                    if (argument is not null && run.CommandText.StartsWith("SELECT", StringComparison.Ordinal))
                    {
                        run.Parameters.Add(new NpgsqlParameter<string> { TypedValue = argument });
                    }

                    await run.ExecuteNonQueryAsync(cancellationToken);
                }

                await using var current = new NpgsqlCommand($"SELECT queue_cur_table FROM pgq.queue WHERE queue_name = '{PgQQueue}'", connection);
                var now = (int)(await current.ExecuteScalarAsync(cancellationToken))!;
                if (table >= 0 && now != table)
                {
                    Interlocked.Increment(ref _rotations);
                }

                table = now;
            }
        }

        private async Task ConsumerAsync(Tally tally, CancellationToken cancellationToken)
        {
            await using var connection = await bench.DataSource.OpenConnectionAsync(cancellationToken);
            await using var next = new NpgsqlCommand($"SELECT pgq.next_batch('{PgQQueue}', '{PgQConsumer}')", connection);
            await using var events = new NpgsqlCommand("SELECT ev_data, ev_extra1 FROM pgq.get_batch_events($1)", connection);
            events.Parameters.Add(new NpgsqlParameter<long>());
            await using var finish = new NpgsqlCommand("SELECT pgq.finish_batch($1)", connection);
            finish.Parameters.Add(new NpgsqlParameter<long>());
            while (!cancellationToken.IsCancellationRequested)
            {
                var sent = Stopwatch.GetTimestamp();
                if (await next.ExecuteScalarAsync(cancellationToken) is not long batch)
                {
                    await Task.Delay(PgQIdleDelay, cancellationToken);
                    continue;
                }

                var batchEvents = new List<(int Sequence, long EnqueuedAt)>();
                ((NpgsqlParameter<long>)events.Parameters[0]).TypedValue = batch;
                await using (var reader = await events.ExecuteReaderAsync(cancellationToken))
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        batchEvents.Add((int.Parse(reader.GetString(0), CultureInfo.InvariantCulture), long.Parse(reader.GetString(1), CultureInfo.InvariantCulture)));
                    }
                }

                var returned = Stopwatch.GetTimestamp();
                Latencies.Enqueue((returned, Stopwatch.GetElapsedTime(sent, returned).TotalMilliseconds));
                foreach (var (sequence, enqueuedAt) in batchEvents)
                {
                    tally.Started(sequence, enqueuedAt); // The no-op "job".
                }

                ((NpgsqlParameter<long>)finish.Parameters[0]).TypedValue = batch;
                await finish.ExecuteScalarAsync(cancellationToken);
            }
        }

        [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?$")]
        private static partial Regex Identifier();
    }
}
