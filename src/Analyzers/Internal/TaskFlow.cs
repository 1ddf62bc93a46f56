using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Queues.Analyzers.Internal;

internal enum TaskFate
{
    /// <summary>Awaited, returned to the member's caller, or handed to something the analysis does not follow: not judged.</summary>
    Observed,

    /// <summary>Ends in an expression statement or a discard: nothing waits for it.</summary>
    Dropped,

    /// <summary>Kept in a local (<see cref="TaskEnd.Local"/>).</summary>
    Stored,

    /// <summary>Added to a collection held in a local (<see cref="TaskEnd.Local"/>) by <c>Add</c>, <c>Insert</c>, <c>Enqueue</c>, <c>Push</c>.</summary>
    Gathered,
}

/// <summary>Where an enqueue's task ends up, and through which wrappers it got there.</summary>
internal readonly struct TaskEnd
{
    public TaskEnd(TaskFate fate, IOperation carrier, ILocalSymbol? local, string? through, IAnonymousFunctionOperation? outermostLambda)
    {
        Fate = fate;
        Carrier = carrier;
        Local = local;
        Through = through;
        OutermostLambda = outermostLambda;
    }

    public TaskFate Fate { get; }

    /// <summary>The last operation whose value stands for the enqueue's task: the call itself, or the wrapper that carries it.</summary>
    public IOperation Carrier { get; }

    public ILocalSymbol? Local { get; }

    /// <summary>The first wrapper the task went through (<c>Task.Run</c>, <c>ContinueWith</c>, <c>Task.WhenAll</c>), or <see langword="null"/>.</summary>
    public string? Through { get; }

    /// <summary>The outermost lambda the task left through its result; its own locals end with it.</summary>
    public IAnonymousFunctionOperation? OutermostLambda { get; }
}

