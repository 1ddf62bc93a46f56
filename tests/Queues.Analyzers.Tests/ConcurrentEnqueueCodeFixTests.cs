using Verifier = Queues.Analyzers.Tests.Verification.CodeFixVerifier<
    Queues.Analyzers.ConcurrentEnqueueAnalyzer,
    Queues.Analyzers.CodeFixes.ConcurrentEnqueueCodeFixProvider>;

namespace Queues.Analyzers.Tests;

public sealed class ConcurrentEnqueueCodeFixTests
{
    [Fact]
    public async Task WhenAllOfEnqueuesOnOneTransaction_BecomesOneAwaitEach()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class Service(AppJobs jobs)
            {
                public async Task PlaceAsync(NpgsqlTransaction tx)
                {
                    await Task.WhenAll(
                        [|jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup("a"))|],
                        [|jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("b"))|]);
                    await tx.CommitAsync();
                }
            }
            """;
        const string fixedSource = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class Service(AppJobs jobs)
            {
                public async Task PlaceAsync(NpgsqlTransaction tx)
                {
                    await jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup("a"));
                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("b"));
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source, fixedSource);
    }

    [Fact]
    public async Task SelectOfEnqueues_OffersNoFix()
    {
        // One statement per item is not a rewrite of one line: the ...ManyAsync overload or a loop is the user's choice.
        const string source = """
            using System.Linq;
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class Service(AppJobs jobs)
            {
                public async Task PlaceAsync(NpgsqlTransaction tx, string[] keys)
                {
                    await Task.WhenAll(keys.Select(k => [|jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup(k))|]));
                }
            }
            """;

        await Verifier.VerifyAsync(source, source);
    }

    [Fact]
    public async Task FixAll_RewritesEachWhenAllOnceWhateverTheOrderOfItsDiagnostics()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class Service(AppJobs jobs)
            {
                public async Task PlaceAsync(NpgsqlTransaction tx)
                {
                    await Task.WhenAll(jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup("a")), jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup("b")));
                    await Task.WhenAll(jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup("c")), jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup("d")));
                }
            }
            """;

        var (forward, reversed, doubled) = await Verification.FixAllOrder.ApplyAsync<ConcurrentEnqueueAnalyzer, Queues.Analyzers.CodeFixes.ConcurrentEnqueueCodeFixProvider>(source);

        Assert.DoesNotContain("WhenAll", forward, StringComparison.Ordinal);
        Assert.Equal(forward, reversed);
        Assert.Equal(forward, doubled);
    }
}
