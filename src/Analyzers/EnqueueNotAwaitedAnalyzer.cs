using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Queues.Analyzers.Internal;

namespace Queues.Analyzers;

/// <summary>
/// QUE0104: the task returned by an enqueue call is dropped (expression statement, discard, or an unawaited
/// <c>ConfigureAwait</c>, a local never read again), or kept in a local that is first read only after the transaction was committed,
/// rolled back or disposed: either way the insert may still be running when the caller's transaction ends. The task is followed
/// (<see cref="TaskFlow"/>) through wrappers whose task stands for it — <c>Task.Run</c>, a helper taking a lambda, <c>ContinueWith</c>,
/// <c>Task.WhenAll</c> — and into async void lambdas; past a lambda, only a transaction from outside it can be outrun.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class EnqueueNotAwaitedAnalyzer : DiagnosticAnalyzer
{
    private const string ConfigureAwaitName = "ConfigureAwait";

    /// <summary>Diagnostic property, present when the code fix can await the call where it stands.</summary>
    public const string AddAwaitProperty = "AddAwait";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.EnqueueNotAwaited);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static compilationContext =>
        {
            if (KnownSymbols.TryCreate(compilationContext.Compilation) is not { } symbols)
            {
                // Queues runtime is not referenced: nothing here can enqueue.
                return;
            }

            compilationContext.RegisterOperationAction(operationContext => AnalyzeInvocation(operationContext, symbols), OperationKind.Invocation);
        });
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, KnownSymbols symbols)
    {
        var invocation = (IInvocationOperation)context.Operation;
        string? jobName = null;
        if (!EnqueueCall.IsEnqueueMethod((invocation.TargetMethod.ReducedFrom ?? invocation.TargetMethod).OriginalDefinition, symbols, ref jobName))
        {
            return;
        }

        var end = TaskFlow.Follow(invocation);
        if (end.OutermostLambda is { } lambda && !RacesAnOuterTransaction(invocation, lambda, symbols))
        {
            // Background work that owns its transaction (or enqueues without one) awaits the enqueue before it commits.
            return;
        }

        var dropped = end.Fate == TaskFate.Dropped;
        if (dropped || (end.Fate == TaskFate.Stored && IsAwaitedOnlyAfterTheTransactionEnds(invocation, end, symbols)))
        {
            // Awaiting in place is the one obvious fix for a dropped task in an async function; a kept task is the user's to move.
            var statement = dropped ? DroppingStatement(end.Carrier) : null;
            var properties = statement is not null && end.Carrier is not IConditionalAccessOperation && invocation.Parent is not IConditionalAccessOperation
                && Operations.IsAsyncFunction(Operations.InnermostFunction(end.Carrier), context.ContainingSymbol)
                ? ImmutableDictionary<string, string?>.Empty.Add(AddAwaitProperty, "true")
                : ImmutableDictionary<string, string?>.Empty;
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.EnqueueNotAwaited,
                invocation.Syntax.GetLocation(),
                statement is not null ? new[] { statement.GetLocation() } : null,
                properties,
                invocation.TargetMethod.Name,
                Wrapper(end)));
        }
    }

    private static string Wrapper(TaskEnd end) => end switch
    {
        { Carrier: IAnonymousFunctionOperation } => " (it runs inside an async void lambda, which nothing can await)",
        { Through: TaskFlow.WhenAnyName } => " (handed to 'Task.WhenAny', which waits only for the first task to finish)",
        { Through: { } through } => " (it runs inside '" + through + "', whose task is dropped)",
        _ => string.Empty,
    };

    /// <summary>The statement <c>task;</c> or <c>_ = task;</c> that drops the carrier, when it is one written as a statement.</summary>
    private static ExpressionStatementSyntax? DroppingStatement(IOperation carrier)
    {
        var statement = carrier.Parent is ISimpleAssignmentOperation { Target: IDiscardOperation } discard ? discard.Parent : carrier.Parent;
        return statement is IExpressionStatementOperation { Syntax: ExpressionStatementSyntax syntax } ? syntax : null;
    }

    /// <summary>
    /// The enqueue's transaction comes from outside the outermost lambda its task left through, so the code that commits it does
    /// not wait for the dropped wrapper. A transaction the lambda begins itself, or none, is the lambda's own business.
    /// </summary>
    private static bool RacesAnOuterTransaction(IInvocationOperation invocation, IAnonymousFunctionOperation lambda, KnownSymbols symbols) =>
        EnqueueCall.TryCreate(invocation, symbols, out var call)
        && call.TransactionArgument is { } argument
        && TransactionFacts.ResolveRoot(argument.Value, symbols).Symbol is { } transaction
        && !Operations.IsDeclaredIn(transaction, lambda);

    /// <summary>
    /// <c>var pending = jobs.Enqueue…Async(tx, …)</c> (or a wrapper of it) that is never read again, or is first read only after <c>tx</c>
    /// is committed, rolled back or disposed: the insert can still be running when the transaction ends.
    /// </summary>
    private static bool IsAwaitedOnlyAfterTheTransactionEnds(IInvocationOperation invocation, TaskEnd end, KnownSymbols symbols)
    {
        var firstUse = TaskFlow.FirstReadAfter(end.Local!, end.Carrier, skipAdds: false);
        if (firstUse is null)
        {
            return true;
        }

        return EnqueueCall.TryCreate(invocation, symbols, out var call) && PendingEnqueue.TransactionOf(call, symbols) is { } transaction
            && PendingEnqueue.FirstCallBetween(end.Carrier, firstUse.Syntax.SpanStart, c => PendingEnqueue.Finishes(c, transaction)) is not null;
    }
}
