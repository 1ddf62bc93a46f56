using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Queues;

/// <summary>
/// The identity of a job row. In JSON it is its number (<c>42</c>, not <c>{"value":42}</c>), also as a dictionary key;
/// as text (routes, query strings, <see cref="Parse(string, IFormatProvider?)"/>) it is the invariant decimal form.
/// </summary>
/// <param name="Value">The row's <c>id</c> column.</param>
[JsonConverter(typeof(JobIdJsonConverter))]
public readonly record struct JobId(long Value) : IComparable<JobId>, ISpanParsable<JobId>, ISpanFormattable
{
    /// <inheritdoc />
    public int CompareTo(JobId other) => Value.CompareTo(other.Value);

    /// <summary>Orders by id.</summary>
    public static bool operator <(JobId left, JobId right) => left.Value < right.Value;

    /// <summary>Orders by id.</summary>
    public static bool operator >(JobId left, JobId right) => left.Value > right.Value;

    /// <summary>Orders by id.</summary>
    public static bool operator <=(JobId left, JobId right) => left.Value <= right.Value;

    /// <summary>Orders by id.</summary>
    public static bool operator >=(JobId left, JobId right) => left.Value >= right.Value;

    /// <inheritdoc />
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? formatProvider) => Value.ToString(format, formatProvider ?? CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
        => Value.TryFormat(destination, out charsWritten, format, provider ?? CultureInfo.InvariantCulture);

    /// <summary>Parses the decimal form of a job id, as <see cref="ToString()"/> writes it.</summary>
    /// <param name="s">The text.</param>
    /// <returns>The id.</returns>
    /// <exception cref="FormatException">The text is not an integer.</exception>
    public static JobId Parse(string s) => Parse(s, CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public static JobId Parse(string s, IFormatProvider? provider)
    {
        ArgumentNullException.ThrowIfNull(s);
        return Parse(s.AsSpan(), provider);
    }

    /// <inheritdoc />
    public static JobId Parse(ReadOnlySpan<char> s, IFormatProvider? provider)
        => new(long.Parse(s, NumberStyles.Integer, provider ?? CultureInfo.InvariantCulture));

    /// <summary>
    /// Parses the decimal form of a job id. ASP.NET Core binds route values and query strings through this method.
    /// </summary>
    /// <param name="s">The text; null or not an integer gives false.</param>
    /// <param name="result">The id, or default.</param>
    /// <returns>True when <paramref name="s"/> is an integer.</returns>
    public static bool TryParse([NotNullWhen(true)] string? s, out JobId result) => TryParse(s, CultureInfo.InvariantCulture, out result);

    /// <inheritdoc />
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out JobId result)
    {
        if (s is null)
        {
            result = default;
            return false;
        }

        return TryParse(s.AsSpan(), provider, out result);
    }

    /// <inheritdoc />
    public static bool TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out JobId result)
    {
        var parsed = long.TryParse(s, NumberStyles.Integer, provider ?? CultureInfo.InvariantCulture, out var value);
        result = new JobId(value);
        return parsed;
    }
}

/// <summary>
/// Writes a <see cref="JobId"/> as its number and reads it from a number or a string holding one (JavaScript clients
/// that keep 64-bit ids as strings). Named by <see cref="JsonConverterAttribute"/> on the type, so System.Text.Json's
/// source generator constructs it directly: no reflection, safe under trimming and native AOT.
/// </summary>
public sealed class JobIdJsonConverter : JsonConverter<JobId>
{
    /// <inheritdoc />
    public override JobId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return new JobId(reader.GetInt64());
        }

        if (reader.TokenType == JsonTokenType.String && long.TryParse(reader.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            return new JobId(value);
        }

        throw new JsonException($"A job id is a JSON number (or a string holding one), not {reader.TokenType}.");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, JobId value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteNumberValue(value.Value);
    }

    /// <inheritdoc />
    public override JobId ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => JobId.TryParse(reader.GetString(), out var id) ? id : throw new JsonException("A job id property name must be an integer.");

    /// <inheritdoc />
    public override void WriteAsPropertyName(Utf8JsonWriter writer, JobId value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WritePropertyName(value.ToString());
    }
}
