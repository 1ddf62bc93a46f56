using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Queues.Analyzers.CodeFixes;

/// <summary>
/// QUE0104, for a dropped task in an async function: await the call where it stands (<c>jobs.X(…);</c>, <c>_ = jobs.X(…);</c> and
/// <c>jobs.X(…).ConfigureAwait(false);</c> become <c>await …;</c>). A task kept and awaited too late is not fixed: where the await
/// belongs is the user's decision.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(EnqueueNotAwaitedCodeFixProvider))]
[Shared]
public sealed class EnqueueNotAwaitedCodeFixProvider : CodeFixProvider
{
    public const string EquivalenceKey = "Queues.AwaitEnqueue";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.EnqueueNotAwaitedId);

    // Each fix rewrites only its own statement, so the batch fixer's merge (in document order) is exact.
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.ContainsKey(EnqueueNotAwaitedAnalyzer.AddAwaitProperty)
                || root?.FindNode(StatementSpan(diagnostic), getInnermostNodeForTie: true)?.FirstAncestorOrSelf<ExpressionStatementSyntax>() is not { } statement)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create("Await the enqueue", ct => FixAsync(context.Document, root, statement, ct), EquivalenceKey),
                diagnostic);
        }
    }

    /// <summary>The statement that drops the task: given by the analyzer when a wrapper (<c>Task.Run</c>, <c>ContinueWith</c>) carries it.</summary>
    private static Microsoft.CodeAnalysis.Text.TextSpan StatementSpan(Diagnostic diagnostic) =>
        diagnostic.AdditionalLocations.Count > 0 ? diagnostic.AdditionalLocations[0].SourceSpan : diagnostic.Location.SourceSpan;

    private static Task<Document> FixAsync(Document document, SyntaxNode root, ExpressionStatementSyntax statement, CancellationToken cancellationToken)
    {
        var expression = statement.Expression;
        var task = expression is AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "_" } } discard ? discard.Right : expression;
        var awaited = SyntaxFactory.AwaitExpression(task.WithoutLeadingTrivia()).WithTriviaFrom(expression);
        return Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(expression, awaited)));
    }
}
