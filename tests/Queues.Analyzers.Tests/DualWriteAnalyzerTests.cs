using Verifier = Queues.Analyzers.Tests.Verification.AnalyzerVerifier<Queues.Analyzers.DualWriteAnalyzer>;

namespace Queues.Analyzers.Tests;

public sealed class DualWriteAnalyzerTests
{
    // ---- Reported ----

    [Fact]
    public async Task SaveChangesThenEnqueueInItsOwnTransaction_IsReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class OrderService(AppJobs jobs, ShopContext db, NpgsqlConnection connection)
            {
                public async Task PlaceAsync(Order order)
                {
                    db.Orders.Add(order);
                    await db.SaveChangesAsync();

                    await using var tx = await connection.BeginTransactionAsync();
                    await [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a@example.com"))|];
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task CommandWithoutTransactionThenNonTransactionalEnqueue_IsReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class CatalogService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task RenameAsync(string key)
                {
                    await using var update = new NpgsqlCommand("UPDATE items SET key = $1", connection);
                    await update.ExecuteNonQueryAsync();
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup(key))|];
                }

                public async Task RenameWithCreateCommandAsync(string key)
                {
                    await using var update = connection.CreateCommand();
                    update.CommandText = "UPDATE items SET key = $1";
                    update.ExecuteScalar();
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup(key))|];
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task DapperExecuteWithoutTransaction_IsReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Dapper;
            using Npgsql;

            namespace App;

