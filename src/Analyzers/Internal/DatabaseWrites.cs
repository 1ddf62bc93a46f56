using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Queues.Analyzers.Internal;

internal enum DatabaseApi
{
    EfCore,
    Command,
    Dapper,
}

/// <summary>One call that writes to the database: EF Core, an ADO.NET command, or Dapper.</summary>
internal sealed class DatabaseWrite
{
    public DatabaseWrite(
        IInvocationOperation invocation, bool passesTransaction, ISymbol? connection, ISymbol? dbContext, IArgumentOperation? cancellationToken,
        bool ownConnection = false, DatabaseApi api = DatabaseApi.Command)
    {
        OwnConnection = ownConnection;
        Api = api;
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

    /// <summary>
    /// The write runs on a connection of its own (a command or batch made by an <c>NpgsqlDataSource</c>): it autocommits whatever
    /// transaction is in scope, unless an ambient <c>TransactionScope</c> enlists it.
    /// </summary>
    public bool OwnConnection { get; }

    public DatabaseApi Api { get; }

    public string Display => Invocation.TargetMethod.Name;
}

internal static class DatabaseWrites
{
    /// <summary>
    /// The writes <paramref name="function"/> itself performs (not those of nested lambdas or local functions). Command writes count
    /// only when the command is created here, so what it runs on is known; a command that came from elsewhere is left alone.
    /// </summary>
    /// <remarks>
    /// Whether a call writes is decided from its SQL where that is known at compile time (<see cref="SqlText"/>), else from the API:
    /// a non-query (<c>ExecuteNonQuery</c>, Dapper's <c>Execute</c>, <c>ExecuteSql…</c>, a batch's non-query) is taken to write, and a
    /// reader, scalar or Dapper query is taken to read. That is the likely meaning of each API, and the direction that keeps the
    /// rule free of false alarms on the many reads that build SQL at run time.
    /// </remarks>
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
        var root = Operations.Root(function);

        if (name is "SaveChanges" or "SaveChangesAsync" && invocation.Instance is { } context && symbols.IsDbContext(context.Type))
        {
            return new DatabaseWrite(invocation, false, null, Operations.ReferencedSymbol(Operations.Unwrap(context)), CancellationTokenArgument(invocation), api: DatabaseApi.EfCore);
        }

        if (name is "ExecuteUpdate" or "ExecuteUpdateAsync" or "ExecuteDelete" or "ExecuteDeleteAsync"
            && (Is(containing, symbols.EfRelationalQueryableExtensions) || Is(containing, symbols.EfQueryableExtensions)))
        {
            return new DatabaseWrite(invocation, false, null, ContextOf(invocation, symbols), CancellationTokenArgument(invocation), api: DatabaseApi.EfCore);
        }

        if (name.StartsWith("ExecuteSql", System.StringComparison.Ordinal) && Is(containing, symbols.EfRelationalDatabaseFacadeExtensions))
        {
            var sql = invocation.Arguments.Length > 1 ? SqlText.Classify(SqlText.TextOf(invocation.Arguments[1].Value, root)) : SqlKind.Unknown;
            return sql is SqlKind.Write or SqlKind.Unknown
                ? new DatabaseWrite(invocation, false, null, ContextOf(invocation, symbols), CancellationTokenArgument(invocation), api: DatabaseApi.EfCore)
                : null;
        }

        if (Is(containing, symbols.DapperSqlMapper) && method.IsExtensionMethod && DapperWritesByDefault(name) is { } writesByDefault)
        {
            return ClassifyDapper(invocation, method, writesByDefault, root, symbols);
        }

        if (name is "BeginBinaryImport" or "BeginBinaryImportAsync" or "BeginTextImport" or "BeginTextImportAsync" or "BeginRawBinaryCopy" or "BeginRawBinaryCopyAsync"
            && invocation.Instance is { } importer && symbols.IsConnection(importer.Type))
        {
            // COPY … FROM STDIN through Npgsql's importers: a bulk write (COPY … TO, an export, reads).
            var copy = invocation.Arguments.Length > 0 ? SqlText.Classify(SqlText.TextOf(invocation.Arguments[0].Value, root)) : SqlKind.Unknown;
            var importerValue = Operations.Unwrap(importer);
            return IsWrite(copy, writesByDefault: true)
                ? new DatabaseWrite(invocation, IsTransactionConnection(importerValue, symbols), Operations.ReferencedSymbol(importerValue), null, CancellationTokenArgument(invocation))
                : null;
        }

