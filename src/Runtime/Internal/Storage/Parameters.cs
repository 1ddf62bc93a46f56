using Npgsql;
using NpgsqlTypes;

namespace Queues.Internal;

/// <summary>
/// Typed parameter factories for <see cref="JobStore"/>: one place that knows how each .NET value is sent (which
/// PostgreSQL type, what null becomes), so a statement's binding reads as a list of its <c>$n</c> in order.
/// </summary>
internal static class Parameters
{
    public static NpgsqlParameter<long> Bigint(long value) => new() { TypedValue = value };

    public static NpgsqlParameter Bigint(long? value)
        => value is { } v ? Bigint(v) : new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint };

    public static NpgsqlParameter<short> Smallint(short value) => new() { TypedValue = value };

    public static NpgsqlParameter<int> Integer(int value) => new() { TypedValue = value };

    public static NpgsqlParameter<bool> Boolean(bool value) => new() { TypedValue = value };

    public static NpgsqlParameter<string> Text(string value) => new() { TypedValue = value };

    /// <summary>Text that came from a user (messages, reasons, traces): made storable and cut to <paramref name="maxLength"/>.</summary>
    public static NpgsqlParameter UserText(string? value, int maxLength)
        => value is null
            ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text }
            : new NpgsqlParameter<string> { TypedValue = StorableText.Make(value, maxLength) };

    public static NpgsqlParameter NullableText(string? value)
        => value is null ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text } : Text(value);

    public static NpgsqlParameter<TimeSpan> Interval(TimeSpan value) => new() { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Interval };

    public static NpgsqlParameter<DateTime> TimestampTz(DateTime utc) => new() { TypedValue = utc, NpgsqlDbType = NpgsqlDbType.TimestampTz };

    public static NpgsqlParameter TimestampTz(DateTimeOffset? value)
        => value is { } v ? TimestampTz(v.UtcDateTime) : new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz };

    public static NpgsqlParameter<ReadOnlyMemory<byte>> Jsonb(ReadOnlyMemory<byte> json) => new() { TypedValue = json, NpgsqlDbType = NpgsqlDbType.Jsonb };

    public static NpgsqlParameter<ReadOnlyMemory<byte>[]> JsonbArray(ReadOnlyMemory<byte>[] json)
        => new() { TypedValue = json, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb };

    public static NpgsqlParameter<byte[]> Bytea(byte[] value) => new() { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Bytea };

    public static NpgsqlParameter<byte[][]> ByteaArray(byte[][] value) => new() { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea };

    public static NpgsqlParameter<Guid> Uuid(Guid value) => new() { TypedValue = value };

    public static NpgsqlParameter<DateTime[]> TimestampTzArray(DateTime[] utc) => new() { TypedValue = utc, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz };

    public static NpgsqlParameter<long[]> BigintArray(long[] value) => new() { TypedValue = value };

    public static NpgsqlParameter NullableBigintArray(long[]? value)
        => value is { } v ? BigintArray(v) : new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint };

    public static NpgsqlParameter<short[]> SmallintArray(short[] value) => new() { TypedValue = value };

    public static NpgsqlParameter<int[]> IntegerArray(int[] value) => new() { TypedValue = value };

    public static NpgsqlParameter TextArray(string[]? value)
        => value is null
            ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text }
            : new NpgsqlParameter<string[]> { TypedValue = value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };
}
