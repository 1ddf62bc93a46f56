using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Queues.Analyzers.Internal;

/// <summary>Small operation-tree helpers shared by the usage rules. Every walk stays inside one member body.</summary>
internal static class Operations
{
    public static IOperation Root(IOperation operation)
    {
        var current = operation;
        while (current.Parent is not null)
        {
            current = current.Parent;
        }

        return current;
    }

    /// <summary>The innermost lambda or local function holding <paramref name="operation"/>, or the member root.</summary>
    public static IOperation InnermostFunction(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return current;
            }

            if (current.Parent is null)
            {
                return current;
            }
        }

        return operation;
    }

    /// <summary>Descendants of <paramref name="function"/> that run as part of it: nested lambdas and local functions are skipped.</summary>
    public static IEnumerable<IOperation> OwnDescendants(IOperation function)
    {
        var stack = new Stack<IOperation>();
        foreach (var child in function.ChildOperations)
        {
            stack.Push(child);
        }

        while (stack.Count > 0)
        {
            var current = stack.Pop();
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                continue;
            }

            yield return current;
            foreach (var child in current.ChildOperations)
            {
                stack.Push(child);
            }
        }
    }

    public static IOperation Unwrap(IOperation operation)
    {
        while (true)
        {
            switch (operation)
            {
                case IConversionOperation conversion:
                    operation = conversion.Operand;
                    break;
                case IAwaitOperation awaitOperation:
                    operation = awaitOperation.Operation;
                    break;
                case IInvocationOperation { TargetMethod.Name: "ConfigureAwait", Instance: { } instance }:
                    operation = instance;
                    break;
                default:
                    return operation;
            }
        }
    }

    /// <summary>The local, parameter, or field/property of <c>this</c> (or static) that <paramref name="operation"/> reads.</summary>
    public static ISymbol? ReferencedSymbol(IOperation? operation) => operation switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
        IPropertyReferenceOperation { Instance: null or IInstanceReferenceOperation, Arguments.Length: 0 } property => property.Property,
        _ => null,
    };

    public static ITypeSymbol? TypeOf(ISymbol symbol) => symbol switch
    {
        ILocalSymbol local => local.Type,
        IParameterSymbol parameter => parameter.Type,
        IFieldSymbol field => field.Type,
        IPropertySymbol property => property.Type,
        _ => null,
    };

    /// <summary>The syntax node a local declared in <paramref name="declarator"/> is visible in.</summary>
    public static SyntaxNode? ScopeOf(SyntaxNode declarator)
    {
        for (var node = declarator.Parent; node is not null; node = node.Parent)
        {
            switch (node)
            {
                case UsingStatementSyntax:
                case ForStatementSyntax:
                case ForEachStatementSyntax:
                case BlockSyntax:
                case SwitchSectionSyntax:
                case CompilationUnitSyntax:
                    return node;
                case AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax:
                    return node;
            }
        }

        return null;
    }

    public static bool IsVisibleAt(SyntaxNode declarator, SyntaxNode at)
    {
        if (declarator.SyntaxTree != at.SyntaxTree || declarator.SpanStart >= at.SpanStart)
        {
            return false;
        }

        var scope = ScopeOf(declarator);
        return scope is not null && scope.Span.Contains(at.Span);
    }

    /// <summary>
    /// The local a declaration of any form introduces: <c>var x = …</c>, <c>out var x</c>, <c>var (a, x) = …</c>, <c>is T x</c>,
    /// <c>is { } x</c>, <c>is [.., var x]</c>; else <see langword="null"/>.
    /// </summary>
    public static ILocalSymbol? DeclaredLocal(IOperation operation) => operation switch
    {
        IVariableDeclaratorOperation declarator => declarator.Symbol,
        ILocalReferenceOperation { IsDeclaration: true } reference => reference.Local,
        IDeclarationPatternOperation { DeclaredSymbol: ILocalSymbol local } => local,
        IRecursivePatternOperation { DeclaredSymbol: ILocalSymbol local } => local,
        IListPatternOperation { DeclaredSymbol: ILocalSymbol local } => local,
        _ => null,
    };

    /// <summary>
    /// A local declared at <paramref name="declaration"/> (an expression variable: <c>out var</c>, deconstruction, pattern) that the
    /// compiler's own rules put in scope at <paramref name="at"/> and definitely assign before it. Scope is looked up, not guessed
    /// from the syntax: <c>if (!(o is T x)) return;</c> leaves <c>x</c> in scope and assigned after the <c>if</c>, while
    /// <c>if (o is T x) { … } else { here }</c> has it in scope but unassigned.
    /// </summary>
    public static bool IsAssignedAt(ILocalSymbol local, SyntaxNode declaration, IOperation at)
    {
        if (declaration.SyntaxTree != at.Syntax.SyntaxTree || declaration.SpanStart >= at.Syntax.SpanStart || at.SemanticModel is not { } model)
        {
            return false;
        }

        var inScope = false;
        foreach (var symbol in model.LookupSymbols(at.Syntax.SpanStart, name: local.Name))
        {
            inScope |= SymbolEqualityComparer.Default.Equals(symbol, local);
        }

        if (!inScope)
        {
            return false;
        }

        DataFlowAnalysis? flow;
        try
        {
            flow = at.Syntax switch
            {
                ExpressionSyntax expression => model.AnalyzeDataFlow(expression),
                StatementSyntax statement => model.AnalyzeDataFlow(statement),
                _ => null,
            };
        }
        catch (System.ArgumentException)
        {
            // Not a region the compiler analyses (it says so by throwing); an analyzer must not fail the user's build over it.
            flow = null;
        }

        // A region the compiler cannot analyse: count the variable, as a plain declaration before the call would be.
        if (flow is null || !flow.Succeeded)
        {
            return true;
        }

        foreach (var assigned in flow.DefinitelyAssignedOnEntry)
        {
            if (SymbolEqualityComparer.Default.Equals(assigned, local))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A local or parameter declared inside <paramref name="region"/> (a lambda's own, or one of its locals).</summary>
    public static bool IsDeclaredIn(ISymbol symbol, IOperation region)
    {
        if (symbol is not (ILocalSymbol or IParameterSymbol))
        {
            return false;
        }

        foreach (var reference in symbol.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree == region.Syntax.SyntaxTree && region.Syntax.Span.Contains(reference.Span))
            {
                return true;
            }
        }

        return false;
    }

    public static bool IsAsyncFunction(IOperation function, ISymbol containingSymbol) => function switch
    {
        IAnonymousFunctionOperation lambda => lambda.Symbol.IsAsync,
        ILocalFunctionOperation local => local.Symbol.IsAsync,
        _ => containingSymbol is IMethodSymbol { IsAsync: true },
    };

    public static bool IsNullConstant(IOperation operation) =>
        Unwrap(operation) is { ConstantValue: { HasValue: true, Value: null } } or IDefaultValueOperation;

    public static SyntaxNode? StatementOf(SyntaxNode node)
    {
        for (var current = node; current is not null; current = current.Parent)
        {
            if (current is StatementSyntax)
            {
                return current;
            }
        }

        return null;
    }

    public static bool IsCSharpIdentifier(string text) => SyntaxFacts.IsValidIdentifier(text);
}
