using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Queues.Analyzers.Internal;

/// <summary>
/// A must-analysis over one function's control flow graph: is <c>transaction</c> committed, rolled back or disposed on every path
/// that reaches a given call? Assignments to the variable reset it; a <c>using</c> disposes it in its finally region.
/// </summary>
/// <remarks>
/// Paths through a finally region are merged (every branch that enters it, then every branch that leaves it), which can only lose
/// "finished" facts, never invent them: the rule may miss a case but does not report a transaction that is still open.
/// </remarks>
internal sealed class FinishedTransactionFlow
{
    private readonly ControlFlowGraph _graph;
    private readonly HashSet<ISymbol> _transactions;
    private readonly HashSet<ISymbol> _connections;
    private readonly HashSet<CaptureId> _captures = new();
    private readonly HashSet<CaptureId> _connectionCaptures = new();

    private FinishedTransactionFlow(ControlFlowGraph graph, HashSet<ISymbol> transactions, HashSet<ISymbol> connections)
    {
        _graph = graph;
        _transactions = transactions;
        _connections = connections;
    }

    public static bool IsFinishedAt(ControlFlowGraph graph, SyntaxNode call, ISymbol transaction) =>
        new FinishedTransactionFlow(graph, new HashSet<ISymbol>(SymbolEqualityComparer.Default) { transaction }, new HashSet<ISymbol>(SymbolEqualityComparer.Default)).Run(call);

    /// <summary>
    /// As above, where the transaction goes by several names (<c>var npgsql = (NpgsqlTransaction)tx.GetDbTransaction()</c>) and closing or
    /// disposing its connection also ends it.
    /// </summary>
    public static bool IsFinishedAt(ControlFlowGraph graph, SyntaxNode call, HashSet<ISymbol> transactions, HashSet<ISymbol> connections) =>
        new FinishedTransactionFlow(graph, transactions, connections).Run(call);

