using System.Text.Json;

namespace Queues.Internal;

/// <summary>
/// Refuses, before anything is sent, a payload PostgreSQL's jsonb cannot store: a string holding U+0000 (written as the
/// escape <c>\u0000</c>, which jsonb rejects). Caught at enqueue, the error names the member and leaves the caller's
/// transaction usable; caught by the server, it would abort that transaction. A plain byte search keeps the common case
/// to one vectorized scan; only a payload that contains the escape is parsed to tell a real NUL from an escaped backslash
/// followed by "u0000" and to find the member.
/// </summary>
internal static class StorablePayload
{
    public static void Check(JobDefinition job, ReadOnlySpan<byte> payload)
    {
        if (payload.IndexOf("\\u0000"u8) < 0)
        {
            return;
        }

        var reader = new Utf8JsonReader(payload, PayloadJson.ReaderOptions);
        var member = "(the payload)";
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.PropertyName or JsonTokenType.String))
            {
                continue;
            }

            var text = reader.ValueIsEscaped ? reader.GetString()! : null;
            if (text is not null && text.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException(
                    reader.TokenType == JsonTokenType.PropertyName
                        ? $"The payload of job '{job.Name}' has a member name containing the NUL character (U+0000), which PostgreSQL cannot store. Remove it before enqueueing."
                        : $"The payload of job '{job.Name}' has a NUL character (U+0000) in member '{member}', which PostgreSQL cannot store. Remove it (or encode the value, e.g. as Base64) before enqueueing.",
                    "payload");
            }

            if (reader.TokenType == JsonTokenType.PropertyName)
            {
                member = text ?? reader.GetString()!;
            }
        }
    }
}
