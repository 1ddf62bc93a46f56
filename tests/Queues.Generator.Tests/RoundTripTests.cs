using System.Collections;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Queues.Generator.Tests.Verification;

namespace Queues.Generator.Tests;

/// <summary>
/// Compiles the generated serializer, loads it, and checks it against System.Text.Json's reflection serializer with
/// the same conventions (camelCase names, enums by name). Representations the two agree on are compared byte for
/// byte; the sample avoids the ones they do not share (byte[] as base64, a TimeOnly without a fraction).
/// </summary>
public sealed class RoundTripTests
{
    [Fact]
    public void GeneratedSerializer_WritesWhatSystemTextJsonWrites_AndReadsItBack()
    {
        // Per test, not static: the options cache metadata of the collectible assembly's types.
        var reflectionOptions = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            Converters = { new JsonStringEnumConverter() },
        };
        var run = GeneratorHarness.Run(TestSources.EveryShapePayload);
        run.AssertOutputHasNoWarningsOrErrors();

        using var loaded = LoadedAssembly.Emit(run);
        var sample = loaded.Assembly.GetType("TestApp.Payloads.Samples", throwOnError: true)!
            .GetMethod("Create")!.Invoke(null, null)!;
        var job = loaded.Assembly.GetType("TestApp.Jobs+EveryShapeJob", throwOnError: true)!;

        var json = (ReadOnlyMemory<byte>)job.GetMethod("Serialize")!.Invoke(null, [sample])!;
        var expected = JsonSerializer.Serialize(sample, sample.GetType(), reflectionOptions);
        Assert.Equal(expected, Encoding.UTF8.GetString(json.Span));

        var deserialize = job.GetMethod("Deserialize")!;
        Assert.Same(typeof(JobContext).Assembly, deserialize.GetParameters()[1].ParameterType.Assembly);
        var roundTripped = deserialize.Invoke(null, [json, Loaded.CreateContext("everyShape")])!;
        AssertDeepEqual(sample, roundTripped, "payload");

        // And System.Text.Json reads the generated JSON to the same values.
        AssertDeepEqual(sample, JsonSerializer.Deserialize(json.Span, sample.GetType(), reflectionOptions), "payload");
    }

    /// <summary>Compares values member by member: records with collection members do not compare by content themselves.</summary>
    internal static void AssertDeepEqual(object? expected, object? actual, string path)
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {expected ?? "null"}, got {actual ?? "null"}.");
            return;
        }

        switch (expected)
        {
            case DateTime e:
                var a = Assert.IsType<DateTime>(actual);
                Assert.True(e.Ticks == a.Ticks && e.Kind == a.Kind, $"{path}: expected {e:O} ({e.Kind}), got {a:O} ({a.Kind}).");
                return;
            case DateTimeOffset e:
                var b = Assert.IsType<DateTimeOffset>(actual);
                Assert.True(e.Ticks == b.Ticks && e.Offset == b.Offset, $"{path}: expected {e:O}, got {b:O}.");
                return;
            case string or decimal or Guid or DateOnly or TimeOnly or TimeSpan or Uri:
            case var _ when expected.GetType().IsPrimitive || expected.GetType().IsEnum:
                Assert.True(Equals(expected, actual), $"{path}: expected {expected}, got {actual}.");
                return;
            case IDictionary e:
                var d = Assert.IsAssignableFrom<IDictionary>(actual);
                Assert.True(e.Count == d.Count, $"{path}: expected {e.Count} entries, got {d.Count}.");
                foreach (DictionaryEntry entry in e)
                {
                    Assert.True(d.Contains(entry.Key), $"{path}: key '{entry.Key}' is missing.");
                    AssertDeepEqual(entry.Value, d[entry.Key], $"{path}[\"{entry.Key}\"]");
                }

                return;
            case IEnumerable e:
                // Sets too: a set filled in one order and never removed from enumerates in that order.
                var expectedItems = e.Cast<object?>().ToList();
                var actualItems = Assert.IsAssignableFrom<IEnumerable>(actual).Cast<object?>().ToList();
                Assert.True(expectedItems.Count == actualItems.Count, $"{path}: expected {expectedItems.Count} items, got {actualItems.Count}.");
                for (var i = 0; i < expectedItems.Count; i++)
                {
                    AssertDeepEqual(expectedItems[i], actualItems[i], $"{path}[{i}]");
                }

                return;
        }

        Assert.Equal(expected.GetType(), actual.GetType());
        foreach (var property in expected.GetType().GetProperties(BindingFlags.Instance | BindingFlags.Public))
        {
            AssertDeepEqual(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
        }
    }
}
