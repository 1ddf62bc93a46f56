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
/// QUE0102, where the analyzer found the fix unambiguous, runs the writes and the enqueue in one transaction:
/// <list type="bullet">
/// <item>EF Core writes on one context: begin <c>db.Database.BeginTransactionAsync()</c> before the first write, enqueue inside it, commit after the last statement;</item>
/// <item>ADO.NET/Dapper writes on one <c>NpgsqlConnection</c>, non-transactional enqueue: begin on that connection, give the transaction to
/// each write (<c>command.Transaction = …</c>, Dapper's <c>transaction:</c>), switch to the transactional overload, commit after the last statement;</item>
/// <item>ADO.NET/Dapper writes before the enqueue's own transaction was begun on the same connection: move its declaration above the first
/// write and give it to each write.</item>
/// </list>
/// Several enqueues in one block share one transaction; FixAll groups diagnostics by block, in document order, once each.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DualWriteCodeFixProvider))]
[Shared]
public sealed class DualWriteCodeFixProvider : CodeFixProvider
{
    public const string EquivalenceKey = "Queues.WrapInTransaction";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.DualWriteId);

    public override FixAllProvider GetFixAllProvider() => WrapFixAllProvider.Instance;

    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            var title = Title(diagnostic);
            if (title is null)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(title, ct => FixAsync(context.Document, new[] { diagnostic }, ct), EquivalenceKey),
                diagnostic);
        }

        return Task.CompletedTask;
    }

    private static string? Title(Diagnostic diagnostic)
    {
        var properties = diagnostic.Properties;
        if (properties.TryGetValue(DualWriteAnalyzer.DbContextProperty, out var dbContext) && dbContext is not null)
        {
            return $"Run the writes and the enqueue in one '{dbContext}' transaction";
        }

        if (properties.TryGetValue(DualWriteAnalyzer.ConnectionProperty, out var connection) && connection is not null)
        {
            return properties.TryGetValue(DualWriteAnalyzer.MoveTransactionProperty, out var move) && move is not null
                ? $"Begin '{move}' before the writes and run them in it"
                : $"Run the writes and the enqueue in one '{connection}' transaction";
        }

        return null;
    }

    /// <summary>Fixes <paramref name="diagnostics"/> in one document: grouped by the block of the enqueue, in document order, duplicates once.</summary>
    internal static async Task<Document> FixAsync(Document document, IEnumerable<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var root = editor.OriginalRoot;
        var fixable = new List<(Diagnostic Diagnostic, InvocationExpressionSyntax Invocation, BlockSyntax Block)>();
        var seen = new HashSet<Microsoft.CodeAnalysis.Text.TextSpan>();
        foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
        {
            if (Title(diagnostic) is null || !seen.Add(diagnostic.Location.SourceSpan)
                || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } invocation
                || invocation.FirstAncestorOrSelf<StatementSyntax>()?.Parent is not BlockSyntax block)
            {
                continue;
            }

            fixable.Add((diagnostic, invocation, block));
        }

        // Names taken by earlier fixes in the same member, which the semantic model of the original document cannot see.
        var names = new Dictionary<SyntaxNode, HashSet<string>>();
        foreach (var group in fixable.GroupBy(f => f.Block).OrderBy(g => g.Key.SpanStart))
        {
            var member = (SyntaxNode?)group.Key.FirstAncestorOrSelf<MemberDeclarationSyntax>() ?? group.Key;
            if (!names.TryGetValue(member, out var taken))
            {
                names[member] = taken = new HashSet<string>();
            }

            await FixBlockAsync(editor, group.ToList(), taken, cancellationToken).ConfigureAwait(false);
        }

        return editor.GetChangedDocument();
    }

    private static async Task FixBlockAsync(
        DocumentEditor editor,
        List<(Diagnostic Diagnostic, InvocationExpressionSyntax Invocation, BlockSyntax Block)> group,
        HashSet<string> names,
        CancellationToken cancellationToken)
    {
        var model = editor.SemanticModel;
        var root = editor.OriginalRoot;
        var first = group[0].Diagnostic;
        first.Properties.TryGetValue(DualWriteAnalyzer.DbContextProperty, out var dbContext);
        first.Properties.TryGetValue(DualWriteAnalyzer.ConnectionProperty, out var connection);
        first.Properties.TryGetValue(DualWriteAnalyzer.MoveTransactionProperty, out var move);

        // One kind of fix per block: the first diagnostic's. Others in the block that want a different one are left for a second pass.
        var members = group.Where(g =>
            Same(g.Diagnostic, DualWriteAnalyzer.DbContextProperty, dbContext)
            && Same(g.Diagnostic, DualWriteAnalyzer.ConnectionProperty, connection)
            && Same(g.Diagnostic, DualWriteAnalyzer.MoveTransactionProperty, move)).ToList();

        var writes = new List<InvocationExpressionSyntax>();
        var writeSpans = new HashSet<Microsoft.CodeAnalysis.Text.TextSpan>();
        foreach (var member in members)
        {
            foreach (var location in member.Diagnostic.AdditionalLocations)
            {
                if (writeSpans.Add(location.SourceSpan)
                    && root.FindNode(location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is { } write)
                {
                    writes.Add(write);
                }
            }
        }

        writes.Sort((a, b) => a.SpanStart.CompareTo(b.SpanStart));
        var statements = writes.Select(w => w.FirstAncestorOrSelf<StatementSyntax>()!)
            .Concat(members.Select(m => m.Invocation.FirstAncestorOrSelf<StatementSyntax>()!))
            .OrderBy(s => s.SpanStart)
            .ToList();
        if (writes.Count == 0 || statements.Any(s => s.Parent != group[0].Block))
        {
            return;
        }

        var cancellation = string.Empty;
        foreach (var write in writes)
        {
            if (model.GetOperation(write, cancellationToken) is IInvocationOperation operation
                && operation.Arguments.FirstOrDefault(a => a.ArgumentKind == ArgumentKind.Explicit && a.Parameter?.Type.Name == "CancellationToken") is { } token)
            {
                cancellation = token.Value.Syntax.ToString();
                break;
            }
        }

        var firstStatement = statements[0];
        var lastStatement = statements[statements.Count - 1];
        if (move is not null)
        {
            // The enqueue's own transaction, begun on the writes' connection after them: declare it before the first write instead.
            var local = model.LookupSymbols(members[0].Invocation.SpanStart, name: move).OfType<ILocalSymbol>().FirstOrDefault();
            if (local?.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken).FirstAncestorOrSelf<LocalDeclarationStatementSyntax>() is not { } declaration)
            {
                return;
            }

            editor.RemoveNode(declaration, SyntaxRemoveOptions.KeepNoTrivia);
            editor.InsertBefore(firstStatement, Formatted(editor, declaration.WithoutTrivia()));
            AttachToWrites(editor, model, writes, move, cancellationToken);
            return;
        }

        var name = "transaction";
        for (var i = 2; names.Contains(name) || model.LookupSymbols(firstStatement.SpanStart, name: name).Length > 0; i++)
        {
            name = "transaction" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        names.Add(name);
        var owner = dbContext is not null ? dbContext + ".Database" : connection;
        editor.InsertBefore(firstStatement, Formatted(editor, SyntaxFactory.ParseStatement($"await using var {name} = await {owner}.BeginTransactionAsync({cancellation});")));
        if (dbContext is null)
        {
            AttachToWrites(editor, model, writes, name, cancellationToken);
        }

        editor.InsertAfter(lastStatement, Formatted(editor, SyntaxFactory.ParseStatement($"await {name}.CommitAsync({cancellation});")));

        var conversion = dbContext is not null ? EnqueueOutsideTransactionAnalyzer.ConversionEfCore : EnqueueOutsideTransactionAnalyzer.ConversionNone;
        foreach (var member in members)
        {
            member.Diagnostic.Properties.TryGetValue(EnqueueOutsideTransactionAnalyzer.CastToProperty, out var castTo);
            member.Diagnostic.Properties.TryGetValue(EnqueueOutsideTransactionAnalyzer.InsertParameterNameProperty, out var insertName);
            member.Diagnostic.Properties.TryGetValue(EnqueueOutsideTransactionAnalyzer.InsertParameterIndexProperty, out var insertIndex);
            var transaction = TransactionArgument.Build(editor, name, conversion, castTo);
            await TransactionArgument.PutAsync(editor, member.Invocation, transaction, insertName, insertIndex, cancellationToken).ConfigureAwait(false);
        }

        if (dbContext is not null)
        {
            TransactionArgument.AddUsingIfMissing(editor, TransactionArgument.EfStorageNamespace);
        }
    }

    /// <summary>Commands held in locals get <c>command.Transaction = tx;</c> before their first execution; Dapper calls get <c>transaction: tx</c>.</summary>
    private static void AttachToWrites(DocumentEditor editor, SemanticModel model, List<InvocationExpressionSyntax> writes, string transaction, CancellationToken cancellationToken)
    {
        var commands = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var write in writes)
        {
            if (model.GetOperation(write, cancellationToken) is not IInvocationOperation operation)
            {
                continue;
            }

            if (operation.Instance is { } instance)
            {
                var command = instance;
                while (command is IConversionOperation conversion)
                {
                    command = conversion.Operand;
                }

                if (command is ILocalReferenceOperation local && commands.Add(local.Local))
                {
                    editor.InsertBefore(
                        write.FirstAncestorOrSelf<StatementSyntax>()!,
                        Formatted(editor, SyntaxFactory.ParseStatement($"{local.Local.Name}.Transaction = {transaction};")));
                }

                continue;
            }

            var argument = operation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "transaction");
            if (argument is null)
            {
                continue;
            }

            if (argument.ArgumentKind == ArgumentKind.Explicit && argument.Syntax is ArgumentSyntax explicitArgument)
            {
                editor.ReplaceNode(explicitArgument.Expression, SyntaxFactory.IdentifierName(transaction).WithTriviaFrom(explicitArgument.Expression));
            }
            else
            {
                var added = SyntaxFactory.Argument(SyntaxFactory.NameColon("transaction"), default, SyntaxFactory.IdentifierName(transaction));
                editor.ReplaceNode(write.ArgumentList, (current, _) =>
                {
                    var list = (ArgumentListSyntax)current;
                    return list.WithArguments(list.Arguments.Add(added));
                });
            }
        }
    }

    private static bool Same(Diagnostic diagnostic, string property, string? value) =>
        (diagnostic.Properties.TryGetValue(property, out var actual) ? actual : null) == value;

    private static StatementSyntax Formatted(DocumentEditor editor, StatementSyntax statement) =>
        statement
            .WithLeadingTrivia(SyntaxFactory.ElasticMarker)
            .WithTrailingTrivia(TransactionArgument.EndOfLine(editor.OriginalRoot))
            .WithAdditionalAnnotations(Formatter.Annotation);

    /// <summary>FixAll: per document in path order, every diagnostic at once through <see cref="FixAsync"/>, so one block gets one transaction.</summary>
    private sealed class WrapFixAllProvider : FixAllProvider
    {
        public static readonly WrapFixAllProvider Instance = new();

        public override IEnumerable<FixAllScope> GetSupportedFixAllScopes() =>
            new[] { FixAllScope.Document, FixAllScope.Project, FixAllScope.Solution };

        public override Task<CodeAction?> GetFixAsync(FixAllContext fixAllContext)
        {
            var documents = fixAllContext.Scope switch
            {
                FixAllScope.Document when fixAllContext.Document is not null => new[] { fixAllContext.Document },
                FixAllScope.Project => fixAllContext.Project.Documents.ToArray(),
                FixAllScope.Solution => fixAllContext.Solution.Projects.SelectMany(p => p.Documents).ToArray(),
                _ => System.Array.Empty<Document>(),
            };

            var action = CodeAction.Create(
                "Run the writes and the enqueues in one transaction",
                async cancellationToken =>
                {
                    var solution = fixAllContext.Solution;
                    foreach (var document in documents.OrderBy(d => d.FilePath ?? d.Name, System.StringComparer.Ordinal))
                    {
                        var diagnostics = await fixAllContext.GetDocumentDiagnosticsAsync(document).ConfigureAwait(false);
                        if (diagnostics.IsEmpty)
                        {
                            continue;
                        }

                        var fixedDocument = await FixAsync(document, diagnostics, cancellationToken).ConfigureAwait(false);
                        // The root, not the text: the formatting annotations must reach the code action's clean-up.
                        var fixedRoot = await fixedDocument.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                        solution = solution.WithDocumentSyntaxRoot(document.Id, fixedRoot!);
                    }

                    return solution;
                },
                EquivalenceKey);
            return Task.FromResult<CodeAction?>(action);
        }
    }
}
