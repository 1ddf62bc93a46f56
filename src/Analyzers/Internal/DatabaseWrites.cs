using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Queues.Analyzers.Internal;

/// <summary>One call that writes to the database: EF Core, an ADO.NET command, or Dapper.</summary>
internal sealed class DatabaseWrite
{
    public DatabaseWrite(IInvocationOperation invocation, bool passesTransaction, ISymbol? connection, ISymbol? dbContext, IArgumentOperation? cancellationToken)
    {
        Invocation = invocation;
        PassesTransaction = passesTransaction;
        Connection = connection;
        DbContext = dbContext;
        CancellationToken = cancellationToken;
    }

    public IInvocationOperation Invocation { get; }

    /// <summary>The write names a transaction itself (a command's <c>Transaction</c>, Dapper's <c>transaction:</c>).</summary>
    public bool PassesTransaction { get; }

    /// <summary>The connection the write goes through, when it is a local, parameter or field.</summary>
    public ISymbol? Connection { get; }

    /// <summary>For EF Core writes: the context, when it is a local, parameter or field.</summary>
    public ISymbol? DbContext { get; }

    /// <summary>The <c>CancellationToken</c> argument the call passes explicitly, if any.</summary>
    public IArgumentOperation? CancellationToken { get; }

    public string Display => Invocation.TargetMethod.Name;
}

internal static class DatabaseWrites
{
    /// <summary>
    /// The writes <paramref name="function"/> itself performs (not those of nested lambdas or local functions). Command writes count
    /// only when the command is created here, so what it runs on is known; a command that came from elsewhere is left alone.
    /// </summary>
    public static List<DatabaseWrite> In(IOperation function, KnownSymbols symbols)
    {
        var writes = new List<DatabaseWrite>();
        foreach (var operation in Operations.OwnDescendants(function))
        {
            if (operation is IInvocationOperation invocation && Classify(invocation, function, symbols) is { } write)
            {
                writes.Add(write);
            }
        }

        writes.Sort(static (a, b) => a.Invocation.Syntax.SpanStart.CompareTo(b.Invocation.Syntax.SpanStart));
        return writes;
    }

    private static DatabaseWrite? Classify(IInvocationOperation invocation, IOperation function, KnownSymbols symbols)
    {
        var method = invocation.TargetMethod.ReducedFrom ?? invocation.TargetMethod;
        var name = method.Name;
        var containing = method.ContainingType;

        if (name is "SaveChanges" or "SaveChangesAsync" && invocation.Instance is { } context && symbols.IsDbContext(context.Type))
        {
            return new DatabaseWrite(invocation, false, null, Operations.ReferencedSymbol(Operations.Unwrap(context)), CancellationTokenArgument(invocation));
        }

        if (name is "ExecuteUpdate" or "ExecuteUpdateAsync" or "ExecuteDelete" or "ExecuteDeleteAsync"
            && (Is(containing, symbols.EfRelationalQueryableExtensions) || Is(containing, symbols.EfQueryableExtensions)))
        {
            return new DatabaseWrite(invocation, false, null, null, CancellationTokenArgument(invocation));
        }

        if (name.StartsWith("ExecuteSql", System.StringComparison.Ordinal) && Is(containing, symbols.EfRelationalDatabaseFacadeExtensions))
        {
            return new DatabaseWrite(invocation, false, null, null, CancellationTokenArgument(invocation));
        }

        if (name is "Execute" or "ExecuteAsync" or "ExecuteScalar" or "ExecuteScalarAsync" && Is(containing, symbols.DapperSqlMapper))
        {
            var passes = false;
            ISymbol? connection = null;
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter is null)
                {
                    continue;
                }

                if (argument.Parameter.Name == "sql" && IsSchemaChange(argument.Value))
                {
                    return null;
                }

                if (argument.Parameter.Ordinal == 0 && method.IsExtensionMethod)
                {
                    connection = Operations.ReferencedSymbol(Operations.Unwrap(argument.Value));
                }
                else if (symbols.IsDbTransaction(argument.Parameter.Type))
                {
                    passes = argument.ArgumentKind != ArgumentKind.DefaultValue && !Operations.IsNullConstant(argument.Value);
                }
            }

