using System.Globalization;

namespace Queues.Generator.Parsing;

/// <summary>
/// Checks a five-field cron expression (minute, hour, day of month, month, day of week; UTC) at compile time, so a typo
/// is a build error instead of a schedule that never fires. Each field is <c>*</c> or a comma-separated list of values,
/// ranges <c>a-b</c> and steps <c>*/n</c>, <c>a-b/n</c> or <c>a/n</c>; no names, no macros such as <c>@daily</c>.
/// </summary>
internal static class CronSyntax
{
    private static readonly (string Name, int Min, int Max)[] s_fields =
    [
        ("minute", 0, 59),
        ("hour", 0, 23),
        ("day of month", 1, 31),
        ("month", 1, 12),
        ("day of week", 0, 6),
    ];

    /// <summary>Null when <paramref name="expression"/> is valid; otherwise what is wrong with it.</summary>
    public static string? Validate(string expression)
    {
        var fields = expression.Split(new[] { ' ', '\t' }, System.StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != s_fields.Length)
        {
            return $"'{expression}' has {fields.Length} field(s); a cron expression has five: minute hour day-of-month month day-of-week";
        }

        for (var i = 0; i < fields.Length; i++)
        {
            var (name, min, max) = s_fields[i];
            foreach (var item in fields[i].Split(','))
            {
                if (ValidateItem(item, min, max) is { } problem)
                {
                    return $"'{expression}': the {name} field '{fields[i]}' {problem} (allowed: {min}-{max}, *, lists, ranges and steps)";
                }
            }
        }

        return null;
    }

    private static string? ValidateItem(string item, int min, int max)
    {
        var slash = item.IndexOf('/');
        var range = slash < 0 ? item : item.Substring(0, slash);
        if (slash >= 0)
        {
            if (!TryNumber(item.Substring(slash + 1), out var step) || step < 1 || step > max)
            {
                return $"has an invalid step in '{item}'";
            }
        }

        if (range == "*")
        {
            return null;
        }

        var dash = range.IndexOf('-');
        if (dash < 0)
        {
            return TryNumber(range, out var value) && value >= min && value <= max ? null : $"has '{range}', which is not a number from {min} to {max}";
        }

        if (!TryNumber(range.Substring(0, dash), out var from) || !TryNumber(range.Substring(dash + 1), out var to)
            || from < min || to > max)
        {
            return $"has an invalid range '{range}'";
        }

        return from <= to ? null : $"has the range '{range}', which runs backwards";
    }

    private static bool TryNumber(string text, out int value)
    {
        value = 0;
        if (text.Length is 0 or > 2)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
