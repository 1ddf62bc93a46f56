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

        var clean = IsClean(value.AsSpan(0, cut)) ? (cut == value.Length ? value : value[..cut]) : Clean(value.AsSpan(0, cut));
        return cut == value.Length
            ? clean
            : string.Concat(clean, string.Create(CultureInfo.InvariantCulture, $"… ({value.Length - cut} more characters)"));
    }

    private static bool IsClean(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                return false;
            }

            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
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
