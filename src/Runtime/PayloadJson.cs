using System.ComponentModel;
using System.Globalization;
using System.Text.Json;

namespace Queues;

/// <summary>
/// Helpers the generated payload serializers call. Not meant for direct use; public only because generated code lives in
/// the user's assembly.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class PayloadJson
{
    /// <summary>
    /// The options every reader of a stored payload uses: no depth limit of its own (the reader's default is 64).
    /// Skipping an unknown member is iterative and costs a bit per level, and the members a generated serializer reads
    /// are only as deep as the payload's own types, so a limit would defend nothing: it only discarded jobs whose
    /// unknown members were deeper. What a row can hold is bounded by PostgreSQL's jsonb parser.
    /// </summary>
    public static JsonReaderOptions ReaderOptions => new() { MaxDepth = int.MaxValue };

    /// <summary>Throws unless the reader is on a token of <paramref name="expected"/> type.</summary>
    /// <param name="reader">The reader.</param>
    /// <param name="expected">The token type required.</param>
    /// <param name="what">What was being read, for the message.</param>
    public static void Expect(ref Utf8JsonReader reader, JsonTokenType expected, string what)
    {
        if (reader.TokenType != expected)
        {
            throw new JsonException($"expected {Describe(expected)} for {what} but found {Describe(reader.TokenType)}");
        }
    }

    /// <summary>The exception for a JSON null where the member does not allow one.</summary>
    /// <param name="what">What was being read.</param>
    public static JsonException NullNotAllowed(string what) => new($"{what} is null, but its type does not allow null");

    /// <summary>
    /// The exception the generated serializers throw at enqueue for a null where the payload's type does not allow one:
    /// nothing was sent, so the caller's transaction is still usable.
    /// </summary>
    /// <param name="what">The member or item, e.g. <c>UserOnboarding.Email</c>.</param>
    public static ArgumentException NullNotAllowedAtEnqueue(string what)
        => new($"{what} is null, but its type does not allow null; the job was not enqueued.", "payload");

    /// <summary>
    /// The exception the generated serializers throw at enqueue for an enum value no member defines (for a [Flags] enum,
    /// a bit no member defines): a worker would refuse it when reading, so it is refused before anything is sent.
    /// </summary>
    /// <param name="what">The member or item, e.g. <c>Order.Status</c>.</param>
    /// <param name="enumType">The enum type.</param>
    /// <param name="value">The value as a number.</param>
    /// <param name="flags">Whether the enum is a [Flags] enum.</param>
    public static ArgumentException UndefinedEnumAtEnqueue(string what, string enumType, string value, bool flags)
        => new($"{what} is {value}, which {UndefinedEnumReason(enumType, flags)}; the job was not enqueued.", "payload");

    /// <summary>The exception for a number that no member of the enum defines (for a [Flags] enum, a bit no member defines).</summary>
    /// <param name="enumType">The enum type.</param>
    /// <param name="value">The number read.</param>
    /// <param name="flags">Whether the enum is a [Flags] enum.</param>
    public static JsonException UndefinedEnum(string enumType, string value, bool flags)
        => new($"{value} {UndefinedEnumReason(enumType, flags)}");

    /// <summary>The exception for a required member missing from the JSON.</summary>
    /// <param name="type">The payload type.</param>
    /// <param name="member">The property.</param>
    /// <param name="jsonName">The JSON property name.</param>
    public static JsonException MissingMember(string type, string member, string jsonName)
        => new($"required member '{type}.{member}' (JSON '{jsonName}') is missing");

    /// <summary>Wraps a failure to read one member so the message names it.</summary>
    /// <param name="type">The payload type.</param>
    /// <param name="member">The property.</param>
    /// <param name="inner">What went wrong.</param>
    public static JsonException InvalidMember(string type, string member, Exception inner)
        => new($"member '{type}.{member}': {inner.Message}", inner);

    /// <summary>True for the exceptions a reader throws on bad data (as opposed to bugs or cancellation).</summary>
    /// <param name="exception">The exception.</param>
    public static bool IsDataError(Exception exception)
        => exception is JsonException or FormatException or InvalidOperationException or OverflowException or ArgumentException;

    /// <summary>The exception the worker turns into a discarded job, naming the job, its id and the problem.</summary>
    /// <param name="context">The job being run.</param>
    /// <param name="inner">What went wrong.</param>
    public static JobPayloadException PayloadError(JobContext context, Exception inner)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(inner);
        return new JobPayloadException(context.Name, $"job {context.Id}: {inner.Message}", inner);
    }

    /// <summary>Reads a one-character string.</summary>
    /// <param name="reader">The reader.</param>
    public static char ReadChar(ref Utf8JsonReader reader)
    {
        var text = reader.GetString();
        return text is { Length: 1 } ? text[0] : throw new JsonException($"expected a one-character string but found '{text}'");
    }

    /// <summary>Writes a char as a one-character string.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="value">The value.</param>
    public static void WriteChar(Utf8JsonWriter writer, char value) => WriteChar(writer, value, "a char");

    /// <summary>Writes a char as a one-character string; a surrogate (alone, it is half a character) is refused.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="value">The value.</param>
    /// <param name="what">The member or item, for the message.</param>
    public static void WriteChar(Utf8JsonWriter writer, char value, string what)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ReadOnlySpan<char> one = [value];
        ThrowIfLoneSurrogate(one, what);
        writer.WriteStringValue(one);
    }

    /// <summary>Writes a string; one holding a lone UTF-16 surrogate is refused (see <see cref="ThrowIfLoneSurrogate"/>).</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="value">The value.</param>
    /// <param name="what">The member or item, for the message.</param>
    public static void WriteString(Utf8JsonWriter writer, string value, string what)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        ThrowIfLoneSurrogate(value, what);
        writer.WriteStringValue(value);
    }

    /// <summary>Writes a dictionary key; one holding a lone UTF-16 surrogate is refused (see <see cref="ThrowIfLoneSurrogate"/>).</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="key">The key.</param>
    /// <param name="what">The dictionary, for the message.</param>
    public static void WritePropertyName(Utf8JsonWriter writer, string key, string what)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(key);
        ThrowIfLoneSurrogate(key, what);
        writer.WritePropertyName(key);
    }

    /// <summary>
    /// Refuses text holding a lone UTF-16 surrogate (half of a pair, as cutting a string in the middle of an emoji leaves
    /// it): UTF-8, and so jsonb, cannot encode one, and the JSON writer would store U+FFFD in its place without a word.
    /// Refused at enqueue, like a NUL, naming the member, before anything is sent, so the caller's transaction stays
    /// usable.
    /// </summary>
    private static void ThrowIfLoneSurrogate(ReadOnlySpan<char> text, string what)
    {
        var i = Internal.StorableText.IndexOfLoneSurrogate(text);
        if (i >= 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{what} holds a lone UTF-16 surrogate (U+{(int)text[i]:X4} at index {i}), half of a character, which PostgreSQL cannot store; the job was not enqueued. Remove it, or cut the text between characters, not inside a surrogate pair."),
                "payload");
        }
    }

    /// <summary>Reads an ISO 8601 date (<c>yyyy-MM-dd</c>).</summary>
    /// <param name="reader">The reader.</param>
    public static DateOnly ReadDateOnly(ref Utf8JsonReader reader)
        => DateOnly.ParseExact(reader.GetString() ?? "", "yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Writes an ISO 8601 date (<c>yyyy-MM-dd</c>).</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="value">The value.</param>
    public static void WriteDateOnly(Utf8JsonWriter writer, DateOnly value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
    }

    /// <summary>Reads a time of day (<c>HH:mm:ss.fffffff</c>, fraction optional).</summary>
    /// <param name="reader">The reader.</param>
    public static TimeOnly ReadTimeOnly(ref Utf8JsonReader reader)
        => TimeOnly.Parse(reader.GetString() ?? "", CultureInfo.InvariantCulture);

    /// <summary>Writes a time of day as <c>HH:mm:ss.fffffff</c>.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="value">The value.</param>
    public static void WriteTimeOnly(Utf8JsonWriter writer, TimeOnly value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.ToString("HH':'mm':'ss.fffffff", CultureInfo.InvariantCulture));
    }

    /// <summary>Reads a duration in the constant format (<c>[-][d.]hh:mm:ss[.fffffff]</c>).</summary>
    /// <param name="reader">The reader.</param>
    public static TimeSpan ReadTimeSpan(ref Utf8JsonReader reader)
        => TimeSpan.ParseExact(reader.GetString() ?? "", "c", CultureInfo.InvariantCulture);

    /// <summary>Writes a duration in the constant format.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="value">The value.</param>
    public static void WriteTimeSpan(Utf8JsonWriter writer, TimeSpan value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.ToString("c", CultureInfo.InvariantCulture));
    }

    /// <summary>Reads an absolute or relative URI.</summary>
    /// <param name="reader">The reader.</param>
    public static Uri ReadUri(ref Utf8JsonReader reader) => new(reader.GetString() ?? "", UriKind.RelativeOrAbsolute);

    /// <summary>Writes a URI as given.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="value">The value.</param>
    public static void WriteUri(Utf8JsonWriter writer, Uri value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStringValue(value.OriginalString);
    }

    private static string UndefinedEnumReason(string enumType, bool flags) => flags
        ? $"has bits that no member of the [Flags] enum {enumType} defines"
        : $"is not a defined value of {enumType}";

    private static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.None => "nothing",
        _ => type.ToString(),
    };
}
