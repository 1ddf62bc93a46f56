using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Queues.Analyzers.Tests.Verification;

/// <summary>
/// A thin stand-in for Microsoft.CodeAnalysis.CSharp.CodeFix.Testing: checks the markup in <c>TestCode</c> with
/// <see cref="AnalyzerVerifier{TAnalyzer}"/>, applies the fix in an <see cref="AdhocWorkspace"/> (one diagnostic at a time until none is
/// left, or all at once through the provider's FixAll), and compares the document with <c>FixedCode</c>, which must compile.
/// </summary>
internal static class CodeFixVerifier<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public static Task VerifyAsync(string testCode, string fixedCode) => new Test { TestCode = testCode, FixedCode = fixedCode }.RunAsync();

    internal sealed class Test
    {
        public string TestCode { get; set; } = string.Empty;

        public string FixedCode { get; set; } = string.Empty;

        /// <summary>Apply the provider's FixAll (document scope) instead of fixing one diagnostic at a time.</summary>
        public bool FixAll { get; set; }

        public List<string> Sources { get; } = [TestSources.RuntimeStubs, TestSources.GeneratedEnqueueMethods, TestSources.EfCoreStubs, TestSources.DapperStubs];

        public async Task RunAsync()
        {
            var analyzerTest = new AnalyzerVerifier<TAnalyzer>.Test { TestCode = TestCode };
            analyzerTest.Sources.Clear();
            analyzerTest.Sources.AddRange(Sources);
            await analyzerTest.RunAsync();

            var (source, _) = Queues.Tests.Shared.MarkupParser.Parse(TestCode, new TAnalyzer().SupportedDiagnostics[0].Id);
            var document = CreateDocument(source);
            var fixer = new TCodeFix();
            var cancellationToken = TestContext.Current.CancellationToken;

            if (FixAll)
            {
                // The same diagnostics handed over in opposite orders must give the same text: FixAll is deterministic.
                var forward = await ApplyFixAllAsync(document, fixer, reverse: false, cancellationToken);
                var backward = await ApplyFixAllAsync(document, fixer, reverse: true, cancellationToken);
                Assert.Equal(
                    (await forward.GetTextAsync(cancellationToken)).ToString(),
                    (await backward.GetTextAsync(cancellationToken)).ToString());
                await CompareAsync(forward, cancellationToken);
                return;
            }

            for (var iteration = 0; ; iteration++)
            {
                var diagnostics = await FixableDiagnosticsAsync(document, fixer, cancellationToken);
                if (diagnostics.Length == 0)
                {
                    break;
                }

                Assert.True(iteration < 20, "The fix does not converge: diagnostics remain after 20 fixes.");
                var actions = new List<CodeAction>();
                await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostics[0], (action, _) => actions.Add(action), cancellationToken));
                if (actions.Count == 0)
                {
                    // A diagnostic without a fix (by design, e.g. no transaction can be passed) ends the loop.
                    Assert.True(iteration > 0, "The code fix offered no action for " + diagnostics[0]);
                    break;
                }

                document = await ApplyAsync(actions[0], document, cancellationToken);
            }

            await CompareAsync(document, cancellationToken);
        }

        private async Task<Document> ApplyFixAllAsync(Document document, CodeFixProvider fixer, bool reverse, CancellationToken cancellationToken)
        {
            var diagnostics = await FixableDiagnosticsAsync(document, fixer, cancellationToken);
            Assert.True(diagnostics.Length > 1, "A FixAll test needs more than one diagnostic.");
            var ordered = reverse ? diagnostics.Reverse().ToImmutableArray() : diagnostics;
            var provider = fixer.GetFixAllProvider();
            Assert.NotNull(provider);
            var actions = new List<CodeAction>();
            await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, ordered[0], (action, _) => actions.Add(action), cancellationToken));
            var context = new FixAllContext(
                document,
                fixer,
                FixAllScope.Document,
                actions[0].EquivalenceKey,
                fixer.FixableDiagnosticIds,
                new FixedDiagnostics(ordered),
                cancellationToken);
            var fixAll = await provider.GetFixAsync(context);
            Assert.NotNull(fixAll);
            return await ApplyAsync(fixAll, document, cancellationToken);
        }

        private async Task CompareAsync(Document document, CancellationToken cancellationToken)
        {
            var actual = (await document.GetTextAsync(cancellationToken)).ToString();
            Assert.True(FixedCode.ReplaceLineEndings("\n") == actual.ReplaceLineEndings("\n"), "The fixed code differs. Actual:" + Environment.NewLine + actual);

            var compilation = await document.Project.GetCompilationAsync(cancellationToken);
            var errors = compilation!.GetDiagnostics(cancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            Assert.True(errors.Count == 0, "The fixed code does not compile:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
        }

        private static async Task<Document> ApplyAsync(CodeAction action, Document document, CancellationToken cancellationToken)
        {
            var operations = await action.GetOperationsAsync(cancellationToken);
            var apply = Assert.Single(operations.OfType<ApplyChangesOperation>());
            return apply.ChangedSolution.GetDocument(document.Id)!;
        }

        private static async Task<ImmutableArray<Diagnostic>> FixableDiagnosticsAsync(Document document, CodeFixProvider fixer, CancellationToken cancellationToken)
        {
            var compilation = await document.Project.GetCompilationAsync(cancellationToken);
            var tree = await document.GetSyntaxTreeAsync(cancellationToken);
            var diagnostics = await compilation!
                .WithAnalyzers([new TAnalyzer()], new AnalyzerOptions([]))
                .GetAnalyzerDiagnosticsAsync(cancellationToken);
            return diagnostics
                .Where(d => d.Location.SourceTree == tree && fixer.FixableDiagnosticIds.Contains(d.Id))
                .OrderBy(d => d.Location.SourceSpan.Start)
                .ToImmutableArray();
        }

        private Document CreateDocument(string source)
        {
            var workspace = new AdhocWorkspace();
            var projectId = ProjectId.CreateNewId();
            var solution = workspace.CurrentSolution
                .AddProject(ProjectInfo.Create(
                    projectId,
                    VersionStamp.Default,
                    "TestProject",
                    "TestProject",
                    LanguageNames.CSharp,
                    compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
                    parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
                    metadataReferences: TestReferences.All));
            var testId = DocumentId.CreateNewId(projectId);
            solution = solution.AddDocument(testId, "Test0.cs", SourceText.From(source, Encoding.UTF8));
            for (var i = 0; i < Sources.Count; i++)
            {
                solution = solution.AddDocument(DocumentId.CreateNewId(projectId), $"Test{i + 1}.cs", SourceText.From(Sources[i], Encoding.UTF8));
            }

            return solution.GetDocument(testId)!;
        }
    }

    private sealed class FixedDiagnostics(ImmutableArray<Diagnostic> diagnostics) : FixAllContext.DiagnosticProvider
    {
        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>([]);
    }
}
