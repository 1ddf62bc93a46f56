using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Queues.Analyzers.Internal;

/// <summary>
/// The types the usage rules look at, resolved once per compilation by metadata name. Nothing here references EF Core,
/// Dapper or Npgsql: an app that does not use one of them simply gets <see langword="null"/> for its types.
/// </summary>
internal sealed class KnownSymbols
{
    public const string JobEnqueueMethodAttributeName = "Queues.JobEnqueueMethodAttribute";
    public const string QueuesClientName = "Queues.QueuesClient";
    public const string DbContextTransactionExtensionsName = "Microsoft.EntityFrameworkCore.Storage.DbContextTransactionExtensions";
    public const string QueuesDbContextExtensionsName = "Queues.QueuesDbContextExtensions";

    private KnownSymbols(Compilation compilation, INamedTypeSymbol enqueueMethodAttribute)
    {
        EnqueueMethodAttribute = enqueueMethodAttribute;
        QueuesClient = compilation.GetTypeByMetadataName(QueuesClientName);
        DbTransaction = compilation.GetTypeByMetadataName("System.Data.Common.DbTransaction");
        DataTransaction = compilation.GetTypeByMetadataName("System.Data.IDbTransaction");
        DbConnection = compilation.GetTypeByMetadataName("System.Data.Common.DbConnection");
        DataConnection = compilation.GetTypeByMetadataName("System.Data.IDbConnection");
        DbCommand = compilation.GetTypeByMetadataName("System.Data.Common.DbCommand");
        DataCommand = compilation.GetTypeByMetadataName("System.Data.IDbCommand");
        DbBatch = compilation.GetTypeByMetadataName("System.Data.Common.DbBatch");
        DbBatchCommand = compilation.GetTypeByMetadataName("System.Data.Common.DbBatchCommand");
        NpgsqlBatch = compilation.GetTypeByMetadataName("Npgsql.NpgsqlBatch");
        NpgsqlBatchCommand = compilation.GetTypeByMetadataName("Npgsql.NpgsqlBatchCommand");
        DbDataSource = compilation.GetTypeByMetadataName("System.Data.Common.DbDataSource");
        NpgsqlDataSource = compilation.GetTypeByMetadataName("Npgsql.NpgsqlDataSource");
        TransactionScope = compilation.GetTypeByMetadataName("System.Transactions.TransactionScope");
        EfDbContext = compilation.GetTypeByMetadataName("Microsoft.EntityFrameworkCore.DbContext");
        EfContextTransaction = compilation.GetTypeByMetadataName("Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction");
        EfContextTransactionExtensions = compilation.GetTypeByMetadataName(DbContextTransactionExtensionsName);
        EfRelationalQueryableExtensions = compilation.GetTypeByMetadataName("Microsoft.EntityFrameworkCore.RelationalQueryableExtensions");
        EfQueryableExtensions = compilation.GetTypeByMetadataName("Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions");
        EfRelationalDatabaseFacadeExtensions = compilation.GetTypeByMetadataName("Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions");
        DapperSqlMapper = compilation.GetTypeByMetadataName("Dapper.SqlMapper");
        QueuesDbContextExtensions = compilation.GetTypeByMetadataName(QueuesDbContextExtensionsName);
    }

    public INamedTypeSymbol EnqueueMethodAttribute { get; }

    public INamedTypeSymbol? QueuesClient { get; }

    public INamedTypeSymbol? DbTransaction { get; }

    public INamedTypeSymbol? DataTransaction { get; }

    public INamedTypeSymbol? DbConnection { get; }

    public INamedTypeSymbol? DataConnection { get; }

    public INamedTypeSymbol? DbCommand { get; }

    public INamedTypeSymbol? DataCommand { get; }

    public INamedTypeSymbol? DbBatch { get; }

    public INamedTypeSymbol? DbBatchCommand { get; }

    public INamedTypeSymbol? NpgsqlBatch { get; }

    public INamedTypeSymbol? NpgsqlBatchCommand { get; }

    public INamedTypeSymbol? DbDataSource { get; }

    public INamedTypeSymbol? NpgsqlDataSource { get; }

    public INamedTypeSymbol? TransactionScope { get; }

    public INamedTypeSymbol? EfDbContext { get; }

    public INamedTypeSymbol? EfContextTransaction { get; }

    public INamedTypeSymbol? EfContextTransactionExtensions { get; }

