using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Queues.Analyzers.Internal;

internal enum TransactionKind
{
    /// <summary>An ADO.NET transaction (<c>NpgsqlTransaction</c>, <c>DbTransaction</c>, <c>IDbTransaction</c>).</summary>
    Db,

    /// <summary>An EF Core <c>IDbContextTransaction</c>: the context's own writes use it without naming it.</summary>
    Ef,
}

/// <summary>A transaction the code at some point can see: a local declared before it, a parameter, or a field of <c>this</c>.</summary>
internal readonly struct TransactionInScope
{
    public TransactionInScope(ISymbol symbol, TransactionKind kind, int position)
    {
        Symbol = symbol;
        Kind = kind;
        Position = position;
    }

    public ISymbol Symbol { get; }

    public TransactionKind Kind { get; }

    /// <summary>Where it is declared (locals) or -1 (parameters, fields); the nearest declaration wins a tie.</summary>
    public int Position { get; }
}

internal sealed class ScopeFacts
{
    public List<TransactionInScope> Transactions { get; } = new();

    /// <summary>A <c>System.Transactions.TransactionScope</c> is active here.</summary>
    public bool AmbientScope { get; set; }

    public bool IsEmpty => Transactions.Count == 0 && !AmbientScope;
}

internal enum TransactionRootKind
{
    Unknown,
    Symbol,

    /// <summary>A transaction begun inline, e.g. <c>jobs.EnqueueXAsync(await conn.BeginTransactionAsync(), …)</c>.</summary>
    Fresh,
}

internal readonly struct TransactionRoot
{
    public TransactionRoot(TransactionRootKind kind, ISymbol? symbol)
    {
        Kind = kind;
        Symbol = symbol;
    }

    public TransactionRootKind Kind { get; }

    public ISymbol? Symbol { get; }
}

/// <summary>What a member body says about transactions: which are in scope where, where an argument comes from, how each is used.</summary>
internal static class TransactionFacts
{
    public static ScopeFacts InScopeAt(IOperation at, IOperation root, ISymbol containingSymbol, KnownSymbols symbols)
    {
        var facts = new ScopeFacts();
        var seen = new HashSet<ISymbol>(SymbolEqualityComparer.Default);

        void Add(ISymbol symbol, ITypeSymbol? type, int position)
        {
            if (symbols.IsTransactionScope(type))
            {
                facts.AmbientScope = true;
            }
            else if (symbols.IsTransaction(type) && seen.Add(symbol))
            {
                facts.Transactions.Add(new TransactionInScope(symbol, symbols.IsDbTransaction(type) ? TransactionKind.Db : TransactionKind.Ef, position));
            }
        }

        if (containingSymbol is IMethodSymbol method)
        {
            foreach (var parameter in method.Parameters)
            {
                Add(parameter, parameter.Type, -1);
            }
        }

        for (var current = at.Parent; current is not null; current = current.Parent)
        {
            var parameters = current switch
            {
                IAnonymousFunctionOperation lambda => lambda.Symbol.Parameters,
                ILocalFunctionOperation local => local.Symbol.Parameters,
                _ => default,
            };
            if (!parameters.IsDefault)
            {
                foreach (var parameter in parameters)
                {
                    Add(parameter, parameter.Type, -1);
                }
            }

            // `using (new TransactionScope()) { … }` declares no variable.
            if (current is IUsingOperation { Resources: var resources } && symbols.IsTransactionScope(Operations.Unwrap(resources).Type)
                && resources.Syntax.Span.End <= at.Syntax.SpanStart)
            {
                facts.AmbientScope = true;
            }
        }

        foreach (var operation in root.Descendants())
        {
            switch (operation)
            {
                case IVariableDeclaratorOperation declarator when Operations.IsVisibleAt(declarator.Syntax, at.Syntax):
                    Add(declarator.Symbol, declarator.Symbol.Type, declarator.Syntax.SpanStart);
                    break;
                case not IVariableDeclaratorOperation when Operations.DeclaredLocal(operation) is { } local
                    && (symbols.IsTransaction(local.Type) || symbols.IsTransactionScope(local.Type))
                    && Operations.IsAssignedAt(local, operation.Syntax, at):
                    // `var (connection, tx) = …`, `out var tx`, `is NpgsqlTransaction tx`: in scope and definitely assigned here.
                    Add(local, local.Type, operation.Syntax.SpanStart);
                    break;
                case IFieldReferenceOperation or IPropertyReferenceOperation when Operations.ReferencedSymbol(operation) is { } member:
                    Add(member, operation.Type, -1);
                    break;
            }
        }

        return facts;
    }

