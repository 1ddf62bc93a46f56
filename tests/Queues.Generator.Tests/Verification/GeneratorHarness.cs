using System.Collections;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Queues.Generator.Tests.Verification;

/// <summary>
/// Runs <see cref="JobGenerator"/> the way the compiler does [EnumGenerators <c>TestHelpers</c>]. Every run also checks
/// the generator's caching contract:
/// <list type="bullet">
/// <item>a second run on <c>compilation.Clone()</c> leaves every tracked step (<see cref="TrackingNames"/>) with equal
/// outputs and only <c>Cached</c>/<c>Unchanged</c> reasons;</item>
/// <item>no step output holds an <see cref="ISymbol"/>, <see cref="SyntaxNode"/>, <see cref="Compilation"/>,
/// <see cref="SemanticModel"/> or <see cref="Location"/>, however deep;</item>
/// <item>the generator threw nothing, and the generated code adds no compiler error to those the input already had.</item>
/// </list>
/// </summary>
internal static class GeneratorHarness
{
    /// <summary>The <c>build_property.RootNamespace</c> every run passes, so generated code lives in <c>TestApp</c>.</summary>
    public const string RootNamespace = "TestApp";

    /// <summary>
    /// Latest language, and doc comments diagnosed as in a project with <c>GenerateDocumentationFile</c>, so a bad
    /// <c>cref</c> or a missing doc comment in generated code shows up as a warning.
    /// </summary>
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.Diagnose);

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(LoadReferences);

    /// <summary>The names of every tracked step: the string constants of <see cref="TrackingNames"/>.</summary>
    public static IReadOnlyList<string> TrackedStepNames { get; } = typeof(TrackingNames)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(static f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(static f => (string)f.GetRawConstantValue()!)
        .ToList();

    /// <summary>The framework, the Queues runtime, Npgsql and the DI abstractions.</summary>
    public static ImmutableArray<MetadataReference> References => s_references.Value;

    /// <summary>A library compilation of <paramref name="sources"/>, named <c>Test0.cs</c>, <c>Test1.cs</c>, ….</summary>
    public static CSharpCompilation CreateCompilation(params string[] sources)
        => CSharpCompilation.Create(
            "TestApp",
            sources.Select(static (source, i) => Parse(source, $"Test{i}.cs")),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static SyntaxTree Parse(string source, string path)
        => CSharpSyntaxTree.ParseText(source, ParseOptions, path, Encoding.UTF8, TestContext.Current.CancellationToken);

    /// <summary>
    /// A driver over a fresh <see cref="JobGenerator"/> that records the tracked steps; <paramref name="buildProperties"/>
    /// are further <c>build_property.*</c> values, keyed by property name.
    /// </summary>
    public static GeneratorDriver CreateDriver(string? rootNamespace = RootNamespace, IReadOnlyDictionary<string, string>? buildProperties = null)
    {
        var options = rootNamespace is null
            ? ImmutableDictionary<string, string>.Empty
            : ImmutableDictionary<string, string>.Empty.Add("build_property.RootNamespace", rootNamespace);
        foreach (var (name, value) in buildProperties ?? ImmutableDictionary<string, string>.Empty)
        {
            options = options.SetItem("build_property." + name, value);
        }

        return CSharpGeneratorDriver.Create(
            [new JobGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            optionsProvider: new TestOptionsProvider(options),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
    }

    /// <summary>Runs the generator over <paramref name="sources"/> with every harness check.</summary>
    public static GeneratorRun Run(params string[] sources) => Run(CreateCompilation(sources));

    /// <summary>
    /// Runs the generator over <paramref name="compilation"/> with every harness check; a null
    /// <paramref name="rootNamespace"/> leaves <c>build_property.RootNamespace</c> unset.
    /// </summary>
    public static GeneratorRun Run(CSharpCompilation compilation, string? rootNamespace = RootNamespace, IReadOnlyDictionary<string, string>? buildProperties = null)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var inputErrors = compilation.GetDiagnostics(cancellationToken).Where(static d => d.Severity == DiagnosticSeverity.Error).ToList();
        var clone = compilation.Clone();

        var driver = CreateDriver(rootNamespace, buildProperties).RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics, cancellationToken);
        var first = driver.GetRunResult();
        AssertGeneratorDidNotThrow(first, generatorDiagnostics);
        AssertStepOutputsHoldNoCompilerObjects(first);

        driver = driver.RunGenerators(clone, cancellationToken);
        var second = driver.GetRunResult();
        AssertStepOutputsHoldNoCompilerObjects(second);
        AssertCachedOnSecondRun(first, second);

        var outputDiagnostics = output.GetDiagnostics(cancellationToken);
        var added = outputDiagnostics
            .Where(static d => d.Severity == DiagnosticSeverity.Error)
            .Where(d => !inputErrors.Any(e => Same(e, d)))
            .ToList();
        if (added.Count > 0)
        {
            Assert.Fail("The generated code does not compile:" + Environment.NewLine + Describe(added) + Sources(first));
        }

        return new GeneratorRun(compilation, output, driver, first, generatorDiagnostics, outputDiagnostics);
    }

    /// <summary>Fails when a generator threw, whether as a result's exception or as the compiler's CS8785 warning.</summary>
    public static void AssertGeneratorDidNotThrow(GeneratorDriverRunResult result, IEnumerable<Diagnostic> generatorDiagnostics)
    {
        var exceptions = result.Results.Where(static r => r.Exception is not null).Select(static r => r.Exception!.ToString()).ToList();
        var crashes = generatorDiagnostics.Concat(result.Diagnostics).Where(static d => d.Id is "CS8785" or "AD0001").Select(static d => d.ToString());
        var all = exceptions.Concat(crashes).ToList();
        if (all.Count > 0)
        {
            Assert.Fail("The generator threw:" + Environment.NewLine + string.Join(Environment.NewLine, all));
        }
    }

    /// <summary>
    /// Fails unless every tracked step ran in both runs, produced equal outputs, and only reused them the second time.
    /// </summary>
    public static void AssertCachedOnSecondRun(GeneratorDriverRunResult first, GeneratorDriverRunResult second)
    {
        var firstSteps = TrackedSteps(first);
        var secondSteps = TrackedSteps(second);
        foreach (var name in TrackedStepNames)
        {
            Assert.True(firstSteps.TryGetValue(name, out var before), $"Tracked step '{name}' did not run; is WithTrackingName missing?");
            Assert.True(secondSteps.TryGetValue(name, out var after), $"Tracked step '{name}' did not run the second time.");
            Assert.True(before.Length == after.Length, $"Step '{name}' ran {before.Length} time(s), then {after.Length} on an identical compilation.");
            for (var i = 0; i < before.Length; i++)
            {
                var beforeValues = before[i].Outputs.Select(static o => o.Value).ToList();
                var afterValues = after[i].Outputs.Select(static o => o.Value).ToList();
                Assert.True(beforeValues.SequenceEqual(afterValues),
                    $"Step '{name}' (#{i}) produced outputs that are not equal on an identical compilation; a model lacks value equality."
                    + Environment.NewLine + "  before: " + string.Join(", ", beforeValues)
                    + Environment.NewLine + "  after:  " + string.Join(", ", afterValues));

                var reasons = after[i].Outputs.Select(static o => o.Reason).ToList();
                Assert.True(reasons.All(static r => r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged),
                    $"Step '{name}' (#{i}) was not cached on an identical compilation: {string.Join(", ", reasons)}.");
            }
        }
    }

    /// <summary>The tracked steps of the (only) generator's run, by tracking name.</summary>
    public static ImmutableDictionary<string, ImmutableArray<IncrementalGeneratorRunStep>> TrackedSteps(GeneratorDriverRunResult result)
        => Assert.Single(result.Results).TrackedSteps;

    /// <summary>
    /// Walks the outputs of every step named in <see cref="TrackingNames"/> and fails on a compiler object anywhere
    /// inside. (Roslyn's own steps, such as SourceOutput with its diagnostics, are tracked too, and may hold them.)
    /// </summary>
    public static void AssertStepOutputsHoldNoCompilerObjects(GeneratorDriverRunResult result)
    {
        var tracked = TrackedSteps(result);
        foreach (var name in TrackedStepNames)
        {
            if (!tracked.TryGetValue(name, out var steps))
            {
                continue;
            }

            for (var i = 0; i < steps.Length; i++)
            {
                for (var j = 0; j < steps[i].Outputs.Length; j++)
                {
                    ObjectGraph.AssertNoCompilerObjects(steps[i].Outputs[j].Value, $"{name}[{i}].Outputs[{j}]");
                }
            }
        }
    }

    public static string Describe(IEnumerable<Diagnostic> diagnostics)
    {
        var builder = new StringBuilder();
        foreach (var diagnostic in diagnostics)
        {
            builder.Append("  ").AppendLine(diagnostic.ToString());
        }

        return builder.Length == 0 ? "  (none)" + Environment.NewLine : builder.ToString();
    }

    private static string Sources(GeneratorDriverRunResult result)
    {
        var builder = new StringBuilder();
        foreach (var source in result.Results.SelectMany(static r => r.GeneratedSources))
        {
            builder.AppendLine().Append("// ").AppendLine(source.HintName).Append(source.SourceText);
        }

        return builder.ToString();
    }

    private static bool Same(Diagnostic left, Diagnostic right)
        => left.Id == right.Id && left.Location == right.Location && left.GetMessage() == right.GetMessage();

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        // The test host's own framework (the trusted platform assemblies under the runtime's directory; the rest of the
        // list is this test project's dependencies, such as xunit and Roslyn, which generated code must not see).
        var frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var framework = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => string.Equals(Path.GetDirectoryName(path), frameworkDirectory, StringComparison.Ordinal));

        // The runtime, Npgsql, the DI abstractions, and what their public surface refers to.
        var roots = new[]
        {
            typeof(JobAttribute).Assembly,
            typeof(Npgsql.NpgsqlTransaction).Assembly,
            typeof(Microsoft.Extensions.DependencyInjection.IServiceCollection).Assembly,
            typeof(Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions).Assembly,
        };
        var libraries = roots
            .Concat(roots.SelectMany(static a => a.GetReferencedAssemblies()).Select(Assembly.Load))
            .Select(static a => a.Location)
            .Where(path => !string.Equals(Path.GetDirectoryName(path), frameworkDirectory, StringComparison.Ordinal));

        return framework.Concat(libraries)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(static path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    }

    private sealed class TestOptionsProvider(ImmutableDictionary<string, string> globalOptions) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new TestOptions(globalOptions);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => TestOptions.Empty;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => TestOptions.Empty;
    }

    private sealed class TestOptions(ImmutableDictionary<string, string> values) : AnalyzerConfigOptions
    {
        public static readonly TestOptions Empty = new(ImmutableDictionary<string, string>.Empty);

        public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
    }
}

