namespace Queues.Analyzers.Tests.Verification;

/// <summary>
/// Stand-ins for the Queues runtime, Npgsql, EF Core, Dapper and generator output, so analyzer tests depend on none of them. The
/// analyzers know these types by metadata name only, so the stubs keep the real namespaces, type names and base types (Npgsql's
/// types derive from the real System.Data.Common ones). Keep the shapes in step with src/Runtime and the generator's enqueue emitter.
/// </summary>
internal static class TestSources
{
    public const string RuntimeStubs = """
        namespace Npgsql
        {
            using System.Data;
            using System.Data.Common;
            using System.Diagnostics.CodeAnalysis;
            using System.Threading;
            using System.Threading.Tasks;

            public sealed class NpgsqlTransaction : DbTransaction
            {
                public new NpgsqlConnection? Connection => null;
                protected override DbConnection? DbConnection => null;
                public override IsolationLevel IsolationLevel => IsolationLevel.ReadCommitted;
                public override void Commit() { }
                public override void Rollback() { }
                public override Task CommitAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
                public override Task RollbackAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
                public override void Rollback(string savepointName) { }
                public override Task RollbackAsync(string savepointName, CancellationToken cancellationToken = default) => Task.CompletedTask;
                public override ValueTask DisposeAsync() => default;
                public override Task SaveAsync(string savepointName, CancellationToken cancellationToken = default) => Task.CompletedTask;
            }

            public sealed class NpgsqlBinaryImporter : System.IAsyncDisposable
            {
                public Task WriteRowAsync(CancellationToken cancellationToken = default, params object?[] values) => Task.CompletedTask;
                public ValueTask<ulong> CompleteAsync(CancellationToken cancellationToken = default) => new(0UL);
                public ValueTask DisposeAsync() => default;
            }

            public sealed class PostgresException : DbException
            {
            }

            public sealed class NpgsqlConnection : DbConnection
            {
                public NpgsqlConnection() { }
                public NpgsqlConnection(string connectionString) { }
                [AllowNull] public override string ConnectionString { get; set; } = "";
                public override string Database => "";
                public override string DataSource => "";
                public override string ServerVersion => "";
                public override ConnectionState State => ConnectionState.Open;
                public override void ChangeDatabase(string databaseName) { }
                public override void Close() { }
                public override void Open() { }
                public new NpgsqlTransaction BeginTransaction() => new();
                public new ValueTask<NpgsqlTransaction> BeginTransactionAsync(CancellationToken cancellationToken = default) => new(new NpgsqlTransaction());
                protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) => new NpgsqlTransaction();
                public new NpgsqlCommand CreateCommand() => new();
                public new NpgsqlBatch CreateBatch() => new();
                public NpgsqlBinaryImporter BeginBinaryImport(string copyFromCommand) => new();
                public Task<NpgsqlBinaryImporter> BeginBinaryImportAsync(string copyFromCommand, CancellationToken cancellationToken = default) => Task.FromResult(new NpgsqlBinaryImporter());
                protected override DbCommand CreateDbCommand() => new NpgsqlCommand();
            }

            public sealed class NpgsqlDataSource
            {
                public NpgsqlConnection OpenConnection() => new();
                public ValueTask<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken = default) => new(new NpgsqlConnection());
                public NpgsqlConnection CreateConnection() => new();
                public NpgsqlCommand CreateCommand(string? commandText = null) => new();
                public NpgsqlBatch CreateBatch() => new();
            }

            public sealed class NpgsqlBatchCommand : DbBatchCommand
            {
                public NpgsqlBatchCommand() { }
                public NpgsqlBatchCommand(string commandText) { }
                [AllowNull] public override string CommandText { get; set; } = "";
                public override CommandType CommandType { get; set; }
                public override int RecordsAffected => 0;
                protected override DbParameterCollection DbParameterCollection => null!;
            }

            public sealed class NpgsqlBatch : DbBatch
            {
                public NpgsqlBatch() { }
                public NpgsqlBatch(NpgsqlConnection? connection = null, NpgsqlTransaction? transaction = null) { }
                public new System.Collections.Generic.List<NpgsqlBatchCommand> BatchCommands { get; } = new();
                protected override DbBatchCommandCollection DbBatchCommands => null!;
                public override int Timeout { get; set; }
                public new NpgsqlConnection? Connection { get; set; }
                public new NpgsqlTransaction? Transaction { get; set; }
                protected override DbConnection? DbConnection { get; set; }
                protected override DbTransaction? DbTransaction { get; set; }
                public override void Cancel() { }
                public override int ExecuteNonQuery() => 0;
                public override Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken = default) => Task.FromResult(0);
                public override object? ExecuteScalar() => null;
                public override Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken = default) => Task.FromResult<object?>(null);
                public override void Prepare() { }
                public override Task PrepareAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
                protected override DbBatchCommand CreateDbBatchCommand() => new NpgsqlBatchCommand();
                protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => null!;
                protected override Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken) => Task.FromResult<DbDataReader>(null!);
            }

            public sealed class NpgsqlCommand : DbCommand
            {
                public NpgsqlCommand() { }
                public NpgsqlCommand(string? cmdText) { }
                public NpgsqlCommand(string? cmdText, NpgsqlConnection? connection) { }
                public NpgsqlCommand(string? cmdText, NpgsqlConnection? connection, NpgsqlTransaction? transaction) { }
                [AllowNull] public override string CommandText { get; set; } = "";
                public override int CommandTimeout { get; set; }
                public override CommandType CommandType { get; set; }
                public override bool DesignTimeVisible { get; set; }
                public override UpdateRowSource UpdatedRowSource { get; set; }
                public new NpgsqlConnection? Connection { get; set; }
                public new NpgsqlTransaction? Transaction { get; set; }
                protected override DbConnection? DbConnection { get; set; }
                protected override DbParameterCollection DbParameterCollection => null!;
                protected override DbTransaction? DbTransaction { get; set; }
                public override void Cancel() { }
                public override int ExecuteNonQuery() => 0;
                public override object? ExecuteScalar() => null;
                public override void Prepare() { }
                protected override DbParameter CreateDbParameter() => null!;
                protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => null!;
            }
        }

        namespace Queues
        {
            [System.AttributeUsage(System.AttributeTargets.Method, Inherited = false)]
            public sealed class JobEnqueueMethodAttribute : System.Attribute
            {
                public JobEnqueueMethodAttribute(string jobName) => JobName = jobName;

                public string JobName { get; }
            }

            public readonly record struct JobId(long Value);

            public readonly record struct EnqueueResult(JobId Id, bool IsDuplicate);

            public sealed class JobDefinition
            {
                public JobDefinition(string name) => Name = name;

                public string Name { get; }
            }

            public sealed class EnqueueOptions
            {
            }

            public sealed class QueuesClient
            {
                public System.Threading.Tasks.Task<EnqueueResult> EnqueueAsync(
                    Npgsql.NpgsqlTransaction transaction,
                    JobDefinition job,
                    System.ReadOnlyMemory<byte> payload,
                    EnqueueOptions? options = null,
                    System.Threading.CancellationToken cancellationToken = default) => System.Threading.Tasks.Task.FromResult(new EnqueueResult(new JobId(1), false));

                public System.Threading.Tasks.Task<int> EnqueueManyAsync(
                    Npgsql.NpgsqlTransaction transaction,
                    JobDefinition job,
                    System.Collections.Generic.IEnumerable<System.ReadOnlyMemory<byte>> payloads,
                    EnqueueOptions? options = null,
                    System.Threading.CancellationToken cancellationToken = default) => System.Threading.Tasks.Task.FromResult(1);

                // Fire-and-forget: one autocommitted statement on a connection of the client's own.
                public System.Threading.Tasks.Task<EnqueueResult> EnqueueAsync(
                    JobDefinition job,
                    System.ReadOnlyMemory<byte> payload,
                    EnqueueOptions? options = null,
                    System.Threading.CancellationToken cancellationToken = default) => System.Threading.Tasks.Task.FromResult(new EnqueueResult(new JobId(1), false));

                public System.Threading.Tasks.Task<int> EnqueueManyAsync(
                    JobDefinition job,
                    System.Collections.Generic.IEnumerable<System.ReadOnlyMemory<byte>> payloads,
                    EnqueueOptions? options = null,
                    System.Threading.CancellationToken cancellationToken = default) => System.Threading.Tasks.Task.FromResult(1);
            }

            public sealed class JobContext
            {
                public System.Threading.Tasks.ValueTask<Npgsql.NpgsqlTransaction> GetTransactionAsync(System.Threading.CancellationToken cancellationToken = default) => new(new Npgsql.NpgsqlTransaction());
            }
        }
        """;

