using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Queues.Analyzers.Internal;

namespace Queues.Analyzers;

/// <summary>
/// QUE0104: the task returned by an enqueue call is dropped (expression statement, discard, or an unawaited
/// <c>ConfigureAwait</c>, a local never read again), or kept in a local that is first read only after the transaction was committed,
/// rolled back or disposed: either way the insert may still be running when the caller's transaction ends.
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

        var dropped = IsResultDropped(invocation);
        if (dropped || IsAwaitedOnlyAfterTheTransactionEnds(invocation, symbols))
        {
            // Awaiting in place is the one obvious fix for a dropped task in an async function; a kept task is the user's to move.
            var properties = dropped && invocation.Parent is not IConditionalAccessOperation
                && Operations.IsAsyncFunction(Operations.InnermostFunction(invocation), context.ContainingSymbol)
                ? ImmutableDictionary<string, string?>.Empty.Add(AddAwaitProperty, "true")
                : ImmutableDictionary<string, string?>.Empty;
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.EnqueueNotAwaited,
                invocation.Syntax.GetLocation(),
                properties,
                invocation.TargetMethod.Name));
        }
    }

    /// <summary>
    /// <c>var pending = jobs.Enqueue…Async(tx, …)</c> that is never read again, or is first read only after <c>tx</c> is committed, rolled
    /// back or disposed: the insert can still be running when the transaction ends.
    /// </summary>
    private static bool IsAwaitedOnlyAfterTheTransactionEnds(IInvocationOperation invocation, KnownSymbols symbols)
    {
        if (!PendingEnqueue.TryGetStoredTask(invocation, out _, out var firstUse))
        {
            return false;
        }

        if (firstUse is null)
        {
            return true;
        }

        return EnqueueCall.TryCreate(invocation, symbols, out var call) && PendingEnqueue.TransactionOf(call, symbols) is { } transaction
            && PendingEnqueue.FirstCallBetween(invocation, firstUse.Syntax.SpanStart, c => PendingEnqueue.Finishes(c, transaction)) is not null;
    }

    private static bool IsResultDropped(IInvocationOperation invocation)
    {
        IOperation current = invocation;

        // `client?.EnqueueAsync(...)`: the task flows out through the conditional access.
        if (current.Parent is IConditionalAccessOperation conditionalAccess && conditionalAccess.WhenNotNull == current)
        {
            current = conditionalAccess;
        }

        // `x.ConfigureAwait(false)` only changes how an await resumes; the task is still dropped unless the awaitable is used.
        if (current.Parent is IInvocationOperation { TargetMethod.Name: ConfigureAwaitName } configureAwait && configureAwait.Instance == current)
        {
            current = configureAwait;
        }

        return current.Parent switch
        {
            IExpressionStatementOperation => true,
            ISimpleAssignmentOperation { Target: IDiscardOperation } assignment => assignment.Value == current,
            _ => false,
        };
    }
}
