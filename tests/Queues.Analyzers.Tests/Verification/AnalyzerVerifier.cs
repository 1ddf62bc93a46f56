using Queues.Tests.Shared;
using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Queues.Analyzers.Tests.Verification;

/// <summary>
/// A thin stand-in for Microsoft.CodeAnalysis.CSharp.Analyzer.Testing, which the NuGet mirror this repo builds from does not carry.
/// It accepts the same markup (<c>{|QUE0104:span|}</c> and <c>[|span|]</c>) and the same call shapes
/// (<c>VerifyAsync(source)</c>, or <c>new Test { TestCode = …, Sources = { … } }.RunAsync()</c>), so moving to the real package means
/// swapping this type for <c>CSharpAnalyzerVerifier&lt;TAnalyzer, DefaultVerifier&gt;</c> and the stubs into <c>TestState.Sources</c>.
/// </summary>
internal static class AnalyzerVerifier<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    /// <summary>Verifies <paramref name="markupSource"/> against the runtime stubs and generated enqueue methods.</summary>
    public static Task VerifyAsync(string markupSource) => new Test { TestCode = markupSource }.RunAsync();

    internal sealed class Test
    {
        /// <summary>The source under test, with diagnostic markup.</summary>
        public string TestCode { get; set; } = string.Empty;

        /// <summary>Extra syntax trees, without markup. Clear it to compile the test code alone.</summary>
        public List<string> Sources { get; } = [TestSources.RuntimeStubs, TestSources.GeneratedEnqueueMethods, TestSources.EfCoreStubs, TestSources.DapperStubs];

        /// <summary>Runs the analyzer and fails unless its diagnostics are exactly the marked spans; returns them for targeted assertions.</summary>
        public async Task<ImmutableArray<Diagnostic>> RunAsync()
        {
            var cancellationToken = TestContext.Current.CancellationToken;
            var analyzer = new TAnalyzer();
            var (source, expected) = MarkupParser.Parse(TestCode, DefaultDiagnosticId(analyzer));

            var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
            var trees = new List<SyntaxTree> { CSharpSyntaxTree.ParseText(source, parseOptions, path: "Test0.cs", encoding: Encoding.UTF8, cancellationToken) };
            for (var i = 0; i < Sources.Count; i++)
            {
                trees.Add(CSharpSyntaxTree.ParseText(Sources[i], parseOptions, path: $"Test{i + 1}.cs", encoding: Encoding.UTF8, cancellationToken));
            }

            var compilation = CSharpCompilation.Create(
                "TestProject",
                trees,
                TestReferences.All,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

            var compilerErrors = compilation.GetDiagnostics(cancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (compilerErrors.Count > 0)
            {
                Assert.Fail("The test source does not compile:" + Environment.NewLine + string.Join(Environment.NewLine, compilerErrors.Select(d => "  " + d)));
            }

            var analyzerExceptions = new List<string>();
            var options = new CompilationWithAnalyzersOptions(
                new AnalyzerOptions([]),
                onAnalyzerException: (exception, _, diagnostic) => analyzerExceptions.Add(diagnostic + Environment.NewLine + exception),
                concurrentAnalysis: true,
                logAnalyzerExecutionTime: false);
            var actualDiagnostics = await compilation
                .WithAnalyzers([analyzer], options)
                .GetAnalyzerDiagnosticsAsync(cancellationToken);

            if (analyzerExceptions.Count > 0)
            {
                Assert.Fail("The analyzer threw:" + Environment.NewLine + string.Join(Environment.NewLine, analyzerExceptions));
            }

            var actual = actualDiagnostics.Select(ExpectedDiagnostic.FromDiagnostic).ToList();
            Compare(expected, actual, trees);
            return actualDiagnostics;
        }

        private static string? DefaultDiagnosticId(DiagnosticAnalyzer analyzer)
        {
            var ids = analyzer.SupportedDiagnostics.Select(d => d.Id).Distinct(StringComparer.Ordinal).ToList();
            return ids.Count == 1 ? ids[0] : null;
        }

        private static void Compare(IReadOnlyList<ExpectedDiagnostic> expected, IReadOnlyList<ExpectedDiagnostic> actual, IReadOnlyList<SyntaxTree> trees)
        {
            var missing = expected.ToList();
            var unexpected = new List<ExpectedDiagnostic>();
            foreach (var diagnostic in actual)
            {
                if (!missing.Remove(diagnostic))
                {
                    unexpected.Add(diagnostic);
                }
            }

            if (missing.Count == 0 && unexpected.Count == 0)
            {
                return;
            }

            var message = new StringBuilder()
                .AppendLine("Diagnostics did not match.")
                .AppendLine("Expected:").Append(Describe(expected, trees))
                .AppendLine("Actual:").Append(Describe(actual, trees))
                .AppendLine("Missing:").Append(Describe(missing, trees))
                .AppendLine("Unexpected:").Append(Describe(unexpected, trees));
            Assert.Fail(message.ToString());
        }

        private static string Describe(IEnumerable<ExpectedDiagnostic> diagnostics, IReadOnlyList<SyntaxTree> trees)
        {
            var builder = new StringBuilder();
            foreach (var diagnostic in diagnostics.OrderBy(d => d.Path, StringComparer.Ordinal).ThenBy(d => d.Span.Start))
            {
                var tree = trees.FirstOrDefault(t => t.FilePath == diagnostic.Path);
                var where = tree is null ? $"{diagnostic.Path}{diagnostic.Span}" : Format(tree, diagnostic.Span);
                var text = tree?.GetText().ToString(diagnostic.Span);
                builder.Append("  ").Append(diagnostic.Id).Append(" at ").Append(where);
                if (text is not null)
                {
                    builder.Append(": ").Append(text.ReplaceLineEndings(" "));
                }

                builder.AppendLine();
            }

            return builder.Length == 0 ? "  (none)" + Environment.NewLine : builder.ToString();
        }

        private static string Format(SyntaxTree tree, TextSpan span)
        {
            var lines = tree.GetLineSpan(span);
            return $"{tree.FilePath}({lines.StartLinePosition.Line + 1},{lines.StartLinePosition.Character + 1})-({lines.EndLinePosition.Line + 1},{lines.EndLinePosition.Character + 1})";
        }
    }
}

/// <summary>The test host's own framework: every assembly the runtime trusts, which is at least what the stubs need.</summary>
internal static class TestReferences
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> Lazy = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Order(StringComparer.Ordinal)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray());

    public static ImmutableArray<MetadataReference> All => Lazy.Value;
}
