using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Queues.Bench;

internal sealed partial class Scenarios
{
    private const string StartupSchema = "bench_startup";
    private const int StartupRuns = 10;
    private const int MemoryJobs = 100_000;
    private static readonly int[] MemoryConcurrencies = [QueuesOptions.DefaultConcurrency, ProcessingConcurrency];
    private static readonly TimeSpan IdleFor = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan SampleEvery = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan SettleFor = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// 6. Start-up and memory of a worker process (bench/Queues.Bench.Worker), published with native AOT and run JIT:
    /// exec → first handler start with one job waiting (10 fresh processes), RSS idle for 5 s, and peak RSS draining
    /// 100,000 no-op jobs at concurrency 10 and 500. The floor, measured in the same run and built the same way: the
    /// program's raw mode built alone (Npgsql without Queues), an Npgsql data source that runs one claim-like query
    /// (exec → its first row, RSS idle) and, under load, the claim-100 + complete-100 loop of the processing scenario.
    /// </summary>
    public async Task<IReadOnlyList<BenchResult>> StartupAsync()
    {
        var work = Directory.CreateTempSubdirectory("queues-bench-startup-").FullName;
        try
        {
            var project = Path.Combine(RepositoryRoot(), "bench", "Queues.Bench.Worker", "Queues.Bench.Worker.csproj");
            var builds = new List<(WorkerBuild Worker, WorkerBuild Raw)>();
            foreach (var aot in new[] { true, false })
            {
                builds.Add((await PublishWorkerAsync(project, work, aot, rawOnly: false), await PublishWorkerAsync(project, work, aot, rawOnly: true)));
            }

            await FreshSchemaAsync(StartupSchema);
            var results = new List<BenchResult>();
            foreach (var (build, rawBuild) in builds)
            {
                results.Add(await StartupTimeAsync(build, rawBuild));
            }

            foreach (var (build, rawBuild) in builds)
            {
                results.Add(await IdleMemoryAsync(build, rawBuild));
            }

            foreach (var (build, rawBuild) in builds)
            {
                var raw = await LoadMemoryAsync(rawBuild, concurrency: null);
                foreach (var concurrency in MemoryConcurrencies)
                {
                    var queues = await LoadMemoryAsync(build, concurrency);
                    results.Add(new BenchResult($"rss-c{concurrency}-{build.Name}", "MiB peak RSS", queues.PeakMiB,
                        $"raw claim-100 + complete-100 loop, peak RSS ({build.Label})", raw.PeakMiB,
                        FormattableString.Invariant($"{build.Label} worker draining {MemoryJobs:N0} no-op jobs at concurrency {concurrency} (prefetch {QueuesOptions.DefaultPrefetch}), peak from the kernel's VmHWM (sampled every {SampleEvery.TotalMilliseconds:F0} ms: {queues.SampledPeakMiB:F1}); {queues.EndMiB:F1} MiB {SettleFor.TotalSeconds:F0} s after the last handler (raw loop: {raw.EndMiB:F1}); {queues.Rate:N0} jobs/s from the first handler to the last (raw {raw.Rate:N0})")));
                }
            }

            return results;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Exec → first handler start with one job waiting, alternating with the raw program's exec → first row.</summary>
    private async Task<BenchResult> StartupTimeAsync(WorkerBuild build, WorkerBuild rawBuild)
    {
        var phases = new List<double[]>(); // main, built, started, node registered, first claim, first handler
        var raws = new List<double[]>(); // main, connected, first row
        var runtime = "";
        for (var run = -1; run < StartupRuns; run++) // run -1 warms the page cache and the server, and is not counted
        {
            await ResetStartupSchemaAsync(1);
            await using (var worker = WorkerProcess.Start(build, connectionString, "worker", StartupSchema, "10", "1"))
            {
                var first = await worker.ElapsedMsAsync("first", StartTimeout);
                var started = await worker.ElapsedMsAsync("started", StartTimeout);
                await using var command = dataSource.CreateCommand(
                    $"SELECT (SELECT min(started_at) FROM {StartupSchema}.nodes), (SELECT min(attempted_at) FROM {StartupSchema}.jobs)");
                await using var reader = await command.ExecuteReaderAsync();
                await reader.ReadAsync();
                var (node, claim) = (worker.ElapsedMs(reader.GetDateTime(0)), worker.ElapsedMs(reader.GetDateTime(1)));
                double[] times = [await worker.ElapsedMsAsync("main", StartTimeout), await worker.ElapsedMsAsync("built", StartTimeout), started, node, claim, first];
                runtime = worker.Runtime;
                await worker.StopAsync();
                if (run >= 0)
                {
                    phases.Add(times);
                }
            }

            await ResetStartupSchemaAsync(1);
            await using (var raw = WorkerProcess.Start(rawBuild, connectionString, "raw", StartupSchema))
            {
                double[] times = [await raw.ElapsedMsAsync("main", StartTimeout), await raw.ElapsedMsAsync("connected", StartTimeout), await raw.ElapsedMsAsync("first", StartTimeout)];
                Check(raw.Info("rows") == "1", $"raw start-up run {run} read its job");
                await raw.StopAsync();
                if (run >= 0)
                {
                    raws.Add(times);
                }
            }
        }

        double Median(List<double[]> runs, int phase) => runs.Select(r => r[phase]).Order().ElementAt(runs.Count / 2);
        var c = CultureInfo.InvariantCulture;
        return new BenchResult($"startup-{build.Name}", "ms p50", Median(phases, 5), $"exec → first row of a claim-like SELECT, raw Npgsql ({build.Label})", Median(raws, 2),
            string.Create(c, $"exec → first handler start of a {build.Label} worker ({runtime}), one job waiting, {StartupRuns} fresh processes after one uncounted: max {phases.Max(static p => p[5]):F0} ms; medians from exec: main {Median(phases, 0):F1} ms, host built {Median(phases, 1):F1}, host started {Median(phases, 2):F1} (schema version checked, loops started), node registered {Median(phases, 3):F1} and first claim {Median(phases, 4):F1} (server clock), handler {Median(phases, 5):F1}; raw: main {Median(raws, 0):F1}, connected {Median(raws, 1):F1}, first row {Median(raws, 2):F1}, max {raws.Max(static r => r[2]):F0} ms"));
    }

    /// <summary>RSS of a worker with nothing to do, <see cref="IdleFor"/> after its host started, against the raw program's.</summary>
    private async Task<BenchResult> IdleMemoryAsync(WorkerBuild build, WorkerBuild rawBuild)
    {
        async Task<WorkerProcess.Rss> IdleAsync(WorkerBuild program, string after, params string[] arguments)
        {
            await ResetStartupSchemaAsync(0);
            await using var process = WorkerProcess.Start(program, connectionString, arguments);
            await process.ElapsedMsAsync(after, StartTimeout);
            await Task.Delay(IdleFor);
            var rss = process.Memory();
            await process.StopAsync();
            return rss;
        }

        var queues = await IdleAsync(build, "started", "worker", StartupSchema, "10", "0");
        var raw = await IdleAsync(rawBuild, "first", "raw", StartupSchema);
        return new BenchResult($"rss-idle-{build.Name}", "MiB RSS", queues.CurrentMiB, $"raw: data source + one query, idle ({build.Label})", raw.CurrentMiB,
            FormattableString.Invariant($"{build.Label} worker {IdleFor.TotalSeconds:F0} s after its host started, no jobs (peak {queues.PeakMiB:F1} MiB; raw peak {raw.PeakMiB:F1}); {build.Description}; raw: {rawBuild.Description}"));
    }

    private sealed record LoadMemory(double PeakMiB, double SampledPeakMiB, double EndMiB, double Rate);

    /// <summary>
    /// Drains <see cref="MemoryJobs"/> no-op jobs with a worker at <paramref name="concurrency"/> (null: the raw loop),
    /// sampling VmRSS meanwhile; checks every job completed on its first attempt.
    /// </summary>
    private async Task<LoadMemory> LoadMemoryAsync(WorkerBuild build, int? concurrency)
    {
        await ResetStartupSchemaAsync(MemoryJobs);
        string[] arguments = concurrency is { } n
            ? ["worker", StartupSchema, n.ToString(CultureInfo.InvariantCulture), MemoryJobs.ToString(CultureInfo.InvariantCulture)]
            : ["raw", StartupSchema, "drain"];
        await using var process = WorkerProcess.Start(build, connectionString, arguments);
        using var sampling = new CancellationTokenSource();
        var sampler = process.SamplePeakAsync(SampleEvery, sampling.Token);
        var first = await process.ElapsedMsAsync("first", StartTimeout);
        var done = await process.ElapsedMsAsync("done", DrainTimeout);
        await Task.Delay(SettleFor);
        var rss = process.Memory();
        await sampling.CancelAsync();
        var sampledPeak = await sampler;
        await process.StopAsync(); // A worker writes its last completions as it stops.

        var completed = await ScalarAsync<long>($"SELECT count(*) FROM {StartupSchema}.jobs WHERE state = 'completed' AND attempt = 1");
        Check(completed == MemoryJobs, $"{build.Name} {string.Join(' ', arguments)}: {completed} of {MemoryJobs} jobs completed on their first attempt");
        return new LoadMemory(rss.PeakMiB, sampledPeak, rss.CurrentMiB, MemoryJobs / ((done - first) / 1000));
    }

    /// <summary>Empties the start-up schema (jobs, nodes, leader lease) and enqueues <paramref name="jobs"/> no-op jobs.</summary>
    private async Task ResetStartupSchemaAsync(int jobs)
    {
        await ExecuteAsync($"TRUNCATE {StartupSchema}.jobs");
        await ExecuteAsync($"DELETE FROM {StartupSchema}.nodes");
        await ExecuteAsync($"DELETE FROM {StartupSchema}.leader");
        if (jobs > 0)
        {
            await InsertNoopsAsync(new QueuesClient(dataSource, StartupSchema), jobs);
        }
    }

    /// <summary>How to start one build of the worker program.</summary>
    private sealed record WorkerBuild(string Name, string Label, string FileName, string[] Prefix, string Directory, string Description)
    {
        public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    }

    /// <summary>
    /// Publishes bench/Queues.Bench.Worker into <paramref name="work"/>: native AOT for this machine's runtime identifier,
    /// or framework-dependent (run with <c>dotnet</c>, rolled forward to the newest installed runtime when its own
    /// net9.0 is absent); <paramref name="rawOnly"/>: its raw mode alone, without Queues. Throws with the errors of the
    /// build's output when the publish fails.
    /// </summary>
    private static async Task<WorkerBuild> PublishWorkerAsync(string project, string work, bool aot, bool rawOnly)
    {
        var name = (aot ? "aot" : "jit") + (rawOnly ? "-raw" : "");
        var output = Path.Combine(work, name);
        List<string> arguments = ["publish", project, "-c", "Release", "-o", output, "--artifacts-path", Path.Combine(work, "artifacts-" + name),
            "-nodeReuse:false", "-p:UseSharedCompilation=false"];
        arguments.AddRange(aot ? ["-r", RuntimeInformation.RuntimeIdentifier] : ["-p:PublishAot=false"]);
        arguments.AddRange(rawOnly ? ["-p:BenchRawOnly=true"] : []);
        Console.Error.WriteLine($"startup: publishing the {(rawOnly ? "raw program" : "worker")} {(aot ? "with native AOT (1-3 minutes)" : "framework-dependent")}...");
        var watch = Stopwatch.StartNew();
        var start = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        arguments.ForEach(start.ArgumentList.Add);
        using var publish = Process.Start(start) ?? throw new InvalidOperationException("Could not start dotnet publish.");
        var stdout = publish.StandardOutput.ReadToEndAsync();
        var stderr = publish.StandardError.ReadToEndAsync();
        await publish.WaitForExitAsync();
        var log = await stdout + await stderr;
        if (publish.ExitCode != 0)
        {
            var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var errors = lines.Where(static l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Distinct().Take(30).ToArray();
            throw new InvalidOperationException(
                $"startup: dotnet {string.Join(' ', arguments)} failed with exit code {publish.ExitCode} (trim and AOT warnings are errors here):\n"
                + string.Join('\n', errors.Length > 0 ? errors : lines.TakeLast(30)));
        }

        var executable = Path.Combine(output, aot ? "Queues.Bench.Worker" : "Queues.Bench.Worker.dll");
        var size = (aot ? new FileInfo(executable).Length : Directory.GetFiles(output, "*.dll").Sum(static f => new FileInfo(f).Length)) / (1024.0 * 1024.0);
        Console.Error.WriteLine(FormattableString.Invariant($"startup: published {name} in {watch.Elapsed.TotalSeconds:F0} s ({size:F1} MiB)"));
        return aot
            ? new WorkerBuild(name, "native AOT", executable, [], output, FormattableString.Invariant($"native AOT executable {size:F1} MiB"))
            : new WorkerBuild(name, "JIT", DotnetHost(), [executable], output, FormattableString.Invariant($"framework-dependent, {Directory.GetFiles(output, "*.dll").Length} assemblies of {size:F1} MiB beside the shared framework"))
            {
                Environment = new Dictionary<string, string> { ["DOTNET_ROLL_FORWARD"] = "Major" },
            };
    }

    /// <summary>The dotnet host of the runtime this bench runs on (…/dotnet beside shared/Microsoft.NETCore.App/x.y.z/).</summary>
    private static string DotnetHost()
    {
        var host = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
        return File.Exists(host) ? host : "dotnet";
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Queues.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"startup: Queues.sln not found above {AppContext.BaseDirectory}; run the bench from the repository.");
    }

    /// <summary>
    /// A running worker program: reads its "<c>at milestone timestamp</c>" lines as they come, reads its memory from /proc,
    /// and stops it by closing its standard input.
    /// </summary>
    private sealed class WorkerProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string _what;
        private readonly long _execAt;
        private readonly DateTime _execAtUtc;
        private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _milestones = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, string> _info = new(StringComparer.Ordinal);
        private readonly StringBuilder _errors = new();
        private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private WorkerProcess(WorkerBuild build, string connectionString, string[] arguments)
        {
            _what = $"{build.Label} {string.Join(' ', arguments)}";
            var start = new ProcessStartInfo(build.FileName)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = build.Directory, // As deployed: the content root is the application's folder.
            };
            foreach (var argument in build.Prefix.Concat(arguments))
            {
                start.ArgumentList.Add(argument);
            }

            foreach (var (key, value) in build.Environment)
            {
                start.Environment[key] = value;
            }

            start.Environment["QUEUES_CONNECTION_STRING"] = connectionString;
            _execAtUtc = DateTime.UtcNow;
            _execAt = Stopwatch.GetTimestamp();
            _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {_what}.");
            _process.ErrorDataReceived += (_, e) =>
            {
                lock (_errors)
                {
                    _errors.AppendLine(e.Data);
                }
            };
            _process.BeginErrorReadLine();
            _ = Task.Run(ReadOutputAsync);
        }

        public static WorkerProcess Start(WorkerBuild build, string connectionString, params string[] arguments) => new(build, connectionString, arguments);

        /// <summary>The runtime the program reported (".NET 9.0.x native AOT").</summary>
        public string Runtime => Info("runtime") ?? "";

        public string? Info(string key) => _info.TryGetValue(key, out var value) ? value : null;

        /// <summary>Milliseconds from the exec to <paramref name="milestone"/>, waiting for it.</summary>
        public async Task<double> ElapsedMsAsync(string milestone, TimeSpan timeout)
        {
            var reached = _milestones.GetOrAdd(milestone, static _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            try
            {
                await Task.WhenAny(reached, _exited.Task).WaitAsync(timeout);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"startup: {_what} did not reach '{milestone}' within {timeout.TotalSeconds:F0} s. Its error output:\n{Errors()}");
            }

            if (!reached.IsCompleted)
            {
                throw new InvalidOperationException($"startup: {_what} ended before '{milestone}'. Its error output:\n{Errors()}");
            }

            return Stopwatch.GetElapsedTime(_execAt, await reached).TotalMilliseconds;
        }

        /// <summary>Milliseconds from the exec to a time read from the server's clock.</summary>
        public double ElapsedMs(DateTime utc) => (utc - _execAtUtc).TotalMilliseconds;

        public readonly record struct Rss(double CurrentMiB, double PeakMiB);

        /// <summary>VmRSS and VmHWM (the kernel's peak RSS) from /proc/&lt;pid&gt;/status.</summary>
        public Rss Memory()
        {
            double current = 0, peak = 0;
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    current = Kilobytes(line) / 1024.0;
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    peak = Kilobytes(line) / 1024.0;
                }
            }

