using Verifier = Queues.Analyzers.Tests.Verification.CodeFixVerifier<
    Queues.Analyzers.EnqueueNotAwaitedAnalyzer,
    Queues.Analyzers.CodeFixes.EnqueueNotAwaitedCodeFixProvider>;

namespace Queues.Analyzers.Tests;

public sealed class EnqueueNotAwaitedCodeFixTests
{
    [Fact]
    public async Task DroppedEnqueues_AreAwaitedWhereTheyStand()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task SignUpAsync(NpgsqlTransaction tx)
                {
                    [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a@example.com"))|];
                    _ = [|jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup("users"))|];
                    [|jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup("emails"))|].ConfigureAwait(false);
                    await tx.CommitAsync();
                }
            }
            """;
        const string fixedSource = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task SignUpAsync(NpgsqlTransaction tx)
                {
                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a@example.com"));
                    await jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup("users"));
                    await jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup("emails")).ConfigureAwait(false);
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source, fixedSource);
    }

    [Fact]
    public async Task EnqueuesDroppedThroughAWrapper_AwaitTheWrapperNotTheInnerCall()
    {
        // The statement that drops the task is the Task.Run or ContinueWith one; awaiting inside the lambda would change nothing.
        const string source = """
            using System;
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task SignUpAsync(NpgsqlTransaction tx)
                {
                    _ = Task.Run(async () =>
                    {
                        await [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a@example.com"))|];
                    });
                    [|jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup("users"))|].ContinueWith(t => Console.WriteLine(t.Status));
                    await tx.CommitAsync();
                }
            }
            """;
        const string fixedSource = """
            using System;
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task SignUpAsync(NpgsqlTransaction tx)
                {
                    await Task.Run(async () =>
                    {
                        await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a@example.com"));
                    });
                    await jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup("users")).ContinueWith(t => Console.WriteLine(t.Status));
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source, fixedSource);
    }

    [Fact]
    public async Task TaskAwaitedOnlyAfterCommit_OffersNoFix()
    {
        // Where the await belongs (before the commit, or the commit after it) is the user's call; unchanged code means no fix.
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task SignUpAsync(NpgsqlTransaction tx)
                {
                    var pending = [|jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup("users"))|];
                    await tx.CommitAsync();
                    await pending;
                }
            }
            """;

        await Verifier.VerifyAsync(source, source);
    }

    [Fact]
    public async Task DroppedFireAndForgetEnqueues_AreAwaitedToo()
    {
        const string source = """
            using System.Threading.Tasks;

            namespace App;

            public sealed class ReportsController(AppJobs jobs)
            {
                public async Task<int> RebuildAsync(string team)
                {
                    _ = [|jobs.EnqueueWeeklyReportAsync(new WeeklyReport(team))|];
                    [|jobs.EnqueueNightlyCleanupManyAsync(2)|];
                    await Task.Yield();
                    return 202;
                }
            }
            """;
        const string fixedSource = """
            using System.Threading.Tasks;

            namespace App;

            public sealed class ReportsController(AppJobs jobs)
            {
                public async Task<int> RebuildAsync(string team)
                {
                    await jobs.EnqueueWeeklyReportAsync(new WeeklyReport(team));
                    await jobs.EnqueueNightlyCleanupManyAsync(2);
                    await Task.Yield();
                    return 202;
                }
            }
            """;

        await Verifier.VerifyAsync(source, fixedSource);
    }
}
