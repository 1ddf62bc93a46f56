using System.Globalization;

namespace Queues.Internal;

/// <summary>
/// A five-field cron expression (minute hour day-of-month month day-of-week, UTC), the grammar the generator checks
/// at compile time: <c>*</c>, numbers, lists, ranges <c>a-b</c> and steps <c>*/n</c>, <c>a-b/n</c>, <c>a/n</c>; day of
/// week 0–6 with 0 = Sunday. As in classic cron, when both day fields are restricted a day matching either one runs.
/// </summary>
internal sealed class CronSchedule
{
    private static readonly (string Name, int Min, int Max)[] s_fields =
    [
        ("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 6),
    ];

    private readonly bool[][] _allowed;
    private readonly bool _anyDayOfMonth;
    private readonly bool _anyDayOfWeek;

    private CronSchedule(bool[][] allowed, bool anyDayOfMonth, bool anyDayOfWeek)
    {
        _allowed = allowed;
        _anyDayOfMonth = anyDayOfMonth;
        _anyDayOfWeek = anyDayOfWeek;
    }

    /// <exception cref="FormatException">The expression is invalid; the message says which field and why.</exception>
    public static CronSchedule Parse(string expression)
    {
        var fields = expression.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != s_fields.Length)
        {
            throw new FormatException($"Cron expression '{expression}' has {fields.Length} fields; it needs five: minute hour day-of-month month day-of-week.");
        }

        var allowed = new bool[fields.Length][];
        for (var i = 0; i < fields.Length; i++)
        {
            var (name, min, max) = s_fields[i];
            allowed[i] = new bool[max + 1];
            foreach (var item in fields[i].Split(','))
            {
                var slash = item.IndexOf('/', StringComparison.Ordinal);
                var range = slash < 0 ? item : item[..slash];
                var step = slash < 0 ? 1 : Number(item[(slash + 1)..], 1, max, name, expression);
                int from, to;
                if (range == "*")
                {
                    (from, to) = (min, max);
                }
                else if (range.IndexOf('-', StringComparison.Ordinal) is var dash and > 0)
                {
                    from = Number(range[..dash], min, max, name, expression);
                    to = Number(range[(dash + 1)..], from, max, name, expression);
                }
                else
                {
                    from = Number(range, min, max, name, expression);
                    to = slash < 0 ? from : max;
                }

                for (var value = from; value <= to; value += step)
                {
                    allowed[i][value] = true;
                }
            }
        }

        return new CronSchedule(allowed, fields[2] == "*", fields[4] == "*");
    }

    /// <summary>The first minute strictly after <paramref name="after"/> that matches, or null if none within five years.</summary>
    public DateTime? Next(DateTime after)
    {
        var t = new DateTime(after.Year, after.Month, after.Day, after.Hour, after.Minute, 0, DateTimeKind.Utc).AddMinutes(1);
        var limit = t.AddYears(5);
        while (t < limit)
        {
            if (!_allowed[3][t.Month])
            {
                t = new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1);
            }
            else if (!DayMatches(t))
            {
                t = t.Date.AddDays(1);
            }
            else if (!_allowed[1][t.Hour])
            {
                t = t.Date.AddHours(t.Hour + 1);
            }
            else if (!_allowed[0][t.Minute])
            {
                t = t.AddMinutes(1);
            }
            else
            {
                return t;
            }
        }

        return null;
    }

    private bool DayMatches(DateTime t)
    {
        var dayOfMonth = _allowed[2][t.Day];
        var dayOfWeek = _allowed[4][(int)t.DayOfWeek];
        return (_anyDayOfMonth, _anyDayOfWeek) switch
        {
            (true, true) => true,
            (true, false) => dayOfWeek,
            (false, true) => dayOfMonth,
            _ => dayOfMonth || dayOfWeek,
        };
    }

    private static int Number(string text, int min, int max, string field, string expression)
        => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new FormatException($"Cron expression '{expression}': the {field} field has '{text}', which is not a number from {min} to {max}.");
}