            public sealed class UserService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task SignUpAsync(string email)
                {
                    await connection.ExecuteAsync("INSERT INTO users (email) VALUES (@email)", new { email });
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup(email))|];
                }

                public async Task SignUpWithNullTransactionAsync(string email)
                {
                    connection.Execute("INSERT INTO users (email) VALUES (@email)", new { email }, transaction: null);
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup(email))|];
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EfExecuteUpdateDeleteAndRawSql_AreReported()
    {
        const string source = """
            using System.Linq;
            using System.Threading.Tasks;
            using Microsoft.EntityFrameworkCore;

            namespace App;

            public sealed class OrderService(AppJobs jobs, ShopContext db)
            {
                public async Task ShipAsync()
                {
                    await db.Orders.Where(o => !o.Shipped).ExecuteUpdateAsync(o => o);
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup("orders"))|];
                }

                public async Task PurgeAsync()
                {
                    db.Orders.Where(o => o.Shipped).ExecuteDelete();
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup("orders"))|];
                }

                public async Task RawAsync()
                {
                    await db.Database.ExecuteSqlRawAsync("DELETE FROM orders");
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup("orders"))|];
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task WriteAfterTheTransactionBlockEnded_IsReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, ShopContext db, NpgsqlConnection connection)
            {
                public async Task SignUpAsync(string email)
                {
                    await using (var tx = await connection.BeginTransactionAsync())
                    {
                        await [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email))|];
                        await tx.CommitAsync();
                    }

                    db.SaveChanges();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task Diagnostic_NamesTheWriteAndPointsAtIt()
    {
        const string source = """
            using System.Threading.Tasks;

            namespace App;

            public sealed class OrderService(AppJobs jobs, ShopContext db)
            {
                public async Task PlaceAsync(Order order)
                {
                    await db.SaveChangesAsync();
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup("orders"))|];
                }
            }
            """;

        var test = new Verifier.Test { TestCode = source };
        await test.RunAsync(TestContext.Current.CancellationToken);
        var diagnostics = test.Reported;

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(
            "'EnqueueCacheWarmupAsync' is not atomic with 'SaveChangesAsync', which writes outside the enqueue's transaction; run both in one transaction and enqueue inside it",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        var write = Assert.Single(diagnostic.AdditionalLocations);
        Assert.Equal("db.SaveChangesAsync()", write.SourceTree!.GetText(TestContext.Current.CancellationToken).ToString(write.SourceSpan));
    }

    // ---- Not reported ----

    [Fact]
    public async Task CommandAndEnqueueInTheSameTransaction_AreNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task SignUpAsync(string email)
                {
                    await using var tx = await connection.BeginTransactionAsync();
                    await using var insert = new NpgsqlCommand("INSERT INTO users (email) VALUES ($1)", connection, tx);
                    await insert.ExecuteNonQueryAsync();
                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email));
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task DapperWithTheTransaction_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Dapper;
            using Npgsql;

            namespace App;

            public sealed class UserService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task SignUpAsync(string email)
                {
                    await using var tx = await connection.BeginTransactionAsync();
                    await connection.ExecuteAsync("INSERT INTO users (email) VALUES (@email)", new { email }, tx);
                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email));
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EfCoreWritesInsideTheContextTransaction_AreNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Microsoft.EntityFrameworkCore.Storage;
            using Npgsql;

            namespace App;

            public sealed class OrderService(AppJobs jobs, ShopContext db)
            {
                public async Task PlaceAsync(Order order)
                {
                    await using var transaction = await db.Database.BeginTransactionAsync();
                    db.Orders.Add(order);
                    await db.SaveChangesAsync();
                    await jobs.EnqueueUserOnboardingAsync((NpgsqlTransaction)transaction.GetDbTransaction(), new UserOnboarding("a@example.com"));
                    await transaction.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task WritesInsideATransactionScope_AreNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using System.Transactions;

            namespace App;

            public sealed class OrderService(AppJobs jobs, ShopContext db)
            {
                public async Task PlaceAsync(Order order)
                {
                    using var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled);
                    await db.SaveChangesAsync();
                    await jobs.EnqueueCacheWarmupAsync(new CacheWarmup("orders"));
                    scope.Complete();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task CommandWithTransactionAssignedLater_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class UnitOfWork
            {
                public NpgsqlTransaction Transaction { get; } = new();
            }

            public sealed class SignupService(AppJobs jobs, NpgsqlConnection connection, UnitOfWork work)
            {
                public async Task SignUpAsync(string email)
                {
                    await using var insert = new NpgsqlCommand("INSERT INTO users (email) VALUES ($1)", connection);
                    insert.Transaction = work.Transaction;
                    await insert.ExecuteNonQueryAsync();
                    await using var update = new NpgsqlCommand("UPDATE users SET x = 1") { Connection = connection, Transaction = work.Transaction };
                    await update.ExecuteNonQueryAsync();
                    await jobs.EnqueueUserOnboardingAsync(work.Transaction, new UserOnboarding(email));
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task CommandFromElsewhere_IsNotReported()
    {
        // The command came in ready-made: whether it carries a transaction is not known here.
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task SignUpAsync(NpgsqlCommand prepared, string key)
                {
                    await prepared.ExecuteNonQueryAsync();
                    await jobs.EnqueueCacheWarmupAsync(new CacheWarmup(key));
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task WriteInsideALambdaNotRunByTheEnqueuingCode_IsNotReported()
    {
        const string source = """
            using System;
            using System.Threading.Tasks;

            namespace App;

            public sealed class OrderService(AppJobs jobs, ShopContext db)
            {
                public Func<Task> Later { get; private set; } = () => Task.CompletedTask;

                public async Task PlaceAsync()
                {
                    Later = () => db.SaveChangesAsync();
                    await jobs.EnqueueCacheWarmupAsync(new CacheWarmup("orders"));
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task ReadsAndHelperReceivingTheTransaction_AreNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlConnection connection, ShopContext db)
            {
                public async Task SignUpAsync(NpgsqlTransaction tx, string email)
                {
                    await using var read = new NpgsqlCommand("SELECT 1", connection);
                    await using var reader = await read.ExecuteReaderAsync();
                    await db.SaveChangesAsync();
                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email));
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EnqueueWithoutAnyWrite_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task SignUpAsync(string email)
                {
                    await using var tx = await connection.BeginTransactionAsync();
                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email));
                    await tx.CommitAsync();
                    await jobs.EnqueueCacheWarmupAsync(new CacheWarmup(email));
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task SchemaSetupBeforeTheTransaction_IsNotReported()
    {
        // The Quickstart shape: CREATE TABLE IF NOT EXISTS at startup, then a transaction for the data and its jobs.
        const string source = """
            using System.Threading.Tasks;
            using Dapper;
            using Npgsql;

            namespace App;

            public sealed class Startup(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task RunAsync()
                {
                    await using (var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS users (id uuid)", connection))
                    {
                        await create.ExecuteNonQueryAsync();
                    }

                    await connection.ExecuteAsync("  alter table users add column if not exists email text");
                    await using var tx = await connection.BeginTransactionAsync();
                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a@example.com"));
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task DataWriteWhoseTextStartsLikeAKeyword_IsReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class Startup(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task RunAsync()
                {
                    await using var insert = connection.CreateCommand();
                    insert.CommandText = "INSERT INTO created_items SELECT 1";
                    await insert.ExecuteNonQueryAsync();
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup("k"))|];
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }
}
