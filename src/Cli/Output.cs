using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Queues.Cli;

/// <summary>Tables for people, JSON for scripts (source-generated, one object per command), progress on stderr.</summary>
internal static class Output
{
    /// <summary>
    /// Text from the database made safe for a terminal: control characters (C0, DEL, C1 — an ESC starts the sequences
    /// that recolour, retitle or rewrite the screen, a CR overwrites the line) and the bidirectional overrides that
    /// reorder what is shown are written as visible escapes (<c>\x1B</c>, <c>\u202E</c>). Job names, queue names and
    /// errors are stored as their producers wrote them; issue 21 found escape sequences printed raw by list and show.
    /// </summary>
    public static string Safe(string? text)
    {
        if (string.IsNullOrEmpty(text) || !text.Any(IsUnsafe))
        {
            return text ?? "";
        }

        var safe = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (!IsUnsafe(c))
            {
                safe.Append(c);
            }
            else if (c <= '\u00FF')
            {
                safe.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
            }
            else
            {
                safe.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
        }

        return safe.ToString();
    }

    /// <summary>A control character, or a bidirectional embedding, override or isolate (U+202A–U+202E, U+2066–U+2069).</summary>
    internal static bool IsUnsafe(char c) => char.IsControl(c) || c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069';

    /// <summary>Writes multi-line text (an error message, a stack trace) line by line after <paramref name="indent"/>, each line made safe.</summary>
    public static void Lines(string indent, string text)
    {
        foreach (var line in text.Split('\n'))
        {
            Console.WriteLine(indent + Safe(line.TrimEnd('\r')));
        }
    }

    /// <summary>
    /// A payload as readable, indented JSON: only what JSON requires is escaped (quotes inside strings stay quotes, not
    /// <c>\u0022</c>, and accents stay accents), while control characters are still escaped, by the encoder and then by
    /// <see cref="Safe"/>, and broken text is shown as stored.
    /// </summary>
    public static string Payload(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                document.WriteTo(writer);
            }

            return Encoding.UTF8.GetString(buffer.ToArray()).ReplaceLineEndings(Environment.NewLine);
        }
        catch (JsonException)
        {
            return Safe(json);
        }
    }

    public static void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.Select(static r => (IReadOnlyList<string>)[.. r.Select(Safe)]).ToList();
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
        job.RunAt, job.CreatedAt, job.AttemptedAt, job.FinalizedAt, job.Errors.Count == 0 ? null : job.Errors[^1].Message,
        job.HeartbeatAt, job.AttemptedBy, job.IsStale);

    /// <summary>A job's state for a table: <c>running (stale)</c> when its heartbeat is older than the rescue threshold.</summary>
    public static string StateOf(JobInfo job) => job.IsStale ? State(job.State) + " (stale)" : State(job.State);

    /// <summary>What an operator must not miss in <c>status</c>: no maintenance leader, lost nodes, stale running jobs.</summary>
    public static List<string> Warnings(IReadOnlyList<NodeInfo> nodes, TimeSpan rescueAfter)
    {
        var warnings = new List<string>();
        if (!nodes.Any(static n => n.IsLeader))
        {
            warnings.Add("no process holds the maintenance lease: scheduled and retryable jobs are not made available, stale jobs are not rescued, old jobs are not deleted.");
        }

        var seconds = (long)rescueAfter.TotalSeconds;
        foreach (var node in nodes.Where(static n => !n.IsAlive && n.RunningJobs > 0))
        {
            warnings.Add($"node '{node.Name}' has not been seen for over {seconds} s and holds {node.RunningJobs} running job(s): it is lost.");
        }

        var stale = nodes.Where(static n => n.IsAlive).Sum(static n => n.StaleJobs);
        if (stale > 0)
        {
            warnings.Add($"{stale} running job(s) on live nodes have not heartbeated for over {seconds} s (queues list --state running).");
        }

        return warnings;
    }
}

/// <summary>
/// The last line of defence around stdout and stderr: every control character but line feed, carriage return and tab
/// is written escaped (see <see cref="Output.Safe"/>), whatever a command forgot to pass through it. Line feeds and
/// carriage returns stay so tables and the progress line work; fields from the database go through
/// <see cref="Output.Safe"/>, which escapes those too.
/// </summary>
internal sealed class SafeWriter(TextWriter inner) : TextWriter
{
    public override Encoding Encoding => inner.Encoding;

    public override IFormatProvider FormatProvider => inner.FormatProvider;

    public override void Write(char value)
    {
        if (value is '\n' or '\r' or '\t' || !Output.IsUnsafe(value))
        {
            inner.Write(value);
        }
        else
        {
            inner.Write(Output.Safe(value.ToString()));
        }
    }

    public override void Write(string? value)
    {
        if (value is null || !value.Any(static c => c is not ('\n' or '\r' or '\t') && Output.IsUnsafe(c)))
        {
            inner.Write(value);
            return;
        }

        foreach (var c in value)
        {
            Write(c);
        }
    }

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void WriteLine(string? value)
    {
        Write(value);
        inner.WriteLine();
    }

    public override void Flush() => inner.Flush();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Flush();
        }

        base.Dispose(disposing);
    }
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
    DateTimeOffset RunAt, DateTimeOffset CreatedAt, DateTimeOffset? AttemptedAt, DateTimeOffset? FinalizedAt, string? LastError,
    DateTimeOffset? HeartbeatAt, string? Node, bool Stale);

internal sealed record JobPageDto(IReadOnlyList<JobRow> Jobs, long? Next);

internal sealed record ErrorDto(int Attempt, DateTimeOffset At, string Kind, string? Type, string Message, string? Trace);

internal sealed record JobDetailDto(JobRow Job, JsonElement Payload, IReadOnlyList<ErrorDto> Errors);

internal sealed record QueueDto(string Queue, long Scheduled, long Available, long Running, long Retryable, DateTimeOffset? OldestAvailableRunAt, bool Paused);

internal sealed record TotalDto(string State, long Count, bool Estimate, bool AtLeast);

internal sealed record WaitingDto(long Id, string Name, string Queue, DateTimeOffset RunAt);

internal sealed record NodeDto(string Name, long RunningJobs, DateTimeOffset? LastHeartbeat, bool Leader, bool Alive, long StaleJobs);

internal sealed record StatusDto(string Schema, int Version, int LatestVersion, IReadOnlyList<QueueDto> Queues, IReadOnlyList<TotalDto> Finished,
    WaitingDto? OldestWaiting, string? Leader, IReadOnlyList<NodeDto> Nodes, IReadOnlyList<string> Warnings);

internal sealed record ResultDto(string Action, long Count, string Message);

internal sealed record MigrateDto(string Schema, int Applied, int Version);

internal sealed record FailureGroupDto(string Queue, string Name, string Kind, string? Type, string Message, long Discarded, long Retryable,
    DateTimeOffset FirstSeen, DateTimeOffset LastSeen);

internal sealed record FailuresDto(DateTimeOffset From, DateTimeOffset To, bool Truncated, IReadOnlyList<FailureGroupDto> Groups);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(JobPageDto))]
[JsonSerializable(typeof(JobDetailDto))]
[JsonSerializable(typeof(StatusDto))]
[JsonSerializable(typeof(ResultDto))]
[JsonSerializable(typeof(MigrateDto))]
[JsonSerializable(typeof(FailuresDto))]
internal sealed partial class CliJson : JsonSerializerContext;