        if (invocation.Instance is { } instance && ExecutesByDefault(name) is { } isNonQuery)
        {
            if (symbols.IsCommand(instance.Type))
            {
                return ClassifyCommand(invocation, Operations.Unwrap(instance), isNonQuery, root, symbols, batch: false);
            }

            if (symbols.IsBatch(instance.Type))
            {
                return ClassifyCommand(invocation, Operations.Unwrap(instance), isNonQuery, root, symbols, batch: true);
            }
        }

        return null;
    }

    /// <summary>Command and batch execution methods: true for the non-query ones, false for readers and scalars, null otherwise.</summary>
    private static bool? ExecutesByDefault(string name) => name switch
    {
        "ExecuteNonQuery" or "ExecuteNonQueryAsync" => true,
        "ExecuteScalar" or "ExecuteScalarAsync" or "ExecuteReader" or "ExecuteReaderAsync" => false,
        _ => null,
    };

    private static bool? DapperWritesByDefault(string name)
    {
        if (name is "Execute" or "ExecuteAsync")
        {
            return true;
        }

        return name.StartsWith("Query", System.StringComparison.Ordinal) || name.StartsWith("ExecuteScalar", System.StringComparison.Ordinal)
            || name.StartsWith("ExecuteReader", System.StringComparison.Ordinal)
            ? false
            : null;
    }

    private static DatabaseWrite? ClassifyDapper(IInvocationOperation invocation, IMethodSymbol method, bool writesByDefault, IOperation root, KnownSymbols symbols)
    {
        var passes = false;
        var ownConnection = false;
        ISymbol? connection = null;
        var kind = SqlKind.Unknown;
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is null)
            {
                continue;
            }

