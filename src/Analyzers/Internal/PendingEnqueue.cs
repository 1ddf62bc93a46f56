using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Queues.Analyzers.Internal;

/// <summary>
/// What happens to an enqueue's task while it is still running: is it kept in a local and awaited later, is the same transaction
/// given other work (or ended) before that, does it run beside other commands on the transaction (<c>Task.WhenAll</c>, a
/// <c>Select</c> of enqueues, <c>Parallel.ForEachAsync</c>)? Order is judged by position in the function's text.
/// </summary>
internal static class PendingEnqueue
{
    /// <summary>The transaction the enqueue runs on and its other names, when it is a named transaction.</summary>
    public static HashSet<ISymbol>? TransactionOf(EnqueueCall call, KnownSymbols symbols)
    {
        if (call.TransactionArgument is not { } argument || TransactionFacts.ResolveRoot(argument.Value, symbols).Symbol is not { } transaction)
        {
            return null;
        }

        return TransactionFacts.AliasesOf(transaction, Operations.Root(call.Invocation), symbols);
    }

    /// <summary>The first call after <paramref name="from"/> and before <paramref name="to"/> matching <paramref name="predicate"/>, in the same function.</summary>
    public static IInvocationOperation? FirstCallBetween(IOperation from, int to, System.Func<IInvocationOperation, bool> predicate)
    {
        IInvocationOperation? first = null;
        var start = from.Syntax.Span.End;
        foreach (var operation in Operations.OwnDescendants(Operations.InnermostFunction(from)))
        {
            if (operation is IInvocationOperation invocation && invocation.Syntax.SpanStart >= start && invocation.Syntax.SpanStart < to
                && predicate(invocation) && (first is null || invocation.Syntax.SpanStart < first.Syntax.SpanStart))
            {
                first = invocation;
            }
        }

        return first;
    }

    /// <summary>Commit, rollback or dispose of the transaction under any of its names.</summary>
    public static bool Finishes(IInvocationOperation invocation, HashSet<ISymbol> transaction) =>
        invocation.Instance is { } instance && TransactionFacts.IsFinishingCall(invocation)
        && Operations.ReferencedSymbol(Operations.Unwrap(instance)) is { } symbol && transaction.Contains(symbol);

    /// <summary>A call that hands the transaction (any of its names) to something that runs a command on it: another enqueue, Dapper, a helper.</summary>
    public static bool UsesTransaction(IInvocationOperation invocation, HashSet<ISymbol> transaction)
    {
        foreach (var argument in invocation.Arguments)
        {
            // `transactions.Add(tx)`: a parameter of a type parameter only stores the value; nothing typed to run commands takes it.
            if (argument.Parameter?.OriginalDefinition.Type is ITypeParameterSymbol)
            {
                continue;
            }

            var value = Operations.Unwrap(argument.Value);
            while (value is IInvocationOperation { TargetMethod.Name: "GetDbTransaction" } getDbTransaction && getDbTransaction.Arguments.Length == 1)
            {
                value = Operations.Unwrap(getDbTransaction.Arguments[0].Value);
            }

            if (Operations.ReferencedSymbol(value) is { } symbol && transaction.Contains(symbol))
            {
                return true;
            }

            // Queues.EntityFrameworkCore: db.Database.GetNpgsqlTransaction() names the EF Core transaction begun on db.Database.
            if (value is IInvocationOperation { TargetMethod: { Name: "GetNpgsqlTransaction", ContainingType: { Name: "QueuesDbContextExtensions", ContainingNamespace.Name: "Queues" } }, Arguments.Length: 1 } getNpgsql
                && TransactionFacts.ContextOfFacade(getNpgsql.Arguments[0].Value) is { } context
                && TransactionFacts.EfTransactionBegunOn(context, getNpgsql.Syntax.SpanStart, Operations.Root(getNpgsql)) is { } begun
                && transaction.Contains(begun))
            {
                return true;
            }
        }

        return false;
    }
}
