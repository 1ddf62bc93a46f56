using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Operations;

namespace Queues.Analyzers.CodeFixes;

/// <summary>Shared by the code fixes: builds the transaction expression and puts it into an enqueue call.</summary>
internal static class TransactionArgument
{
    public const string EfStorageNamespace = "Microsoft.EntityFrameworkCore.Storage";

    /// <summary>
    /// <c>tx</c>, <c>(NpgsqlTransaction)tx</c>, for an EF Core transaction <c>(NpgsqlTransaction)tx.GetDbTransaction()</c>, or for a DbContext
    /// whose transaction has no variable <c>db.Database.GetNpgsqlTransaction()</c>; the type goes
    /// through <see cref="SyntaxGenerator.TypeExpression(ITypeSymbol)"/> (simplified by the code action's cleanup) and its namespace is imported.
    /// </summary>
    public static SyntaxNode Build(DocumentEditor editor, string name, string conversion, string? castTo)
    {
        var generator = editor.Generator;
        var compilation = editor.SemanticModel.Compilation;
        var expression = generator.IdentifierName(name);
        if (conversion == EnqueueOutsideTransactionAnalyzer.ConversionEfFacade)
        {
            // Queues.EntityFrameworkCore: the NpgsqlTransaction under the context's current transaction.
            AddUsingIfMissing(editor, "Queues");
            return generator.InvocationExpression(generator.MemberAccessExpression(generator.MemberAccessExpression(expression, "Database"), "GetNpgsqlTransaction"));
        }

        if (conversion == EnqueueOutsideTransactionAnalyzer.ConversionEfCore)
        {
            expression = generator.InvocationExpression(generator.MemberAccessExpression(expression, "GetDbTransaction"));
            if (castTo == "global::System.Data.Common.DbTransaction")
            {
                return expression;
            }
        }
        else if (conversion != EnqueueOutsideTransactionAnalyzer.ConversionCast)
        {
            return expression;
        }

        var type = castTo is null ? null : compilation.GetTypeByMetadataName(castTo.Replace("global::", string.Empty));
        if (type is null)
        {
            return expression;
        }

        if (!type.ContainingNamespace.IsGlobalNamespace)
        {
            AddUsingIfMissing(editor, type.ContainingNamespace.ToDisplayString());
        }

        return generator.CastExpression(generator.TypeExpression(type), expression);
    }

    /// <summary>Replaces the transaction argument of a transactional call, or adds one to a non-transactional call.</summary>
    public static async Task<bool> PutAsync(
        DocumentEditor editor,
        InvocationExpressionSyntax invocation,
        SyntaxNode transaction,
        string? insertName,
        string? insertIndex,
        CancellationToken cancellationToken)
    {
        if (insertName is null)
        {
            var model = await editor.OriginalDocument.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (model?.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation)
            {
                return false;
            }

            var argument = operation.Arguments.FirstOrDefault(a => a.ArgumentKind == ArgumentKind.Explicit && IsDbTransaction(a.Parameter?.Type));
            if (argument?.Syntax is not ArgumentSyntax syntax)
            {
                return false;
            }

            editor.ReplaceNode(syntax.Expression, transaction.WithTriviaFrom(syntax.Expression));
            return true;
        }

        var index = int.Parse(insertIndex!, System.Globalization.CultureInfo.InvariantCulture);
        var arguments = invocation.ArgumentList.Arguments;
        var positional = arguments.TakeWhile(a => a.NameColon is null).Count();
        var newArgument = index <= positional
            ? SyntaxFactory.Argument((ExpressionSyntax)transaction)
            : SyntaxFactory.Argument(SyntaxFactory.NameColon(insertName), default, (ExpressionSyntax)transaction);
        var newList = invocation.ArgumentList.WithArguments(arguments.Insert(index <= positional ? index : arguments.Count, newArgument));
        editor.ReplaceNode(invocation.ArgumentList, newList);
        return true;
    }

    public static void AddUsingIfMissing(DocumentEditor editor, string @namespace)
    {
        if (editor.OriginalRoot is not CompilationUnitSyntax unit || unit.Usings.Any(u => u.Name?.ToString() == @namespace))
        {
            return;
        }

        editor.ReplaceNode(editor.OriginalRoot, (current, _) =>
        {
            var currentUnit = (CompilationUnitSyntax)current;
            if (currentUnit.Usings.Any(u => u.Name?.ToString() == @namespace))
            {
                // Asked twice by one fix (a cast and an EF Core call).
                return currentUnit;
            }

            var directive = SyntaxFactory.UsingDirective(SyntaxFactory.ParseName(@namespace))
                .WithTrailingTrivia(EndOfLine(editor.OriginalRoot));
            var usings = currentUnit.Usings;

            // Keep an ordinal-sorted list sorted (System first, as dotnet_sort_system_directives_first does); otherwise append.
            var position = usings.Count;
            for (var i = 0; i < usings.Count; i++)
            {
                var existing = usings[i].Name?.ToString() ?? string.Empty;
                if (!existing.StartsWith("System", System.StringComparison.Ordinal) && string.CompareOrdinal(existing, @namespace) > 0)
                {
                    position = i;
                    break;
                }
            }

            return currentUnit.WithUsings(usings.Insert(position, directive));
        });
    }

    /// <summary>The line break the document already uses, so a fix never mixes CRLF into an LF file (or the reverse).</summary>
    public static SyntaxTrivia EndOfLine(SyntaxNode root)
    {
        foreach (var trivia in root.DescendantTrivia())
        {
            if (trivia.IsKind(SyntaxKind.EndOfLineTrivia))
            {
                return SyntaxFactory.ElasticEndOfLine(trivia.ToString());
            }
        }

        return SyntaxFactory.ElasticEndOfLine("\n");
    }

    private static bool IsDbTransaction(ITypeSymbol? type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.ToDisplayString() == "System.Data.Common.DbTransaction")
            {
                return true;
            }
        }

        return type?.AllInterfaces.Any(i => i.ToDisplayString() == "System.Data.IDbTransaction") == true;
    }
}
