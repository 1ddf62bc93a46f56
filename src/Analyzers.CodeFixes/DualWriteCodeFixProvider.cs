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
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;

namespace Queues.Analyzers.CodeFixes;

/// <summary>
/// QUE0102, where the analyzer found it feasible (EF Core writes on one context, all in the enqueue's block, in an async function):
/// begin an EF Core transaction before the first write, enqueue inside it, and commit after the last statement involved.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DualWriteCodeFixProvider))]
[Shared]
public sealed class DualWriteCodeFixProvider : CodeFixProvider
{
    public const string EquivalenceKey = "Queues.WrapInTransaction";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.DualWriteId);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(DualWriteAnalyzer.DbContextProperty, out var dbContext) || dbContext is null
                || root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } invocation)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Run the writes and the enqueue in one '{dbContext}' transaction",
                    ct => FixAsync(context.Document, root, invocation, diagnostic, dbContext, ct),
                    EquivalenceKey),
                diagnostic);
        }
    }

    private static async Task<Document> FixAsync(
        Document document, SyntaxNode root, InvocationExpressionSyntax invocation, Diagnostic diagnostic, string dbContext, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var model = editor.SemanticModel;
        var enqueueStatement = invocation.FirstAncestorOrSelf<StatementSyntax>();
        var statements = new List<StatementSyntax>();
        string cancellation = string.Empty;
        foreach (var location in diagnostic.AdditionalLocations)
        {
            var write = root.FindNode(location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>();
            if (write?.FirstAncestorOrSelf<StatementSyntax>() is { } statement)
            {
                statements.Add(statement);
            }

            if (cancellation.Length == 0 && write is not null && model.GetOperation(write, cancellationToken) is IInvocationOperation operation)
            {
                var token = operation.Arguments.FirstOrDefault(a =>
                    a.ArgumentKind == ArgumentKind.Explicit && a.Parameter?.Type.Name == "CancellationToken");
                cancellation = token?.Value.Syntax.ToString() ?? string.Empty;
            }
        }

        if (enqueueStatement is null || statements.Count == 0)
        {
            return document;
        }

        statements.Add(enqueueStatement);
        var first = statements.OrderBy(s => s.SpanStart).First();
        var last = statements.OrderBy(s => s.SpanStart).Last();

        var name = "transaction";
        for (var i = 2; model.LookupSymbols(first.SpanStart, name: name).Length > 0; i++)
        {
            name = "transaction" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var begin = SyntaxFactory.ParseStatement($"await using var {name} = await {dbContext}.Database.BeginTransactionAsync({cancellation});");
        var commit = SyntaxFactory.ParseStatement($"await {name}.CommitAsync({cancellation});");
        editor.InsertBefore(first, Formatted(begin));
        editor.InsertAfter(last, Formatted(commit));

        diagnostic.Properties.TryGetValue(EnqueueOutsideTransactionAnalyzer.CastToProperty, out var castTo);
        diagnostic.Properties.TryGetValue(EnqueueOutsideTransactionAnalyzer.InsertParameterNameProperty, out var insertName);
        diagnostic.Properties.TryGetValue(EnqueueOutsideTransactionAnalyzer.InsertParameterIndexProperty, out var insertIndex);
        var transaction = TransactionArgument.Build(editor, name, EnqueueOutsideTransactionAnalyzer.ConversionEfCore, castTo);
        if (!await TransactionArgument.PutAsync(editor, invocation, transaction, insertName, insertIndex, cancellationToken).ConfigureAwait(false))
        {
            return document;
        }

        TransactionArgument.AddUsingIfMissing(editor, TransactionArgument.EfStorageNamespace);
        return editor.GetChangedDocument();
    }

    private static StatementSyntax Formatted(StatementSyntax statement) =>
        statement
            .WithLeadingTrivia(SyntaxFactory.ElasticMarker)
            .WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed)
            .WithAdditionalAnnotations(Formatter.Annotation);
}
