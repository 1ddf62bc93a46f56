using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Queues.Bench;

/// <summary>
/// CPU time spent by this process (the worker, or the raw loop's clients) and by the PostgreSQL server over an interval.
/// On a two-core machine running both, a worker's own CPU is taken from the server's: the figures per job say where it
/// goes. The server's time is its postmaster's process tree read from /proc: the postmaster, every live child, and the
/// children that exited meanwhile (their time is added to the postmaster's cutime/cstime when it reaps them). Unknown
/// (null) when the server is not on this machine.
/// </summary>
internal sealed class CpuMeter
{
    // USER_HZ, the unit of /proc/<pid>/stat times: 100 on every Linux ABI .NET runs on.
    private const double TicksPerSecond = 100;

    private readonly int? _postmaster;
    private TimeSpan _process;
    private double? _server;

    private CpuMeter(int? postmaster) => _postmaster = postmaster;

    public static async Task<CpuMeter> StartAsync(NpgsqlDataSource dataSource)
    {
        int? postmaster = null;
        await using (var command = dataSource.CreateCommand("SELECT pg_backend_pid()"))
        {
            var backend = (int)(await command.ExecuteScalarAsync())!;
            if (ReadStat(backend) is { } stat)
            {
                postmaster = stat.Parent;
            }
        }

        var meter = new CpuMeter(postmaster);
        meter.Restart();
        return meter;
    }

    /// <summary>Starts a new interval.</summary>
    public void Restart()
    {
        _process = ProcessTime();
        _server = ServerSeconds();
    }

    /// <summary>CPU seconds of this process and of the server since <see cref="Restart"/>.</summary>
    public (double Process, double? Server) Elapsed()
    {
        var process = (ProcessTime() - _process).TotalSeconds;
        var server = ServerSeconds() is { } now && _server is { } then ? now - then : (double?)null;
        return (process, server);
    }

    /// <summary>"worker 12.3 µs/job, server 45.6 µs/job" for <paramref name="jobs"/> over the interval.</summary>
    public string PerJob(string who, long jobs)
    {
        var (process, server) = Elapsed();
        var c = CultureInfo.InvariantCulture;
        var text = string.Create(c, $"CPU per job: {who} {process / jobs * 1e6:F1} µs");
        return server is { } s ? text + string.Create(c, $", server {s / jobs * 1e6:F1} µs") : text + ", server unknown (not on this machine)";
    }

    private static TimeSpan ProcessTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    private double? ServerSeconds()
    {
        if (_postmaster is not { } postmaster || ReadStat(postmaster) is not { } root)
        {
            return null;
        }

        long ticks = root.Own + root.Children;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && pid != postmaster && ReadStat(pid) is { } stat && stat.Parent == postmaster)
            {
                ticks += stat.Own;
            }
        }

        return ticks / TicksPerSecond;
    }

    /// <summary>Parent pid, own utime+stime and reaped children's cutime+cstime of a process, or null when it is gone.</summary>
    private static (int Parent, long Own, long Children)? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may hold spaces: fields are counted after its last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        var c = CultureInfo.InvariantCulture;

        // After the name: state(3) ppid(4) … utime(14) stime(15) cutime(16) cstime(17); index = field - 3.
        return (int.Parse(fields[1], c), long.Parse(fields[11], c) + long.Parse(fields[12], c), long.Parse(fields[13], c) + long.Parse(fields[14], c));
    }
}
