using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Queues.Analyzers.Internal;

/// <summary>
/// One call of an enqueue method: a generated method marked <c>[JobEnqueueMethod]</c>, or <c>QueuesClient.Enqueue…</c>.
/// Found through the marker attribute and the client type, never through a method name alone.
/// </summary>
/// <remarks>
/// A call is <em>transactional</em> when the method has a parameter of an ADO.NET transaction type; a marked method without one is
/// the non-transactional overload that DESIGN.md allows for enqueues that write no data. The rules police both shapes.
/// </remarks>
internal readonly struct EnqueueCall
{
    private EnqueueCall(IInvocationOperation invocation, IMethodSymbol method, IArgumentOperation? transactionArgument, string? jobName)
    {
        Invocation = invocation;
        Method = method;
        TransactionArgument = transactionArgument;
        JobName = jobName;
    }

    public IInvocationOperation Invocation { get; }

    /// <summary>The unreduced original definition of the called method.</summary>
    public IMethodSymbol Method { get; }

    /// <summary>The argument bound to the transaction parameter; <see langword="null"/> for a non-transactional enqueue.</summary>
    public IArgumentOperation? TransactionArgument { get; }

    public string? JobName { get; }

    public bool IsTransactional => TransactionArgument is not null;

    /// <summary>The name shown in messages: the job name when the marker carries one, else the method name.</summary>
    public string DisplayName => Invocation.TargetMethod.Name;

    public static bool TryCreate(IInvocationOperation invocation, KnownSymbols symbols, out EnqueueCall call)
    {
        call = default;
        var method = (invocation.TargetMethod.ReducedFrom ?? invocation.TargetMethod).OriginalDefinition;
        string? jobName = null;
        if (!IsEnqueueMethod(method, symbols, ref jobName))
        {
            return false;
        }

        IArgumentOperation? transactionArgument = null;
        var transactionParameter = FindTransactionParameter(method, symbols);
        if (transactionParameter is not null)
        {
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter is not null && argument.Parameter.Ordinal == transactionParameter.Ordinal)
                {
                    transactionArgument = argument;
                    break;
                }
            }

            if (transactionArgument is null)
            {
                return false;
            }
        }

        call = new EnqueueCall(invocation, method, transactionArgument, jobName);
        return true;
    }

    public static bool IsEnqueueMethod(IMethodSymbol method, KnownSymbols symbols, ref string? jobName)
    {
        foreach (var attribute in method.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, symbols.EnqueueMethodAttribute))
            {
                jobName = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as string : null;
                return true;
            }
        }

        // The runtime's own, non-generated API: every public QueuesClient.Enqueue… method.
        return symbols.QueuesClient is not null
            && SymbolEqualityComparer.Default.Equals(method.ContainingType, symbols.QueuesClient)
            && method.Name.StartsWith("Enqueue", System.StringComparison.Ordinal);
    }

    public static IParameterSymbol? FindTransactionParameter(IMethodSymbol method, KnownSymbols symbols)
    {
        foreach (var parameter in method.Parameters)
        {
            if (symbols.IsDbTransaction(parameter.Type))
            {
                return parameter;
            }
        }

        return null;
    }

    /// <summary>
    /// For a non-transactional enqueue: the sibling of the same name, marked for the same job, whose parameters are this method's plus one transaction
    /// parameter. The code fixes switch to it by adding the transaction argument.
    /// </summary>
    public static IParameterSymbol? FindTransactionalSibling(IMethodSymbol method, KnownSymbols symbols, string? jobName)
    {
        foreach (var member in method.ContainingType.GetMembers())
        {
            if (member is not IMethodSymbol candidate || candidate.Name != method.Name || candidate.Parameters.Length != method.Parameters.Length + 1)
            {
                continue;
            }

            string? candidateJob = null;
            if (!IsEnqueueMethod(candidate, symbols, ref candidateJob) || candidateJob != jobName || candidate.IsStatic != method.IsStatic)
            {
                continue;
            }

            var transaction = FindTransactionParameter(candidate, symbols);
            if (transaction is null)
            {
                continue;
            }

            var matches = true;
            for (int i = 0, j = 0; i < candidate.Parameters.Length; i++)
            {
                if (i == transaction.Ordinal)
                {
                    continue;
                }

                if (!SymbolEqualityComparer.Default.Equals(candidate.Parameters[i].Type, method.Parameters[j].Type))
                {
                    matches = false;
                    break;
                }

                j++;
            }

            if (matches)
            {
                return transaction;
            }
        }

        return null;
    }
}