    public static TransactionRoot ResolveRoot(IOperation value, KnownSymbols symbols)
    {
        var current = StripConversions(value, symbols);
        if (ReferencedTransaction(current, Operations.Root(value), symbols) is { } symbol)
        {
            return new TransactionRoot(TransactionRootKind.Symbol, RootOf(symbol, Operations.Root(value), symbols));
        }

        return IsBeginTransaction(current)
            ? new TransactionRoot(TransactionRootKind.Fresh, null)
            : new TransactionRoot(TransactionRootKind.Unknown, null);
    }

    /// <summary>Strips casts, <c>as</c>, awaits and EF Core's <c>GetDbTransaction()</c>: what is left names the same transaction.</summary>
    private static IOperation StripConversions(IOperation value, KnownSymbols symbols)
    {
        var current = Operations.Unwrap(value);
        while (current is IInvocationOperation { TargetMethod.Name: "GetDbTransaction" } getDbTransaction
            && SymbolEqualityComparer.Default.Equals(getDbTransaction.TargetMethod.ContainingType, symbols.EfContextTransactionExtensions)
            && getDbTransaction.Arguments.Length == 1)
        {
            current = Operations.Unwrap(getDbTransaction.Arguments[0].Value);
        }

        return current;
    }

    /// <summary>
    /// The symbol a stripped transaction expression names: a local, parameter or field, or for Queues.EntityFrameworkCore's
    /// <c>db.Database.GetNpgsqlTransaction()</c> the EF Core transaction local last begun on <c>db.Database</c> before it.
    /// </summary>
    private static ISymbol? ReferencedTransaction(IOperation stripped, IOperation root, KnownSymbols symbols) =>
        Operations.ReferencedSymbol(stripped)
        ?? (symbols.GetNpgsqlTransactionFacade(stripped) is { } facade && ContextOfFacade(facade) is { } context
            ? EfTransactionBegunOn(context, stripped.Syntax.SpanStart, root)
            : null);

    /// <summary><c>db.Database</c>: the context symbol <c>db</c>.</summary>
    public static ISymbol? ContextOfFacade(IOperation facade) =>
        Operations.Unwrap(facade) is IPropertyReferenceOperation { Property.Name: "Database", Instance: { } context }
            ? Operations.ReferencedSymbol(Operations.Unwrap(context))
            : null;

    /// <summary>The last local declared before <paramref name="position"/> as <c>context.Database.BeginTransaction[Async]()</c>.</summary>
    public static ILocalSymbol? EfTransactionBegunOn(ISymbol context, int position, IOperation root)
    {
        ILocalSymbol? found = null;
        var foundAt = -1;
        foreach (var operation in root.Descendants())
        {
            if (operation is IVariableDeclaratorOperation declarator && declarator.Syntax.SpanStart < position && declarator.Syntax.SpanStart > foundAt
                && declarator.GetVariableInitializer()?.Value is { } initializer
                && Operations.Unwrap(initializer) is IInvocationOperation { TargetMethod.Name: "BeginTransaction" or "BeginTransactionAsync", Instance: { } facade }
                && SymbolEqualityComparer.Default.Equals(ContextOfFacade(facade), context))
            {
                found = declarator.Symbol;
                foundAt = declarator.Syntax.SpanStart;
            }
        }

        return found;
    }

    /// <summary>
    /// Follows a local that is only ever a view of another transaction (<c>var npgsql = (NpgsqlTransaction)tx.GetDbTransaction();</c>,
    /// <c>tx as NpgsqlTransaction</c>) back to the transaction it names.
    /// </summary>
    public static ISymbol RootOf(ISymbol symbol, IOperation root, KnownSymbols symbols)
    {
        for (var depth = 0; depth < 8; depth++)
        {
            if (symbol is not ILocalSymbol local || IsReassigned(local, root) || (InitializerOf(local, root) ?? PatternSourceOf(local, root)) is not { } initializer
                || ReferencedTransaction(StripConversions(initializer, symbols), root, symbols) is not { } next
                || !symbols.IsTransaction(Operations.TypeOf(next)))
            {
                return symbol;
            }

            symbol = next;
        }

        return symbol;
    }

