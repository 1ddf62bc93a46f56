using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Queues.Analyzers.Internal;

namespace Queues.Analyzers;

/// <summary>
/// QUE0106: an enqueue that runs while another command on the same transaction is still running. A connection runs one command at
/// a time, so Npgsql throws ("A command is already in progress"). Caught: enqueues awaited together with <c>Task.WhenAll</c>/<c>WhenAny</c>,
/// a <c>Select</c> of enqueues handed to <c>Task.WhenAll</c> or materialized, enqueues in <c>Parallel.ForEach[Async]</c>, a task kept
/// in a local or gathered in a collection (<see cref="TaskFlow"/>) whose transaction is handed to another call before the task is
/// first read, or that a loop overwrites or adds to without reading it. The per-item shapes need a transaction shared by the items:
/// one begun inside the lambda or the loop body belongs to one item. The message names the command still running, never the combinator.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ConcurrentEnqueueAnalyzer : DiagnosticAnalyzer
{
    /// <summary>
    /// Diagnostic property, present when the code fix can replace <c>await Task.WhenAll(a, b);</c> by <c>await a; await b;</c>: the
    /// statement only awaits, in an async function, and every argument is a call on the same transaction.
    /// </summary>
    public const string AwaitOneByOneProperty = "AwaitOneByOne";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.ConcurrentEnqueue);

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
        if (!EnqueueCall.TryCreate((IInvocationOperation)context.Operation, symbols, out var call) || PendingEnqueue.TransactionOf(call, symbols) is not { } transaction
            || TransactionFacts.ResolveRoot(call.TransactionArgument!.Value, symbols).Symbol is not { } shared)
        {
            return;
        }

        string? other = null;
        var properties = ImmutableDictionary<string, string?>.Empty;
        if (InParallelLoop(call.Invocation, out var loop, out var body))
        {
            // One transaction per item (begun inside the lambda, or the lambda's own parameter) is shared by nothing.
            if (!Operations.IsDeclaredIn(shared, body))
            {
                other = "'" + call.DisplayName + "' for another item of '" + loop + "'";
            }
        }
        else if (WhenAllOf(call.Invocation) is { } whenAll)
        {
            other = Quote(OtherCommandIn(whenAll, call.Invocation, transaction));
            if (other is not null && CanAwaitOneByOne(whenAll, transaction, context.ContainingSymbol))
            {
                properties = properties.Add(AwaitOneByOneProperty, "true");
            }
        }
        else if (TaskFlow.Follow(call.Invocation) is { OutermostLambda: null, Local: { } local } end)
        {
            other = end.Fate switch
            {
                TaskFate.Stored => SameCallInTheNextIteration(call, local, shared) ?? OtherCommandBeforeRead(end, local, transaction, skipAdds: false),
                TaskFate.Gathered => SameCallInTheNextIteration(call, local, shared) ?? OtherCommandBeforeRead(end, local, transaction, skipAdds: true),
                _ => null,
            };
        }

        if (other is not null)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.ConcurrentEnqueue,
                call.Invocation.Syntax.GetLocation(),
                properties,
                call.DisplayName,
                other));
        }
    }

    private static string? Quote(string? name) => name is null ? null : "'" + name + "'";

    /// <summary>A task kept in a local or a collection: another command on the transaction starts before the task is first read.</summary>
    private static string? OtherCommandBeforeRead(TaskEnd end, ILocalSymbol local, HashSet<ISymbol> transaction, bool skipAdds)
    {
        var firstRead = TaskFlow.FirstReadAfter(local, end.Carrier, skipAdds);
        return firstRead is null
            ? null
            : Quote(PendingEnqueue.FirstCallBetween(end.Carrier, firstRead.Syntax.SpanStart, c => PendingEnqueue.UsesTransaction(c, transaction))?.TargetMethod.Name);
    }

    /// <summary>
    /// A task kept in a local or gathered into a collection inside a loop, where that variable and the transaction both outlive the
    /// loop and the loop never reads it: the next iteration's enqueue starts while this one may still be running.
    /// </summary>
    private static string? SameCallInTheNextIteration(EnqueueCall call, ILocalSymbol collection, ISymbol transaction)
    {
        foreach (var loop in TaskFlow.LoopsAround(call.Invocation, Operations.Root(call.Invocation)))
        {
            if (!Operations.IsDeclaredIn(collection, loop) && !Operations.IsDeclaredIn(transaction, loop) && !TaskFlow.IsReadIn(collection, loop, -1))
            {
                return "'" + call.DisplayName + "' of the loop's previous iteration";
            }
        }

        return null;
    }

    /// <summary>The enqueue is the body of a lambda run once per item at the same time: <c>Select</c> into <c>Task.WhenAll</c>, <c>Parallel.ForEach[Async]</c>.</summary>
    private static bool InParallelLoop(IInvocationOperation enqueue, out string? loop, out IOperation body)
    {
        loop = null;
        body = enqueue;
        for (IOperation? current = enqueue.Parent; current is not null; current = current.Parent)
        {
            if (current is not IAnonymousFunctionOperation)
            {
                continue;
            }

            body = current;
            var owner = current.Parent is IDelegateCreationOperation creation ? creation.Parent : current.Parent;
            if (owner is not IArgumentOperation { Parent: IInvocationOperation runner })
            {
                return false;
            }

            if (runner.TargetMethod.ContainingType is { Name: "Parallel", ContainingNamespace.Name: "Tasks" } && runner.TargetMethod.Name.StartsWith("ForEach", System.StringComparison.Ordinal))
            {
                loop = "Parallel." + runner.TargetMethod.Name;
                return true;
            }

            if (runner.TargetMethod.Name == "Select" && FlowsIntoWhenAll(runner))
            {
                loop = "Select";
                return true;
            }

            return false;
        }

        return false;
    }

    private static bool FlowsIntoWhenAll(IOperation value)
    {
        for (var current = value; current is not null; current = current.Parent)
        {
            switch (current.Parent)
            {
                case IInvocationOperation { TargetMethod.Name: "AsEnumerable" }:
                case IConversionOperation:
                case IArgumentOperation:
                    continue;
                case IInvocationOperation invocation when IsWhenAll(invocation):
                    return true;
                case IInvocationOperation { TargetMethod.Name: "ToList" or "ToArray" or "ToHashSet" or "AddRange" }:
                case IObjectCreationOperation:
                case ISpreadOperation:
                    // Materialized: enumerating the Select starts every enqueue before any is awaited, whatever reads them later.
                    return true;
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    foreach (var operation in Operations.Root(current).Descendants())
                    {
                        if (operation is IInvocationOperation whenAll && IsWhenAll(whenAll))
                        {
                            foreach (var argument in whenAll.Arguments)
                            {
                                if (Operations.Unwrap(argument.Value) is ILocalReferenceOperation local && SymbolEqualityComparer.Default.Equals(local.Local, declarator.Symbol))
                                {
                                    return true;
                                }
                            }
                        }
                    }

                    return false;
                default:
                    return false;
            }
        }

        return false;
    }

    private static bool IsWhenAll(IInvocationOperation invocation) =>
        invocation.TargetMethod is { Name: "WhenAll" or "WhenAny", ContainingType: { Name: "Task", ContainingNamespace.Name: "Tasks" } };

    /// <summary><c>Task.WhenAll(enqueue, …)</c>: the enqueue as an argument or an element of its array or collection expression.</summary>
    private static IInvocationOperation? WhenAllOf(IInvocationOperation enqueue)
    {
        IOperation current = enqueue;
        while (current.Parent is IConversionOperation or IArrayInitializerOperation or IArrayCreationOperation or ICollectionExpressionOperation or IArgumentOperation)
        {
            current = current.Parent;
            if (current.Parent is IInvocationOperation invocation && current is IArgumentOperation)
            {
                return IsWhenAll(invocation) ? invocation : null;
            }
        }

        return null;
    }

    private static bool CanAwaitOneByOne(IInvocationOperation whenAll, HashSet<ISymbol> transaction, ISymbol containingSymbol)
    {
        if (whenAll.Parent is not IAwaitOperation { Parent: IExpressionStatementOperation }
            || !Operations.IsAsyncFunction(Operations.InnermostFunction(whenAll), containingSymbol)
            || whenAll.Arguments.Length != 1
            || whenAll.Arguments[0] is not { ArgumentKind: ArgumentKind.ParamArray, Value: IArrayCreationOperation { Initializer: { } elements } })
        {
            return false;
        }

        foreach (var element in elements.ElementValues)
        {
            if (Operations.Unwrap(element) is not IInvocationOperation call || !PendingEnqueue.UsesTransaction(call, transaction))
            {
                return false;
            }
        }

        return elements.ElementValues.Length > 1;
    }

    /// <summary>Another element of the same <c>WhenAll</c> that runs a command on the transaction (directly, or a task stored from one).</summary>
    private static string? OtherCommandIn(IInvocationOperation whenAll, IInvocationOperation enqueue, HashSet<ISymbol> transaction)
    {
        foreach (var operation in whenAll.Descendants())
        {
            if (operation is IInvocationOperation other && other != enqueue && !IsWhenAll(other) && PendingEnqueue.UsesTransaction(other, transaction))
            {
                return other.TargetMethod.Name;
            }

            if (operation is ILocalReferenceOperation local && TransactionFacts.InitializerOf(local.Local, Operations.Root(whenAll)) is { } initializer
                && Operations.Unwrap(initializer) is IInvocationOperation stored && PendingEnqueue.UsesTransaction(stored, transaction))
            {
                return stored.TargetMethod.Name;
            }
        }

        return null;
    }
}
