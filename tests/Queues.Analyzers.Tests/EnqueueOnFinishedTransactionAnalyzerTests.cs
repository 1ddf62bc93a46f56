using Verifier = Queues.Analyzers.Tests.Verification.AnalyzerVerifier<Queues.Analyzers.EnqueueOnFinishedTransactionAnalyzer>;

namespace Queues.Analyzers.Tests;

public sealed class EnqueueOnFinishedTransactionAnalyzerTests
{
    // ---- Reported ----

    [Fact]
    public async Task EnqueueAfterCommit_IsReported()
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
                    await [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email))|];
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EnqueueAfterCommitOrRollbackOnEveryBranch_IsReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task SignUpAsync(NpgsqlTransaction tx, bool ok)
                {
                    if (ok)
                    {
                        await tx.CommitAsync();
                    }
                    else
                    {
                        tx.Rollback();
                    }

                    await [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a@example.com"))|];
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EnqueueAfterDispose_IsReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task SignUpAsync()
                {
                    var tx = connection.BeginTransaction();
                    tx.Dispose();
                    await [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a@example.com"))|];

                    var other = await connection.BeginTransactionAsync();
                    await other.DisposeAsync();
                    await [|jobs.EnqueueUserOnboardingAsync(other, new UserOnboarding("b@example.com"))|];
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EnqueueAfterTheUsingScopeEnded_IsReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task SignUpAsync()
                {
                    var tx = await connection.BeginTransactionAsync();
                    await using (tx)
                    {
                        await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a@example.com"));
                    }

                    await [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("b@example.com"))|];
                }

                public async Task SignUpSyncUsingAsync()
                {
                    var tx = connection.BeginTransaction();
                    using (tx)
                    {
                        tx.Commit();
                    }

                    await [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("b@example.com"))|];
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EfCoreTransactionCommittedThenEnqueued_IsReported()
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
                    await transaction.CommitAsync();
                    await [|jobs.EnqueueUserOnboardingAsync((NpgsqlTransaction)transaction.GetDbTransaction(), new UserOnboarding("a"))|];
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EnqueueAfterCommitInsideALambdaAndTryFinally_IsReported()
    {
        const string source = """
            using System;
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlConnection connection)
            {
                public Func<Task> Make() => async () =>
                {
                    var tx = await connection.BeginTransactionAsync();
                    try
                    {
                        await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a"));
                    }
                    finally
                    {
                        await tx.CommitAsync();
                    }

                    await [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("b"))|];
                };
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task Diagnostic_NamesTheTransaction()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task SignUpAsync(NpgsqlTransaction orderTx)
                {
                    await orderTx.CommitAsync();
                    await [|jobs.EnqueueUserOnboardingAsync(orderTx, new UserOnboarding("a"))|];
                }
            }
            """;

        var test = new Verifier.Test { TestCode = source };
        await test.RunAsync(TestContext.Current.CancellationToken);
        var diagnostics = test.Reported;

        Assert.Equal(
            "'EnqueueUserOnboardingAsync' enqueues on 'orderTx' after it was committed, rolled back or disposed; enqueue before the transaction ends",
            Assert.Single(diagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    // ---- Not reported ----

    [Fact]
    public async Task EnqueueBeforeCommit_IsNotReported()
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
    public async Task RollbackOnOneBranchThatReturns_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task SignUpAsync(NpgsqlTransaction tx, bool valid)
                {
                    if (!valid)
                    {
                        await tx.RollbackAsync();
                        return;
                    }

                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a"));
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task CommitOnOnlySomePaths_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task SignUpAsync(NpgsqlTransaction tx, bool early)
                {
                    if (early)
                    {
                        await tx.CommitAsync();
                    }

                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a"));
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task RollbackToASavepoint_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task SignUpAsync(NpgsqlTransaction tx)
                {
                    await tx.RollbackAsync("before_jobs");
                    tx.Rollback("again");
                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a"));
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task NewTransactionAssignedAfterCommit_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class BatchService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task RunAsync(string[] emails)
                {
                    var tx = await connection.BeginTransactionAsync();
                    foreach (var email in emails)
                    {
                        await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email));
                        await tx.CommitAsync();
                        tx = await connection.BeginTransactionAsync();
                    }

                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("last"));
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task LoopThatBeginsATransactionPerIteration_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class BatchService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task RunAsync(string[] emails)
                {
                    foreach (var email in emails)
                    {
                        await using var tx = await connection.BeginTransactionAsync();
                        await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email));
                        await tx.CommitAsync();
                    }
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task CapturedTransactionCommittedBeforeTheLambdaRuns_IsNotReported()
    {
        // When the lambda runs is not known here; the rule stays silent rather than guess.
        const string source = """
            using System;
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task<Func<Task>> SignUpAsync(NpgsqlTransaction tx)
                {
                    await tx.CommitAsync();
                    return () => jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a"));
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task OtherTransactionCommittedFirst_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task SignUpAsync(NpgsqlTransaction audit)
                {
                    await audit.CommitAsync();
                    await using var tx = await connection.BeginTransactionAsync();
                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a"));
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EnqueueInsideTryWithRollbackInCatch_IsNotReported()
    {
        const string source = """
            using System;
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task SignUpAsync()
                {
                    await using var tx = await connection.BeginTransactionAsync();
                    try
                    {
                        await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a"));
                        await tx.CommitAsync();
                    }
                    catch (InvalidOperationException)
                    {
                        await tx.RollbackAsync();
                        throw;
                    }
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task UsingDeclarationDisposesOnlyAtTheEnd_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs, NpgsqlConnection connection)
            {
                public async Task SignUpAsync()
                {
                    var tx = await connection.BeginTransactionAsync();
                    await using (tx)
                    {
                        await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a"));
                        await tx.CommitAsync();
                    }

                    using var second = connection.BeginTransaction();
                    await jobs.EnqueueUserOnboardingAsync(second, new UserOnboarding("b"));
                    second.Commit();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }
}
