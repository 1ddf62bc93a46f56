using Verifier = Queues.Analyzers.Tests.Verification.CodeFixVerifier<
    Queues.Analyzers.DualWriteAnalyzer,
    Queues.Analyzers.CodeFixes.DualWriteCodeFixProvider>;

namespace Queues.Analyzers.Tests;

public sealed class DualWriteCodeFixTests
{
    [Fact]
    public async Task EfCoreWriteAndEnqueue_AreWrappedInOneContextTransaction()
    {
        const string source = """
            using System.Threading;
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class OrderService(AppJobs jobs, ShopContext db, NpgsqlConnection connection)
            {
                public async Task PlaceAsync(Order order, CancellationToken ct)
                {
                    db.Orders.Add(order);
                    await db.SaveChangesAsync(ct);
                    await using var tx = await connection.BeginTransactionAsync(ct);
                    await [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a@example.com"), cancellationToken: ct)|];
                    await tx.CommitAsync(ct);
                }
            }
            """;
        const string fixedSource = """
            using System.Threading;
            using System.Threading.Tasks;
            using Microsoft.EntityFrameworkCore.Storage;
            using Npgsql;

            namespace App;

            public sealed class OrderService(AppJobs jobs, ShopContext db, NpgsqlConnection connection)
            {
                public async Task PlaceAsync(Order order, CancellationToken ct)
                {
                    db.Orders.Add(order);
                    await using var transaction = await db.Database.BeginTransactionAsync(ct);
                    await db.SaveChangesAsync(ct);
                    await using var tx = await connection.BeginTransactionAsync(ct);
                    await jobs.EnqueueUserOnboardingAsync((NpgsqlTransaction)transaction.GetDbTransaction(), new UserOnboarding("a@example.com"), cancellationToken: ct);
                    await transaction.CommitAsync(ct);
                    await tx.CommitAsync(ct);
                }
            }
            """;

        await Verifier.VerifyAsync(source, fixedSource);
    }

