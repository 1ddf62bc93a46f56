using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Queues.Generator.Tests.Verification;

namespace Queues.Generator.Tests;

/// <summary>
/// The escape hatch: a payload type listed in a JsonSerializerContext the user owns is serialized through that
/// context's source-generated metadata, even when the generated serializer could not handle it (here: polymorphism).
/// System.Text.Json's own generator runs first, as in a real build, so the context is complete.
/// </summary>
public sealed class SerializerContextTests
{
    private static readonly string s_source = TestSources.Code("""
        using System.Text.Json.Serialization;

        [JsonPolymorphic]
        [JsonDerivedType(typeof(Circle), "circle")]
        [JsonDerivedType(typeof(Square), "square")]
        public class Shape
        {
            public string Name { get; set; } = "";
        }

        public sealed class Circle : Shape
        {
            public double Radius { get; set; }
        }

        public sealed class Square : Shape
        {
            public double Side { get; set; }
        }

        [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
        [JsonSerializable(typeof(Shape))]
        internal sealed partial class ShapeContext : JsonSerializerContext
        {
        }

        public static class Drawing
        {
            public static Shape LastDrawn = new();

            [Job("draw", UniqueBy = new[] { nameof(Shape.Name) })]
            public static void Draw(Shape payload) => LastDrawn = payload;
        }
        """, "TestApp.Payloads");

    [Fact]
    public void PayloadListedInAUserContext_IsSerializedThroughIt()
    {
        var run = GeneratorHarness.Run(WithSystemTextJsonGenerator(GeneratorHarness.CreateCompilation(s_source)));
        Assert.Empty(run.GeneratorDiagnostics);
        run.AssertOutputHasNoWarningsOrErrors();
        Assert.Contains("global::TestApp.Payloads.ShapeContext.Default.GetTypeInfo(typeof(global::TestApp.Payloads.Shape))", run.Source("Queues.Job.Draw.g.cs"), StringComparison.Ordinal);

        using var loaded = LoadedAssembly.Emit(run);
        var job = loaded.Type("TestApp.Jobs+DrawJob");
        var circle = Activator.CreateInstance(loaded.Type("TestApp.Payloads.Circle"))!;
        circle.GetType().GetProperty("Name")!.SetValue(circle, "c1");
        circle.GetType().GetProperty("Radius")!.SetValue(circle, 2.5);

        var json = (ReadOnlyMemory<byte>)Loaded.Invoke(job, "Serialize", circle)!;
        Assert.Equal("""{"$type":"circle","radius":2.5,"name":"c1"}""", Encoding.UTF8.GetString(json.Span));

        var read = Loaded.Invoke(job, "Deserialize", json, Loaded.CreateContext("draw"))!;
        Assert.Equal("Circle", read.GetType().Name);
        Assert.Equal(2.5, read.GetType().GetProperty("Radius")!.GetValue(read));

        var definition = (JobDefinition)job.GetField("Definition")!.GetValue(null)!;
        Assert.Equal(["name"], definition.UniqueBy);
    }

    [Fact]
    public void BadDataThroughAUserContext_IsAPayloadError_NamingTheJobAndId()
    {
        var run = GeneratorHarness.Run(WithSystemTextJsonGenerator(GeneratorHarness.CreateCompilation(s_source)));
        using var loaded = LoadedAssembly.Emit(run);
        var job = loaded.Type("TestApp.Jobs+DrawJob");

        var exception = Assert.Throws<JobPayloadException>(() =>
            Loaded.Invoke(job, "Deserialize", (ReadOnlyMemory<byte>)"""{"$type":"triangle"}"""u8.ToArray(), Loaded.CreateContext("draw", 9)));

        Assert.Contains("job 9", exception.Message, StringComparison.Ordinal);
        Assert.Equal("draw", exception.JobName);
    }

    [Fact]
    public void WithoutTheContext_ThePolymorphicPayloadIsQUE0003()
    {
        var source = s_source.Replace("[JsonSerializable(typeof(Shape))]", "[JsonSerializable(typeof(int))]", StringComparison.Ordinal)
            .Replace("public static class Drawing", TestSources.HealthyJob + "public static class Drawing", StringComparison.Ordinal);

        var run = GeneratorHarness.Run(WithSystemTextJsonGenerator(GeneratorHarness.CreateCompilation(source)));

        Assert.Equal("QUE0003", Assert.Single(run.GeneratorDiagnostics).Id);
    }

    /// <summary>The compilation after System.Text.Json's source generator, from the SDK's targeting pack, has run over it.</summary>
    private static CSharpCompilation WithSystemTextJsonGenerator(CSharpCompilation compilation)
    {
        var driver = CSharpGeneratorDriver.Create([SystemTextJsonGenerator.Value], parseOptions: GeneratorHarness.ParseOptions);
        driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(diagnostics, static d => d.Severity == DiagnosticSeverity.Error);
        return (CSharpCompilation)output;
    }

    private static readonly Lazy<ISourceGenerator> SystemTextJsonGenerator = new(static () =>
    {
        // <dotnet>/shared/Microsoft.NETCore.App/<version>/System.Private.CoreLib.dll → <dotnet>/packs/Microsoft.NETCore.App.Ref/<version>/analyzers/dotnet/cs
        var runtimeDirectory = new DirectoryInfo(Path.GetDirectoryName(typeof(object).Assembly.Location)!);
        var dotnetRoot = runtimeDirectory.Parent!.Parent!.Parent!.FullName;
        var packs = new DirectoryInfo(Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref"));
        var path = packs.GetDirectories($"{Environment.Version.Major}.*")
            .OrderByDescending(static d => Version.TryParse(d.Name, out var v) ? v : new Version())
            .Select(static d => Path.Combine(d.FullName, "analyzers", "dotnet", "cs", "System.Text.Json.SourceGeneration.dll"))
            .FirstOrDefault(File.Exists);
        Assert.True(path is not null, $"System.Text.Json's source generator was not found under {packs.FullName}; the .NET SDK's targeting pack is needed.");
        var assembly = Assembly.LoadFrom(path);
        var type = assembly.GetTypes().Single(static t => t.GetCustomAttributes(typeof(GeneratorAttribute), false).Length > 0 && typeof(IIncrementalGenerator).IsAssignableFrom(t));
        return ((IIncrementalGenerator)Activator.CreateInstance(type)!).AsSourceGenerator();
    });
}
