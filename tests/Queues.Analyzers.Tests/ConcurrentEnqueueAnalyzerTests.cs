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

    [Theory]
    [InlineData(
        "await Parallel.ForEachAsync(keys, async (k, ct) => await [|jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup(k), ct)|]);",
        "'EnqueueCacheWarmupAsync' for another item of 'Parallel.ForEachAsync'")]
    [InlineData(
        "await Task.WhenAll(keys.Select(k => [|jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup(k))|]));",
        "'EnqueueCacheWarmupAsync' for another item of 'Select'")]
    [InlineData(
        "var tasks = new List<Task>(); foreach (var k in keys) { tasks.Add([|jobs.EnqueueCacheWarmupAsync(tx, new CacheWarmup(k))|]); } await Task.WhenAll(tasks);",
        "'EnqueueCacheWarmupAsync' of the loop's previous iteration")]
    public async Task TheMessageNamesTheCommandStillRunning_NotTheCombinator(string body, string other)
    {
        var source = $$"""
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading.Tasks;
            using Npgsql;

            namespace App;

            public sealed class Service(AppJobs jobs)
            {
                public async Task PlaceAsync(NpgsqlTransaction tx, string[] keys)
                {
                    {{body}}
                    await tx.CommitAsync();
                }
            }
            """;

        var test = new Verifier.Test { TestCode = source };
        await test.RunAsync(TestContext.Current.CancellationToken);

        Assert.Equal(
            "'EnqueueCacheWarmupAsync' runs while " + other + " may still be running on the same transaction; a connection runs one command at a time, so await each before starting the next",
            Assert.Single(test.Reported).GetMessage(System.Globalization.CultureInfo.InvariantCulture));
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