    [Fact]
    public async Task NonTransactionalEnqueueAfterSaveChanges_SwitchesToTheTransactionalOverload()
    {
        const string source = """
            using System.Threading.Tasks;

            namespace App;

            public sealed class CatalogService(AppJobs jobs, ShopContext db)
            {
                public async Task RenameAsync(string key)
                {
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup(key))|];
                    db.SaveChanges();
                }
            }
            """;
        const string fixedSource = """
            using System.Threading.Tasks;
            using Microsoft.EntityFrameworkCore.Storage;
            using Npgsql;

            namespace App;

            public sealed class CatalogService(AppJobs jobs, ShopContext db)
            {
                public async Task RenameAsync(string key)
                {
                    await using var transaction = await db.Database.BeginTransactionAsync();
                    await jobs.EnqueueCacheWarmupAsync((NpgsqlTransaction)transaction.GetDbTransaction(), new CacheWarmup(key));
                    db.SaveChanges();
                    await transaction.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source, fixedSource);
    }

    [Fact]
    public async Task CommandWriteAndNonTransactionalEnqueue_RunInOneConnectionTransaction()
    {
        const string source = """
            using System.Threading;
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class CatalogService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task RenameAsync(string key, CancellationToken ct)
                {
                    await using var update = new NpgsqlCommand("UPDATE items SET key = $1", connection);
                    await update.ExecuteNonQueryAsync(ct);
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup(key), ct)|];
                }
            }
            """;
        const string fixedSource = """
            using System.Threading;
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class CatalogService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task RenameAsync(string key, CancellationToken ct)
                {
                    await using var update = new NpgsqlCommand("UPDATE items SET key = $1", connection);
                    await using var transaction = await connection.BeginTransactionAsync(ct);
                    update.Transaction = transaction;
                    await update.ExecuteNonQueryAsync(ct);
                    await jobs.EnqueueCacheWarmupAsync(transaction, new CacheWarmup(key), ct);
                    await transaction.CommitAsync(ct);
                }
            }
            """;

        await Verifier.VerifyAsync(source, fixedSource);
    }

    [Fact]
    public async Task DapperWriteBeforeTheEnqueuesOwnTransaction_MovesTheTransactionAboveTheWrite()
    {
        const string source = """
            using System.Threading;
            using System.Threading.Tasks;
            using Dapper;
            using Npgsql;

            namespace App;

            public sealed class UserService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task SignUpAsync(string email, CancellationToken ct)
                {
                    await connection.ExecuteAsync("INSERT INTO users (email) VALUES (@email)", new { email });
                    await using var tx = await connection.BeginTransactionAsync(ct);
                    await [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email), cancellationToken: ct)|];
                    await tx.CommitAsync(ct);
                }
            }
            """;
        const string fixedSource = """
            using System.Threading;
            using System.Threading.Tasks;
            using Dapper;
            using Npgsql;

            namespace App;

            public sealed class UserService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task SignUpAsync(string email, CancellationToken ct)
                {
                    await using var tx = await connection.BeginTransactionAsync(ct);
                    await connection.ExecuteAsync("INSERT INTO users (email) VALUES (@email)", new { email }, transaction: tx);
                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email), cancellationToken: ct);
                    await tx.CommitAsync(ct);
                }
            }
            """;

        await Verifier.VerifyAsync(source, fixedSource);
    }

    [Fact]
    public async Task WritesOnTwoConnections_OfferNoFix()
    {
        // Which connection the transaction belongs on is the user's decision.
        const string source = """
            using System.Threading.Tasks;
            using Dapper;
            using Npgsql;

            namespace App;

            public sealed class CatalogService(AppJobs jobs, NpgsqlConnection connection, NpgsqlConnection audit)
            {
                public async Task RenameAsync(string key)
                {
                    await connection.ExecuteAsync("UPDATE items SET key = @key", new { key });
                    await audit.ExecuteAsync("INSERT INTO audit (what) VALUES ('rename')");
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup(key))|];
                }
            }
            """;

        // Unchanged code as the fixed code: the test fails if any fix is offered and applied.
        await Verifier.VerifyAsync(source, source);
    }

    [Fact]
    public async Task FixAll_GivesTwoEnqueuesInOneBlockOneTransaction()
    {
        const string source = """
            using System.Threading.Tasks;
            using Dapper;
            using Npgsql;

            namespace App;

            public sealed class CatalogService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task RenameAsync(string key)
                {
                    await connection.ExecuteAsync("UPDATE items SET key = @key", new { key });
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup(key))|];
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup("index"))|];
                }
            }
            """;
        // One fix at a time, the first fix covers the write and the first enqueue; the second, fire-and-forget after the commit,
        // is still a dual write (with no fix: the write has a transaction now). FixAll gives both enqueues the one transaction.
        const string fixedSource = """
            using System.Threading.Tasks;
            using Dapper;
            using Npgsql;

            namespace App;

            public sealed class CatalogService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task RenameAsync(string key)
                {
                    await using var transaction = await connection.BeginTransactionAsync();
                    await connection.ExecuteAsync("UPDATE items SET key = @key", new { key }, transaction: transaction);
                    await jobs.EnqueueCacheWarmupAsync(transaction, new CacheWarmup(key));
                    await transaction.CommitAsync();
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup("index"))|];
                }
            }
            """;
        const string batchFixedSource = """
            using System.Threading.Tasks;
            using Dapper;
            using Npgsql;

            namespace App;

            public sealed class CatalogService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task RenameAsync(string key)
                {
                    await using var transaction = await connection.BeginTransactionAsync();
                    await connection.ExecuteAsync("UPDATE items SET key = @key", new { key }, transaction: transaction);
                    await jobs.EnqueueCacheWarmupAsync(transaction, new CacheWarmup(key));
                    await jobs.EnqueueCacheWarmupAsync(transaction, new CacheWarmup("index"));
                    await transaction.CommitAsync();
                }
            }
            """;

        await new Verifier.Test
        {
            TestCode = source,
            FixedCode = fixedSource,
            BatchFixedCode = batchFixedSource,
            // The fixed state keeps one QUE0102 that has no fix; by default markup of a fixable id is ignored there.
            FixedState = { MarkupHandling = Microsoft.CodeAnalysis.Testing.MarkupMode.Allow },
        }.RunAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task FixAll_WrapsEachMethodDeterministically()
    {
        const string source = """
            using System.Threading.Tasks;

            namespace App;

            public sealed class CatalogService(AppJobs jobs, ShopContext db)
            {
                public async Task RenameAsync(string key)
                {
                    await db.SaveChangesAsync();
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup(key))|];
                }

                public async Task MoveAsync(string key)
                {
                    db.SaveChanges();
                    await [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup(key))|];
                }
            }
            """;
        const string fixedSource = """
            using System.Threading.Tasks;
            using Microsoft.EntityFrameworkCore.Storage;
            using Npgsql;

            namespace App;

            public sealed class CatalogService(AppJobs jobs, ShopContext db)
            {
                public async Task RenameAsync(string key)
                {
                    await using var transaction = await db.Database.BeginTransactionAsync();
                    await db.SaveChangesAsync();
                    await jobs.EnqueueCacheWarmupAsync((NpgsqlTransaction)transaction.GetDbTransaction(), new CacheWarmup(key));
                    await transaction.CommitAsync();
                }

                public async Task MoveAsync(string key)
                {
                    await using var transaction = await db.Database.BeginTransactionAsync();
                    db.SaveChanges();
                    await jobs.EnqueueCacheWarmupAsync((NpgsqlTransaction)transaction.GetDbTransaction(), new CacheWarmup(key));
                    await transaction.CommitAsync();
                }
            }
            """;

        await new Verifier.Test { TestCode = source, FixedCode = fixedSource }.RunAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task FixAll_GivesTheSameTextWhateverTheOrderOrRepetitionOfItsDiagnostics()
    {
        const string source = """
            using System.Threading.Tasks;
            using Dapper;
            using Npgsql;

            namespace App;

            public sealed class CatalogService(AppJobs jobs, ShopContext db, NpgsqlConnection connection)
            {
                public async Task RenameAsync(string key)
                {
                    await connection.ExecuteAsync("UPDATE items SET key = @key", new { key });
                    await jobs.EnqueueCacheWarmupAsync(new CacheWarmup(key));
                    await jobs.EnqueueCacheWarmupAsync(new CacheWarmup("index"));
                }

                public async Task MoveAsync(string key)
                {
                    await db.SaveChangesAsync();
                    await jobs.EnqueueCacheWarmupAsync(new CacheWarmup(key));
                }
            }
            """;

        var (forward, reversed, doubled) = await Verification.FixAllOrder.ApplyAsync<DualWriteAnalyzer, Queues.Analyzers.CodeFixes.DualWriteCodeFixProvider>(source);

        Assert.Contains("await using var transaction = await connection.BeginTransactionAsync();", forward, StringComparison.Ordinal);
        Assert.Equal(forward, reversed);
        Assert.Equal(forward, doubled);
    }
}
