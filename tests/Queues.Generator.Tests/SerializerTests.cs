using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Queues.Generator.Tests.Verification;

namespace Queues.Generator.Tests;

/// <summary>
/// Property-style checks of the generated serializers, one payload type per supported member type: many random values
/// each, written by the generated code and by System.Text.Json's reflection serializer with the same conventions
/// (camelCase, enums by name), compared byte for byte, then read back by both and compared member by member.
/// </summary>
public sealed class SerializerTests
{
    private const int ValuesPerType = 200;

    /// <summary>Every supported member type: a key, its C# spelling and a random value (given the loaded assembly's types).</summary>
    private static readonly (string Key, string CSharp, Func<Random, Func<string, Type>, object?> Next)[] s_types =
    [
        ("String", "string", static (r, _) => RandomString(r)),
        ("Boolean", "bool", static (r, _) => r.Next(2) == 1),
        ("Byte", "byte", static (r, _) => (byte)r.Next(256)),
        ("SByte", "sbyte", static (r, _) => (sbyte)r.Next(-128, 128)),
        ("Int16", "short", static (r, _) => (short)r.Next(short.MinValue, short.MaxValue + 1)),
        ("UInt16", "ushort", static (r, _) => (ushort)r.Next(ushort.MaxValue + 1)),
        ("Int32", "int", static (r, _) => Edge(r, int.MinValue, int.MaxValue, () => r.Next(int.MinValue, int.MaxValue))),
        ("UInt32", "uint", static (r, _) => Edge(r, uint.MinValue, uint.MaxValue, () => (uint)r.NextInt64(uint.MaxValue))),
        ("Int64", "long", static (r, _) => Edge(r, long.MinValue, long.MaxValue, () => r.NextInt64(long.MinValue, long.MaxValue))),
        ("UInt64", "ulong", static (r, _) => Edge(r, ulong.MinValue, ulong.MaxValue, () => (ulong)r.NextInt64() * 2 + (ulong)r.Next(2))),
        ("Single", "float", static (r, _) => Finite(() => BitConverter.Int32BitsToSingle(r.Next(int.MinValue, int.MaxValue)), float.IsFinite)),
        ("Double", "double", static (r, _) => Finite(() => BitConverter.Int64BitsToDouble(r.NextInt64(long.MinValue, long.MaxValue)), double.IsFinite)),
        ("Decimal", "decimal", static (r, _) => new decimal(r.Next(int.MinValue, int.MaxValue), r.Next(int.MinValue, int.MaxValue), r.Next(int.MinValue, int.MaxValue), r.Next(2) == 1, (byte)r.Next(29))),
        ("Char", "char", static (r, _) => (char)r.Next(0, 0xD800)),
        ("Guid", "Guid", static (r, _) => new Guid(RandomBytes(r, 16))),
        ("DateTime", "DateTime", static (r, _) => new DateTime(r.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), r.Next(2) == 1 ? DateTimeKind.Utc : DateTimeKind.Unspecified)),
        ("DateTimeOffset", "DateTimeOffset", static (r, _) => new DateTimeOffset(
            r.NextInt64(DateTime.MinValue.AddDays(1).Ticks, DateTime.MaxValue.AddDays(-1).Ticks), TimeSpan.FromMinutes(r.Next(-14 * 60, 14 * 60 + 1)))),
        ("DateOnly", "DateOnly", static (r, _) => DateOnly.FromDayNumber(r.Next(DateOnly.MaxValue.DayNumber + 1))),
        ("TimeOnly", "TimeOnly", static (r, _) => r.Next(3) == 0
            ? new TimeOnly(r.Next(24), r.Next(60), r.Next(60))
            : new TimeOnly(r.NextInt64(TimeSpan.TicksPerDay))),
        ("TimeSpan", "TimeSpan", static (r, _) => Edge(r, TimeSpan.MinValue, TimeSpan.MaxValue, () => new TimeSpan(r.NextInt64(long.MinValue, long.MaxValue)))),
        ("Uri", "Uri", static (r, _) => r.Next(4) == 0
            ? new Uri($"docs/{r.Next(1000)}/page?x={r.Next()}", UriKind.Relative)
            : new Uri($"https://host{r.Next(100)}.example.org:{r.Next(1, 65536)}/path/{r.Next()}?q={r.Next()}&r=%20{r.Next()}#frag")),
        ("Enum", "Color", static (r, type) => Enum.GetValues(type("Color")).GetValue(r.Next(3))),
        ("NullableInt32", "int?", static (r, _) => r.Next(3) == 0 ? null : r.Next()),
        ("NullableGuid", "Guid?", static (r, _) => r.Next(3) == 0 ? null : new Guid(RandomBytes(r, 16))),
        ("NullableEnum", "Color?", static (r, type) => r.Next(3) == 0 ? null : Enum.GetValues(type("Color")).GetValue(r.Next(3))),
        ("NullableString", "string?", static (r, _) => r.Next(3) == 0 ? null : RandomString(r)),
        ("Int32Array", "int[]", static (r, _) => Many(r, () => r.Next()).ToArray()),
        ("Bytes", "byte[]", static (r, _) => RandomBytes(r, r.Next(40))),
        ("ListOfString", "List<string>", static (r, _) => Many(r, () => RandomString(r))),
        ("IListOfInt64", "IList<long>", static (r, _) => Many(r, () => r.NextInt64())),
        ("ICollectionOfBoolean", "ICollection<bool>", static (r, _) => Many(r, () => r.Next(2) == 1)),
        ("IReadOnlyListOfGuid", "IReadOnlyList<Guid>", static (r, _) => Many(r, () => new Guid(RandomBytes(r, 16)))),
        ("IEnumerableOfString", "IEnumerable<string>", static (r, _) => Many(r, () => RandomString(r))),
        ("HashSetOfInt32", "HashSet<int>", static (r, _) => new HashSet<int>(Many(r, () => r.Next()))),
        ("DictionaryOfInt32", "Dictionary<string, int>", static (r, _) => Dictionary(r, () => r.Next())),
        ("IReadOnlyDictionaryOfString", "IReadOnlyDictionary<string, string>", static (r, _) => Dictionary(r, () => RandomString(r))),
        ("IDictionaryOfNullableDouble", "IDictionary<string, double?>", static (r, _) => Dictionary(r, () => r.Next(3) == 0 ? (double?)null : r.NextDouble())),
        ("Nested", "Inner", static (r, type) => Inner(r, type)),
        ("NullableNested", "Inner?", static (r, type) => r.Next(3) == 0 ? null : Inner(r, type)),
        ("ListOfNested", "List<Inner>", static (r, type) => ListOf(type("Inner"), Many(r, () => Inner(r, type)))),
        ("DictionaryOfNested", "Dictionary<string, Inner>", static (r, type) => DictionaryOf(type("Inner"), Dictionary(r, () => Inner(r, type)))),
        ("ArrayOfArrays", "string[][]", static (r, _) => Many(r, () => Many(r, () => RandomString(r)).ToArray()).ToArray()),
    ];

    private static readonly Lazy<(GeneratorRun Run, LoadedAssembly Loaded)> s_compiled = new(Compile);

    public static TheoryData<string> TypeKeys => new(s_types.Select(static t => t.Key));

    [Fact]
    public void EverySupportedType_Compiles_WithoutDiagnosticsOrWarnings()
    {
        var run = s_compiled.Value.Run;

        Assert.Empty(run.GeneratorDiagnostics);
        run.AssertOutputHasNoWarningsOrErrors();
        Assert.Equal(s_types.Length + 1, run.Sources.Count);
    }

    [Theory]
    [MemberData(nameof(TypeKeys))]
    public void RandomValues_MatchSystemTextJson_AndRoundTrip(string key)
    {
        var loaded = s_compiled.Value.Loaded;
        var (_, _, next) = s_types.Single(t => t.Key == key);
        var payloadType = loaded.Type($"TestApp.Payloads.P{key}");
        var job = loaded.Type($"TestApp.Jobs+P{key}Job");
        var options = ReflectionOptions();
        var random = new Random(key.GetHashCode(StringComparison.Ordinal) ^ 20260101);

        for (var i = 0; i < ValuesPerType; i++)
        {
            var value = next(random, name => loaded.Type($"TestApp.Payloads.{name}"));
            var payload = Activator.CreateInstance(payloadType, value)!;

            var json = (ReadOnlyMemory<byte>)Loaded.Invoke(job, "Serialize", payload)!;
            var text = Encoding.UTF8.GetString(json.Span);
            Assert.True(JsonSerializer.Serialize(payload, payloadType, options) == text,
                $"{key} #{i}: System.Text.Json writes {JsonSerializer.Serialize(payload, payloadType, options)}, the generated serializer {text}.");

            RoundTripTests.AssertDeepEqual(payload, Loaded.Invoke(job, "Deserialize", json, Loaded.CreateContext($"p{key}")), $"{key} #{i} {text}");
            RoundTripTests.AssertDeepEqual(payload, JsonSerializer.Deserialize(json.Span, payloadType, options), $"{key} #{i} (read by System.Text.Json) {text}");
        }
    }

    private static (GeneratorRun, LoadedAssembly) Compile()
    {
        var source = new StringBuilder("""
            public enum Color
            {
                Red,
                Green,
                Blue,
            }

            public sealed record Inner(string Name, int Count, DateOnly? Day);

            """);
        foreach (var (key, csharp, _) in s_types)
        {
            source.AppendLine(CultureInfo.InvariantCulture, $"public sealed record P{key}({csharp} Value);");
            source.AppendLine(CultureInfo.InvariantCulture, $"public static class P{key}Handler {{ [Job(\"p{key}\")] public static void Handle(P{key} payload) {{ }} }}");
        }

        var run = GeneratorHarness.Run(TestSources.Code(source.ToString(), "TestApp.Payloads"));
        return (run, LoadedAssembly.Emit(run));
    }

    internal static JsonSerializerOptions ReflectionOptions() => new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    private static T Edge<T>(Random random, T min, T max, Func<T> next) => random.Next(10) switch
    {
        0 => min,
        1 => max,
        _ => next(),
    };

    private static T Finite<T>(Func<T> next, Func<T, bool> isFinite)
    {
        while (true)
        {
            var value = next();
            if (isFinite(value))
            {
                return value;
            }
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Strings with what JSON must escape: quotes, backslashes, controls, HTML characters, non-ASCII and surrogate pairs.</summary>
    private static string RandomString(Random random)
    {
        string[] pieces = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\0", "\u001f", "<", ">", "&", "'", "+", "é", "ß", "漢", "😀", "\u2028", "word"];
        var builder = new StringBuilder();
        var length = random.Next(12);
        for (var i = 0; i < length; i++)
        {
            builder.Append(pieces[random.Next(pieces.Length)]);
        }

        return builder.ToString();
    }

    private static List<T> Many<T>(Random random, Func<T> next)
    {
        var count = random.Next(6);
        var list = new List<T>(count);
        for (var i = 0; i < count; i++)
        {
            list.Add(next());
        }

        return list;
    }

    private static Dictionary<string, T> Dictionary<T>(Random random, Func<T> next)
    {
        var dictionary = new Dictionary<string, T>();
        foreach (var key in Many(random, () => RandomString(random)))
        {
            dictionary[key] = next();
        }

        return dictionary;
    }

    private static object Inner(Random random, Func<string, Type> type)
        => Activator.CreateInstance(type("Inner"), RandomString(random), random.Next(), random.Next(2) == 0 ? null : (object)DateOnly.FromDayNumber(random.Next(800000)))!;

    private static object ListOf(Type element, List<object> items)
    {
        var list = (System.Collections.IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
        foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    private static object DictionaryOf(Type value, Dictionary<string, object> items)
    {
        var dictionary = (System.Collections.IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(typeof(string), value))!;
        foreach (var (key, item) in items)
        {
            dictionary[key] = item;
        }

        return dictionary;
    }
}