/// <summary>The outcome of one harness run.</summary>
internal sealed record GeneratorRun(
    CSharpCompilation Input,
    Compilation Output,
    GeneratorDriver Driver,
    GeneratorDriverRunResult Result,
    ImmutableArray<Diagnostic> GeneratorDiagnostics,
    ImmutableArray<Diagnostic> OutputDiagnostics)
{
    /// <summary>The generated files by hint name, in hint-name order.</summary>
    public IReadOnlyDictionary<string, string> Sources { get; } = Result.Results
        .SelectMany(static r => r.GeneratedSources)
        .OrderBy(static s => s.HintName, StringComparer.Ordinal)
        .ToDictionary(static s => s.HintName, static s => s.SourceText.ToString(), StringComparer.Ordinal);

    /// <summary>The generated file <paramref name="hintName"/>; fails when there is none.</summary>
    public string Source(string hintName)
        => Sources.TryGetValue(hintName, out var text)
            ? text
            : throw new Xunit.Sdk.XunitException($"No generated file '{hintName}'; generated: {string.Join(", ", Sources.Keys)}.");

    /// <summary>
    /// Fails on any warning or error in the output compilation. The one exception is CS1591 (missing XML comment) on
    /// the hand-written test input, which is not the generator's to document; generated code gets no such pass.
    /// </summary>
    public void AssertOutputHasNoWarningsOrErrors()
    {
        var problems = OutputDiagnostics
            .Where(static d => d.Severity is DiagnosticSeverity.Warning or DiagnosticSeverity.Error)
            .Where(d => !(d.Id == "CS1591" && d.Location.SourceTree is { } tree && Input.SyntaxTrees.Contains(tree)))
            .ToList();
        if (problems.Count > 0)
        {
            Assert.Fail("The output compilation has warnings or errors:" + Environment.NewLine + GeneratorHarness.Describe(problems));
        }
    }
}

