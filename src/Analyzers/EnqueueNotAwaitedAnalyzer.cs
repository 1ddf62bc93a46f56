using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Queues.Analyzers;

/// <summary>
/// QUE0104: the task returned by an enqueue call is dropped (expression statement, discard, or an unawaited
/// <c>ConfigureAwait</c>), so the insert may still be running when the caller's transaction commits or is disposed.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class EnqueueNotAwaitedAnalyzer : DiagnosticAnalyzer
{
    private const string JobEnqueueMethodAttributeName = "Queues.JobEnqueueMethodAttribute";
    private const string QueuesClientName = "Queues.QueuesClient";
    private const string EnqueueAsyncName = "EnqueueAsync";
    private const string ConfigureAwaitName = "ConfigureAwait";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.EnqueueNotAwaited);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static compilationContext =>
        {
            var markerAttribute = compilationContext.Compilation.GetTypeByMetadataName(JobEnqueueMethodAttributeName);
            if (markerAttribute is null)
            {
                // Queues runtime is not referenced: nothing here can enqueue.
                return;
            }

            var queuesClient = compilationContext.Compilation.GetTypeByMetadataName(QueuesClientName);
            compilationContext.RegisterOperationAction(
                operationContext => AnalyzeInvocation(operationContext, markerAttribute, queuesClient),
                OperationKind.Invocation);
        });
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, INamedTypeSymbol markerAttribute, INamedTypeSymbol? queuesClient)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (!IsEnqueueMethod(invocation.TargetMethod, markerAttribute, queuesClient))
        {
            return;
        }

        if (IsResultDropped(invocation))
        {
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.EnqueueNotAwaited,
                invocation.Syntax.GetLocation(),
                invocation.TargetMethod.Name));
        }
    }

    private static bool IsEnqueueMethod(IMethodSymbol method, INamedTypeSymbol markerAttribute, INamedTypeSymbol? queuesClient)
    {
        var definition = (method.ReducedFrom ?? method).OriginalDefinition;
        if (queuesClient is not null
            && definition.Name == EnqueueAsyncName
            && SymbolEqualityComparer.Default.Equals(definition.ContainingType, queuesClient))
        {
            return true;
        }

        foreach (var attribute in definition.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, markerAttribute))
            {
                return true;
            }
        }

        return false;
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
