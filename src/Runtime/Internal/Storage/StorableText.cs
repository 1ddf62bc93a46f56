using System.Globalization;
using System.Text;

namespace Queues.Internal;

/// <summary>
/// Makes text from users' code (exception messages, stack traces, cancel reasons, type names) storable in a PostgreSQL
/// text or jsonb value: PostgreSQL rejects U+0000 in both and invalid UTF-16 cannot be encoded, and an outcome that
/// cannot be written leaves its job running until a rescue runs it again. NUL becomes U+FFFD, as does a lone
/// surrogate; text longer than the limit is cut (never inside a surrogate pair) with a marker saying how much was left.
/// </summary>
internal static class StorableText
{
    public static string Make(string value, int maxLength)
    {
        var cut = value.Length > maxLength ? maxLength : value.Length;
        if (cut > 0 && char.IsHighSurrogate(value[cut - 1]) && cut < value.Length)
        {
            cut--; // Keep a pair whole: the marker follows the last complete character.
        }

        var clean = IsStorable(value.AsSpan(0, cut)) ? (cut == value.Length ? value : value[..cut]) : Clean(value.AsSpan(0, cut));
        return cut == value.Length
            ? clean
            : string.Concat(clean, string.Create(CultureInfo.InvariantCulture, $"… ({value.Length - cut} more characters)"));
    }

    /// <summary>Text PostgreSQL can store as it is: no NUL, no lone surrogate.</summary>
    public static bool IsStorable(ReadOnlySpan<char> text) => !text.Contains('\0') && IndexOfLoneSurrogate(text) < 0;

    /// <summary>The index of the first surrogate that is not half of a pair, or -1. One vectorized search when there is none.</summary>
    public static int IndexOfLoneSurrogate(ReadOnlySpan<char> text)
    {
        var start = text.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (start < 0)
        {
            return -1;
        }

        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Clean(ReadOnlySpan<char> text)
    {
        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (c == '\0' || char.IsSurrogate(c))
            {
                builder.Append('\uFFFD');
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