            if (argument.Parameter.Name == "sql")
            {
                kind = SqlText.Classify(SqlText.TextOf(argument.Value, root));
            }
            else if (argument.Parameter.Ordinal == 0)
            {
                var value = Operations.Unwrap(argument.Value);
                connection = Operations.ReferencedSymbol(value);
                passes |= IsTransactionConnection(value, symbols);

                // dataSource.CreateConnection().Execute(…): a connection of its own, used once.
                ownConnection |= value is IInvocationOperation { TargetMethod.Name: "CreateConnection" or "OpenConnection" or "OpenConnectionAsync", Instance: { } source }
                    && symbols.IsDataSource(source.Type);
            }
            else if (symbols.IsDbTransaction(argument.Parameter.Type))
            {
                passes |= argument.ArgumentKind != ArgumentKind.DefaultValue && !Operations.IsNullConstant(argument.Value);
            }
        }

        return IsWrite(kind, writesByDefault)
            ? new DatabaseWrite(invocation, passes, connection, null, CancellationTokenArgument(invocation), ownConnection, DatabaseApi.Dapper)
            : null;
    }

    private static bool IsWrite(SqlKind kind, bool writesByDefault) => kind == SqlKind.Write || (kind == SqlKind.Unknown && writesByDefault);

    private static DatabaseWrite? ClassifyCommand(IInvocationOperation invocation, IOperation command, bool isNonQuery, IOperation root, KnownSymbols symbols, bool batch)
    {
        IOperation? creation = command;
        ILocalSymbol? local = null;
        if (command is ILocalReferenceOperation reference)
        {
            local = reference.Local;
            creation = TransactionFacts.InitializerOf(local, root);
        }

        creation = creation is null ? null : Operations.Unwrap(creation);
        var passes = false;
        var ownConnection = false;
        ISymbol? connection = null;
        var kind = SqlKind.Unknown;
        var texts = new List<IOperation>();
        switch (creation)
        {
            case IObjectCreationOperation objectCreation:
                foreach (var argument in objectCreation.Arguments)
                {
                    if (argument.Parameter is null || argument.ArgumentKind == ArgumentKind.DefaultValue)
                    {
                        continue;
                    }

                    if (argument.Parameter.Type.SpecialType == SpecialType.System_String)
                    {
                        texts.Add(argument.Value);
                    }
                    else if (symbols.IsConnection(argument.Parameter.Type))
                    {
                        var value = Operations.Unwrap(argument.Value);
                        connection = Operations.ReferencedSymbol(value);
                        passes |= IsTransactionConnection(value, symbols);
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
                        Apply(member, ref passes, ref connection, texts, symbols);
                    }
                }

                break;
            case IInvocationOperation { TargetMethod.Name: "CreateCommand" or "CreateBatch", Instance: { } owner } create:
                var ownerValue = Operations.Unwrap(owner);
                if (symbols.IsConnection(owner.Type))
                {
                    connection = Operations.ReferencedSymbol(ownerValue);
                    passes |= IsTransactionConnection(ownerValue, symbols);
                }
                else if (symbols.IsDataSource(owner.Type))
                {
                    ownConnection = true;
                }
                else
                {
                    return null;
                }

                foreach (var argument in create.Arguments)
                {
                    if (argument.ArgumentKind != ArgumentKind.DefaultValue && argument.Parameter?.Type.SpecialType == SpecialType.System_String)
                    {
                        texts.Add(argument.Value);
                    }
                }

                break;
            default:
                // Came from elsewhere: what it runs on is not known here.
                return null;
        }

        if (local is not null)
        {
            foreach (var operation in root.Descendants())
            {
                if (operation is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Instance: ILocalReferenceOperation target } } assignment
                    && SymbolEqualityComparer.Default.Equals(target.Local, local))
                {
                    Apply(assignment, ref passes, ref connection, texts, symbols);
                }
            }
        }

        if (batch)
        {
            // The statements of a batch: every batch command made in this member (a conservative superset of this batch's).
            foreach (var operation in root.Descendants())
            {
                if (operation is IObjectCreationOperation batchCommand && symbols.IsBatchCommand(batchCommand.Type))
                {
                    var hasText = false;
                    foreach (var argument in batchCommand.Arguments)
                    {
                        if (argument.ArgumentKind != ArgumentKind.DefaultValue && argument.Parameter?.Type.SpecialType == SpecialType.System_String)
                        {
                            texts.Add(argument.Value);
                            hasText = true;
                        }
                    }

                    foreach (var member in batchCommand.Initializer?.Initializers ?? ImmutableArray<IOperation>.Empty)
                    {
                        if (member is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property.Name: "CommandText" } } text)
                        {
                            texts.Add(text.Value);
                            hasText = true;
                        }
                    }

                    if (!hasText)
                    {
                        kind = SqlKind.Write;
                    }
                }
            }
        }

        if (kind != SqlKind.Write)
        {
            kind = texts.Count == 0 ? SqlKind.Unknown : SqlKind.NotData;
            foreach (var text in texts)
            {
                var textKind = SqlText.Classify(SqlText.TextOf(text, root));
                if (textKind == SqlKind.Write || (textKind == SqlKind.Unknown && kind != SqlKind.Write))
                {
                    kind = textKind;
                }
                else if (textKind == SqlKind.Read && kind == SqlKind.NotData)
                {
                    kind = SqlKind.Read;
                }
            }
        }

        return IsWrite(kind, isNonQuery)
            ? new DatabaseWrite(invocation, passes, connection, null, CancellationTokenArgument(invocation), ownConnection, DatabaseApi.Command)
            : null;
    }

    private static void Apply(IOperation member, ref bool passes, ref ISymbol? connection, List<IOperation> texts, KnownSymbols symbols)
    {
        if (member is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation property } assignment)
        {
            switch (property.Property.Name)
            {
                case "Transaction":
                    passes |= !Operations.IsNullConstant(assignment.Value);
                    break;
                case "Connection":
                    var value = Operations.Unwrap(assignment.Value);
                    connection = Operations.ReferencedSymbol(value);
                    passes |= IsTransactionConnection(value, symbols);
                    break;
                case "CommandText":
                    texts.Add(assignment.Value);
                    break;
            }
        }
    }

    /// <summary><c>tx.Connection</c>: a command on it runs inside <c>tx</c> (Npgsql runs every command of a connection in its transaction).</summary>
    private static bool IsTransactionConnection(IOperation connection, KnownSymbols symbols) =>
        Operations.Unwrap(connection) is IPropertyReferenceOperation { Property.Name: "Connection", Instance: { } owner } && symbols.IsDbTransaction(owner.Type);

    /// <summary>The context an EF Core call works on: <c>db.Orders.Where(…).ExecuteDelete()</c> → <c>db</c>; <c>db.Database.ExecuteSql…</c> → <c>db</c>.</summary>
    private static ISymbol? ContextOf(IInvocationOperation invocation, KnownSymbols symbols)
    {
        IOperation? current = invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value : invocation.Instance;
        for (var depth = 0; current is not null && depth < 16; depth++)
        {
            current = Operations.Unwrap(current);
            switch (current)
            {
                case IInvocationOperation call:
                    current = call.Instance ?? (call.Arguments.Length > 0 ? call.Arguments[0].Value : null);
                    break;
                case IPropertyReferenceOperation { Instance: { } owner }:
                    if (symbols.IsDbContext(owner.Type))
                    {
                        return Operations.ReferencedSymbol(Operations.Unwrap(owner));
                    }

                    current = owner;
                    break;
                default:
                    return null;
            }
        }

        return null;
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