    /// <summary>
    /// What the generator emits for <c>[Job("userOnboarding")]</c>, reduced to the signatures the analyzers look at, plus a job with the
    /// non-transactional overload DESIGN.md allows (no transaction parameter) beside its transactional sibling.
    /// </summary>
    public const string GeneratedEnqueueMethods = """
        namespace App
        {
            public sealed record UserOnboarding(string Email);

            public sealed record CacheWarmup(string Key);

            public sealed record WeeklyReport(string Team);

            public sealed class AppJobs
            {
                [global::Queues.JobEnqueueMethod("userOnboarding")]
                public global::System.Threading.Tasks.Task<global::Queues.EnqueueResult> EnqueueUserOnboardingAsync(
                    global::Npgsql.NpgsqlTransaction tx,
                    UserOnboarding payload,
                    global::Queues.EnqueueOptions? options = null,
                    global::System.Threading.CancellationToken cancellationToken = default)
                    => global::System.Threading.Tasks.Task.FromResult(new global::Queues.EnqueueResult(new global::Queues.JobId(1), false));

                [global::Queues.JobEnqueueMethod("cacheWarmup")]
                public global::System.Threading.Tasks.Task<global::Queues.EnqueueResult> EnqueueCacheWarmupAsync(
                    global::Npgsql.NpgsqlTransaction transaction,
                    CacheWarmup payload,
                    global::System.Threading.CancellationToken cancellationToken = default)
                    => global::System.Threading.Tasks.Task.FromResult(new global::Queues.EnqueueResult(new global::Queues.JobId(3), false));

                // The non-transactional overload: it opens its own connection and commits on its own.
                [global::Queues.JobEnqueueMethod("cacheWarmup")]
                public global::System.Threading.Tasks.Task<global::Queues.EnqueueResult> EnqueueCacheWarmupAsync(
                    CacheWarmup payload,
                    global::System.Threading.CancellationToken cancellationToken = default)
                    => global::System.Threading.Tasks.Task.FromResult(new global::Queues.EnqueueResult(new global::Queues.JobId(4), false));

                // A job with both shapes of both methods, as the generator emits them (src/Generator, the *.verified.cs snapshots).
                [global::Queues.JobEnqueueMethod("weeklyReport")]
                public global::System.Threading.Tasks.Task<global::Queues.EnqueueResult> EnqueueWeeklyReportAsync(
                    global::Npgsql.NpgsqlTransaction transaction,
                    WeeklyReport payload,
                    global::Queues.EnqueueOptions? options = null,
                    global::System.Threading.CancellationToken cancellationToken = default)
                    => global::System.Threading.Tasks.Task.FromResult(new global::Queues.EnqueueResult(new global::Queues.JobId(5), false));

                [global::Queues.JobEnqueueMethod("weeklyReport")]
                public global::System.Threading.Tasks.Task<int> EnqueueWeeklyReportManyAsync(
                    global::Npgsql.NpgsqlTransaction transaction,
                    global::System.Collections.Generic.IEnumerable<WeeklyReport> payloads,
                    global::Queues.EnqueueOptions? options = null,
                    global::System.Threading.CancellationToken cancellationToken = default)
                    => global::System.Threading.Tasks.Task.FromResult(1);

                [global::Queues.JobEnqueueMethod("weeklyReport")]
                public global::System.Threading.Tasks.Task<global::Queues.EnqueueResult> EnqueueWeeklyReportAsync(
                    WeeklyReport payload,
                    global::Queues.EnqueueOptions? options = null,
                    global::System.Threading.CancellationToken cancellationToken = default)
                    => global::System.Threading.Tasks.Task.FromResult(new global::Queues.EnqueueResult(new global::Queues.JobId(6), false));

                [global::Queues.JobEnqueueMethod("weeklyReport")]
                public global::System.Threading.Tasks.Task<int> EnqueueWeeklyReportManyAsync(
                    global::System.Collections.Generic.IEnumerable<WeeklyReport> payloads,
                    global::Queues.EnqueueOptions? options = null,
                    global::System.Threading.CancellationToken cancellationToken = default)
                    => global::System.Threading.Tasks.Task.FromResult(1);

                // A payload-less job: the Many overloads take a count.
                [global::Queues.JobEnqueueMethod("nightlyCleanup")]
                public global::System.Threading.Tasks.Task<global::Queues.EnqueueResult> EnqueueNightlyCleanupAsync(
                    global::Npgsql.NpgsqlTransaction transaction,
                    global::Queues.EnqueueOptions? options = null,
                    global::System.Threading.CancellationToken cancellationToken = default)
                    => global::System.Threading.Tasks.Task.FromResult(new global::Queues.EnqueueResult(new global::Queues.JobId(7), false));

                [global::Queues.JobEnqueueMethod("nightlyCleanup")]
                public global::System.Threading.Tasks.Task<int> EnqueueNightlyCleanupManyAsync(
                    global::Npgsql.NpgsqlTransaction transaction,
                    int count,
                    global::Queues.EnqueueOptions? options = null,
                    global::System.Threading.CancellationToken cancellationToken = default)
                    => global::System.Threading.Tasks.Task.FromResult(count);

                [global::Queues.JobEnqueueMethod("nightlyCleanup")]
                public global::System.Threading.Tasks.Task<global::Queues.EnqueueResult> EnqueueNightlyCleanupAsync(
                    global::Queues.EnqueueOptions? options = null,
                    global::System.Threading.CancellationToken cancellationToken = default)
                    => global::System.Threading.Tasks.Task.FromResult(new global::Queues.EnqueueResult(new global::Queues.JobId(8), false));

                [global::Queues.JobEnqueueMethod("nightlyCleanup")]
                public global::System.Threading.Tasks.Task<int> EnqueueNightlyCleanupManyAsync(
                    int count,
                    global::Queues.EnqueueOptions? options = null,
                    global::System.Threading.CancellationToken cancellationToken = default)
                    => global::System.Threading.Tasks.Task.FromResult(count);

                // Same shape, no marker: must never be reported.
                public global::System.Threading.Tasks.Task<global::Queues.EnqueueResult> ScheduleReminderAsync(
                    global::Npgsql.NpgsqlTransaction tx,
                    global::System.Threading.CancellationToken cancellationToken = default)
                    => global::System.Threading.Tasks.Task.FromResult(new global::Queues.EnqueueResult(new global::Queues.JobId(2), false));
            }
        }
        """;

