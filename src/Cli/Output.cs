using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Queues.Cli;

/// <summary>Tables for people, JSON for scripts (source-generated, one object per command), progress on stderr.</summary>
internal static class Output
{
    public static void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        var line = new StringBuilder();
        void Write(IReadOnlyList<string> cells)
        {
            line.Clear();
            for (var i = 0; i < cells.Count; i++)
            {
                line.Append(cells[i].PadRight(widths[i]));
                if (i < cells.Count - 1)
                {
                    line.Append("  ");
                }
            }

            Console.WriteLine(line.ToString().TrimEnd());
        }

        Write(headers);
        Write([.. widths.Select(static w => new string('-', w))]);
        foreach (var row in all)
        {
            Write(row);
        }
    }

    public static void Json<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        => Console.WriteLine(JsonSerializer.Serialize(value, type));

    public static string Time(DateTimeOffset? value) => value is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    public static string Age(DateTimeOffset? value)
    {
        if (value is not { } v)
        {
            return "-";
        }

        var age = DateTimeOffset.UtcNow - v;
        return age.TotalSeconds < 90 ? $"{Math.Max(0, (int)age.TotalSeconds)}s"
            : age.TotalMinutes < 90 ? $"{(int)age.TotalMinutes}m"
            : age.TotalHours < 36 ? $"{(int)age.TotalHours}h"
            : $"{(int)age.TotalDays}d";
    }

    public static string State(JobState state) => state.ToString().ToLowerInvariant();

    public static JobRow Row(JobInfo job) => new(job.Id.Value, job.Name, job.Queue, State(job.State), job.Attempt, job.MaxAttempts, job.Priority,
        job.RunAt, job.CreatedAt, job.AttemptedAt, job.FinalizedAt, job.Errors.Count == 0 ? null : job.Errors[^1].Message);
}

/// <summary>Reports a running total on stderr at most twice a second, on one line when stderr is a terminal.</summary>
internal sealed class Progress(string verb) : IProgress<long>
{
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private DateTime _last = DateTime.MinValue;
    private long _total;

    public void Report(long value)
    {
        _total = value;
        if (DateTime.UtcNow - _last < TimeSpan.FromMilliseconds(500))
        {
            return;
        }

        _last = DateTime.UtcNow;
        Write();
    }

    public void Done()
    {
        if (_total > 0)
        {
            Write();
            if (_terminal)
            {
                Console.Error.WriteLine();
            }
        }
    }

    private void Write()
    {
        var text = $"{verb} {Cli.Format(_total)} jobs...";
        if (_terminal)
        {
            Console.Error.Write("\r" + text);
        }
        else
        {
            Console.Error.WriteLine(text);
        }
    }
}

internal sealed record JobRow(
    long Id, string Name, string Queue, string State, int Attempt, int MaxAttempts, short Priority,
    DateTimeOffset RunAt, DateTimeOffset CreatedAt, DateTimeOffset? AttemptedAt, DateTimeOffset? FinalizedAt, string? LastError);

internal sealed record JobPageDto(IReadOnlyList<JobRow> Jobs, long? Next);

internal sealed record ErrorDto(int Attempt, DateTimeOffset At, string Kind, string? Type, string Message, string? Trace);

internal sealed record JobDetailDto(JobRow Job, JsonElement Payload, IReadOnlyList<ErrorDto> Errors);

internal sealed record QueueDto(string Queue, long Scheduled, long Available, long Running, long Retryable, DateTimeOffset? OldestAvailableRunAt, bool Paused);

internal sealed record TotalDto(string State, long Count, bool Estimate);

internal sealed record WaitingDto(long Id, string Name, string Queue, DateTimeOffset RunAt);

internal sealed record NodeDto(string Name, long RunningJobs, DateTimeOffset? LastHeartbeat, bool Leader);

internal sealed record StatusDto(string Schema, int Version, int LatestVersion, IReadOnlyList<QueueDto> Queues, IReadOnlyList<TotalDto> Finished,
    WaitingDto? OldestWaiting, string? Leader, IReadOnlyList<NodeDto> Nodes);

internal sealed record ResultDto(string Action, long Count, string Message);

internal sealed record MigrateDto(string Schema, int Applied, int Version);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(JobPageDto))]
[JsonSerializable(typeof(JobDetailDto))]
[JsonSerializable(typeof(StatusDto))]
[JsonSerializable(typeof(ResultDto))]
[JsonSerializable(typeof(MigrateDto))]
internal sealed partial class CliJson : JsonSerializerContext;