            return new Rss(current, peak);

            static long Kilobytes(string line) => long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
        }

        /// <summary>Samples VmRSS every <paramref name="every"/> until cancelled; returns the highest sample.</summary>
        public async Task<double> SamplePeakAsync(TimeSpan every, CancellationToken cancellationToken)
        {
            var peak = 0.0;
            using var timer = new PeriodicTimer(every);
            do
            {
                if (!_process.HasExited)
                {
                    peak = Math.Max(peak, Memory().CurrentMiB);
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).AsTask().ContinueWith(static t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default));

            return peak;
        }

        /// <summary>Closes its standard input (the program then stops) and waits for a clean exit.</summary>
        public async Task StopAsync()
        {
            _process.StandardInput.Close();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await _process.WaitForExitAsync(deadline.Token);
            Check(_process.ExitCode == 0, $"{_what} exited with {_process.ExitCode}: {Errors()}");
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }

        private async Task ReadOutputAsync()
        {
            try
            {
                while (await _process.StandardOutput.ReadLineAsync() is { } line)
                {
                    var received = Stopwatch.GetTimestamp();
                    var space = line.IndexOf(' ', StringComparison.Ordinal);
                    var (key, value) = space < 0 ? (line, "") : (line[..space], line[(space + 1)..]);
                    if (key == "at" && value.Split(' ') is [var milestone, var timestamp] && long.TryParse(timestamp, CultureInfo.InvariantCulture, out var at))
                    {
                        // The program's own CLOCK_MONOTONIC timestamp; the time the line arrived if it does not fit.
                        _milestones.GetOrAdd(milestone, static _ => new(TaskCreationOptions.RunContinuationsAsynchronously))
                            .TrySetResult(at >= _execAt && at <= received ? at : received);
                    }
                    else
                    {
                        _info[key] = value;
                    }
                }
            }
            finally
            {
                _exited.TrySetResult();
            }
        }

        private string Errors()
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }
}