    /// <summary>EF Core's types the analyzers know by metadata name; members as in EF Core 8–10.</summary>
    public const string EfCoreStubs = """
        namespace Microsoft.EntityFrameworkCore
        {
            using System.Linq;
            using System.Threading;
            using System.Threading.Tasks;
            using Microsoft.EntityFrameworkCore.Infrastructure;

            public class DbContext : System.IDisposable
            {
                public virtual DatabaseFacade Database => new();
                public virtual int SaveChanges() => 0;
                public virtual Task<int> SaveChangesAsync(CancellationToken cancellationToken = default) => Task.FromResult(0);
                public void Dispose() { }
            }

            public class DbSet<TEntity> : EnumerableQuery<TEntity> where TEntity : class
            {
                public DbSet() : base(System.Array.Empty<TEntity>()) { }
                public virtual void Add(TEntity entity) { }
            }

            public static class RelationalQueryableExtensions
            {
                public static int ExecuteDelete<TSource>(this IQueryable<TSource> source) => 0;
                public static Task<int> ExecuteDeleteAsync<TSource>(this IQueryable<TSource> source, CancellationToken cancellationToken = default) => Task.FromResult(0);
                public static Task<int> ExecuteUpdateAsync<TSource>(this IQueryable<TSource> source, System.Func<TSource, TSource> setters, CancellationToken cancellationToken = default) => Task.FromResult(0);
            }

            public static class RelationalDatabaseFacadeExtensions
            {
                public static System.Data.Common.DbConnection GetDbConnection(this DatabaseFacade databaseFacade) => new Npgsql.NpgsqlConnection();
                public static Task<int> ExecuteSqlRawAsync(this DatabaseFacade databaseFacade, string sql, CancellationToken cancellationToken = default) => Task.FromResult(0);
                public static Task<int> ExecuteSqlAsync(this DatabaseFacade databaseFacade, System.FormattableString sql, CancellationToken cancellationToken = default) => Task.FromResult(0);
                public static Storage.IDbContextTransaction? UseTransaction(this DatabaseFacade databaseFacade, System.Data.Common.DbTransaction? transaction) => null;
                public static Task<Storage.IDbContextTransaction?> UseTransactionAsync(this DatabaseFacade databaseFacade, System.Data.Common.DbTransaction? transaction, CancellationToken cancellationToken = default) => Task.FromResult<Storage.IDbContextTransaction?>(null);
            }
        }

        namespace Microsoft.EntityFrameworkCore.Infrastructure
        {
            using System.Threading;
            using System.Threading.Tasks;
            using Microsoft.EntityFrameworkCore.Storage;

            public class DatabaseFacade
            {
                public virtual IDbContextTransaction? CurrentTransaction => null;
                public virtual IDbContextTransaction BeginTransaction() => new ContextTransaction();
                public virtual Task<IDbContextTransaction> BeginTransactionAsync(CancellationToken cancellationToken = default) => Task.FromResult<IDbContextTransaction>(new ContextTransaction());
                public virtual void CommitTransaction() { }
                public virtual Task CommitTransactionAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
                public virtual void RollbackTransaction() { }
                public virtual Task RollbackTransactionAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

                private sealed class ContextTransaction : IDbContextTransaction
                {
                    public void Commit() { }
                    public Task CommitAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
                    public void Rollback() { }
                    public Task RollbackAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
                    public void Dispose() { }
                    public ValueTask DisposeAsync() => default;
                }
            }
        }

        namespace Microsoft.EntityFrameworkCore.Storage
        {
            using System.Threading;
            using System.Threading.Tasks;

            public interface IDbContextTransaction : System.IDisposable, System.IAsyncDisposable
            {
                void Commit();
                Task CommitAsync(CancellationToken cancellationToken = default);
                void Rollback();
                Task RollbackAsync(CancellationToken cancellationToken = default);
            }

            public static class DbContextTransactionExtensions
            {
                public static System.Data.Common.DbTransaction GetDbTransaction(this IDbContextTransaction dbContextTransaction) => new Npgsql.NpgsqlTransaction();
            }
        }

        namespace Queues
        {
            using System.Threading;
            using System.Threading.Tasks;

            /// <summary>Queues.EntityFrameworkCore (src/EntityFrameworkCore/QueuesDbContextExtensions.cs).</summary>
            public static class QueuesDbContextExtensions
            {
                public static Npgsql.NpgsqlTransaction GetNpgsqlTransaction(this Microsoft.EntityFrameworkCore.Infrastructure.DatabaseFacade database) => new();
                public static Task<Npgsql.NpgsqlTransaction> UseJobTransactionAsync(this JobContext context, Microsoft.EntityFrameworkCore.DbContext dbContext, CancellationToken cancellationToken = default) => Task.FromResult(new Npgsql.NpgsqlTransaction());
            }
        }

        namespace App
        {
            public sealed class Order
            {
                public System.Guid Id { get; set; }
                public bool Shipped { get; set; }
            }

            public class ShopContext : Microsoft.EntityFrameworkCore.DbContext
            {
                public Microsoft.EntityFrameworkCore.DbSet<Order> Orders { get; } = new();
            }
        }
        """;

