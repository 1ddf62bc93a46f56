using Verifier = Queues.Analyzers.Tests.Verification.AnalyzerVerifier<Queues.Analyzers.ConcurrentEnqueueAnalyzer>;

namespace Queues.Analyzers.Tests;

public sealed class ConcurrentEnqueueAnalyzerTests
{
    [Fact]
    public async Task TwoEnqueuesOnOneTransactionInWhenAll_AreBothReported()
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

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task EnqueuesAwaitedOneAfterTheOther_AreNotReported()
    {
        const string source = """
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class Service(AppJobs jobs)
            {
                public async Task PlaceAsync(NpgsqlTransaction tx)
                {
                    var first = jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup("a"));
                    await first;
                    await jobs.EnqueueUserOnboardingAsync(tx, new UserOnboarding("b"));
                    await tx.CommitAsync();
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task SelectOfEnqueuesHandedToWhenAll_IsReportedInTheLambda()
    {
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

        await Verifier.VerifyAsync(source);
    }

    [Fact]
    public async Task FireAndForgetEnqueuesInWhenAll_AreNotReported()
    {
        // Without a transaction each enqueue runs on a pooled connection of its own.
        const string source = """
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading.Tasks;

            namespace App;

            public sealed class ReportsController(AppJobs jobs)
            {
                public async Task RebuildAsync(IEnumerable<string> teams)
                {
                    await Task.WhenAll(teams.Select(t => jobs.EnqueueWeeklyReportAsync(new WeeklyReport(t))));
                    await Task.WhenAll(jobs.EnqueueNightlyCleanupAsync(), jobs.EnqueueNightlyCleanupManyAsync(2));
                }
            }
            """;

        await Verifier.VerifyAsync(source);
    }
}
