using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Queues.Analyzers.Internal;

namespace Queues.Analyzers;

/// <summary>
/// QUE0101: an enqueue that does not use the transaction the method's other work is in. Either a fire-and-forget overload (no
/// transaction parameter) while a transaction is still open (<see cref="OpenTransactions"/>; once it has ended, QUE0102 judges
/// the call), or a transaction that only carries enqueues (typically begun just for them) while another one — an ADO.NET
/// transaction used for writes, an EF Core <c>IDbContextTransaction</c>, an ambient <c>TransactionScope</c> — is in scope.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class EnqueueOutsideTransactionAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Diagnostic property: the name of the transaction to pass (absent when only a TransactionScope is in scope).</summary>
    public const string TransactionProperty = "Transaction";

    /// <summary>Diagnostic property: <see cref="ConversionNone"/>, <see cref="ConversionCast"/> or <see cref="ConversionEfCore"/>.</summary>
    public const string ConversionProperty = "Conversion";

    /// <summary>Diagnostic property: the fully qualified transaction parameter type, for a cast.</summary>
    public const string CastToProperty = "CastTo";

    /// <summary>Diagnostic property: present for a non-transactional enqueue; the parameter of the transactional sibling to add.</summary>
    public const string InsertParameterNameProperty = "InsertParameterName";

    /// <summary>Diagnostic property: the position of that parameter.</summary>
    public const string InsertParameterIndexProperty = "InsertParameterIndex";

    public const string ConversionNone = "None";
    public const string ConversionCast = "Cast";
    public const string ConversionEfCore = "EfCore";

    /// <summary>The transaction property names a DbContext; the fix passes <c>{name}.Database.GetNpgsqlTransaction()</c>.</summary>
    public const string ConversionEfFacade = "EfFacade";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.EnqueueOutsideTransaction);

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

        var graphContext = context;
        if (Decide(call, context.ContainingSymbol, symbols, () => graphContext.GetControlFlowGraph()) is { } finding)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.EnqueueOutsideTransaction,
                call.Invocation.Syntax.GetLocation(),
                finding.Properties,
                call.DisplayName,
                finding.Display));
        }
    }

    /// <summary>
    /// What QUE0101 reports for <paramref name="call"/>, or <see langword="null"/>. QUE0105 asks too: a transaction begun just for the
    /// job while the write's transaction is in scope is one mistake, reported once, by this rule (whose fix passes the right one).
    /// </summary>
    internal static (ImmutableDictionary<string, string?> Properties, string Display)? Decide(
        EnqueueCall call, ISymbol containingSymbol, KnownSymbols symbols, System.Func<ControlFlowGraph> memberGraph)
    {
        var root = Operations.Root(call.Invocation);
        List<TransactionInScope> transactions;
        bool ambientScope;
        if (call.IsTransactional)
        {
            var scope = TransactionFacts.InScopeAt(call.Invocation, root, containingSymbol, symbols);
            (transactions, ambientScope) = (scope.Transactions, scope.AmbientScope);
        }
        else
        {
            // A fire-and-forget enqueue is judged against the transactions still open here: after the commit it is QUE0102's.
            var open = OpenTransactions.At(call.Invocation, root, containingSymbol, symbols, memberGraph);
            (transactions, ambientScope) = (open.Transactions, open.AmbientScope);
            if (transactions.Count == 0 && !ambientScope && open.Contexts.Count > 0)
            {
                return OnContext(call, symbols, open.Contexts.Count == 1 ? open.Contexts[0] : null);
            }
        }

        if (transactions.Count == 0 && !ambientScope)
        {
            return null;
        }

        ITypeSymbol? targetType;
        IParameterSymbol? insert = null;
        ISymbol? own = null;
        bool requireCarrying;
        if (call.TransactionArgument is { } argument)
        {
            targetType = argument.Parameter?.Type;
            var transactionRoot = TransactionFacts.ResolveRoot(argument.Value, symbols);
            switch (transactionRoot.Kind)
            {
                case TransactionRootKind.Symbol:
                    own = transactionRoot.Symbol!;
                    if (TransactionFacts.CarriesOtherWork(own, root, symbols))
                    {
                        return null;
                    }

                    requireCarrying = true;
                    break;
                case TransactionRootKind.Fresh:
                    requireCarrying = false;
                    break;
                default:
                    return null;
            }
        }
        else
        {
            insert = EnqueueCall.FindTransactionalSibling(call.Method, symbols, call.JobName);
            targetType = insert?.Type;
            requireCarrying = false;
        }

        TransactionInScope? best = null;
        var bestCarries = false;
        foreach (var candidate in transactions)
        {
            if (own is not null && SymbolEqualityComparer.Default.Equals(TransactionFacts.RootOf(candidate.Symbol, root, symbols), own))
            {
                // The same transaction under another name (a cast or GetDbTransaction() kept in a local).
                continue;
            }

            var carries = TransactionFacts.CarriesOtherWork(candidate.Symbol, root, symbols);
            if (requireCarrying && !carries)
            {
                continue;
            }

            if (best is null || (carries && !bestCarries) || (carries == bestCarries && candidate.Position > best.Value.Position))
            {
                best = candidate;
                bestCarries = carries;
            }
        }

        if (best is null && !ambientScope)
        {
            return null;
        }

        var properties = ImmutableDictionary.CreateBuilder<string, string?>();
        string display;
        if (best is { } chosen)
        {
            display = "'" + chosen.Symbol.Name + "'";
            if (targetType is not null && (call.IsTransactional || insert is not null))
            {
                properties[TransactionProperty] = chosen.Symbol.Name;
                properties[ConversionProperty] = Conversion(chosen, targetType, symbols);
                if (properties[ConversionProperty] == ConversionEfCore && EfFacadeFor(chosen.Symbol, root, targetType, symbols) is { } dbContext)
                {
                    // Queues.EntityFrameworkCore names the NpgsqlTransaction under the context's transaction without a cast.
                    properties[TransactionProperty] = dbContext.Name;
                    properties[ConversionProperty] = ConversionEfFacade;
                }

                properties[CastToProperty] = targetType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
                if (insert is not null)
                {
                    properties[InsertParameterNameProperty] = insert.Name;
                    properties[InsertParameterIndexProperty] = insert.Ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        else
        {
            display = "the ambient TransactionScope";
        }

        return (properties.ToImmutable(), display);
    }

    /// <summary>
    /// The context an EF Core transaction local was begun on (<c>var tx = await db.Database.BeginTransactionAsync()</c>), when
    /// Queues.EntityFrameworkCore is referenced and its <c>GetNpgsqlTransaction()</c> fits the parameter.
    /// </summary>
    private static ISymbol? EfFacadeFor(ISymbol transaction, IOperation root, ITypeSymbol targetType, KnownSymbols symbols)
    {
        if (transaction is not ILocalSymbol local || !GetNpgsqlTransactionFits(targetType, symbols)
            || TransactionFacts.InitializerOf(local, root) is not { } initializer
            || Operations.Unwrap(initializer) is not IInvocationOperation { TargetMethod.Name: "BeginTransaction" or "BeginTransactionAsync", Instance: { } facade })
        {
            return null;
        }

        return TransactionFacts.ContextOfFacade(facade);
    }

    private static bool GetNpgsqlTransactionFits(ITypeSymbol? targetType, KnownSymbols symbols) =>
        symbols.QueuesDbContextExtensions is not null && targetType is INamedTypeSymbol named
        && KnownSymbols.IsOrDerives(symbols.QueuesDbContextExtensions.GetMembers("GetNpgsqlTransaction").OfType<IMethodSymbol>().FirstOrDefault()?.ReturnType, named);

    /// <summary>
    /// A fire-and-forget enqueue while a DbContext's transaction (begun without a variable, or the job's after
    /// <c>UseJobTransactionAsync(db)</c>) is open: the fix passes <c>db.Database.GetNpgsqlTransaction()</c> when exactly one context
    /// is open and Queues.EntityFrameworkCore is referenced.
    /// </summary>
    private static (ImmutableDictionary<string, string?> Properties, string Display) OnContext(EnqueueCall call, KnownSymbols symbols, ISymbol? dbContext)
    {
        var properties = ImmutableDictionary.CreateBuilder<string, string?>();
        var display = dbContext is null ? "the DbContext's transaction" : "'" + dbContext.Name + ".Database.CurrentTransaction'";
        if (dbContext is not null && symbols.QueuesDbContextExtensions is not null
            && EnqueueCall.FindTransactionalSibling(call.Method, symbols, call.JobName) is { } insert
            && GetNpgsqlTransactionFits(insert.Type, symbols))
        {
            properties[TransactionProperty] = dbContext.Name;
            properties[ConversionProperty] = ConversionEfFacade;
            properties[CastToProperty] = insert.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
            properties[InsertParameterNameProperty] = insert.Name;
            properties[InsertParameterIndexProperty] = insert.Ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return (properties.ToImmutable(), display);
    }

    private static string Conversion(TransactionInScope chosen, ITypeSymbol targetType, KnownSymbols symbols)
    {
        var type = Operations.TypeOf(chosen.Symbol);
        if (chosen.Kind == TransactionKind.Ef)
        {
            return ConversionEfCore;
        }

        return targetType is INamedTypeSymbol named && KnownSymbols.IsOrDerives(type, named) ? ConversionNone : ConversionCast;
    }
}