            return new DatabaseWrite(invocation, passes, connection, null, CancellationTokenArgument(invocation));
        }

        if (name is "ExecuteNonQuery" or "ExecuteNonQueryAsync" or "ExecuteScalar" or "ExecuteScalarAsync"
            && invocation.Instance is { } command && symbols.IsCommand(command.Type))
        {
            return ClassifyCommand(invocation, Operations.Unwrap(command), function, symbols);
        }

        return null;
    }

    private static DatabaseWrite? ClassifyCommand(IInvocationOperation invocation, IOperation command, IOperation function, KnownSymbols symbols)
    {
        IOperation? creation = command;
        ILocalSymbol? local = null;
        if (command is ILocalReferenceOperation reference)
        {
            local = reference.Local;
            creation = TransactionFacts.InitializerOf(local, Operations.Root(function));
        }

        creation = creation is null ? null : Operations.Unwrap(creation);
        var passes = false;
        ISymbol? connection = null;
        switch (creation)
        {
            case IObjectCreationOperation objectCreation:
                foreach (var argument in objectCreation.Arguments)
                {
                    if (argument.Parameter is null || argument.ArgumentKind == ArgumentKind.DefaultValue)
                    {
                        continue;
                    }

                    if (argument.Parameter.Type.SpecialType == SpecialType.System_String && IsSchemaChange(argument.Value))
                    {
                        return null;
                    }

                    if (symbols.IsConnection(argument.Parameter.Type))
                    {
                        connection = Operations.ReferencedSymbol(Operations.Unwrap(argument.Value));
                    }
                    else if (symbols.IsDbTransaction(argument.Parameter.Type))
                    {
                        passes |= !Operations.IsNullConstant(argument.Value);
                    }
                }

                if (objectCreation.Initializer is { } initializer)
                {
                    foreach (var member in initializer.Initializers)
                    {
                        Apply(member, ref passes, ref connection);
                    }
                }

                break;
            case IInvocationOperation { TargetMethod.Name: "CreateCommand", Instance: { } owner } when symbols.IsConnection(owner.Type):
                connection = Operations.ReferencedSymbol(Operations.Unwrap(owner));
                break;
            default:
                // Came from elsewhere: what it runs on is not known here.
                return null;
        }

        if (local is not null)
        {
            foreach (var operation in Operations.Root(function).Descendants())
            {
                if (operation is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Instance: ILocalReferenceOperation target } property } assignment
                    && SymbolEqualityComparer.Default.Equals(target.Local, local))
                {
                    if (property.Property.Name == "CommandText" && IsSchemaChange(assignment.Value))
                    {
                        return null;
                    }

                    Apply(operation, ref passes, ref connection);
                }
            }
        }

        return new DatabaseWrite(invocation, passes, connection, null, CancellationTokenArgument(invocation));
    }

    /// <summary>
    /// Constant DDL (<c>CREATE TABLE IF NOT EXISTS …</c> at startup) changes the schema, not the business data a job refers to; an
    /// enqueue beside it is not a dual write.
    /// </summary>
    private static bool IsSchemaChange(IOperation sql)
    {
        if (sql.ConstantValue is not { HasValue: true, Value: string text })
        {
            return false;
        }

        text = text.TrimStart();
        foreach (var keyword in SchemaKeywords)
        {
            if (text.StartsWith(keyword, System.StringComparison.OrdinalIgnoreCase)
                && (text.Length == keyword.Length || char.IsWhiteSpace(text[keyword.Length])))
            {
                return true;
            }
        }

        return false;
    }

    private static readonly string[] SchemaKeywords = { "CREATE", "ALTER", "DROP", "GRANT", "REVOKE", "COMMENT" };

    private static void Apply(IOperation member, ref bool passes, ref ISymbol? connection)
    {
        if (member is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation property } assignment)
        {
            switch (property.Property.Name)
            {
                case "Transaction":
                    passes |= !Operations.IsNullConstant(assignment.Value);
                    break;
                case "Connection":
                    connection = Operations.ReferencedSymbol(Operations.Unwrap(assignment.Value));
                    break;
            }
        }
    }

    private static IArgumentOperation? CancellationTokenArgument(IInvocationOperation invocation)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.ArgumentKind != ArgumentKind.DefaultValue
                && argument.Parameter?.Type is { Name: "CancellationToken", ContainingNamespace.Name: "Threading" })
            {
                return argument;
            }
        }

        return null;
    }

    private static bool Is(INamedTypeSymbol? type, INamedTypeSymbol? expected) =>
        expected is not null && SymbolEqualityComparer.Default.Equals(type?.OriginalDefinition, expected);
}