    /// <summary>The transaction <paramref name="transaction"/> and every local of the member that is a view of it.</summary>
    public static HashSet<ISymbol> AliasesOf(ISymbol transaction, IOperation root, KnownSymbols symbols)
    {
        var aliases = new HashSet<ISymbol>(SymbolEqualityComparer.Default) { transaction };
        foreach (var operation in root.Descendants())
        {
            var local = operation switch
            {
                IVariableDeclaratorOperation declarator => declarator.Symbol,
                IDeclarationPatternOperation { DeclaredSymbol: ILocalSymbol declared } => declared,
                _ => null,
            };

            if (local is not null && symbols.IsTransaction(local.Type)
                && SymbolEqualityComparer.Default.Equals(RootOf(local, root, symbols), transaction))
            {
                aliases.Add(local);
            }
        }

        return aliases;
    }

    /// <summary>The connection a local transaction was begun on (<c>var tx = await connection.BeginTransactionAsync()</c>), if it is named.</summary>
    public static ISymbol? ConnectionOf(HashSet<ISymbol> aliases, IOperation root, KnownSymbols symbols)
    {
        foreach (var operation in root.Descendants())
        {
            var (target, value) = operation switch
            {
                IVariableDeclaratorOperation declarator => ((ISymbol?)declarator.Symbol, declarator.GetVariableInitializer()?.Value),
                ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment => (local.Local, assignment.Value),
                _ => (null, null),
            };

            if (target is not null && value is not null && aliases.Contains(target)
                && Operations.Unwrap(value) is IInvocationOperation { TargetMethod.Name: "BeginTransaction" or "BeginTransactionAsync", Instance: { } owner }
                && symbols.IsConnection(owner.Type)
                && Operations.ReferencedSymbol(Operations.Unwrap(owner)) is { } connection)
            {
                return connection;
            }
        }

        return null;
    }

    /// <summary><c>if (tx.GetDbTransaction() is NpgsqlTransaction npgsql)</c>: the value the pattern local is matched from.</summary>
    private static IOperation? PatternSourceOf(ILocalSymbol local, IOperation root)
    {
        foreach (var operation in root.Descendants())
        {
            if (operation is IDeclarationPatternOperation { DeclaredSymbol: ILocalSymbol declared } pattern
                && SymbolEqualityComparer.Default.Equals(declared, local)
                && pattern.Parent is IIsPatternOperation isPattern)
            {
                return isPattern.Value;
            }
        }

        return null;
    }

