using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;

namespace Queues.Analyzers.CodeFixes;

/// <summary>QUE0101: pass the transaction in scope (for EF Core, <c>(NpgsqlTransaction)tx.GetDbTransaction()</c>).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(EnqueueOutsideTransactionCodeFixProvider))]
[Shared]
public sealed class EnqueueOutsideTransactionCodeFixProvider : CodeFixProvider
{
    public const string EquivalenceKey = "Queues.PassTransactionInScope";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.EnqueueOutsideTransactionId);

    // The batch fixer merges per-diagnostic edits in document order; each fix touches only its own call's argument list.
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(EnqueueOutsideTransactionAnalyzer.TransactionProperty, out var name) || name is null
                || root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not { } node
                || node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } invocation)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    diagnostic.Properties.TryGetValue(EnqueueOutsideTransactionAnalyzer.ConversionProperty, out var conversion)
                        && conversion == EnqueueOutsideTransactionAnalyzer.ConversionEfFacade
                        ? $"Pass '{name}.Database.GetNpgsqlTransaction()'"
                        : $"Pass '{name}'",
                    ct => FixAsync(context.Document, invocation, diagnostic, name, ct), EquivalenceKey),
                diagnostic);
        }
    }

    private static async Task<Document> FixAsync(Document document, InvocationExpressionSyntax invocation, Diagnostic diagnostic, string name, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var properties = diagnostic.Properties;
        var conversion = properties.TryGetValue(EnqueueOutsideTransactionAnalyzer.ConversionProperty, out var c) && c is not null
            ? c
            : EnqueueOutsideTransactionAnalyzer.ConversionNone;
        properties.TryGetValue(EnqueueOutsideTransactionAnalyzer.CastToProperty, out var castTo);
        properties.TryGetValue(EnqueueOutsideTransactionAnalyzer.InsertParameterNameProperty, out var insertName);
        properties.TryGetValue(EnqueueOutsideTransactionAnalyzer.InsertParameterIndexProperty, out var insertIndex);

        var transaction = TransactionArgument.Build(editor, name, conversion, castTo);
        if (!await TransactionArgument.PutAsync(editor, invocation, transaction, insertName, insertIndex, cancellationToken).ConfigureAwait(false))
        {
            return document;
        }

        if (conversion == EnqueueOutsideTransactionAnalyzer.ConversionEfCore)
        {
            TransactionArgument.AddUsingIfMissing(editor, TransactionArgument.EfStorageNamespace);
        }

        return editor.GetChangedDocument();
    }
}
