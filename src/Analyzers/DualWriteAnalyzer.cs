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
/// transaction the enqueue uses, it cannot include that write. A fire-and-forget enqueue (no transaction parameter) with no
/// transaction open at the call is reported beside any write of the function, in a transaction or not: it commits on its own.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class DualWriteAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property, present when the code fix can wrap the writes and the enqueue in an EF Core transaction: the context.</summary>
    public const string DbContextProperty = "DbContext";

    /// <summary>
    /// Diagnostic property, present when the code fix can run ADO.NET/Dapper writes and the enqueue in one transaction of this
    /// connection (a local, parameter or field of type NpgsqlConnection).
    /// </summary>
    public const string ConnectionProperty = "Connection";

    /// <summary>
    /// Diagnostic property beside <see cref="ConnectionProperty"/>: the enqueue's own transaction, a local begun on that connection
    /// after the writes, whose declaration the fix moves before the first write. Absent: the fix begins a new transaction.
    /// </summary>
    public const string MoveTransactionProperty = "MoveTransaction";

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
        var inside = new List<DatabaseWrite>();
        ControlFlowGraph? graph = null;
        foreach (var write in DatabaseWrites.In(function, symbols))
        {
            (IsOutsideAnyTransaction(write, root, function, context, symbols, ref graph) ? outside : inside).Add(write);
        }

        // A fire-and-forget enqueue commits on its own, so every write of the method is outside its transaction, the ones in a
        // transaction too (committed before it, or begun after it). While a transaction is still open here, QUE0101 says so instead.
        var fixable = true;
        if (!call.IsTransactional && inside.Count > 0)
        {
            var graphContext = context;
            if (OpenTransactions.At(call.Invocation, root, context.ContainingSymbol, symbols, () => graphContext.GetControlFlowGraph()).IsEmpty)
            {
                fixable = false;
                outside.AddRange(inside);
                outside.Sort(static (a, b) => a.Invocation.Syntax.SpanStart.CompareTo(b.Invocation.Syntax.SpanStart));
            }
        }

        if (outside.Count == 0)
        {
            return;
        }

        var properties = ImmutableDictionary.CreateBuilder<string, string?>();
        // When some writes already have a transaction of their own, which one the enqueue should join is the user's call: no fix.
        if (fixable && FixableContext(call, outside, function, context.ContainingSymbol, symbols) is { } dbContext)
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
        else if (fixable)
        {
            AddConnectionFix(call, outside, function, context.ContainingSymbol, symbols, properties);
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

    /// <summary>
    /// ADO.NET and Dapper: every write goes through one named <c>NpgsqlConnection</c> (commands held in locals, Dapper calls), the
    /// writes and the enqueue are statements of one block, and either the enqueue's transaction is a local begun on that connection
    /// after the writes (the fix moves its declaration up), or the enqueue is a non-transactional overload in an async function
    /// (the fix begins a transaction, switches to the transactional overload and commits after the last statement).
    /// </summary>
    private static void AddConnectionFix(
        EnqueueCall call, List<DatabaseWrite> writes, IOperation function, ISymbol containingSymbol, KnownSymbols symbols,
        ImmutableDictionary<string, string?>.Builder properties)
    {
        if (Operations.StatementOf(call.Invocation.Syntax)?.Parent is not BlockSyntax block)
        {
            return;
        }

        ISymbol? connection = null;
        var firstWrite = int.MaxValue;
        foreach (var write in writes)
        {
            if (write.Api == DatabaseApi.EfCore || write.OwnConnection || write.Connection is null
                || (connection is not null && !SymbolEqualityComparer.Default.Equals(connection, write.Connection))
                || Operations.StatementOf(write.Invocation.Syntax) is not { Parent: var parent } statement || parent != block
                || (write.Api == DatabaseApi.Command && Operations.Unwrap(write.Invocation.Instance!) is not ILocalReferenceOperation))
            {
                return;
            }

            connection = write.Connection;
            firstWrite = System.Math.Min(firstWrite, statement.SpanStart);
        }

        if (connection is null || Operations.TypeOf(connection) is not { Name: "NpgsqlConnection", ContainingNamespace.Name: "Npgsql" })
        {
            return;
        }

        var root = Operations.Root(call.Invocation);
        if (call.TransactionArgument is { } argument)
        {
            if (Operations.Unwrap(argument.Value) is not ILocalReferenceOperation { Local: var local }
                || TransactionFacts.InitializerOf(local, root) is not { } initializer
                || Operations.Unwrap(initializer) is not IInvocationOperation { TargetMethod.Name: "BeginTransaction" or "BeginTransactionAsync", Instance: { } owner }
                || !SymbolEqualityComparer.Default.Equals(Operations.ReferencedSymbol(Operations.Unwrap(owner)), connection)
                || local.DeclaringSyntaxReferences.Length != 1
                || Operations.StatementOf(local.DeclaringSyntaxReferences[0].GetSyntax()) is not LocalDeclarationStatementSyntax { Declaration.Variables.Count: 1 } declaration
                || declaration.Parent != block || declaration.SpanStart < firstWrite)
            {
                return;
            }

            properties[ConnectionProperty] = connection.Name;
            properties[MoveTransactionProperty] = local.Name;
            return;
        }

        if (!Operations.IsAsyncFunction(function, containingSymbol) || EnqueueCall.FindTransactionalSibling(call.Method, symbols, call.JobName) is not { } target)
        {
            return;
        }

        properties[ConnectionProperty] = connection.Name;
        properties[EnqueueOutsideTransactionAnalyzer.InsertParameterNameProperty] = target.Name;
        properties[EnqueueOutsideTransactionAnalyzer.InsertParameterIndexProperty] = target.Ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture);
        properties[EnqueueOutsideTransactionAnalyzer.CastToProperty] = target.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
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

        if (write.DbContext is { } dbContext && TransactionFacts.ContextHasTransactionAt(dbContext, write.Invocation, root, symbols))
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