/// <summary>Reflection over pipeline models: the "no symbols, syntax or compilations in models" rule.</summary>
internal static class ObjectGraph
{
    private static readonly Type[] s_forbidden =
    [
        typeof(ISymbol),
        typeof(SyntaxNode),
        typeof(SyntaxToken),
        typeof(SyntaxTrivia),
        typeof(SyntaxNodeOrToken),
        typeof(SyntaxTree),
        typeof(Compilation),
        typeof(SemanticModel),
        typeof(Location),
    ];

    public static void AssertNoCompilerObjects(object? value, string path)
        => Walk(value, path, new HashSet<object>(ReferenceEqualityComparer.Instance));

    private static void Walk(object? value, string path, HashSet<object> visited)
    {
        if (value is null)
        {
            return;
        }

        var type = value.GetType();
        var forbidden = s_forbidden.FirstOrDefault(f => f.IsAssignableFrom(type));
        if (forbidden is not null)
        {
            Assert.Fail($"{path} is a {forbidden.Name} ({type.FullName}). Pipeline models must be values only: " +
                "keep names, strings and LocationInfo, never symbols, syntax, compilations or locations, or caching breaks.");
        }

        if (type.IsPrimitive || type.IsEnum || type.IsPointer || value is string or decimal or MemberInfo)
        {
            return;
        }

        if (value is Delegate callback)
        {
            Walk(callback.Target, path + ".Target", visited);
            return;
        }

        if (!type.IsValueType && !visited.Add(value))
        {
            return;
        }

        if (value is Array array)
        {
            var index = 0;
            foreach (var item in (IEnumerable)array)
            {
                Walk(item, $"{path}[{index++}]", visited);
            }

            return;
        }

        // Fields, not properties: records keep their data in backing fields, EquatableArray and ImmutableArray in a
        // private array, tuples in Item1..ItemN.
        for (var current = type; current is not null && current != typeof(object); current = current.BaseType)
        {
            foreach (var field in current.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (field.FieldType.IsPointer || field.FieldType.IsByRefLike)
                {
                    continue;
                }

                Walk(field.GetValue(value), $"{path}.{field.Name}", visited);
            }
        }
    }
}
