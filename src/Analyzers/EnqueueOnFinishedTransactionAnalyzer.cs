using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Queues.Analyzers.Internal;

namespace Queues.Analyzers;

/// <summary>
/// QUE0103: an enqueue on a transaction that every path to the call has already committed, rolled back or disposed (including by
/// the end of a <c>using</c> block), or whose connection it has closed or disposed. Views of the transaction (casts,
/// <c>GetDbTransaction()</c> in a local) are the same transaction. Flow analysis within one function; a transaction captured from an outer function is left alone,
/// because when the lambda runs is not known here.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class EnqueueOnFinishedTransactionAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.EnqueueOnFinishedTransaction);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static compilationContext =>
        {
            if (KnownSymbols.TryCreate(compilationContext.Compilation) is not { } symbols)
            {
                return;
            }

            compilationContext.RegisterOperationAction(operationContext => Analyze(operationContext, symbols), OperationKind.Invocation);
        });
    }

    private static void Analyze(OperationAnalysisContext context, KnownSymbols symbols)
    {
        if (!EnqueueCall.TryCreate((IInvocationOperation)context.Operation, symbols, out var call) || call.TransactionArgument is not { } argument)
        {
            return;
        }

        var root = TransactionFacts.ResolveRoot(argument.Value, symbols);
        if (root.Symbol is not { } transaction || !IsOwnedBy(transaction, Operations.InnermostFunction(call.Invocation), context.ContainingSymbol))
        {
            return;
        }

        var member = Operations.Root(call.Invocation);
        var aliases = TransactionFacts.AliasesOf(transaction, member, symbols);
        var connections = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        if (TransactionFacts.ConnectionOf(aliases, member, symbols) is { } connection
            && IsOwnedBy(connection, Operations.InnermostFunction(call.Invocation), context.ContainingSymbol))
        {
            connections.Add(connection);
        }

        var graph = FinishedTransactionFlow.GraphFor(context.GetControlFlowGraph(), call.Invocation);
        if (graph is not null && FinishedTransactionFlow.IsFinishedAt(graph, call.Invocation.Syntax, aliases, connections))
        {
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.EnqueueOnFinishedTransaction,
                call.Invocation.Syntax.GetLocation(),
                call.DisplayName,
                transaction.Name));
        }
    }

    /// <summary>Locals and parameters of the function itself; fields only in the member body (a lambda may run at any time).</summary>
    private static bool IsOwnedBy(ISymbol transaction, IOperation function, ISymbol containingSymbol)
    {
        var functionSymbol = function switch
        {
            IAnonymousFunctionOperation lambda => lambda.Symbol,
            ILocalFunctionOperation local => local.Symbol,
            _ => containingSymbol,
        };

        return transaction switch
        {
            ILocalSymbol or IParameterSymbol => SymbolEqualityComparer.Default.Equals(transaction.ContainingSymbol, functionSymbol),
            _ => function.Parent is null,
        };
    }
}
