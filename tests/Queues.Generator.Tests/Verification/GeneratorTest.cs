using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace Queues.Generator.Tests.Verification;

/// <summary>
/// <see cref="JobGenerator"/> under the Roslyn source-generator test framework: <c>{|QUE0001:span|}</c> markup in
/// <c>TestCode</c>, expected diagnostics and generated sources, compiled against the .NET 10 reference pack plus the
/// Queues runtime, Npgsql and the DI abstractions. What the framework lacks stays in <see cref="GeneratorHarness"/>:
/// the caching contract (second run on a clone, no compiler objects in models).
/// </summary>
internal sealed class GeneratorTest : CSharpSourceGeneratorTest<JobGenerator, DefaultVerifier>
{
    /// <summary>
    /// The reference pack of the framework the tests and the runtime build run on, so the runtime assembly's references
    /// are satisfied (a net8.0 pack would report CS1705 against the net10.0 build of Queues). The framework fetches it
    /// through the machine's NuGet sources.
    /// </summary>
    public static readonly ReferenceAssemblies Net100 = new("net10.0", new("Microsoft.NETCore.App.Ref", "10.0.12"), Path.Combine("ref", "net10.0"));

    public GeneratorTest(string? rootNamespace = GeneratorHarness.RootNamespace)
    {
        ReferenceAssemblies = Net100;
        TestState.AdditionalReferences.AddRange(
        [
            MetadataReference.CreateFromFile(typeof(JobAttribute).Assembly.Location),
            MetadataReference.CreateFromFile(typeof(Npgsql.NpgsqlTransaction).Assembly.Location),
            MetadataReference.CreateFromFile(typeof(Microsoft.Extensions.DependencyInjection.IServiceCollection).Assembly.Location),
            MetadataReference.CreateFromFile(typeof(Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions).Assembly.Location),
            MetadataReference.CreateFromFile(typeof(Microsoft.Extensions.Logging.ILogger).Assembly.Location),
        ]);
        if (rootNamespace is not null)
        {
            TestState.AnalyzerConfigFiles.Add(("/.globalconfig", $"is_global = true\nbuild_property.RootNamespace = {rootNamespace}\n"));
        }
    }

    /// <summary>Further <c>build_property.*</c> values, as the package's buildTransitive props makes them visible.</summary>
    public GeneratorTest WithBuildProperties(IReadOnlyDictionary<string, string> properties)
    {
        TestState.AnalyzerConfigFiles.Add(("/properties.globalconfig",
            "is_global = true\n" + string.Concat(properties.Select(static p => $"build_property.{p.Key} = {p.Value}\n"))));
        return this;
    }

    protected override ParseOptions CreateParseOptions() => GeneratorHarness.ParseOptions;

    protected override CompilationOptions CreateCompilationOptions()
        => ((CSharpCompilationOptions)base.CreateCompilationOptions()).WithNullableContextOptions(NullableContextOptions.Enable);
}