    /// <summary>Dapper's <c>SqlMapper</c> extension methods, as in Dapper 2.x.</summary>
    public const string DapperStubs = """
        namespace Dapper
        {
            using System.Data;
            using System.Threading.Tasks;

            public static class SqlMapper
            {
                public static int Execute(this IDbConnection cnn, string sql, object? param = null, IDbTransaction? transaction = null, int? commandTimeout = null, CommandType? commandType = null) => 0;
                public static Task<int> ExecuteAsync(this IDbConnection cnn, string sql, object? param = null, IDbTransaction? transaction = null, int? commandTimeout = null, CommandType? commandType = null) => Task.FromResult(0);
                public static T? ExecuteScalar<T>(this IDbConnection cnn, string sql, object? param = null, IDbTransaction? transaction = null, int? commandTimeout = null, CommandType? commandType = null) => default;
                public static System.Collections.Generic.IEnumerable<T> Query<T>(this IDbConnection cnn, string sql, object? param = null, IDbTransaction? transaction = null, bool buffered = true, int? commandTimeout = null, CommandType? commandType = null) => System.Array.Empty<T>();
                public static Task<System.Collections.Generic.IEnumerable<T>> QueryAsync<T>(this IDbConnection cnn, string sql, object? param = null, IDbTransaction? transaction = null, int? commandTimeout = null, CommandType? commandType = null) => Task.FromResult<System.Collections.Generic.IEnumerable<T>>(System.Array.Empty<T>());
                public static Task<T?> QueryFirstOrDefaultAsync<T>(this IDbConnection cnn, string sql, object? param = null, IDbTransaction? transaction = null, int? commandTimeout = null, CommandType? commandType = null) => Task.FromResult(default(T));
                public static Task<T> QuerySingleAsync<T>(this IDbConnection cnn, string sql, object? param = null, IDbTransaction? transaction = null, int? commandTimeout = null, CommandType? commandType = null) => Task.FromResult(default(T)!);
                public static Task<T?> ExecuteScalarAsync<T>(this IDbConnection cnn, string sql, object? param = null, IDbTransaction? transaction = null, int? commandTimeout = null, CommandType? commandType = null) => Task.FromResult(default(T));
            }
        }
        """;
}
