using Queues.Analyzers.Tests.Verification;
using Verifier = Queues.Analyzers.Tests.Verification.AnalyzerVerifier<Queues.Analyzers.EnqueueNotAwaitedAnalyzer>;

namespace Queues.Analyzers.Tests;

public sealed class EnqueueNotAwaitedAnalyzerTests
{
    // ---- Reported ----

    [Fact]
    public async Task EnqueueAsExpressionStatement_IsReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task SignUpAsync(NpgsqlTransaction tx, string email)
                {
                    {|QUE0104:jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email))|};
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EnqueueAssignedToDiscard_IsReported()
    {
        const string source = """
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public void SignUp(NpgsqlTransaction tx, string email)
                {
                    _ = [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email))|];
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EnqueueWithConfigureAwaitButNotAwaited_IsReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task SignUpAsync(NpgsqlTransaction tx, string email)
                {
                    [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email))|].ConfigureAwait(false);
                    _ = [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email))|].ConfigureAwait(false);
                    await tx.CommitAsync().ConfigureAwait(false);
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task QueuesClientEnqueueAsyncDropped_IsReported()
    {
        const string source = """
            using System;
            using Npgsql;
            using Queues;

            namespace App;

            public sealed class RawEnqueuer(QueuesClient client)
            {
                public void Enqueue(NpgsqlTransaction tx, ReadOnlyMemory<byte> payload)
                {
                    [|client.EnqueueAsync(tx, new JobDefinition("raw"), payload)|];
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EnqueueThroughConditionalAccessDropped_IsReported()
    {
        const string source = """
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs? jobs)
            {
                public void SignUp(NpgsqlTransaction tx, string email)
                {
                    jobs?[|.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email))|];
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EnqueueInVoidLambda_IsReported()
    {
        const string source = """
            using System;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public Action<NpgsqlTransaction> OnSignUp(string email) =>
                    tx => [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email))|];
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task Diagnostic_NamesTheEnqueueMethod()
    {
        const string source = """
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public void SignUp(NpgsqlTransaction tx) => _ = [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a@example.com"))|];
            }
            """;

        var test = new Verifier.Test { TestCode = source };
        await test.RunAsync(TestContext.Current.CancellationToken);
        var diagnostics = test.Reported;

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(
            "The task of 'EnqueueUserOnboardingAsync' is not awaited; the insert may still be running when the transaction or the request ends, and its failure goes unseen. Await it.",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task EnqueueDroppedThroughTaskRun_NamesTheWrapper()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task SignUpAsync(NpgsqlTransaction tx)
                {
                    _ = Task.Run(() => [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("a@example.com"))|]);
                    await tx.CommitAsync();
                }
            }
            """;

        var test = new Verifier.Test { TestCode = source };
        await test.RunAsync(TestContext.Current.CancellationToken);

        Assert.Equal(
            "The task of 'EnqueueUserOnboardingAsync' (it runs inside 'Task.Run', whose task is dropped) is not awaited; the insert may still be running when the transaction or the request ends, and its failure goes unseen. Await it.",
            Assert.Single(test.Reported).GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    // ---- Not reported ----

    [Fact]
    public async Task AwaitedEnqueue_IsNotReported()
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
                    var id = await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email));
                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email));
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task AwaitedEnqueueWithConfigureAwait_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;
            using Queues;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task<EnqueueResult> SignUpAsync(NpgsqlTransaction tx, string email)
                {
                    var id = await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email)).ConfigureAwait(false);
                    await tx.CommitAsync().ConfigureAwait(false);
                    return id;
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EnqueueStoredInLocalThenAwaited_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task SignUpAsync(NpgsqlTransaction tx, string email)
                {
                    var pending = jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email));
                    await pending;
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EnqueueReturnedFromNonAsyncMethod_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;
            using Queues;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public Task<EnqueueResult> EnqueueOnboardingAsync(NpgsqlTransaction tx, string email)
                {
                    return jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email));
                }

                public Task<EnqueueResult> EnqueueOnboardingShortAsync(NpgsqlTransaction tx, string email) =>
                    jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email));
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EnqueuesPassedToWhenAll_AreNotReported()
    {
        const string source = """
            using System.Linq;
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task SignUpManyAsync(NpgsqlTransaction tx, string[] emails)
                {
                    await Task.WhenAll(
                        jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(emails[0])),
                        jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(emails[1])));
                    await Task.WhenAll(emails.Select(e => jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(e))));
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EnqueueInsideAwaitedLambda_IsNotReported()
    {
        const string source = """
            using System;
            using System.Threading.Tasks;
            using Npgsql;
            using Queues;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public async Task SignUpAsync(NpgsqlTransaction tx, string email)
                {
                    Func<Task<EnqueueResult>> enqueue = () => jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email));
                    await enqueue();
                    await RetryAsync(async () => await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email)));
                    await tx.CommitAsync();
                }

                private static Task RetryAsync(Func<Task> action) => action();
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task DroppedTaskFromNonEnqueueMethod_IsNotReported()
    {
        const string source = """
            using Npgsql;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                public void SignUp(NpgsqlTransaction tx)
                {
                    jobs.ScheduleReminderAsync(tx);
                    _ = tx.CommitAsync();
                    tx.CommitAsync().ConfigureAwait(false);
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EnqueueStoredInFieldOrPassedOn_IsNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;
            using Queues;

            namespace App;

            public sealed class SignupService(AppJobs jobs)
            {
                private Task<EnqueueResult>? _pending;

                public void Start(NpgsqlTransaction tx, string email)
                {
                    _pending = jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email));
                    Track(jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding(email)));
                }

                public Task FinishAsync() => _pending ?? Task.CompletedTask;

                private static void Track(Task task) => task.Wait();
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task CompilationWithoutQueuesRuntime_ReportsNothing()
    {
        // QueuesClient.EnqueueAsync is present and dropped, but without the marker attribute the analyzer must bail out
        // at compilation start, so not even the client method is checked.
        const string source = """
            using System;
            using System.Threading.Tasks;

            namespace Queues
            {
                public sealed class QueuesClient
                {
                    public Task<long> EnqueueAsync(ReadOnlyMemory<byte> payload) => Task.FromResult(1L);
                }
            }

            namespace App
            {
                public sealed class Enqueuer(Queues.QueuesClient client)
                {
                    public void Enqueue(ReadOnlyMemory<byte> payload)
                    {
                        client.EnqueueAsync(payload);
                        _ = client.EnqueueAsync(payload);
                    }
                }
            }
            """;

        var test = new Verifier.Test { TestCode = source, IncludeStubs = false };
        await test.RunAsync(TestContext.Current.CancellationToken);
        var diagnostics = test.Reported;

        Assert.Empty(diagnostics);
    }
}
