using System.Text;
using System.Text.Json;
using Queues.Generator.Tests.Verification;

namespace Queues.Generator.Tests;

/// <summary>
/// The object shapes a payload may take (primary constructors on classes, required and init members, defaults,
/// [JsonPropertyName], [JsonIgnore], structs), and how reading treats JSON that does not match them: tolerant where
/// nothing is lost, a <see cref="JobPayloadException"/> naming job, id and member where data would be.
/// </summary>
public sealed class PayloadShapeTests
{
    private static readonly Lazy<(GeneratorRun Run, LoadedAssembly Loaded)> s_compiled = new(Compile);

    public static TheoryData<string, string> Samples => new()
    {
        { "PrimaryCtorClass", """{"name":"a","count":2}""" },
        { "RequiredInit", """{"name":"b","optional":3,"label":"x"}""" },
        { "Point", """{"x":-1,"y":2}""" },
        { "WithDefaults", """{"name":"c","count":9,"note":"n"}""" },
        { "Mutable", """{"id":"0f8fad5b-d9cb-469f-a165-70867728950e","tags":["a","b"],"meta":{"k":"v"}}""" },
        { "Annotated", """{"renamed_by_attribute":"r","kept":1}""" },
    };

    [Fact]
    public void Shapes_CompileWithoutDiagnosticsOrWarnings()
    {
        var run = s_compiled.Value.Run;

        Assert.Empty(run.GeneratorDiagnostics);
        run.AssertOutputHasNoWarningsOrErrors();
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Shape_RoundTrips_AndMatchesSystemTextJson(string shape, string json)
    {
        var loaded = s_compiled.Value.Loaded;
        var type = loaded.Type($"TestApp.Payloads.{shape}");
        var options = SerializerTests.ReflectionOptions();
        var value = JsonSerializer.Deserialize(json, type, options)!;

        var written = Serialize(shape, value);

        Assert.Equal(JsonSerializer.Serialize(value, type, options), written);
        RoundTripTests.AssertDeepEqual(value, Deserialize(shape, written), shape);
        RoundTripTests.AssertDeepEqual(value, Deserialize(shape, json), shape);
    }

    [Fact]
    public void JsonIgnore_LeavesThePropertyOutOfTheJson()
    {
        var value = Deserialize("RequiredInit", """{"name":"b"}""");

        Assert.DoesNotContain("secret", Serialize("RequiredInit", value), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void UnknownProperties_AreSkipped_WhateverTheirShape()
    {
        var value = Deserialize("WithDefaults", """{"extra":{"deep":[1,{"x":null}]},"name":"c","more":[[]],"count":1,"last":"x"}""");

        Assert.Equal("""{"name":"c","count":1,"note":null}""", Serialize("WithDefaults", value));
    }

    [Theory]
    [InlineData(65)]
    [InlineData(1_000)]
    [InlineData(100_000)]
    public void UnknownProperties_AreSkipped_AtAnyDepth(int depth)
    {
        // Past the reader's default limit of 64 levels: arrays and objects, and a known member after the deep one.
        var arrays = new string('[', depth) + new string(']', depth);
        var objects = string.Concat(Enumerable.Repeat("{\"d\":", depth)) + "1" + new string('}', depth);
        var value = Deserialize("WithDefaults", $$"""{"extra":{{arrays}},"name":"c","more":{{objects}},"count":1}""");

        Assert.Equal("""{"name":"c","count":1,"note":null}""", Serialize("WithDefaults", value));
    }

    [Fact]
    public void MissingOptionalMembers_KeepTheirDefaults()
    {
        Assert.Equal("""{"name":"c","count":5,"note":null}""", Serialize("WithDefaults", Deserialize("WithDefaults", """{"name":"c"}""")));
        Assert.Equal("""{"name":"b","optional":7,"label":"none"}""", Serialize("RequiredInit", Deserialize("RequiredInit", """{"name":"b"}""")));
    }

    [Theory]
    [InlineData("RequiredInit", """{"optional":1}""", "RequiredInit.Name")]
    [InlineData("PrimaryCtorClass", """{"name":"a"}""", "PrimaryCtorClass.Count")]
    [InlineData("WithDefaults", """{"count":1}""", "WithDefaults.Name")]
    [InlineData("WithDefaults", """{"name":null}""", "WithDefaults.Name")]
    [InlineData("Point", """{"x":2147483648}""", "Point.X")]
    [InlineData("Narrow", """{"small":300}""", "Narrow.Small")]
    [InlineData("Narrow", """{"small":-1}""", "Narrow.Small")]
    [InlineData("Narrow", """{"small":"1"}""", "Narrow.Small")]
    [InlineData("Mutable", """{"id":"not-a-guid"}""", "Mutable.Id")]
    public void DataThatWouldBeLost_IsAPayloadError_NamingTheJobIdAndMember(string shape, string json, string member)
    {
        var exception = Assert.Throws<JobPayloadException>(() => Deserialize(shape, json, id: 42));

        Assert.Equal(Job(shape), exception.JobName);
        Assert.Contains($"job '{Job(shape)}'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("job 42", exception.Message, StringComparison.Ordinal);
        Assert.Contains(member, exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"status":1,"perms":0,"history":[]}""", """{"status":"Sent","perms":"None","history":[],"maybe":null}""")]
    [InlineData("""{"status":"Paid","perms":19,"history":[5,0],"maybe":1}""", """{"status":"Paid","perms":19,"history":["Paid","Draft"],"maybe":"Sent"}""")]
    [InlineData("""{"status":0,"perms":"Admin","history":[]}""", """{"status":"Draft","perms":"Admin","history":[],"maybe":null}""")]
    public void EnumNumbers_ThatMembersDefine_AreRead_FlagsInAnyCombination(string json, string written)
        => Assert.Equal(written, Serialize("WithEnums", Deserialize("WithEnums", json)));

    [Theory]
    [InlineData("""{"status":7,"perms":0,"history":[]}""", "WithEnums.Status", "7 is not a defined value of TestApp.Payloads.Status")]
    [InlineData("""{"status":-1,"perms":0,"history":[]}""", "WithEnums.Status", "-1 is not a defined value")]
    [InlineData("""{"status":0,"perms":0,"history":[1,2]}""", "WithEnums.History", "2 is not a defined value")]
    [InlineData("""{"status":0,"perms":0,"history":[],"maybe":3}""", "WithEnums.Maybe", "3 is not a defined value")]
    [InlineData("""{"status":0,"perms":4,"history":[]}""", "WithEnums.Perms", "4 has bits that no member of the [Flags] enum TestApp.Payloads.Perms defines")]
    [InlineData("""{"status":0,"perms":255,"history":[]}""", "WithEnums.Perms", "255 has bits")]
    public void EnumNumbers_ThatNoMemberDefines_AreAPayloadError_NamingTheMemberAndValue(string json, string member, string reason)
    {
        var exception = Assert.Throws<JobPayloadException>(() => Deserialize("WithEnums", json, id: 9));

        Assert.Contains("job 9", exception.Message, StringComparison.Ordinal);
        Assert.Contains($"{member}':", exception.Message, StringComparison.Ordinal);
        Assert.Contains(reason, exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"status":7,"perms":0,"history":[]}""", "WithEnums.Status is 7, which is not a defined value of TestApp.Payloads.Status")]
    [InlineData("""{"status":0,"perms":0,"history":[0,9]}""", "an item of System.Collections.Generic.List<TestApp.Payloads.Status> is 9")]
    [InlineData("""{"status":0,"perms":0,"history":[],"maybe":6}""", "WithEnums.Maybe is 6")]
    [InlineData("""{"status":0,"perms":12,"history":[]}""", "WithEnums.Perms is 12, which has bits that no member of the [Flags] enum")]
    public void EnumValues_ThatNoMemberDefines_AreRefusedAtEnqueue_NamingTheMember(string json, string message)
    {
        // System.Text.Json's reflection reader takes any number, as a cast in the caller's code would.
        var value = JsonSerializer.Deserialize(json, s_compiled.Value.Loaded.Type("TestApp.Payloads.WithEnums"), SerializerTests.ReflectionOptions())!;

        var exception = Assert.Throws<ArgumentException>(() => Serialize("WithEnums", value));

        Assert.Contains(message, exception.Message, StringComparison.Ordinal);
        Assert.Contains("the job was not enqueued", exception.Message, StringComparison.Ordinal);
        Assert.Equal("payload", exception.ParamName);
    }

    /// <summary>Texts with one lone surrogate each (built in code: a JSON reader refuses them) and the message's start.</summary>
    private static readonly (Func<object> Value, string Message)[] s_loneSurrogates =
    [
        (static () => Texts("a\uD83D"), "Texts.Body holds a lone UTF-16 surrogate (U+D83D at index 1)"),
        (static () => Texts("\uDE00a"), "Texts.Body holds a lone UTF-16 surrogate (U+DE00 at index 0)"),
        (static () => Texts("a", initial: '\uD83D'), "Texts.Initial holds a lone UTF-16 surrogate (U+D83D at index 0)"),
        (static () => Texts("a", lines: ["ok", "\uDE00\uD83D"]), "an item of System.Collections.Generic.List<string> holds a lone"),
        (static () => Texts("a", labels: new() { ["k\uD83D"] = "v" }), "a key of System.Collections.Generic.Dictionary<string, string?> holds a lone"),
        (static () => Texts("a", labels: new() { ["k"] = "\uD83D" }), "a value of System.Collections.Generic.Dictionary<string, string?> holds a lone"),
        (static () => Texts("a", note: "\uD83D!"), "Texts.Note holds a lone"),
    ];

    public static TheoryData<int> LoneSurrogateCases => new(Enumerable.Range(0, s_loneSurrogates.Length));

    [Theory]
    [MemberData(nameof(LoneSurrogateCases))]
    public void TextWithALoneSurrogate_IsRefusedAtEnqueue_NamingTheMember(int index)
    {
        var (value, message) = s_loneSurrogates[index];

        var exception = Assert.Throws<ArgumentException>(() => Serialize("Texts", value()));

        Assert.Contains(message, exception.Message, StringComparison.Ordinal);
        Assert.Contains("the job was not enqueued", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TextWithWholeSurrogatePairs_IsWrittenAndReadBack()
    {
        var value = Texts("\uD83D\uDE00", '\u00E9', ["a\uD83D\uDE00b"], new() { ["\uD83D\uDE00"] = "\uD83D\uDE00" }, "\uD83D\uDE00");

        RoundTripTests.AssertDeepEqual(value, Deserialize("Texts", Serialize("Texts", value)), "Texts");
    }

    private static object Texts(string body, char initial = 'x', List<string>? lines = null, Dictionary<string, string?>? labels = null, string? note = null)
        => Activator.CreateInstance(s_compiled.Value.Loaded.Type("TestApp.Payloads.Texts"), body, initial, lines ?? [], labels ?? [], note)!;

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("""{"name":""")]
    public void AMalformedPayload_IsAPayloadError(string json)
    {
        var exception = Assert.Throws<JobPayloadException>(() => Deserialize("WithDefaults", json, id: 7));

        Assert.Contains("job 7", exception.Message, StringComparison.Ordinal);
    }

    private static string Job(string shape) => "shape" + shape;

    private static string Serialize(string shape, object value)
        => Encoding.UTF8.GetString(((ReadOnlyMemory<byte>)Loaded.Invoke(s_compiled.Value.Loaded.Type($"TestApp.Jobs+Shape{shape}Job"), "Serialize", value)!).Span);

    private static object Deserialize(string shape, string json, long id = 1)
        => Loaded.Invoke(s_compiled.Value.Loaded.Type($"TestApp.Jobs+Shape{shape}Job"), "Deserialize",
            (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(json), Loaded.CreateContext(Job(shape), id))!;

    private static (GeneratorRun, LoadedAssembly) Compile()
    {
        var run = GeneratorHarness.Run(TestSources.Code("""
            using System.Text.Json.Serialization;

            public sealed class PrimaryCtorClass(string name, int count)
            {
                public string Name { get; } = name;

                public int Count { get; } = count;
            }

            public sealed class RequiredInit
            {
                public required string Name { get; init; }

                public int Optional { get; init; } = 7;

                public string Label { get; set; } = "none";

                [JsonIgnore]
                public string Secret { get; set; } = "secret";
            }

            public struct Point
            {
                public int X { get; set; }

                public int Y { get; set; }
            }

            public sealed record WithDefaults(string Name, int Count = 5, string? Note = null);

            public sealed class Mutable
            {
                public Guid Id { get; set; }

                public IEnumerable<string> Tags { get; set; } = [];

                public IReadOnlyDictionary<string, string> Meta { get; set; } = new Dictionary<string, string>();
            }

            public sealed record Annotated([property: JsonPropertyName("renamed_by_attribute")] string Renamed, int Kept)
            {
                [JsonIgnore(Condition = JsonIgnoreCondition.Always)]
                public string Computed => Renamed + Kept;
            }

            public sealed record Narrow(byte Small);

            public enum Status { Draft, Sent = 1, Paid = 5 }

            [Flags]
            public enum Perms : byte { None = 0, Read = 1, Write = 2, Admin = 16 }

            public sealed record Texts(string Body, char Initial, List<string> Lines, Dictionary<string, string?> Labels, string? Note = null);

            public sealed record WithEnums(Status Status, Perms Perms, List<Status> History, Status? Maybe = null);

            public static class ShapeHandlers
            {
                [Job("shapePrimaryCtorClass")] public static void A(PrimaryCtorClass payload) { }
                [Job("shapeRequiredInit")] public static void B(RequiredInit payload) { }
                [Job("shapePoint")] public static void C(Point payload) { }
                [Job("shapeWithDefaults")] public static void D(WithDefaults payload) { }
                [Job("shapeMutable")] public static void E(Mutable payload) { }
                [Job("shapeAnnotated")] public static void F(Annotated payload) { }
                [Job("shapeNarrow")] public static void G(Narrow payload) { }
                [Job("shapeWithEnums")] public static void H(WithEnums payload) { }
                [Job("shapeTexts")] public static void I(Texts payload) { }
            }
            """, "TestApp.Payloads"));
        return (run, LoadedAssembly.Emit(run));
    }
}
