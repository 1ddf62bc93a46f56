using System.Globalization;

namespace Queues.Internal;

/// <summary>Argument and option checks shared by the public API; every message names the value and the rule.</summary>
internal static class Validate
{
    public const int MaxIdentifierLength = 63;

    /// <summary>The candidate closest to <paramref name="text"/> (case-insensitive edit distance), if one is close enough to be a typo of it.</summary>
    public static string? Closest(string text, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = EditDistance(text.ToUpperInvariant(), candidate.ToUpperInvariant());
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        return best is not null && bestDistance <= Math.Max(2, best.Length / 4) ? best : null;
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    public static void SchemaName(string? schema, string what)
    {
        if (!IsIdentifier(schema))
        {
            throw new ArgumentException(
                $"{what} '{schema}' is not a valid schema name: use 1 to {MaxIdentifierLength} lowercase ASCII letters, digits or underscores, starting with a letter or underscore.",
                what);
        }
    }

    public static void JobName(string? name, string what)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200 || !IsStorable(name))
        {
            throw new ArgumentException(
                $"{what} '{name?.Replace('\0', '\uFFFD')}' is not a valid job name: it must be 1 to 200 characters, not blank, without NUL characters or broken surrogate pairs.", what);
        }
    }

    public static void QueueName(string? queue, string what)
    {
        if (string.IsNullOrWhiteSpace(queue) || queue.Length > 128 || !IsStorable(queue))
        {
            throw new ArgumentException(
                $"{what} '{queue?.Replace('\0', '\uFFFD')}' is not a valid queue name: it must be 1 to 128 characters, not blank, without NUL characters or broken surrogate pairs.", what);
        }
    }

    /// <summary>
    /// A filter's text (queue, name): PostgreSQL cannot take a NUL or a lone surrogate as a parameter, so such text
    /// would fail in the database rather than match nothing; refused here with a message instead.
    /// </summary>
    public static void FilterText(string? text, string what)
    {
        if (text is not null && !IsStorable(text))
        {
            throw new ArgumentException(
                $"{what} '{text.Replace('\0', '\uFFFD')}' holds a NUL character or a broken surrogate pair, which no stored job can have; remove it.", what);
        }
    }

    /// <summary>
    /// A run-at or delay PostgreSQL can store and that makes the job due some day: DateTimeOffset.MinValue and MaxValue
    /// are sent as -infinity and infinity, and a delay that moves now past year 1 or 9999 overflows the server's range.
    /// </summary>
    public static void RunAt(DateTimeOffset? runAt, TimeSpan? delay)
    {
        if (runAt is { } at && (at == DateTimeOffset.MinValue || at == DateTimeOffset.MaxValue))
        {
            throw new ArgumentOutOfRangeException("EnqueueOptions.RunAt", at,
                "EnqueueOptions.RunAt must be a real instant: DateTimeOffset.MinValue and MaxValue are stored as -infinity and infinity. Leave it null to run now.");
        }

        if (delay is { } d && runAt is null)
        {
            var now = DateTimeOffset.UtcNow;
            if (d > DateTimeOffset.MaxValue - now || d < DateTimeOffset.MinValue - now)
            {
                throw new ArgumentOutOfRangeException("EnqueueOptions.Delay", d,
                    "EnqueueOptions.Delay must keep the run time between the years 1 and 9999.");
            }
        }
    }

    /// <summary>Text PostgreSQL can store: no NUL, no lone surrogate.</summary>
    public static bool IsStorable(string text) => StorableText.IsStorable(text);

    public static void MaxAttempts(int maxAttempts, string what)
    {
        // The highest attempt a claim gives (Sql.AttemptCeiling): a larger cap could never be reached.
        if (maxAttempts is < 1 or > Sql.AttemptCeiling)
        {
            throw new ArgumentOutOfRangeException(what, maxAttempts,
                string.Create(CultureInfo.InvariantCulture, $"{what} must be between 1 and {Sql.AttemptCeiling}; it was {maxAttempts}."));
        }
    }

    public static void Positive(TimeSpan value, string what)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(what, value, $"{what} must be positive; it was {value}.");
        }
    }

    public static void UniqueStates(UniqueStates value, string what)
    {
        if ((value & ~Queues.UniqueStates.All) != 0)
        {
            throw new ArgumentOutOfRangeException(what, value,
                $"{what} must combine Completed, Cancelled and Discarded (or be Unfinished); it was {(int)value}.");
        }
    }

    private static bool IsIdentifier(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxIdentifierLength)
        {
            return false;
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var ok = c is (>= 'a' and <= 'z') or '_' || (i > 0 && c is >= '0' and <= '9');
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
