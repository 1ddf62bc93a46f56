using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Queues.Generator;

namespace Queues.DocsTests;

/// <summary>
/// Every C# block of README.md and docs/*.md (docs/diagnostics aside: those show wrong code on purpose) compiles against
/// the runtime, with the Queues generator run over it as in a user's build. A complete block compiles alone, with the
/// SDK's implicit usings only; fragments compile inside the code <see cref="Contexts"/> supplies.
/// </summary>
public sealed partial class DocsCompileTests
{
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;

        """;

    private static readonly CSharpParseOptions s_parseOptions = new(LanguageVersion.Latest);
    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(LoadReferences);
    private static readonly Lazy<ImmutableArray<ISourceGenerator>> s_systemTextJsonGenerators = new(LoadSystemTextJsonGenerators);

    public static TheoryData<string> Files()
        => new(MarkdownBlocks.DocumentedFiles().Select(f => Path.GetRelativePath(MarkdownBlocks.RepositoryRoot(), f).Replace('\\', '/')));

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_csharp_block_compiles(string file)
    {
        var blocks = MarkdownBlocks.Read(Path.Combine(MarkdownBlocks.RepositoryRoot(), file))
            .Select(b => b.Context is null && Contexts.Unmarked.TryGetValue((b.File, b.Ordinal), out var context) ? b with { Context = context } : b)
            .ToList();
        var problems = new List<string>();
        foreach (var block in blocks.Where(static b => b.Context is null))
        {
            problems.AddRange(Compile([(ImplicitUsings, "Usings.cs"), (Contexts.FillPlaceholders(block.Code), "Block.cs")], block.ToString()));
        }

        var fragments = blocks.Where(static b => b.Context is not null and not PackageExampleContext).ToList();
        foreach (var unknown in fragments.Where(static b => !Contexts.Templates.ContainsKey(b.Context!)))
        {
            problems.Add($"{unknown}: no context named '{unknown.Context}'; known: {string.Join(", ", Contexts.Templates.Keys)}, {PackageExampleContext}.");
        }

        var wrapped = fragments.Where(static b => Contexts.Templates.ContainsKey(b.Context!))
            .Select(b => (Contexts.Templates[b.Context!].Replace("{{n}}", b.Ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("{{code}}", Contexts.FillPlaceholders(b.Code), StringComparison.Ordinal), $"{b.File}#{b.Ordinal}.cs"))
            .ToList();
        if (wrapped.Count > 0)
        {
            problems.AddRange(Compile([(ImplicitUsings + Contexts.Usings, "Usings.cs"), (Contexts.Support, "Support.cs"), .. wrapped], $"{file} fragments"));
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    /// <summary>The README's block marked <c>package-example</c> is the text of the package test's example between its README markers.</summary>
    public const string PackageExampleContext = "package-example";

    [Fact]
    public void Readme_example_is_the_package_tests_example_and_compiles()
    {
        var root = MarkdownBlocks.RepositoryRoot();
        var example = File.ReadAllText(Path.Combine(root, "tests", "Queues.PackageTests", "Example", "Program.cs")).ReplaceLineEndings("\n");
        var regions = ReadmeRegion().Matches(example).Select(static m => m.Groups[1].Value).ToList();
        var block = Assert.Single(MarkdownBlocks.Read(Path.Combine(root, "README.md")), static b => b.Context == PackageExampleContext);

        Assert.NotEmpty(regions);
        Assert.Equal(string.Join("\n", regions), block.Code);
        Assert.Empty(Compile([(ImplicitUsings, "Usings.cs"), (example, "Program.cs")], "tests/Queues.PackageTests/Example/Program.cs"));
    }

    [Fact]
    public void Readme_opens_with_the_two_commands()
    {
        var readme = File.ReadAllText(Path.Combine(MarkdownBlocks.RepositoryRoot(), "README.md")).ReplaceLineEndings("\n");

        Assert.StartsWith("""
            # Queues

