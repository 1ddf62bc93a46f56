using Verifier = Queues.Analyzers.Tests.Verification.AnalyzerVerifier<Queues.Analyzers.EnqueueOutsideTransactionAnalyzer>;

namespace Queues.Analyzers.Tests;

public sealed class EnqueueOutsideTransactionAnalyzerTests
{
    // ---- Reported ----

    [Fact]
    public async Task FreshTransactionForTheEnqueueWhileTheWriteTransactionIsInScope_IsReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlDataSource dataSource)
            {
                public async Task SignUpAsync(NpgsqlConnection connection, string email)
                {
                    await using var tx = await connection.BeginTransactionAsync();
                    await using (var insert = new NpgsqlCommand("INSERT INTO users (email) VALUES ($1)", connection, tx))
                    {
                        await insert.ExecuteNonQueryAsync();
                    }

                    await using var jobsConnection = await dataSource.OpenConnectionAsync();
                    await using var jobsTx = await jobsConnection.BeginTransactionAsync();
                    await {|QUE0101:jobs.EnqueueUserOnboardingAsync(jobsTx, new UserOnboarding(email))|};
                    await jobsTx.CommitAsync();
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task PatternTransactionInScopeButUnassigned_IsNotOpen()
    {
        // `tx` is in scope in the else branch (an if condition's pattern variables are), but never assigned there.
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task SignUpAsync(object state, string email)
                {
                    if (state is NpgsqlTransaction tx)
                    {
                        await using var insert = new NpgsqlCommand("INSERT INTO users (email) VALUES ($1)", tx.Connection, tx);
                        await insert.ExecuteNonQueryAsync();
                        await jobs.EnqueueWeeklyReportAsync(tx, new WeeklyReport(email));
                    }
                    else
                    {
                        await jobs.EnqueueWeeklyReportAsync(new WeeklyReport(email));
                    }

                    if (!(state is NpgsqlTransaction after))
                    {
                        return;
                    }

                    await using var audit = new NpgsqlCommand("INSERT INTO audit (email) VALUES ($1)", after.Connection, after);
                    await audit.ExecuteNonQueryAsync();
                    await [|jobs.EnqueueWeeklyReportAsync(new WeeklyReport(email))|];
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task FreshTransactionWhileAnEfCoreTransactionIsInScope_IsReported()
    {
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
                    await {|QUE0101:jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a@example.com"))|};
                    await tx.CommitAsync();
                    await efTx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task FreshTransactionInsideATransactionScope_IsReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using System.Transactions;
            using Npgsql;

            namespace App;

            public sealed class OrderService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task PlaceAsync()
                {
                    using var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled);
                    await using var tx = await connection.BeginTransactionAsync();
                    await {|QUE0101:jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a@example.com"))|};
                    await tx.CommitAsync();
                    scope.Complete();
                }

                public async Task PlaceWithoutVariableAsync()
                {
                    using (new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
                    {
                        await {|QUE0101:jobs.EnqueueCacheWarmupAsync(new CacheWarmup("k"))|};
                    }
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task NonTransactionalOverloadWhileATransactionIsInScope_IsReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class CatalogService(AppJobs jobs)
            {
                public async Task RenameAsync(NpgsqlTransaction tx, string key)
                {
                    await {|QUE0101:jobs.EnqueueCacheWarmupAsync(new CacheWarmup(key))|};
                    await tx.CommitAsync();
                }

                public async Task RenameLocalAsync(NpgsqlConnection connection, string key)
                {
                    await using var tx = await connection.BeginTransactionAsync();
                    await {|QUE0101:jobs.EnqueueCacheWarmupAsync(new CacheWarmup(key))|};
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task NonTransactionalOverloadInALambdaThatCapturesTheTransaction_IsReported()
    {
        const string source = """
            using System;
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class CatalogService(AppJobs jobs)
            {
                public async Task RenameAsync(NpgsqlTransaction tx, string[] keys)
                {
                    Func<string, Task> warm = async key => await {|QUE0101:jobs.EnqueueCacheWarmupAsync(new CacheWarmup(key))|};
                    foreach (var key in keys)
                    {
                        await warm(key);
                    }

                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task TransactionBegunInlineForTheEnqueue_IsReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlConnection other)
            {
                public async Task SignUpAsync(NpgsqlTransaction tx, string email)
                {
                    await {|QUE0101:jobs.EnqueueUserOnboardingAsync(await other.BeginTransactionAsync(), new UserOnboarding(email))|};
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task QueuesClientWithATransactionThatOnlyCarriesEnqueues_IsReported()
    {
        const string source = """
            using System;
            using System.Threading.Tasks;
            using Npgsql;
            using Queues;

            namespace App;

            public sealed class RawService(QueuesClient client, NpgsqlConnection connection, NpgsqlConnection jobsConnection)
            {
                public async Task RunAsync(ReadOnlyMemory<byte> payload)
                {
                    await using var tx = await connection.BeginTransactionAsync();
                    await using var command = new NpgsqlCommand("UPDATE t SET x = 1", connection, tx);
                    await command.ExecuteNonQueryAsync();
                    var jobsTx = await jobsConnection.BeginTransactionAsync();
                    await {|QUE0101:client.EnqueueManyAsync(jobsTx, new JobDefinition("raw"), [payload])|};
                    await jobsTx.CommitAsync();
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task Diagnostic_NamesTheMethodAndTheTransactionToPass()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class CatalogService(AppJobs jobs)
            {
                public Task RenameAsync(NpgsqlTransaction tx, string key) => [|jobs.EnqueueCacheWarmupAsync(new CacheWarmup(key))|];
            }
            """;

        var test = new Verifier.Test { TestCode = source };
        await test.RunAsync(TestContext.Current.CancellationToken);
        var diagnostics = test.Reported;

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(
            "'EnqueueCacheWarmupAsync' does not enqueue inside 'tx', the transaction in scope; pass it so the job commits or rolls back with the data",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Microsoft.CodeAnalysis.DiagnosticSeverity.Warning, diagnostic.Severity);
    }

    // ---- Not reported ----

    [Fact]
    public async Task EnqueueInsideAwaitUsingTransaction_IsNotReported()
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
                    await using (var insert = new NpgsqlCommand("INSERT INTO users (email) VALUES ($1)", connection, tx))
                    {
                        await insert.ExecuteNonQueryAsync();
                    }

                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email));
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EnqueueOnlyTransactionWithNothingElseInScope_IsNotReported()
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
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task HelperReceivingTheTransaction_IsNotReported()
    {
        const string source = """
            using System.Threading;
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task SignUpAsync(string email, CancellationToken ct)
                {
                    await using var tx = await connection.BeginTransactionAsync(ct);
                    await InsertUserAsync(tx, email, ct);
                    await EnqueueWelcomeAsync(tx, email, ct);
                    await tx.CommitAsync(ct);
                }

                private static Task InsertUserAsync(NpgsqlTransaction tx, string email, CancellationToken ct) => Task.CompletedTask;

                private Task EnqueueWelcomeAsync(NpgsqlTransaction transaction, string email, CancellationToken ct) =>
                    jobs.EnqueueUserOnboardingAsync(transaction, new UserOnboarding(email), cancellationToken: ct);
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EfCoreTransactionPassedWithGetDbTransaction_IsNotReported()
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
                    await using var efTx = await db.Database.BeginTransactionAsync();
                    db.Orders.Add(order);
                    await db.SaveChangesAsync();
                    await jobs.EnqueueUserOnboardingAsync((NpgsqlTransaction)efTx.GetDbTransaction(), new UserOnboarding("a@example.com"));
                    await efTx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task LambdaAndLocalFunctionCapturingTheTransaction_AreNotReported()
    {
        const string source = """
            using System;
            using System.Linq;
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task SignUpAsync(string[] emails)
                {
                    await using var tx = await connection.BeginTransactionAsync();
                    await using (var insert = new NpgsqlCommand("INSERT INTO users SELECT 1", connection, tx))
                    {
                        await insert.ExecuteNonQueryAsync();
                    }

                    await Task.WhenAll(emails.Select(e => jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(e))));
                    foreach (var email in emails)
                    {
                        await EnqueueAsync(email);
                    }

                    await tx.CommitAsync();

                    Task EnqueueAsync(string email) => jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email));
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task TwoTransactionsEachCarryingWrites_AreNotReported()
    {
        // Two databases, two transactions: the enqueue goes with the one it is passed, which does real work too.
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SyncService(AppJobs jobs, NpgsqlConnection main, NpgsqlConnection audit)
            {
                public async Task SyncAsync()
                {
                    await using var mainTx = await main.BeginTransactionAsync();
                    await using var auditTx = await audit.BeginTransactionAsync();
                    await using (var write = new NpgsqlCommand("INSERT INTO a SELECT 1", audit, auditTx))
                    {
                        await write.ExecuteNonQueryAsync();
                    }

                    await using (var write = new NpgsqlCommand("INSERT INTO m SELECT 1", main, mainTx))
                    {
                        await write.ExecuteNonQueryAsync();
                    }

                    await jobs.EnqueueUserOnboardingAsync(mainTx, new UserOnboarding("a@example.com"));
                    await auditTx.CommitAsync();
                    await mainTx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task NonTransactionalOverloadWithNoTransactionAnywhere_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;

            namespace App;

            public sealed class CacheService(AppJobs jobs)
            {
                public Task WarmAsync(string key) => jobs.EnqueueCacheWarmupAsync(new CacheWarmup(key));
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task UnitOfWorkTransactionFieldPassedToTheEnqueue_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class UnitOfWork(AppJobs jobs, NpgsqlConnection connection)
            {
                private NpgsqlTransaction? _transaction;

                public async Task BeginAsync() => _transaction = await connection.BeginTransactionAsync();

                public async Task AddUserAsync(string email)
                {
                    await using (var insert = new NpgsqlCommand("INSERT INTO users SELECT 1", connection, _transaction))
                    {
                        await insert.ExecuteNonQueryAsync();
                    }

                    await jobs.EnqueueUserOnboardingAsync(_transaction!, new UserOnboarding(email));
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task TransactionWhoseBlockEndedBeforeTheEnqueue_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class BatchService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task RunAsync()
                {
                    {
                        await using var first = await connection.BeginTransactionAsync();
                        await using var write = new NpgsqlCommand("DELETE FROM t", connection, first);
                        await write.ExecuteNonQueryAsync();
                        await first.CommitAsync();
                    }

                    await using var second = await connection.BeginTransactionAsync();
                    await jobs.EnqueueUserOnboardingAsync(second, new UserOnboarding("a@example.com"));
                    await second.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task HelperTakingTwoTransactionsThatOnlyEnqueue_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class FanOut(AppJobs jobs)
            {
                public async Task EnqueueBothAsync(NpgsqlTransaction left, NpgsqlTransaction right)
                {
                    await jobs.EnqueueUserOnboardingAsync(left, new UserOnboarding("l@example.com"));
                    await jobs.EnqueueUserOnboardingAsync(right, new UserOnboarding("r@example.com"));
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EfCoreCurrentTransactionAndUnmarkedMethods_AreNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Microsoft.EntityFrameworkCore.Storage;
            using Npgsql;

            namespace App;

            public sealed class OrderService(AppJobs jobs, ShopContext db, NpgsqlConnection connection)
            {
                public async Task PlaceAsync(NpgsqlTransaction tx)
                {
                    await using (var write = new NpgsqlCommand("INSERT INTO t SELECT 1", connection, tx))
                    {
                        await write.ExecuteNonQueryAsync();
                    }

                    await jobs.EnqueueUserOnboardingAsync((NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction(), new UserOnboarding("a"));
                    await jobs.ScheduleReminderAsync(await connection.BeginTransactionAsync());
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }
}
