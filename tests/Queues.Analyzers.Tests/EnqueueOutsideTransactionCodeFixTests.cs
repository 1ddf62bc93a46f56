using Queues.Analyzers.CodeFixes;
using Verifier = Queues.Analyzers.Tests.Verification.CodeFixVerifier<
    Queues.Analyzers.EnqueueOutsideTransactionAnalyzer,
    Queues.Analyzers.CodeFixes.EnqueueOutsideTransactionCodeFixProvider>;

namespace Queues.Analyzers.Tests;

public sealed class EnqueueOutsideTransactionCodeFixTests
{
    [Fact]
    public async Task FreshTransaction_IsReplacedByTheTransactionInScope()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlConnection other)
            {
                public async Task SignUpAsync(NpgsqlConnection connection, string email)
                {
                    await using var tx = await connection.BeginTransactionAsync();
                    await using var insert = new NpgsqlCommand("INSERT INTO users (email) VALUES ($1)", connection, tx);
                    await insert.ExecuteNonQueryAsync();
                    await using var jobsTx = await other.BeginTransactionAsync();
                    await [|jobs.EnqueueUserOnboardingAsync(jobsTx, new UserOnboarding(email))|];
                    await tx.CommitAsync();
                }
            }
            """;
        const string fixedSource = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlConnection other)
            {
                public async Task SignUpAsync(NpgsqlConnection connection, string email)
                {
                    await using var tx = await connection.BeginTransactionAsync();
                    await using var insert = new NpgsqlCommand("INSERT INTO users (email) VALUES ($1)", connection, tx);
                    await insert.ExecuteNonQueryAsync();
                    await using var jobsTx = await other.BeginTransactionAsync();
                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email));
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source, fixedSource);
    }

    [Fact]
    public async Task EfCoreTransactionOfAKnownContext_IsPassedThroughGetNpgsqlTransaction()
    {
        // Queues.EntityFrameworkCore is referenced (the stubs carry it): no cast, the context names its own NpgsqlTransaction.
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class OrderService(AppJobs jobs, ShopContext db, NpgsqlConnection connection)
            {
                public async Task PlaceAsync(Order order)
                {
                    await using var efTx = await db.Database.BeginTransactionAsync();
                    db.Orders.Add(order);
                    await db.SaveChangesAsync();
                    await using var tx = await connection.BeginTransactionAsync();
                    await [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a@example.com"))|];
                    await efTx.CommitAsync();
                }
            }
            """;
        const string fixedSource = """
            using System.Threading.Tasks;
            using Npgsql;
            using Queues;

            namespace App;

            public sealed class OrderService(AppJobs jobs, ShopContext db, NpgsqlConnection connection)
            {
                public async Task PlaceAsync(Order order)
                {
                    await using var efTx = await db.Database.BeginTransactionAsync();
                    db.Orders.Add(order);
                    await db.SaveChangesAsync();
                    await using var tx = await connection.BeginTransactionAsync();
                    await jobs.EnqueueUserOnboardingAsync(db.Database.GetNpgsqlTransaction(), new UserOnboarding("a@example.com"));
                    await efTx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source, fixedSource);
    }

    [Fact]
    public async Task EfCoreTransactionOfNoKnownContext_IsPassedWithGetDbTransactionCastAndUsingAdded()
    {
        const string source = """
            using System.Threading.Tasks;
            using Microsoft.EntityFrameworkCore.Storage;
            using Npgsql;

            namespace App;

            public sealed class OrderService(AppJobs jobs, ShopContext db, NpgsqlConnection connection)
            {
                public async Task PlaceAsync(IDbContextTransaction efTx, Order order)
                {
                    db.Orders.Add(order);
                    await db.SaveChangesAsync();
                    await using var tx = await connection.BeginTransactionAsync();
                    await [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a@example.com"))|];
                }
            }
            """;
        const string fixedSource = """
            using System.Threading.Tasks;
            using Microsoft.EntityFrameworkCore.Storage;
            using Npgsql;

            namespace App;

            public sealed class OrderService(AppJobs jobs, ShopContext db, NpgsqlConnection connection)
            {
                public async Task PlaceAsync(IDbContextTransaction efTx, Order order)
                {
                    db.Orders.Add(order);
                    await db.SaveChangesAsync();
                    await using var tx = await connection.BeginTransactionAsync();
                    await jobs.EnqueueUserOnboardingAsync((NpgsqlTransaction)efTx.GetDbTransaction(), new UserOnboarding("a@example.com"));
                }
            }
            """;

        await Verifier.VerifyAsync(source, fixedSource);
    }

    [Fact]
    public async Task DeconstructedAndOutVarTransactions_ArePassed()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlDataSource dataSource)
            {
                public async Task SignUpAsync(string email)
                {
                    var (connection, tx) = await OpenAsync();
                    await using var insert = new NpgsqlCommand("INSERT INTO users (email) VALUES ($1)", connection, tx);
                    await insert.ExecuteNonQueryAsync();
                    await [|jobs.EnqueueWeeklyReportAsync(new WeeklyReport(email))|];
                    await tx.CommitAsync();
                }

                public async Task InviteAsync(NpgsqlConnection connection, string email)
                {
                    if (!TryBegin(connection, out var tx))
                    {
                        return;
                    }

                    await using var insert = new NpgsqlCommand("INSERT INTO invites (email) VALUES ($1)", connection, tx);
                    await insert.ExecuteNonQueryAsync();
                    await [|jobs.EnqueueWeeklyReportAsync(new WeeklyReport(email))|];
                    await tx.CommitAsync();
                }

                private async Task<(NpgsqlConnection, NpgsqlTransaction)> OpenAsync()
                {
                    var connection = await dataSource.OpenConnectionAsync();
                    return (connection, await connection.BeginTransactionAsync());
                }

                private static bool TryBegin(NpgsqlConnection connection, out NpgsqlTransaction tx)
                {
                    tx = connection.BeginTransaction();
                    return true;
                }
            }
            """;
        const string fixedSource = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlDataSource dataSource)
            {
                public async Task SignUpAsync(string email)
                {
                    var (connection, tx) = await OpenAsync();
                    await using var insert = new NpgsqlCommand("INSERT INTO users (email) VALUES ($1)", connection, tx);
                    await insert.ExecuteNonQueryAsync();
                    await jobs.EnqueueWeeklyReportAsync(tx, new WeeklyReport(email));
                    await tx.CommitAsync();
                }

                public async Task InviteAsync(NpgsqlConnection connection, string email)
                {
                    if (!TryBegin(connection, out var tx))
                    {
                        return;
                    }

                    await using var insert = new NpgsqlCommand("INSERT INTO invites (email) VALUES ($1)", connection, tx);
                    await insert.ExecuteNonQueryAsync();
                    await jobs.EnqueueWeeklyReportAsync(tx, new WeeklyReport(email));
                    await tx.CommitAsync();
                }

                private async Task<(NpgsqlConnection, NpgsqlTransaction)> OpenAsync()
                {
                    var connection = await dataSource.OpenConnectionAsync();
                    return (connection, await connection.BeginTransactionAsync());
                }

                private static bool TryBegin(NpgsqlConnection connection, out NpgsqlTransaction tx)
                {
                    tx = connection.BeginTransaction();
                    return true;
                }
            }
            """;

        await Verifier.VerifyAsync(source, fixedSource);
    }

    [Fact]
    public async Task NonTransactionalOverload_GetsTheTransactionAsItsFirstArgument()
    {
        const string source = """
            using System.Data.Common;
            using System.Threading;
            using System.Threading.Tasks;

            namespace App;

            public sealed class CatalogService(AppJobs jobs)
            {
                public async Task RenameAsync(DbTransaction transaction, string key, CancellationToken ct)
                {
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup(key), ct)|];
                    await [|jobs.EnqueueCacheWarmupAsync(cancellationToken: ct, payload: new CacheWarmup(key))|];
                }
            }
            """;
        const string fixedSource = """
            using System.Data.Common;
            using System.Threading;
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class CatalogService(AppJobs jobs)
            {
                public async Task RenameAsync(DbTransaction transaction, string key, CancellationToken ct)
                {
                    await jobs.EnqueueCacheWarmupAsync((NpgsqlTransaction)transaction, new CacheWarmup(key), ct);
                    await jobs.EnqueueCacheWarmupAsync((NpgsqlTransaction)transaction, cancellationToken: ct, payload: new CacheWarmup(key));
                }
            }
            """;

        await Verifier.VerifyAsync(source, fixedSource);
    }

    [Fact]
    public async Task OnlyATransactionScopeInScope_OffersNoFix()
    {
        const string source = """
            using System.Threading.Tasks;
            using System.Transactions;

            namespace App;

            public sealed class CatalogService(AppJobs jobs)
            {
                public async Task RenameAsync(string key)
                {
                    using var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled);
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup(key))|];
                    scope.Complete();
                }
            }
            """;

        // Unchanged code as the fixed code: the test fails if any fix is offered and applied.
        await Verifier.VerifyAsync(source, source);
    }

    [Fact]
    public async Task FixAll_PassesTheTransactionEverywhereDeterministically()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class CatalogService(AppJobs jobs)
            {
                public async Task RenameAsync(NpgsqlTransaction tx, string[] keys)
                {
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup(keys[0]))|];
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup(keys[1]))|];
                    await tx.CommitAsync();
                }

                public async Task MoveAsync(NpgsqlTransaction moveTx, string key)
                {
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup(key))|];
                    await moveTx.CommitAsync();
                }
            }
            """;
        const string fixedSource = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class CatalogService(AppJobs jobs)
            {
                public async Task RenameAsync(NpgsqlTransaction tx, string[] keys)
                {
                    await jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup(keys[0]));
                    await jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup(keys[1]));
                    await tx.CommitAsync();
                }

                public async Task MoveAsync(NpgsqlTransaction moveTx, string key)
                {
                    await jobs.EnqueueCacheWarmupAsync(moveTx, new CacheWarmup(key));
                    await moveTx.CommitAsync();
                }
            }
            """;

        await new Verifier.Test { TestCode = source, FixedCode = fixedSource }.RunAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public void EquivalenceKey_IsAConstant() =>
        Assert.Equal("Queues.PassTransactionInScope", EnqueueOutsideTransactionCodeFixProvider.EquivalenceKey);

    [Fact]
    public async Task FireAndForgetOverload_InsideATransaction_SwitchesToTheTransactionOverload()
    {
        const string source = """
            using System.Threading;
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class TeamService(AppJobs jobs)
            {
                public async Task AddAsync(NpgsqlConnection connection, string team, CancellationToken ct)
                {
                    await using var transaction = await connection.BeginTransactionAsync(ct);
                    await using var insert = new NpgsqlCommand("INSERT INTO teams (name) VALUES ($1)", connection, transaction);
                    await insert.ExecuteNonQueryAsync(ct);
                    await [|jobs.EnqueueWeeklyReportManyAsync(new[] { new WeeklyReport(team) }, cancellationToken: ct)|];
                    await [|jobs.EnqueueNightlyCleanupAsync(cancellationToken: ct)|];
                    await transaction.CommitAsync(ct);
                }
            }
            """;
        const string fixedSource = """
            using System.Threading;
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class TeamService(AppJobs jobs)
            {
                public async Task AddAsync(NpgsqlConnection connection, string team, CancellationToken ct)
                {
                    await using var transaction = await connection.BeginTransactionAsync(ct);
                    await using var insert = new NpgsqlCommand("INSERT INTO teams (name) VALUES ($1)", connection, transaction);
                    await insert.ExecuteNonQueryAsync(ct);
                    await jobs.EnqueueWeeklyReportManyAsync(transaction, new[] { new WeeklyReport(team) }, cancellationToken: ct);
                    await jobs.EnqueueNightlyCleanupAsync(transaction, cancellationToken: ct);
                    await transaction.CommitAsync(ct);
                }
            }
            """;

        await Verifier.VerifyAsync(source, fixedSource);
    }

    [Fact]
    public async Task FireAndForgetOverload_InAnEfTransactionWithoutVariable_PassesGetNpgsqlTransaction()
    {
        const string source = """
            using System.Threading.Tasks;

            namespace App;

            public sealed class OrderService(AppJobs jobs, ShopContext db)
            {
                public async Task PlaceAsync(Order order)
                {
                    await db.Database.BeginTransactionAsync();
                    db.Orders.Add(order);
                    await db.SaveChangesAsync();
                    await [|jobs.EnqueueWeeklyReportAsync(new WeeklyReport("shop"))|];
                    await db.Database.CommitTransactionAsync();
                }
            }
            """;
        const string fixedSource = """
            using System.Threading.Tasks;
            using Queues;

            namespace App;

            public sealed class OrderService(AppJobs jobs, ShopContext db)
            {
                public async Task PlaceAsync(Order order)
                {
                    await db.Database.BeginTransactionAsync();
                    db.Orders.Add(order);
                    await db.SaveChangesAsync();
                    await jobs.EnqueueWeeklyReportAsync(db.Database.GetNpgsqlTransaction(), new WeeklyReport("shop"));
                    await db.Database.CommitTransactionAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source, fixedSource);
    }

    [Fact]
    public async Task FireAndForgetOverload_AfterUseJobTransaction_PassesGetNpgsqlTransaction()
    {
        const string source = """
            using System.Threading.Tasks;
            using Queues;

            namespace App;

            public sealed class OrderShippedHandler(AppJobs jobs, ShopContext db)
            {
                public async Task HandleAsync(JobContext context, Order order)
                {
                    await context.UseJobTransactionAsync(db);
                    order.Shipped = true;
                    await db.SaveChangesAsync();
                    await [|jobs.EnqueueNightlyCleanupManyAsync(1)|];
                }
            }
            """;
        const string fixedSource = """
            using System.Threading.Tasks;
            using Queues;

            namespace App;

            public sealed class OrderShippedHandler(AppJobs jobs, ShopContext db)
            {
                public async Task HandleAsync(JobContext context, Order order)
                {
                    await context.UseJobTransactionAsync(db);
                    order.Shipped = true;
                    await db.SaveChangesAsync();
                    await jobs.EnqueueNightlyCleanupManyAsync(db.Database.GetNpgsqlTransaction(), 1);
                }
            }
            """;

        await Verifier.VerifyAsync(source, fixedSource);
    }
}
