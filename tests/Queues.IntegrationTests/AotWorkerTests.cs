// Not compiled into the poll-only build (tests/Queues.PollOnlyTests, POLL_ONLY): this test publishes samples/AotWorker
// with native AOT and runs that binary, which configures itself and never sees the suite's TestMode; running it
// again would only cost minutes.
#if !POLL_ONLY
using System.Diagnostics;
using Queues.IntegrationTests.Infrastructure;

namespace Queues.IntegrationTests;

/// <summary>Publishes samples/AotWorker with native AOT and runs the binary against the test server.</summary>
public sealed class AotWorkerTests(PostgresFixture fixture)
{
    [Fact]
    public async Task NativeAotWorker_PublishesWithoutWarningsAndCompletesJobs()
    {
        var ct = TestContext.Current.CancellationToken;
        var root = RepositoryRoot();
        var work = Directory.CreateTempSubdirectory("queues-aot-").FullName;
        try
        {
            // A separate artifacts path keeps this Release/RID build out of the tree the test run itself was built in.
            var publish = await RunAsync("dotnet",
                ["publish", Path.Combine(root, "samples", "AotWorker", "AotWorker.csproj"), "-c", "Release", "-o", Path.Combine(work, "out"),
                 "--artifacts-path", Path.Combine(work, "artifacts"), "-p:TreatWarningsAsErrors=false"],
                environment: null, TimeSpan.FromMinutes(15), ct);
            Assert.True(publish.ExitCode == 0, "dotnet publish failed:\n" + publish.Output);
            var warnings = publish.Output.Split('\n').Where(static l => l.Contains("warning", StringComparison.OrdinalIgnoreCase)).ToList();
            Assert.True(warnings.Count == 0, "The AOT publish reported warnings:\n" + string.Join('\n', warnings));

            await using var schema = new TestSchema(fixture, "aot_" + Guid.NewGuid().ToString("N")[..12]);
            var run = await RunAsync(Path.Combine(work, "out", "AotWorker"), [schema.Name, "40"],
                new Dictionary<string, string> { ["QUEUES_CONNECTION_STRING"] = fixture.ConnectionString }, TimeSpan.FromMinutes(3), ct);
            Assert.True(run.ExitCode == 0, "The AOT worker failed:\n" + run.Output);
            Assert.Contains("aot worker ran 40 jobs", run.Output, StringComparison.Ordinal);
            Assert.Equal(40L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs} WHERE state = 'completed' AND name = 'aotPing' AND attempt = 1"));
            Assert.Equal(40L, await schema.ScalarAsync<long>("SELECT count(*) FROM {jobs}"));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Queues.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"Queues.sln not found above {AppContext.BaseDirectory}.");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(
        string fileName, string[] arguments, Dictionary<string, string>? environment, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? [])
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output + await error);
    }
}
#endif