/// <summary>
/// Follows the task an enqueue returns through what only passes it on — conversions, <c>ConfigureAwait</c>, <c>?.</c>, a lambda's
/// result (returned, or awaited inside an async lambda) handed to a method that returns a task (<c>Task.Run</c>, a retry helper,
/// <c>Parallel.ForEachAsync</c>), <c>ContinueWith</c>, <c>Task.WhenAll</c> — to where it stops: awaited, dropped, kept in a local or
/// gathered in a collection. A task from such a wrapper completes only after the enqueue's, so dropping it drops the enqueue.
/// </summary>
internal static class TaskFlow
{
    public static TaskEnd Follow(IInvocationOperation enqueue)
    {
        IOperation current = enqueue;
        string? through = null;
        IAnonymousFunctionOperation? lambda = null;
        for (var depth = 0; depth < 32; depth++)
        {
            switch (current.Parent)
            {
                case IConditionalAccessOperation access when access.WhenNotNull == current:
                case IConversionOperation:
                    current = current.Parent;
                    continue;
                case IInvocationOperation { TargetMethod.Name: "ConfigureAwait" } configureAwait when configureAwait.Instance == current:
                    current = configureAwait;
                    continue;
                case IInvocationOperation { TargetMethod.Name: "ContinueWith" } continuation when continuation.Instance == current && IsTaskLike(continuation.Type):
                    current = continuation;
                    through ??= "ContinueWith";
                    continue;
                case IArrayInitializerOperation or IArrayCreationOperation or ICollectionExpressionOperation when ElementsFlowIntoWhenAll(current.Parent):
                    current = current.Parent;
                    continue;
                case IArgumentOperation { Parent: IInvocationOperation whenAll } when IsWhenAll(whenAll):
                    current = whenAll;
                    through ??= "Task.WhenAll";
                    continue;
                case IArgumentOperation { Parent: IInvocationOperation whenAny } when IsWhenAny(whenAny):
                    // WhenAny's task completes with the first task: awaiting it leaves this one running, as a drop does.
                    return new TaskEnd(TaskFate.Dropped, current, null, WhenAnyName, lambda);
                case IReturnOperation or IAwaitOperation when EnclosingLambda(current.Parent!) is { } function
                    && (current.Parent is IReturnOperation || function.Symbol.IsAsync):
                    if (function.Symbol.IsAsync && function.Symbol.ReturnsVoid)
                    {
                        // An async void lambda (`list.ForEach(async x => await …)`, an event handler): nothing can wait for it.
                        return new TaskEnd(TaskFate.Dropped, function, null, through, function);
                    }

                    // The lambda's own task completes after this one: follow the lambda to whoever runs it.
                    if (Runner(function) is not { } runner)
                    {
                        return new TaskEnd(TaskFate.Observed, current, null, through, lambda);
                    }

                    lambda = function;
                    through ??= Display(runner.TargetMethod);
                    current = runner;
                    continue;
                case IExpressionStatementOperation:
                    return new TaskEnd(TaskFate.Dropped, current, null, through, lambda);
                case ISimpleAssignmentOperation { Target: IDiscardOperation } discard when discard.Value == current:
                    return new TaskEnd(TaskFate.Dropped, current, null, through, lambda);
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    return new TaskEnd(TaskFate.Stored, current, declarator.Symbol, through, lambda);
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when assignment.Value == current:
                    return new TaskEnd(TaskFate.Stored, current, target.Local, through, lambda);
                case IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "Add" or "Insert" or "Enqueue" or "Push", Instance: { } collection } }
                    when Operations.Unwrap(collection) is ILocalReferenceOperation gathered:
                    return new TaskEnd(TaskFate.Gathered, current, gathered.Local, through, lambda);
                default:
                    return new TaskEnd(TaskFate.Observed, current, null, through, lambda);
            }
        }

        return new TaskEnd(TaskFate.Observed, current, null, through, lambda);
    }

    public const string WhenAnyName = "Task.WhenAny";

    /// <summary><c>Task.WhenAll(a, b)</c>, <c>Task.WhenAll(new[] { a, b })</c>, <c>Task.WhenAll([a, b])</c>: the elements' container is its argument.</summary>
    private static bool ElementsFlowIntoWhenAll(IOperation container)
    {
        var current = container;
        while (current.Parent is IArrayCreationOperation or IConversionOperation)
        {
            current = current.Parent;
        }

        return current.Parent is IArgumentOperation { Parent: IInvocationOperation combinator } && (IsWhenAll(combinator) || IsWhenAny(combinator));
    }

    /// <summary>The first read of <paramref name="local"/> after <paramref name="after"/> that is not one more <c>Add</c> to it.</summary>
    public static IOperation? FirstReadAfter(ILocalSymbol local, IOperation after, bool skipAdds)
    {
        IOperation? first = null;
        var end = after.Syntax.Span.End;
        foreach (var operation in Operations.Root(after).Descendants())
        {
            if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local)
                && reference.Syntax.SpanStart >= end && (first is null || reference.Syntax.SpanStart < first.Syntax.SpanStart)
                && !(skipAdds && IsAdd(reference)))
            {
                first = reference;
            }
        }

        return first;
    }

    /// <summary>A read of <paramref name="local"/> inside <paramref name="region"/> after <paramref name="position"/>; Adds to it and assignments of it aside.</summary>
    public static bool IsReadIn(ILocalSymbol local, IOperation region, int position)
    {
        foreach (var operation in region.Descendants())
        {
            if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local)
                && reference.Syntax.SpanStart > position && !IsAdd(reference)
                && !(reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference))
            {
                return true;
            }
        }

        return false;
    }

    public static bool IsWhenAll(IInvocationOperation invocation) =>
        invocation.TargetMethod is { Name: "WhenAll", ContainingType: { Name: "Task", ContainingNamespace.Name: "Tasks" } };

    public static bool IsWhenAny(IInvocationOperation invocation) =>
        invocation.TargetMethod is { Name: "WhenAny", ContainingType: { Name: "Task", ContainingNamespace.Name: "Tasks" } };

    public static bool IsTaskLike(ITypeSymbol? type) =>
        type is INamedTypeSymbol { Name: "Task" or "ValueTask", ContainingNamespace: { Name: "Tasks", ContainingNamespace.Name: "Threading" } };

    /// <summary>The call a lambda is handed to, when that call returns a task (which then stands for the lambda's).</summary>
    private static IInvocationOperation? Runner(IAnonymousFunctionOperation lambda)
    {
        var owner = lambda.Parent is IDelegateCreationOperation creation ? creation.Parent : lambda.Parent;
        return owner is IArgumentOperation { Parent: IInvocationOperation runner } && IsTaskLike(runner.Type) ? runner : null;
    }

    private static IAnonymousFunctionOperation? EnclosingLambda(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IAnonymousFunctionOperation lambda:
                    return lambda;
                case ILocalFunctionOperation:
                    return null;
            }
        }

        return null;
    }

    private static bool IsAdd(ILocalReferenceOperation reference) =>
        reference.Parent is IInvocationOperation { TargetMethod.Name: "Add" or "Insert" or "Enqueue" or "Push" or "AddRange" } add && add.Instance == reference;

    private static string Display(IMethodSymbol method) =>
        method.IsStatic || method.IsExtensionMethod ? method.ContainingType.Name + "." + method.Name : method.Name;

    /// <summary>The loops between <paramref name="operation"/> and <paramref name="stop"/> (exclusive), innermost first.</summary>
    public static IEnumerable<ILoopOperation> LoopsAround(IOperation operation, IOperation stop)
    {
        for (var current = operation.Parent; current is not null && current != stop; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                yield break;
            }

            if (current is ILoopOperation loop)
            {
                yield return loop;
            }
        }
    }
}
