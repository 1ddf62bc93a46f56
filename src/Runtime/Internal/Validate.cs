using System.Globalization;

namespace Queues.Internal;

/// <summary>Argument and option checks shared by the public API; every message names the value and the rule.</summary>
internal static class Validate
{
    public const int MaxIdentifierLength = 63;

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
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200)
        {
            throw new ArgumentException($"{what} '{name}' is not a valid job name: it must be 1 to 200 characters and not blank.", what);
        }
    }

    public static void QueueName(string? queue, string what)
    {
        if (string.IsNullOrWhiteSpace(queue) || queue.Length > 128)
        {
            throw new ArgumentException($"{what} '{queue}' is not a valid queue name: it must be 1 to 128 characters and not blank.", what);
        }
    }

    public static void MaxAttempts(int maxAttempts, string what)
    {
        if (maxAttempts is < 1 or > short.MaxValue)
        {
            throw new ArgumentOutOfRangeException(what, maxAttempts,
                string.Create(CultureInfo.InvariantCulture, $"{what} must be between 1 and {short.MaxValue}; it was {maxAttempts}."));
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
