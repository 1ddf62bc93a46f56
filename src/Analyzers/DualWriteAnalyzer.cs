using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Queues.Analyzers.Internal;

namespace Queues.Analyzers;

/// <summary>
/// QUE0102: an enqueue in a method that also writes outside any transaction — <c>SaveChanges</c>, <c>ExecuteUpdate</c>/<c>ExecuteDelete</c>,
/// a command's <c>ExecuteNonQuery</c>/<c>ExecuteScalar</c>, Dapper's <c>Execute</c> — with no transaction in scope at the write. Whatever
/// transaction the enqueue uses, it cannot include that write.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class DualWriteAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property, present when the code fix can wrap the writes and the enqueue in an EF Core transaction: the context.</summary>
    public const string DbContextProperty = "DbContext";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.DualWrite);

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
        if (!EnqueueCall.TryCreate((IInvocationOperation)context.Operation, symbols, out var call))
        {
            return;
        }

        var root = Operations.Root(call.Invocation);
        var function = Operations.InnermostFunction(call.Invocation);
        var outside = new List<DatabaseWrite>();
        ControlFlowGraph? graph = null;
        foreach (var write in DatabaseWrites.In(function, symbols))
        {
            if (IsOutsideAnyTransaction(write, root, function, context, symbols, ref graph))
            {
                outside.Add(write);
            }
        }

        if (outside.Count == 0)
        {
            return;
        }

        var properties = ImmutableDictionary.CreateBuilder<string, string?>();
        if (FixableContext(call, outside, function, context.ContainingSymbol, symbols) is { } dbContext)
        {
            properties[DbContextProperty] = dbContext.Name;
            IParameterSymbol? target = call.TransactionArgument?.Parameter;
            if (!call.IsTransactional)
            {
                target = EnqueueCall.FindTransactionalSibling(call.Method, symbols, call.JobName);
                properties[EnqueueOutsideTransactionAnalyzer.InsertParameterNameProperty] = target!.Name;
                properties[EnqueueOutsideTransactionAnalyzer.InsertParameterIndexProperty] =
                    target.Ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            properties[EnqueueOutsideTransactionAnalyzer.CastToProperty] = target!.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        }

        var locations = new List<Location>(outside.Count);
        foreach (var write in outside)
        {
            locations.Add(write.Invocation.Syntax.GetLocation());
        }

        context.ReportDiagnostic(Diagnostic.Create(
            DiagnosticDescriptors.DualWrite,
            call.Invocation.Syntax.GetLocation(),
            locations,
            properties.ToImmutable(),
            call.DisplayName,
            outside[0].Display));
    }

    private static bool IsOutsideAnyTransaction(
        DatabaseWrite write, IOperation root, IOperation function, OperationAnalysisContext context, KnownSymbols symbols, ref ControlFlowGraph? graph)
    {
        if (write.PassesTransaction && !write.OwnConnection)
        {
            return false;
        }

        var scope = TransactionFacts.InScopeAt(write.Invocation, root, context.ContainingSymbol, symbols);
        if (scope.AmbientScope)
        {
            // Connections opened inside a TransactionScope enlist in it, a data source's included.
            return false;
        }

        if (write.OwnConnection)
        {
            return true;
        }

        if (write.DbContext is { } dbContext && TransactionFacts.ContextHasTransactionAt(dbContext, write.Invocation, root))
        {
            return false;
        }

        foreach (var transaction in scope.Transactions)
        {
            // A local of this function that every path has already committed, rolled back or disposed no longer covers the write.
            if (transaction.Symbol is ILocalSymbol local && SymbolEqualityComparer.Default.Equals(local.ContainingSymbol, FunctionSymbol(function, context.ContainingSymbol)))
            {
                graph ??= context.GetControlFlowGraph();
                var functionGraph = FinishedTransactionFlow.GraphFor(graph, write.Invocation);
                if (functionGraph is not null && FinishedTransactionFlow.IsFinishedAt(functionGraph, write.Invocation.Syntax, local))
                {
                    continue;
                }
            }

            return false;
        }

        return true;
    }

    private static ISymbol FunctionSymbol(IOperation function, ISymbol containingSymbol) => function switch
    {
        IAnonymousFunctionOperation lambda => lambda.Symbol,
        ILocalFunctionOperation local => local.Symbol,
        _ => containingSymbol,
    };

    /// <summary>
    /// The fix wraps everything in <c>await using var transaction = await db.Database.BeginTransactionAsync()</c>, so it needs: EF Core
    /// writes on one named context, an async function, and the writes and the enqueue as statements of one block.
    /// </summary>
    private static ISymbol? FixableContext(EnqueueCall call, List<DatabaseWrite> writes, IOperation function, ISymbol containingSymbol, KnownSymbols symbols)
    {
        if (!Operations.IsAsyncFunction(function, containingSymbol) || symbols.EfContextTransactionExtensions is null)
        {
            return null;
        }

        if (!call.IsTransactional && EnqueueCall.FindTransactionalSibling(call.Method, symbols, call.JobName) is null)
        {
            return null;
        }

        var block = Operations.StatementOf(call.Invocation.Syntax)?.Parent as BlockSyntax;
        ISymbol? dbContext = null;
        foreach (var write in writes)
        {
            if (write.DbContext is null || (dbContext is not null && !SymbolEqualityComparer.Default.Equals(dbContext, write.DbContext)))
            {
                return null;
            }

            dbContext = write.DbContext;
            if (block is null || Operations.StatementOf(write.Invocation.Syntax)?.Parent != block)
            {
                return null;
            }
        }

        return dbContext;
    }
}
