using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Queues.Analyzers.Tests.Verification;

/// <summary>
/// What the testing package does not check: that a FixAll gives the same text whatever order its diagnostics arrive in and when
/// one arrives twice (STYLE.md: FixAll is deterministic, ordered and de-duplicated). Hands the provider the diagnostics forward,
/// reversed and doubled, and returns the three results.
/// </summary>
internal static class FixAllOrder
{
    public static async Task<(string Forward, string Reversed, string Doubled)> ApplyAsync<TAnalyzer, TCodeFix>(string source)
        where TAnalyzer : DiagnosticAnalyzer, new()
        where TCodeFix : CodeFixProvider, new()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var references = await TestReferences.ResolveAsync(cancellationToken);
        using var workspace = new AdhocWorkspace();
        var project = workspace.CurrentSolution
            .AddProject("Test", "Test", LanguageNames.CSharp)
            .WithCompilationOptions(new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable))
            .WithParseOptions(new CSharpParseOptions(LanguageVersion.Latest))
            .AddMetadataReferences(references);
        var document = project.AddDocument("Test0.cs", SourceText.From(source));
        project = document.Project;
        foreach (var (name, stub) in new[] { ("Runtime", TestSources.RuntimeStubs), ("Generated", TestSources.GeneratedEnqueueMethods), ("EfCore", TestSources.EfCoreStubs), ("Dapper", TestSources.DapperStubs) })
        {
            project = project.AddDocument("QueuesStubs." + name + ".cs", SourceText.From(stub)).Project;
        }

        document = project.GetDocument(document.Id)!;
        var compilation = (await project.GetCompilationAsync(cancellationToken))!;
        var fixer = new TCodeFix();
        var diagnostics = (await compilation.WithAnalyzers([new TAnalyzer()]).GetAnalyzerDiagnosticsAsync(cancellationToken))
            .Where(d => fixer.FixableDiagnosticIds.Contains(d.Id))
            .OrderBy(d => d.Location.SourceSpan.Start)
            .ToImmutableArray();
        Assert.True(diagnostics.Length > 1, "The order check needs more than one diagnostic.");

        return (
            await RunAsync(fixer, document, diagnostics, cancellationToken),
            await RunAsync(fixer, document, diagnostics.Reverse().ToImmutableArray(), cancellationToken),
            await RunAsync(fixer, document, diagnostics.AddRange(diagnostics.Reverse()), cancellationToken));
    }

    private static async Task<string> RunAsync(CodeFixProvider fixer, Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var actions = new List<CodeAction>();
        await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostics[0], (action, _) => actions.Add(action), cancellationToken));
        var context = new FixAllContext(
            document, fixer, FixAllScope.Document, actions[0].EquivalenceKey, fixer.FixableDiagnosticIds, new Fixed(diagnostics), cancellationToken);
        var fixAll = await fixer.GetFixAllProvider()!.GetFixAsync(context);
        var operations = await fixAll!.GetOperationsAsync(cancellationToken);
        var changed = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution.GetDocument(document.Id)!;
        return (await changed.GetTextAsync(cancellationToken)).ToString();
    }

    private sealed class Fixed(ImmutableArray<Diagnostic> diagnostics) : FixAllContext.DiagnosticProvider
    {
        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>([]);
    }
}