    public INamedTypeSymbol? EfRelationalQueryableExtensions { get; }

    public INamedTypeSymbol? EfQueryableExtensions { get; }

    public INamedTypeSymbol? EfRelationalDatabaseFacadeExtensions { get; }

    public INamedTypeSymbol? DapperSqlMapper { get; }

    /// <summary>Queues.EntityFrameworkCore: <c>GetNpgsqlTransaction()</c> and <c>UseJobTransactionAsync(dbContext)</c>; null when not referenced.</summary>
    public INamedTypeSymbol? QueuesDbContextExtensions { get; }

    /// <summary><c>db.Database.GetNpgsqlTransaction()</c>: the facade's receiver (<c>db.Database</c>), else <see langword="null"/>.</summary>
    public IOperation? GetNpgsqlTransactionFacade(IOperation operation) =>
        operation is IInvocationOperation { TargetMethod.Name: "GetNpgsqlTransaction", Arguments.Length: 1 } invocation
            && QueuesDbContextExtensions is not null
            && SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, QueuesDbContextExtensions)
            ? invocation.Arguments[0].Value
            : null;

    /// <summary><c>jobContext.UseJobTransactionAsync(db)</c>: the context argument, else <see langword="null"/>.</summary>
    public IOperation? UseJobTransactionContext(IInvocationOperation invocation) =>
        invocation is { TargetMethod.Name: "UseJobTransactionAsync" } && invocation.Arguments.Length >= 2
            && QueuesDbContextExtensions is not null
            && SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, QueuesDbContextExtensions)
            ? invocation.Arguments[1].Value
            : null;

    /// <summary>Returns <see langword="null"/> when the Queues runtime is not referenced: then nothing in the compilation can enqueue.</summary>
    public static KnownSymbols? TryCreate(Compilation compilation)
    {
        var attribute = compilation.GetTypeByMetadataName(JobEnqueueMethodAttributeName);
        return attribute is null ? null : new KnownSymbols(compilation, attribute);
    }

    /// <summary>An ADO.NET transaction: derives from <c>DbTransaction</c> or implements <c>IDbTransaction</c>.</summary>
    public bool IsDbTransaction(ITypeSymbol? type) => IsOrDerives(type, DbTransaction) || Implements(type, DataTransaction);

    /// <summary>An EF Core <c>IDbContextTransaction</c>.</summary>
    public bool IsEfTransaction(ITypeSymbol? type) => IsOrDerives(type, EfContextTransaction) || Implements(type, EfContextTransaction);

    /// <summary>Anything an enqueue could be made inside: an ADO.NET or an EF Core transaction.</summary>
    public bool IsTransaction(ITypeSymbol? type) => IsDbTransaction(type) || IsEfTransaction(type);

    public bool IsTransactionScope(ITypeSymbol? type) => IsOrDerives(type, TransactionScope);

    public bool IsConnection(ITypeSymbol? type) => IsOrDerives(type, DbConnection) || Implements(type, DataConnection);

    public bool IsCommand(ITypeSymbol? type) => IsOrDerives(type, DbCommand) || Implements(type, DataCommand);

    public bool IsBatch(ITypeSymbol? type) => IsOrDerives(type, DbBatch) || IsOrDerives(type, NpgsqlBatch);

    public bool IsBatchCommand(ITypeSymbol? type) => IsOrDerives(type, DbBatchCommand) || IsOrDerives(type, NpgsqlBatchCommand);

    /// <summary>A data source hands out commands and batches that run on a pooled connection of their own.</summary>
    public bool IsDataSource(ITypeSymbol? type) => IsOrDerives(type, DbDataSource) || IsOrDerives(type, NpgsqlDataSource);

    public bool IsDbContext(ITypeSymbol? type) => IsOrDerives(type, EfDbContext);

    public static bool IsOrDerives(ITypeSymbol? type, INamedTypeSymbol? baseType)
    {
        if (baseType is null)
        {
            return false;
        }

        for (var current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, baseType))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Implements(ITypeSymbol? type, INamedTypeSymbol? @interface)
    {
        if (type is null || @interface is null)
        {
            return false;
        }

        if (SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, @interface))
        {
            return true;
        }

        foreach (var implemented in type.AllInterfaces)
        {
            if (SymbolEqualityComparer.Default.Equals(implemented.OriginalDefinition, @interface))
            {
                return true;
            }
        }

        return false;
    }
}
