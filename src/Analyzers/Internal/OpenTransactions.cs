using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Queues.Analyzers.Internal;

/// <summary>
/// The transactions still open at an operation: those in scope (<see cref="TransactionFacts.InScopeAt"/>) minus locals of the
/// function that every path has already committed, rolled back or disposed, plus EF Core contexts whose transaction was begun
/// without a variable (<c>await db.Database.BeginTransactionAsync()</c>, <c>UseTransaction</c>, <c>UseJobTransactionAsync(db)</c>).
/// A non-transactional enqueue is reported by QUE0101 exactly when this is not empty, and by QUE0102 otherwise.
/// </summary>
internal sealed class OpenTransactions
{
    private OpenTransactions(List<TransactionInScope> transactions, bool ambientScope, List<ISymbol> contexts)
    {
        Transactions = transactions;
        AmbientScope = ambientScope;
        Contexts = contexts;
    }

    public List<TransactionInScope> Transactions { get; }

    public bool AmbientScope { get; }

    /// <summary>DbContexts with an open transaction kept in no variable; the enqueue can pass <c>db.Database.GetNpgsqlTransaction()</c>.</summary>
    public List<ISymbol> Contexts { get; }

    public bool IsEmpty => Transactions.Count == 0 && !AmbientScope && Contexts.Count == 0;

    public static OpenTransactions At(IOperation at, IOperation root, ISymbol containingSymbol, KnownSymbols symbols, Func<ControlFlowGraph> memberGraph)
    {
        var scope = TransactionFacts.InScopeAt(at, root, containingSymbol, symbols);
        var function = FunctionSymbol(Operations.InnermostFunction(at), containingSymbol);
        var open = new List<TransactionInScope>();
        ControlFlowGraph? graph = null;
        foreach (var transaction in scope.Transactions)
        {
            if (transaction.Symbol is ILocalSymbol local && SymbolEqualityComparer.Default.Equals(local.ContainingSymbol, function))
            {
                graph ??= FinishedTransactionFlow.GraphFor(memberGraph(), at);
                if (graph is not null && FinishedTransactionFlow.IsFinishedAt(graph, at.Syntax, local))
                {
                    continue;
                }
            }

            open.Add(transaction);
        }

        var contexts = new List<ISymbol>();
        if (symbols.EfDbContext is not null)
        {
            var seen = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            foreach (var operation in root.Descendants())
            {
                // Every context the member names: `db.Database.…`, `db.SaveChanges()`, `UseJobTransactionAsync(db)`.
                if (symbols.IsDbContext(operation.Type)
                    && Operations.ReferencedSymbol(operation) is { } context && seen.Add(context)
                    && TransactionFacts.ContextHasTransactionAt(context, at, root, symbols))
                {
                    contexts.Add(context);
                }
            }
        }

        return new OpenTransactions(open, scope.AmbientScope, contexts);
    }

    public static ISymbol FunctionSymbol(IOperation function, ISymbol containingSymbol) => function switch
    {
        IAnonymousFunctionOperation lambda => lambda.Symbol,
        ILocalFunctionOperation local => local.Symbol,
        _ => containingSymbol,
    };
}
