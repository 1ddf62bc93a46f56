using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace Queues.Analyzers.CodeFixes;

/// <summary>
/// QUE0106, for <c>await Task.WhenAll(a, b, …);</c> whose arguments are all calls on one transaction: await them one by one, in the
/// order written. Every enqueue in the statement carries the diagnostic; the statement is rewritten once.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ConcurrentEnqueueCodeFixProvider))]
[Shared]
public sealed class ConcurrentEnqueueCodeFixProvider : CodeFixProvider
{
    public const string EquivalenceKey = "Queues.AwaitOneByOne";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.ConcurrentEnqueueId);

    // Per document, every statement once, in document order: several diagnostics point into one WhenAll.
    public override FixAllProvider GetFixAllProvider() =>
        FixAllProvider.Create(async (context, document, diagnostics) => await FixAsync(document, diagnostics, context.CancellationToken).ConfigureAwait(false));

    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (diagnostic.Properties.ContainsKey(ConcurrentEnqueueAnalyzer.AwaitOneByOneProperty))
            {
                context.RegisterCodeFix(
                    CodeAction.Create("Await the enqueues one by one", ct => FixAsync(context.Document, new[] { diagnostic }, ct), EquivalenceKey),
                    diagnostic);
            }
        }

        return Task.CompletedTask;
    }

    private static async Task<Document> FixAsync(Document document, IEnumerable<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var statements = new List<ExpressionStatementSyntax>();
        foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
        {
            if (diagnostic.Properties.ContainsKey(ConcurrentEnqueueAnalyzer.AwaitOneByOneProperty)
                && root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<ExpressionStatementSyntax>() is
                    { Expression: AwaitExpressionSyntax { Expression: InvocationExpressionSyntax } } statement
                && !statements.Contains(statement))
            {
                statements.Add(statement);
            }
        }

        if (statements.Count == 0)
        {
            return document;
        }

        var endOfLine = TransactionArgument.EndOfLine(root);
        var fixedRoot = root.TrackNodes(statements);
        foreach (var statement in statements)
        {
            var current = fixedRoot.GetCurrentNode(statement)!;
            var whenAll = (InvocationExpressionSyntax)((AwaitExpressionSyntax)current.Expression).Expression;
            var awaits = whenAll.ArgumentList.Arguments
                .Select((argument, index) => (StatementSyntax)SyntaxFactory.ExpressionStatement(SyntaxFactory.AwaitExpression(argument.Expression.WithoutTrivia()))
                    .WithLeadingTrivia(index == 0 ? current.GetLeadingTrivia() : SyntaxFactory.TriviaList(SyntaxFactory.ElasticMarker))
                    .WithTrailingTrivia(index == whenAll.ArgumentList.Arguments.Count - 1 ? current.GetTrailingTrivia() : SyntaxFactory.TriviaList(endOfLine))
                    .WithAdditionalAnnotations(Formatter.Annotation))
                .ToList();
            fixedRoot = fixedRoot.ReplaceNode(current, awaits);
        }

        return document.WithSyntaxRoot(fixedRoot);
    }
}
