// The worker process of the bench's "startup" scenario; QUEUES_CONNECTION_STRING names the server.
//   Queues.Bench.Worker worker <schema> <concurrency> <jobs>
//       A Queues worker (the default host builder, as an application has it) running queue "bench" at <concurrency>;
//       its handler is the bench's no-op job. Prints "first" when the first handler starts, "done" when <jobs> have run.
//   Queues.Bench.Worker raw <schema> [drain]
//       The floor any .NET PostgreSQL worker pays: an Npgsql data source, one connection and one claim-like query
//       (SELECT ... FOR UPDATE SKIP LOCKED, "first" when its row is read); with drain, then claim-100 + complete-100
//       in plain SQL until the queue is empty ("done"). Built with -p:BenchRawOnly=true, the program is this mode alone:
//       Npgsql without Queues or the hosting libraries, so a native AOT floor does not carry their code.
// Milestones are printed as "at <name> <Stopwatch timestamp>", CLOCK_MONOTONIC on Linux, so the orchestrator can compare
// them with its own. Afterwards the process stays up until its standard input closes (so its RSS can be read from
// /proc), then stops and exits 0.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Npgsql;
using Queues.Bench.Worker;

Milestones.Write("main");
Console.WriteLine($"runtime {RuntimeInformation.FrameworkDescription}{(System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported ? " JIT" : " native AOT")}");
var connectionString = Environment.GetEnvironmentVariable("QUEUES_CONNECTION_STRING");
if (string.IsNullOrWhiteSpace(connectionString) || args.Length < 2)
{
    Console.Error.WriteLine("usage: QUEUES_CONNECTION_STRING=... Queues.Bench.Worker worker <schema> <concurrency> <jobs> | raw <schema> [drain]");
    return 2;
}

var schema = args[1];
#if !BENCH_RAW_ONLY
if (args[0] == "worker" && args.Length == 4
    && int.TryParse(args[2], CultureInfo.InvariantCulture, out var concurrency) && int.TryParse(args[3], CultureInfo.InvariantCulture, out var jobs))
{
    // In a method of its own: run JIT, the raw mode compiles (and loads the assemblies of) none of the worker's code.
    await WorkerMode.RunAsync(connectionString, schema, concurrency, jobs);
    return 0;
}
#endif

if (args[0] == "raw" && (args.Length == 2 || (args.Length == 3 && args[2] == "drain")))
{
    await RawAsync(connectionString, schema, drain: args.Length == 3);
    return 0;
}

Console.Error.WriteLine($"unknown mode or arguments: {string.Join(' ', args)}");
return 2;

static async Task RawAsync(string connectionString, string schema, bool drain)
{
    await using var dataSource = NpgsqlDataSource.Create(connectionString);
    await using (var connection = await dataSource.OpenConnectionAsync())
    {
        Milestones.Write("connected");
        await using var command = new NpgsqlCommand(
            $"""
            SELECT id, payload::text FROM {schema}.jobs
            WHERE state = 'available' AND queue = 'bench' AND run_at <= now()
            ORDER BY priority, run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var found = await reader.ReadAsync();
        var at = Stopwatch.GetTimestamp();
        Console.WriteLine($"rows {(found ? 1 : 0)}"); // Before "first", so the orchestrator has it when "first" arrives.
        Milestones.Write("first", at);
    }

    if (drain)
    {
        Console.WriteLine($"drained {await RawDrain.RunAsync(dataSource, schema)}");
        Milestones.Write("done");
    }

    await Milestones.WaitForStandardInputToCloseAsync();
}

namespace Queues.Bench.Worker
{
    /// <summary>Prints "<c>at name timestamp</c>" lines (other lines are "<c>key value</c>"); the timestamp is taken before the console's lock.</summary>
    internal static class Milestones
    {
        public static void Write(string name) => Write(name, Stopwatch.GetTimestamp());

        public static void Write(string name, long at) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"at {name} {at}"));

        /// <summary>Returns when standard input closes: the orchestrator's signal to stop.</summary>
        public static Task WaitForStandardInputToCloseAsync() => Task.Run(static () =>
        {
            using var input = Console.OpenStandardInput();
            var buffer = new byte[256];
            while (input.Read(buffer) > 0)
            {
            }
        });
    }

    /// <summary>The raw claim-100 + complete-100 loop of the processing scenario, on one connection.</summary>
    internal static class RawDrain
    {
        public static async Task<int> RunAsync(NpgsqlDataSource dataSource, string schema)
        {
            var claim = $"""
                WITH next AS MATERIALIZED (
                    SELECT id FROM {schema}.jobs
                    WHERE state = 'available' AND queue = 'bench' AND run_at <= now()
                    ORDER BY priority, run_at, id LIMIT 100 FOR UPDATE SKIP LOCKED)
                UPDATE {schema}.jobs AS j SET state = 'running', attempt = j.attempt + 1, attempted_at = now()
                FROM next WHERE j.id = next.id
                RETURNING j.id, j.attempt, j.payload::text
                """;
            var complete = $"""
                UPDATE {schema}.jobs AS j SET state = 'completed', finalized_at = now()
                FROM unnest($1::bigint[], $2::smallint[]) AS c(id, attempt)
                WHERE j.id = c.id AND j.state = 'running' AND j.attempt = c.attempt
                """;
            var done = 0;
            await using var connection = await dataSource.OpenConnectionAsync();
            var ids = new List<long>(100);
            var attempts = new List<short>(100);
            while (true)
            {
                ids.Clear();
                attempts.Clear();
                await using (var command = new NpgsqlCommand(claim, connection))
                {
                    await command.PrepareAsync();
                    await using var reader = await command.ExecuteReaderAsync();
                    while (await reader.ReadAsync())
                    {
                        ids.Add(reader.GetInt64(0));
                        attempts.Add(reader.GetInt16(1));
                        _ = reader.GetString(2);
                    }
                }

                if (ids.Count == 0)
                {
                    return done;
                }

                await using (var command = new NpgsqlCommand(complete, connection))
                {
                    command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = ids.ToArray() });
                    command.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = attempts.ToArray() });
                    await command.PrepareAsync();
                    done += await command.ExecuteNonQueryAsync();
                }
            }
        }
    }
}
