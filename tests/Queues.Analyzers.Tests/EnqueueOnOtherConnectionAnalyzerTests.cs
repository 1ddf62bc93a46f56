using Verifier = Queues.Analyzers.Tests.Verification.AnalyzerVerifier<Queues.Analyzers.EnqueueOnOtherConnectionAnalyzer>;

namespace Queues.Analyzers.Tests;

public sealed class EnqueueOnOtherConnectionAnalyzerTests
{
    // ---- Reported ----

    [Fact]
    public async Task TransactionFromOneConnectionWritesThroughAnother_IsReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlDataSource dataSource)
            {
                public async Task SignUpAsync(string email)
                {
                    await using var users = await dataSource.OpenConnectionAsync();
                    await using var queue = await dataSource.OpenConnectionAsync();
                    await using var usersTx = await users.BeginTransactionAsync();
                    await using var insert = new NpgsqlCommand("INSERT INTO users (email) VALUES ($1)", users, usersTx);
                    await insert.ExecuteNonQueryAsync();

                    await using var tx = await queue.BeginTransactionAsync();
                    await using var audit = new NpgsqlCommand("INSERT INTO audit (email) VALUES ($1)", queue, tx);
                    await audit.ExecuteNonQueryAsync();
                    await [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email))|];
                    await tx.CommitAsync();
                    await usersTx.CommitAsync();
                }
            }
            """;

        var test = new Verifier.Test { TestCode = source };
        await test.RunAsync(TestContext.Current.CancellationToken);
        var diagnostics = test.Reported;

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(Microsoft.CodeAnalysis.DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Equal(
            "'EnqueueUserOnboardingAsync' enqueues on a transaction of connection 'queue', but 'ExecuteNonQueryAsync' writes through connection 'users'; the job does not commit with that write",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task TransactionBegunJustForTheJob_IsLeftToQue0101()
    {
        // One mistake, one diagnostic: the job's transaction carries nothing else while the write's is in scope (QUE0101 passes it).
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlDataSource dataSource)
            {
                public async Task SignUpAsync(string email)
                {
                    await using var users = await dataSource.OpenConnectionAsync();
                    await using var queue = await dataSource.OpenConnectionAsync();
                    await using var usersTx = await users.BeginTransactionAsync();
                    await using var insert = new NpgsqlCommand("INSERT INTO users (email) VALUES ($1)", users, usersTx);
                    await insert.ExecuteNonQueryAsync();

                    await using var tx = await queue.BeginTransactionAsync();
                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email));
                    await tx.CommitAsync();
                    await usersTx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task DapperAndCreateCommandOnAnotherNewConnection_AreReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Dapper;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlDataSource dataSource)
            {
                public async Task DapperAsync(string email)
                {
                    using var users = new NpgsqlConnection("Host=users");
                    using var queue = dataSource.OpenConnection();
                    await users.ExecuteAsync("INSERT INTO users (email) VALUES (@email)", new { email });
                    await [|jobs.EnqueueUserOnboardingAsync(await queue.BeginTransactionAsync(), new UserOnboarding(email))|];
                }

                public async Task CreateCommandAsync(string email)
                {
                    using var users = dataSource.CreateConnection();
                    using var queue = dataSource.CreateConnection();
                    var tx = queue.BeginTransaction();
                    using var command = users.CreateCommand();
                    command.ExecuteNonQuery();
                    await [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email))|];
                    tx.Commit();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    // ---- Not reported ----

    [Fact]
    public async Task WriteAndEnqueueOnTheSameConnection_AreNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlDataSource dataSource)
            {
                public async Task SignUpAsync(string email)
                {
                    await using var connection = await dataSource.OpenConnectionAsync();
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
    public async Task ConnectionsReceivedAsParameters_AreNotReported()
    {
        // Two parameters may well be the same connection: not decidable here.
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task SignUpAsync(NpgsqlConnection a, NpgsqlConnection b)
                {
                    await using var tx = await a.BeginTransactionAsync();
                    await using var insert = new NpgsqlCommand("INSERT INTO users SELECT 1", b, tx);
                    await insert.ExecuteNonQueryAsync();
                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a"));
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task TransactionReceivedAsParameter_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlDataSource dataSource)
            {
                public async Task SignUpAsync(NpgsqlTransaction tx)
                {
                    await using var other = await dataSource.OpenConnectionAsync();
                    await using var insert = new NpgsqlCommand("INSERT INTO audit SELECT 1", other);
                    await insert.ExecuteNonQueryAsync();
                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a"));
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EfCoreTransaction_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Microsoft.EntityFrameworkCore.Storage;
            using Npgsql;

            namespace App;

            public sealed class OrderService(AppJobs jobs, ShopContext db)
            {
                public async Task PlaceAsync()
                {
                    await using var transaction = await db.Database.BeginTransactionAsync();
                    await db.SaveChangesAsync();
                    await jobs.EnqueueUserOnboardingAsync((NpgsqlTransaction)transaction.GetDbTransaction(), new UserOnboarding("a"));
                    await transaction.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task WriteThroughAnotherConnectionInALambda_IsNotReported()
    {
        const string source = """
            using System;
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlDataSource dataSource)
            {
                public async Task SignUpAsync()
                {
                    await using var main = await dataSource.OpenConnectionAsync();
                    await using var other = await dataSource.OpenConnectionAsync();
                    Func<Task> audit = async () =>
                    {
                        await using var insert = new NpgsqlCommand("INSERT INTO audit SELECT 1", other);
                        await insert.ExecuteNonQueryAsync();
                    };
                    await using var tx = await main.BeginTransactionAsync();
                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a"));
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task ConnectionAliasedFromTheSameOne_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlDataSource dataSource)
            {
                public async Task SignUpAsync()
                {
                    await using var connection = await dataSource.OpenConnectionAsync();
                    var same = connection;
                    await using var tx = await connection.BeginTransactionAsync();
                    await using var insert = new NpgsqlCommand("INSERT INTO users SELECT 1", same, tx);
                    await insert.ExecuteNonQueryAsync();
                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a"));
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task ReadThroughAnotherConnection_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlDataSource dataSource)
            {
                public async Task SignUpAsync()
                {
                    await using var main = await dataSource.OpenConnectionAsync();
                    await using var replica = await dataSource.OpenConnectionAsync();
                    await using var read = new NpgsqlCommand("SELECT 1", replica);
                    await using var reader = await read.ExecuteReaderAsync();
                    await using var tx = await main.BeginTransactionAsync();
                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a"));
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task CommandFromElsewhereAndNonTransactionalEnqueue_AreNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlDataSource dataSource)
            {
                public async Task SignUpAsync(NpgsqlCommand prepared)
                {
                    await using var main = await dataSource.OpenConnectionAsync();
                    await prepared.ExecuteNonQueryAsync();
                    await using var tx = await main.BeginTransactionAsync();
                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a"));
                    await jobs.EnqueueCacheWarmupAsync(new CacheWarmup("k"));
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }
}