            ```sh
            dotnet run --project samples/Quickstart   # runs typed jobs on a throwaway PostgreSQL (or on QUEUES_CONNECTION_STRING)
            dotnet test                               # the whole suite, on its own throwaway PostgreSQL (or on QUEUES_TEST_DB)
            ```
            """, readme, StringComparison.Ordinal);
    }

    private static List<string> Compile(IReadOnlyList<(string Source, string Path)> sources, string what)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var trees = sources.Select(s => CSharpSyntaxTree.ParseText(s.Source, s_parseOptions, s.Path, Encoding.UTF8, cancellationToken)).ToList();
        var program = trees.Any(static t => t.GetRoot().DescendantNodes().OfType<GlobalStatementSyntax>().Any());
        var compilation = CSharpCompilation.Create("DocsSample", trees, s_references.Value,
            new CSharpCompilationOptions(program ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable));
        CSharpGeneratorDriver.Create([new JobGenerator().AsSourceGenerator(), .. s_systemTextJsonGenerators.Value], parseOptions: s_parseOptions,
                optionsProvider: new BuildProperties("DocsSample"))
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics, cancellationToken);
        return generatorDiagnostics.Concat(output.GetDiagnostics(cancellationToken))
            .Where(static d => d.Severity == DiagnosticSeverity.Error || (d.Severity == DiagnosticSeverity.Warning && d.Id.StartsWith("QUE", StringComparison.Ordinal)))
            .Select(d => $"{what}: {d.Location.GetLineSpan()}: {d.Id} {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}")
            .ToList();
    }

    /// <summary>The framework (ASP.NET Core included) and every assembly this test project references: the runtime, its add-ons, EF Core, OpenTelemetry, xunit.</summary>
    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return trusted.Concat(Directory.GetFiles(AppContext.BaseDirectory, "*.dll"))
            .Where(static p => !Path.GetFileName(p).StartsWith("Queues.DocsTests", StringComparison.Ordinal)
                && !Path.GetFileName(p).StartsWith("Queues.Generator", StringComparison.Ordinal))
            .DistinctBy(static p => Path.GetFileName(p), StringComparer.OrdinalIgnoreCase)
            .Select(static p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();
    }

    /// <summary>
    /// System.Text.Json's source generator, as the SDK runs it for a user's <c>JsonSerializerContext</c>: from the
    /// targeting pack beside the running shared framework (dotnet/packs/Microsoft.NETCore.App.Ref/*/analyzers).
    /// </summary>
    private static ImmutableArray<ISourceGenerator> LoadSystemTextJsonGenerators()
    {
        var dotnet = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        var packs = Path.Combine(dotnet, "packs", "Microsoft.NETCore.App.Ref");
        var path = Directory.Exists(packs)
            ? Directory.GetDirectories(packs)
                .Select(static d => Path.Combine(d, "analyzers", "dotnet", "cs", "System.Text.Json.SourceGeneration.dll"))
                .Where(File.Exists)
                .OrderByDescending(static p => Version.TryParse(Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(p))))), out var v) ? v : new Version())
                .FirstOrDefault()
            : null;
        Assert.True(path is not null, $"System.Text.Json.SourceGeneration.dll not found under {packs}.");
        return new AnalyzerFileReference(path, new Loader()).GetGenerators(LanguageNames.CSharp);
    }

    private sealed class Loader : IAnalyzerAssemblyLoader
    {
        public void AddDependencyLocation(string fullPath)
        {
        }

        public System.Reflection.Assembly LoadFromPath(string fullPath) => System.Reflection.Assembly.LoadFrom(fullPath);
    }

    [GeneratedRegex(@"// README: begin\n(.*?)// README: end\n", RegexOptions.Singleline)]
    private static partial Regex ReadmeRegion();

    private sealed class BuildProperties(string rootNamespace) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(ImmutableDictionary<string, string>.Empty.Add("build_property.RootNamespace", rootNamespace));

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.Empty;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Options.Empty;
    }

    private sealed class Options(ImmutableDictionary<string, string> values) : AnalyzerConfigOptions
    {
        public static readonly Options Empty = new(ImmutableDictionary<string, string>.Empty);

        public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
    }
}
