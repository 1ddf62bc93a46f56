using System.IO.Compression;
using Npgsql;

namespace Queues.PackageTests;

/// <summary>
/// What a user gets from <c>dotnet pack</c>, a folder feed and <c>&lt;PackageReference Include="Queues" /&gt;</c>: a
/// project that builds, runs its job against PostgreSQL, and publishes as native AOT without a warning.
/// </summary>
public sealed class PackageTests(PackagedExample example) : IClassFixture<PackagedExample>
{
    private const int Minutes = 60 * 1000;
    private static readonly TimeSpan s_buildTimeout = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromMinutes(3);

    [Fact(Timeout = 15 * Minutes)]
    public void BothPackages_PackWithoutWarnings()
    {
        Assert.All(example.Packs, static pack =>
        {
            Assert.True(pack.ExitCode == 0, "dotnet pack failed:" + Environment.NewLine + pack);
            Assert.True(pack.Warnings.Count == 0, "dotnet pack reported warnings:" + Environment.NewLine + string.Join(Environment.NewLine, pack.Warnings) + Environment.NewLine + pack);
        });
        Assert.True(File.Exists(Path.Combine(example.Feed, $"Queues.{example.Version}.snupkg")), "Queues has no symbol package.");
        Assert.True(File.Exists(Path.Combine(example.Feed, $"Queues.Testing.{example.Version}.nupkg")), "Queues.Testing was not packed.");
    }

    [Fact(Timeout = 15 * Minutes)]
    public void QueuesPackage_CarriesTheRuntimeTheGeneratorAndTheAnalyzers()
    {
        using var package = ZipFile.OpenRead(Path.Combine(example.Feed, $"Queues.{example.Version}.nupkg"));
        var entries = package.Entries.Select(static e => e.FullName).ToHashSet(StringComparer.Ordinal);

        Assert.Superset(new HashSet<string>(StringComparer.Ordinal)
        {
            "lib/net8.0/Queues.dll",
            "lib/net10.0/Queues.dll",
            "analyzers/dotnet/cs/Queues.Generator.dll",
            "analyzers/dotnet/cs/Queues.Analyzers.dll",
            "analyzers/dotnet/cs/Queues.Analyzers.CodeFixes.dll",
            "buildTransitive/Queues.props",
            "README.md",
        }, entries);
        using var nuspec = new StreamReader(package.GetEntry("Queues.nuspec")!.Open());
        var text = nuspec.ReadToEnd();
        Assert.Contains("""<license type="expression">MIT</license>""", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Queues.Generator", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Queues.Analyzers", text, StringComparison.Ordinal);
    }

    [Fact(Timeout = 15 * Minutes)]
    public void QueuesTestingPackage_DependsOnExactlyItsOwnVersionOfQueues()
    {
        // It uses the runtime's internals: a newer Queues beside it was never built or tested with it.
        using var package = ZipFile.OpenRead(Path.Combine(example.Feed, $"Queues.Testing.{example.Version}.nupkg"));
        using var nuspec = new StreamReader(package.GetEntry("Queues.Testing.nuspec")!.Open());
        var text = nuspec.ReadToEnd();

        Assert.Contains($"<dependency id=\"Queues\" version=\"[{example.Version}]\"", text, StringComparison.Ordinal);
    }

    [Fact(Timeout = 20 * Minutes)]
    public async Task ExampleReferencingOnlyThePackage_BuildsWithoutWarnings_AndRunsItsJob()
    {
        var ct = TestContext.Current.CancellationToken;
        var project = example.CreateExampleProject("jit", "net10.0");
        var output = Path.Combine(project, "out");

        var build = await ProcessRunner.RunAsync("dotnet", ["build", "-c", "Release", "-o", output, "-nodeReuse:false"], project, example.Environment, s_buildTimeout, ct);

        Assert.True(build.ExitCode == 0, "The example does not build:" + Environment.NewLine + build);
        Assert.True(build.Warnings.Count == 0, "The example builds with warnings:" + Environment.NewLine + string.Join(Environment.NewLine, build.Warnings));
        await AssertRunsItsJobAsync("dotnet", [Path.Combine(output, PackagedExample.ExampleName + ".dll")], project, ct);
    }

    [Fact(Timeout = 30 * Minutes)]
    public async Task ExampleReferencingOnlyThePackage_PublishesAsNativeAotWithoutWarnings_AndRunsItsJob()
    {
        var ct = TestContext.Current.CancellationToken;
        // net9.0: the AOT runtime pack of net10.0 is not served here. The runtime's net8.0 build serves it.
        var project = example.CreateExampleProject("aot", "net9.0");
        var output = Path.Combine(project, "out");

        var publish = await ProcessRunner.RunAsync("dotnet",
            ["publish", "-c", "Release", "-o", output, "-p:PublishAot=true", "-nodeReuse:false"],
            project, example.Environment, s_buildTimeout, ct);

        Assert.True(publish.ExitCode == 0, "The example does not publish:" + Environment.NewLine + publish);
        Assert.True(publish.Warnings.Count == 0, "The native AOT publish reported (trim/AOT) warnings:" + Environment.NewLine + string.Join(Environment.NewLine, publish.Warnings));
        await AssertRunsItsJobAsync(Path.Combine(output, PackagedExample.ExampleName), [], project, ct);
    }

    private async Task AssertRunsItsJobAsync(string fileName, string[] arguments, string workingDirectory, CancellationToken ct)
    {
        var schema = "pkg_" + Guid.NewGuid().ToString("N")[..12];
        var environment = new Dictionary<string, string>(example.Environment) { ["QUEUES_SCHEMA"] = schema };
        try
        {
            var run = await ProcessRunner.RunAsync(fileName, arguments, workingDirectory, environment, s_runTimeout, ct);

            Assert.True(run.ExitCode == 0, "The example failed:" + Environment.NewLine + run);
            Assert.Contains("job ran: welcome sent to ada@example.com", run.Output, StringComparison.Ordinal);
            Assert.Equal(["userOnboarding:completed"], await QueryAsync($"SELECT name || ':' || state FROM {schema}.jobs", ct));
        }
        finally
        {
            await QueryAsync($"DROP SCHEMA IF EXISTS {schema} CASCADE", ct);
        }
    }

    private async Task<List<string>> QueryAsync(string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(example.ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<string>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }
}