    private static bool IsReassigned(ILocalSymbol local, IOperation root)
    {
        foreach (var operation in root.Descendants())
        {
            if (operation is IAssignmentOperation { Target: ILocalReferenceOperation target } && SymbolEqualityComparer.Default.Equals(target.Local, local))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// EF Core: <c>db.Database.BeginTransaction[Async]()</c> or <c>UseTransaction[Async]</c> runs before <paramref name="at"/> in the member
    /// (its result may be discarded: the context keeps it as <c>CurrentTransaction</c>), and no <c>CommitTransaction</c>/
    /// <c>RollbackTransaction</c> on the same context comes between. Queues.EntityFrameworkCore's <c>UseJobTransactionAsync(db)</c>
    /// counts as a <c>UseTransaction</c>: after it the context writes in the job's transaction.
    /// </summary>
    public static bool ContextHasTransactionAt(ISymbol dbContext, IOperation at, IOperation root, KnownSymbols symbols)
    {
        var open = false;
        var position = at.Syntax.SpanStart;
        var calls = new List<IInvocationOperation>();
        foreach (var operation in root.Descendants())
        {
            if (operation is IInvocationOperation invocation && invocation.Syntax.SpanStart < position)
            {
                calls.Add(invocation);
            }
        }

        calls.Sort(static (a, b) => a.Syntax.SpanStart.CompareTo(b.Syntax.SpanStart));
        foreach (var invocation in calls)
        {
            // Queues.EntityFrameworkCore: `await jobContext.UseJobTransactionAsync(db)` enlists db in the job's transaction.
            if (symbols.UseJobTransactionContext(invocation) is { } enlisted)
            {
                if (SymbolEqualityComparer.Default.Equals(Operations.ReferencedSymbol(Operations.Unwrap(enlisted)), dbContext))
                {
                    open = true;
                }

                continue;
            }

            var facade = invocation.Instance ?? (invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value : null);
            if (facade is null || Operations.Unwrap(facade) is not IPropertyReferenceOperation { Property.Name: "Database", Instance: { } context }
                || !SymbolEqualityComparer.Default.Equals(Operations.ReferencedSymbol(Operations.Unwrap(context)), dbContext))
            {
                continue;
            }

            switch (invocation.TargetMethod.Name)
            {
                case "BeginTransaction" or "BeginTransactionAsync" when !IsDiscarded(invocation):
                    // Kept in a variable: that variable is in scope (or not) and its own flow says when it ends.
                    break;
                case "BeginTransaction" or "BeginTransactionAsync" or "UseTransaction" or "UseTransactionAsync":
                    open = !(invocation.TargetMethod.Name.StartsWith("Use", System.StringComparison.Ordinal)
                        && invocation.Arguments.Length > 1 && Operations.IsNullConstant(invocation.Arguments[1].Value));
                    break;
                case "CommitTransaction" or "CommitTransactionAsync" or "RollbackTransaction" or "RollbackTransactionAsync":
                    open = false;
                    break;
            }
        }

        return open;
    }

    private static bool IsDiscarded(IOperation operation)
    {
        var current = operation;
        while (current.Parent is IAwaitOperation or IConversionOperation
            || current.Parent is IInvocationOperation { TargetMethod.Name: "ConfigureAwait" })
        {
            current = current.Parent;
        }

        return current.Parent is IExpressionStatementOperation;
    }

    public static bool IsBeginTransaction(IOperation operation) =>
        Operations.Unwrap(operation) is IInvocationOperation { TargetMethod.Name: "BeginTransaction" or "BeginTransactionAsync" };

    /// <summary>Commit, Rollback (not to a savepoint) or Dispose: after it the transaction can take no more work.</summary>
    public static bool IsFinishingCall(IInvocationOperation invocation)
    {
        switch (invocation.TargetMethod.Name)
        {
            case "Commit":
            case "CommitAsync":
            case "Dispose":
            case "DisposeAsync":
                return true;
            case "Rollback":
            case "RollbackAsync":
                foreach (var parameter in invocation.TargetMethod.Parameters)
                {
                    if (parameter.Type.SpecialType == SpecialType.System_String)
                    {
                        return false;
                    }
                }

                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// True when <paramref name="transaction"/> does something in <paramref name="root"/> besides carrying enqueues and being
    /// committed, rolled back or disposed: it is given to a command, a helper, Dapper, EF… — the method's other writes use it.
    /// EF Core transactions count as used whenever they exist, since the context's writes join them without naming them.
    /// </summary>
    public static bool CarriesOtherWork(ISymbol transaction, IOperation root, KnownSymbols symbols)
    {
        var type = Operations.TypeOf(transaction);
        if (symbols.IsEfTransaction(type) && !symbols.IsDbTransaction(type))
        {
            return true;
        }

        var aliases = AliasesOf(RootOf(transaction, root, symbols), root, symbols);
        foreach (var alias in aliases)
        {
            if (symbols.IsEfTransaction(Operations.TypeOf(alias)) && !symbols.IsDbTransaction(Operations.TypeOf(alias)))
            {
                return true;
            }
        }

        foreach (var operation in root.Descendants())
        {
            if (operation is ILocalReferenceOperation { IsDeclaration: true }
                || Operations.ReferencedSymbol(operation) is not { } referenced || !aliases.Contains(referenced))
            {
                continue;
            }

            if (!IsBookkeepingUse(operation, aliases, symbols))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsBookkeepingUse(IOperation reference, HashSet<ISymbol> aliases, KnownSymbols symbols)
    {
        var use = reference;
        while (true)
        {
            if (use.Parent is IConversionOperation conversion)
            {
                use = conversion;
            }
            else if (use.Parent is IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "GetDbTransaction" } getDbTransaction }
                && SymbolEqualityComparer.Default.Equals(getDbTransaction.TargetMethod.ContainingType, symbols.EfContextTransactionExtensions))
            {
                use = getDbTransaction;
            }
            else
            {
                break;
            }
        }

        switch (use.Parent)
        {
            case IArgumentOperation { Parent: IInvocationOperation invocation } argument:
                return EnqueueCall.TryCreate(invocation, symbols, out var call) && call.TransactionArgument == argument;
            case IInvocationOperation invocation when invocation.Instance == use:
                return IsFinishingCall(invocation);
            case ISimpleAssignmentOperation assignment when assignment.Target == use:
                return true;
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                // The initializer of a view of the same transaction; the view's own uses are looked at in turn.
                return aliases.Contains(declarator.Symbol);
            case IUsingOperation:
                return true;
            default:
                return false;
        }
    }

    /// <summary>The variable declarator of a local within <paramref name="root"/>, to read its initializer.</summary>
    public static IOperation? InitializerOf(ILocalSymbol local, IOperation root)
    {
        foreach (var operation in root.Descendants())
        {
            if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
            {
                return declarator.GetVariableInitializer()?.Value;
            }
        }

        return null;
    }
}
