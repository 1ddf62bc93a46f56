using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Queues.Analyzers.Internal;

namespace Queues.Analyzers;

/// <summary>
/// QUE0105: the enqueue's transaction was begun on one connection, while the same function writes through another. Decided only
/// when both connections are locals the member creates itself (<c>new NpgsqlConnection(…)</c>, <c>dataSource.OpenConnectionAsync()</c>),
/// so two names can never be the same connection. Left to QUE0101 when the enqueue's transaction carries nothing but enqueues and the
/// write's transaction is in scope: that is one mistake (a transaction begun just for the job), reported once.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class EnqueueOnOtherConnectionAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.EnqueueOnOtherConnection);

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

        var root = Operations.Root(call.Invocation);
        var begin = Operations.Unwrap(argument.Value);
        if (begin is ILocalReferenceOperation local && TransactionFacts.InitializerOf(local.Local, root) is { } initializer)
        {
            begin = Operations.Unwrap(initializer);
        }

        if (begin is not IInvocationOperation { TargetMethod.Name: "BeginTransaction" or "BeginTransactionAsync", Instance: { } owner }
            || Operations.ReferencedSymbol(Operations.Unwrap(owner)) is not ILocalSymbol transactionConnection
            || !IsCreatedHere(transactionConnection, root, symbols))
        {
            return;
        }

        foreach (var write in DatabaseWrites.In(Operations.InnermostFunction(call.Invocation), symbols))
        {
            if (write.Connection is ILocalSymbol writeConnection
                && !SymbolEqualityComparer.Default.Equals(writeConnection, transactionConnection)
                && IsCreatedHere(writeConnection, root, symbols))
            {
                var graphContext = context;
                if (EnqueueOutsideTransactionAnalyzer.Decide(call, context.ContainingSymbol, symbols, () => graphContext.GetControlFlowGraph()) is not null)
                {
                    // The job's transaction was begun just for it while the write's is in scope: QUE0101 names that, and passes the right one.
                    return;
                }

                context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.EnqueueOnOtherConnection,
                    call.Invocation.Syntax.GetLocation(),
                    ImmutableArray.Create(write.Invocation.Syntax.GetLocation()),
                    call.DisplayName,
                    transactionConnection.Name,
                    write.Display,
                    writeConnection.Name));
                return;
            }
        }
    }

    private static bool IsCreatedHere(ILocalSymbol connection, IOperation root, KnownSymbols symbols)
    {
        if (!symbols.IsConnection(connection.Type) || TransactionFacts.InitializerOf(connection, root) is not { } initializer)
        {
            return false;
        }

        return Operations.Unwrap(initializer) switch
        {
            IObjectCreationOperation creation => symbols.IsConnection(creation.Type),
            IInvocationOperation { TargetMethod.Name: "OpenConnection" or "OpenConnectionAsync" or "CreateConnection" } open =>
                symbols.IsConnection(Operations.Unwrap(open).Type) || symbols.IsConnection(connection.Type),
            _ => false,
        };
    }
}