    /// <summary>Descends from the member's graph into the lambdas and local functions that hold <paramref name="operation"/>.</summary>
    public static ControlFlowGraph? GraphFor(ControlFlowGraph memberGraph, IOperation operation)
    {
        var chain = new List<IOperation>();
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                chain.Add(current);
            }
        }

        var graph = memberGraph;
        for (var i = chain.Count - 1; i >= 0; i--)
        {
            if (chain[i] is ILocalFunctionOperation localFunction)
            {
                graph = graph.GetLocalFunctionControlFlowGraphInScope(localFunction.Symbol);
                continue;
            }

            var lambda = ((IAnonymousFunctionOperation)chain[i]).Symbol;
            var flow = FindFlowFunction(graph, lambda);
            if (flow is null)
            {
                return null;
            }

            graph = graph.GetAnonymousFunctionControlFlowGraphInScope(flow);
        }

        return graph;
    }

    private static IFlowAnonymousFunctionOperation? FindFlowFunction(ControlFlowGraph graph, IMethodSymbol lambda)
    {
        foreach (var block in graph.Blocks)
        {
            foreach (var operation in OperationsOf(block))
            {
                foreach (var node in operation.DescendantsAndSelf())
                {
                    if (node is IFlowAnonymousFunctionOperation flow && SymbolEqualityComparer.Default.Equals(flow.Symbol, lambda))
                    {
                        return flow;
                    }
                }
            }
        }

        return null;
    }

    private static IEnumerable<IOperation> OperationsOf(BasicBlock block)
    {
        foreach (var operation in block.Operations)
        {
            yield return operation;
        }

        if (block.BranchValue is { } branchValue)
        {
            yield return branchValue;
        }
    }

    private bool Run(SyntaxNode call)
    {
        var blocks = _graph.Blocks;
        CollectCaptures();

        // Locate the call first: no call, no answer.
        int targetBlock = -1, targetIndex = -1;
        for (var b = 0; b < blocks.Length && targetBlock < 0; b++)
        {
            var index = 0;
            foreach (var operation in OperationsOf(blocks[b]))
            {
                if (ContainsCall(operation, call))
                {
                    targetBlock = b;
                    targetIndex = index;
                    break;
                }

                index++;
            }
        }

        if (targetBlock < 0)
        {
            return false;
        }

        var predecessors = new List<(int From, bool IsNullEdge)>[blocks.Length];
        for (var i = 0; i < predecessors.Length; i++)
        {
            predecessors[i] = new List<(int, bool)>();
        }

        foreach (var block in blocks)
        {
            var nullCheck = block.BranchValue is IIsNullOperation isNull && (RefersToTransaction(isNull.Operand) || RefersToConnection(isNull.Operand));
            if (block.ConditionalSuccessor is { } conditional)
            {
                AddEdge(predecessors, block, conditional, nullCheck && block.ConditionKind == ControlFlowConditionKind.WhenTrue);
            }

            if (block.FallThroughSuccessor is { } fallThrough)
            {
                AddEdge(predecessors, block, fallThrough, nullCheck && block.ConditionKind == ControlFlowConditionKind.WhenFalse);
            }
        }

        // Optimistic start (everything finished), then lowered to a fixed point; blocks nothing flows into start open.
        var entry = new bool[blocks.Length];
        var exit = new bool[blocks.Length];
        for (var i = 0; i < blocks.Length; i++)
        {
            exit[i] = true;
        }

        var changed = true;
        while (changed)
        {
            changed = false;
            for (var i = 0; i < blocks.Length; i++)
            {
                var state = predecessors[i].Count > 0 && blocks[i].Kind != BasicBlockKind.Entry && blocks[i].IsReachable;
                foreach (var (from, isNullEdge) in predecessors[i])
                {
                    state &= isNullEdge || exit[from];
                }

                entry[i] = state;
                var after = Transfer(blocks[i], state, int.MaxValue);
                if (after != exit[i])
                {
                    exit[i] = after;
                    changed = true;
                }
            }
        }

        return Transfer(blocks[targetBlock], entry[targetBlock], targetIndex);
    }

    private void AddEdge(List<(int From, bool IsNullEdge)>[] predecessors, BasicBlock from, ControlFlowBranch branch, bool isNullEdge)
    {
        if (branch.Destination is null)
        {
            return;
        }

        var sources = new List<int> { from.Ordinal };
        var nullEdge = isNullEdge;
        foreach (var region in branch.FinallyRegions)
        {
            foreach (var source in sources)
            {
                predecessors[region.FirstBlockOrdinal].Add((source, nullEdge));
            }

            nullEdge = false;
            sources = ExitsOf(region);
        }

        foreach (var source in sources)
        {
            predecessors[branch.Destination.Ordinal].Add((source, nullEdge && source == from.Ordinal));
        }
    }

    private List<int> ExitsOf(ControlFlowRegion finallyRegion)
    {
        var exits = new List<int>();
        for (var i = finallyRegion.FirstBlockOrdinal; i <= finallyRegion.LastBlockOrdinal; i++)
        {
            var block = _graph.Blocks[i];
            if (block.FallThroughSuccessor is { Semantics: ControlFlowBranchSemantics.StructuredExceptionHandling, Destination: null }
                && InnermostHandler(block) == finallyRegion)
            {
                exits.Add(i);
            }
        }

        return exits;
    }

    private static ControlFlowRegion? InnermostHandler(BasicBlock block)
    {
        for (var region = block.EnclosingRegion; region is not null; region = region.EnclosingRegion)
        {
            if (region.Kind is ControlFlowRegionKind.Finally or ControlFlowRegionKind.Catch or ControlFlowRegionKind.Filter)
            {
                return region;
            }
        }

        return null;
    }

    private bool Transfer(BasicBlock block, bool state, int stopBefore)
    {
        var index = 0;
        foreach (var operation in OperationsOf(block))
        {
            if (index++ >= stopBefore)
            {
                break;
            }

            foreach (var node in operation.DescendantsAndSelf())
            {
                switch (node)
                {
                    case IInvocationOperation { Instance: { } instance } invocation
                        when TransactionFacts.IsFinishingCall(invocation) && RefersToTransaction(instance):
                        state = true;
                        break;
                    case IInvocationOperation { Instance: { } instance, TargetMethod.Name: "Close" or "CloseAsync" or "Dispose" or "DisposeAsync" }
                        when RefersToConnection(instance):
                        state = true;
                        break;
                    case ISimpleAssignmentOperation assignment when RefersToTransaction(assignment.Target):
                        state = false;
                        break;
                    case IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } argument when RefersToTransaction(argument.Value):
                        state = false;
                        break;
                }
            }
        }

        return state;
    }

    private void CollectCaptures()
    {
        // Twice: a capture can copy another capture.
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var block in _graph.Blocks)
            {
                foreach (var operation in OperationsOf(block))
                {
                    foreach (var node in operation.DescendantsAndSelf())
                    {
                        if (node is IFlowCaptureOperation capture && RefersToTransaction(capture.Value))
                        {
                            _captures.Add(capture.Id);
                        }

                        if (node is IFlowCaptureOperation connectionCapture && RefersToConnection(connectionCapture.Value))
                        {
                            _connectionCaptures.Add(connectionCapture.Id);
                        }
                    }
                }
            }
        }
    }

    private bool RefersToTransaction(IOperation operation)
    {
        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        return operation is IFlowCaptureReferenceOperation reference
            ? _captures.Contains(reference.Id)
            : Operations.ReferencedSymbol(operation) is { } symbol && _transactions.Contains(symbol);
    }

    private bool RefersToConnection(IOperation operation)
    {
        if (_connections.Count == 0)
        {
            return false;
        }

        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        return operation is IFlowCaptureReferenceOperation reference
            ? _connectionCaptures.Contains(reference.Id)
            : Operations.ReferencedSymbol(operation) is { } symbol && _connections.Contains(symbol);
    }

    private static bool ContainsCall(IOperation operation, SyntaxNode call)
    {
        foreach (var node in operation.DescendantsAndSelf())
        {
            if (node is IInvocationOperation && node.Syntax == call)
            {
                return true;
            }
        }

        return false;
    }
}
