using System.Diagnostics;
using System.Reflection;

namespace Queues.ReliabilityTests.Infrastructure;

/// <summary>
/// One run of the worker (tests/Queues.ReliabilityTests.Worker) as a separate process: <c>dotnet Worker.dll schema name</c>,
/// its output appended to <c>{name}.log</c>. <see cref="Kill"/> is SIGKILL (a crash), <see cref="StopAsync"/> SIGTERM (a
/// graceful stop).
/// </summary>
public sealed class WorkerProcess
{
    private readonly Process _process;

    private WorkerProcess(Process process, string name, string logFile)
    {
        _process = process;
        Name = name;
        LogFile = logFile;
        Pid = process.Id;
    }

    /// <summary>Unique per process start, so a rescue message names the very run that died.</summary>
    public string Name { get; }

    public int Pid { get; }

    public string LogFile { get; }

    public DateTime? KilledAt { get; private set; }

    public bool HasExited => _process.HasExited;

    /// <summary>The worker's dll: QUEUES_RELIABILITY_WORKER, else the path the build embedded (see the .csproj).</summary>
    public static string DllPath
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("QUEUES_RELIABILITY_WORKER");
            if (string.IsNullOrWhiteSpace(path))
            {
                path = typeof(WorkerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                    .FirstOrDefault(static a => a.Key == "ReliabilityWorker")?.Value;
            }

            return !string.IsNullOrWhiteSpace(path) && File.Exists(path)
                ? path
                : throw new InvalidOperationException(
                    $"The reliability worker was not found at '{path}'. Build tests/Queues.ReliabilityTests (it builds the worker), or set QUEUES_RELIABILITY_WORKER.");
        }
    }

    public static WorkerProcess Start(string connectionString, string schema, string name, string logDirectory, IReadOnlyDictionary<string, string>? settings = null)
    {
        var logFile = Path.Combine(logDirectory, name + ".log");
        // exec: the shell becomes the worker, so the pid is the worker's and a SIGKILL reaches it directly.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = logDirectory };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec \"$0\" \"$@\" >>\"$QUEUES_WORKER_LOG\" 2>&1");
        start.ArgumentList.Add(DotnetHost());
        start.ArgumentList.Add(DllPath);
        start.ArgumentList.Add(schema);
        start.ArgumentList.Add(name);
        start.Environment["QUEUES_WORKER_LOG"] = logFile;
        start.Environment["QUEUES_CONNECTION_STRING"] = connectionString;
        start.Environment["QUEUES_PARENT_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return new WorkerProcess(Process.Start(start)!, name, logFile);
    }

    /// <summary>SIGKILL: the process dies at once, mid-job, without releasing anything.</summary>
    public async Task KillAsync()
    {
        KilledAt = DateTime.UtcNow;
        _process.Kill();
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Waits until the worker has started (its host handles SIGTERM from then on) and printed its ready line.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!ReadLog().Contains($"worker {Name} ready", StringComparison.Ordinal))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"Worker {Name} (pid {Pid}) did not become ready: {ReadLog()}");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>SIGTERM once the worker is ready, then waits for the exit; returns the exit code (0 after a clean stop).</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        // A SIGTERM before the host has installed its handler would kill the process like a crash.
        await WaitReadyAsync(TimeSpan.FromSeconds(60));
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            throw new TimeoutException($"Worker {Name} (pid {Pid}) did not stop within {timeout} of SIGTERM; killed it. Log: {LogFile}");
        }

        return _process.ExitCode;
    }

    /// <summary>Kills the process if it still runs (cleanup after a failed test).</summary>
    public void EnsureGone()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    public string ReadLog() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    private static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrWhiteSpace(host) && File.Exists(host) ? host : "dotnet";
    }
}
